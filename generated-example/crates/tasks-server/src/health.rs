//! Handlers of module `health`: a public status endpoint with row counts.

use bunbase_runtime::{ActionContext, sqlx};
use tasks_api::*;

use crate::App;

impl HealthHandler for App {
    async fn health(&self, ctx: ActionContext) -> Result<HealthOutput, HealthError> {
        let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(&*ctx.db).await?;
        let tasks: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tasks").fetch_one(&*ctx.db).await?;
        Ok(HealthOutput { users, tasks })
    }
}
