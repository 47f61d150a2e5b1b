//! Handlers of module `tasks`: the task is built in memory and answered; nothing is stored.

use bunbase_runtime::chrono::{SubsecRound, Utc};
use bunbase_runtime::uuid::Uuid;
use bunbase_runtime::ActionContext;
use noio_api::*;

use crate::App;

impl TasksHandler for App {
    async fn create_task(&self, ctx: ActionContext, input: CreateTaskInput) -> Result<Task, CreateTaskError> {
        let owner_id = ctx.user_id().and_then(|id| Uuid::try_parse(id).ok()).ok_or(CreateTaskError::Unauthorized)?;
        let now = Utc::now().trunc_subsecs(6);
        Ok(Task {
            id: Uuid::now_v7(),
            owner_id,
            title: input.title,
            description: input.description,
            status: input.status,
            tags: input.tags,
            due_at: input.due_at,
            created_at: now,
            updated_at: now,
        })
    }
}
