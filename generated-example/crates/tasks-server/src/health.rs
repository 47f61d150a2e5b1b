//! Handlers of module `health`: a public status endpoint with row counts.

use bunbase_runtime::{ActionContext, sqlx, with_pool};
use tasks_api::*;

use crate::App;

impl HealthHandler for App {
    async fn health(&self, ctx: ActionContext) -> Result<HealthOutput, HealthError> {
        let (users, tasks): (i64, i64) = with_pool!(ctx.db, pool => {
            sqlx::query_as("SELECT (SELECT COUNT(*) FROM users), (SELECT COUNT(*) FROM tasks)").fetch_one(pool).await?
        });
        Ok(HealthOutput { users, tasks })
    }
}
