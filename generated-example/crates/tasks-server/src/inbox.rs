//! Handlers of module `inbox`: an inbound e-mail, delivered by the mail provider's signed webhook, becomes a task of the sender's account.
//!
//! The signature was verified (HMAC-SHA256 over the raw body, under the
//! secret in `TASKS_INBOUND_EMAIL_SECRET`) before this code runs, and a
//! delivery already accepted is never run twice.

use bunbase_runtime::uuid::Uuid;
use bunbase_runtime::{ActionContext, normalize_email};
use tasks_api::db::tasks::{self, NewTask};
use tasks_api::db::users::{self, UserFilter, UserOrder};
use tasks_api::*;

use crate::App;
use crate::db::now;

impl InboxHandler for App {
    async fn receive_email(&self, ctx: ActionContext, input: ReceiveEmailInput) -> Result<ReceiveEmailOutput, ReceiveEmailError> {
        let filter = UserFilter { email: Some(normalize_email(&input.from)), ..UserFilter::default() };
        let owner = users::list(&ctx.db, &filter, UserOrder::default(), None, 1).await?.pop().ok_or(ReceiveEmailError::UnknownSender)?;
        let now = now();
        let new = NewTask {
            id: Uuid::now_v7(),
            owner_id: owner.id,
            title: input.subject,
            description: input.text,
            status: Some(tasks_api::db::TaskStatus::Open),
            tags: Some(bunbase_runtime::serde_json::json!(["email"])),
            due_at: None,
            created_at: now,
            updated_at: now,
        };
        let task = tasks::insert(&ctx.db, &new).await?;
        emit_task_created(&ctx, &TaskCreatedPayload { task_id: task.id, owner_id: task.owner_id, title: task.title })?;
        Ok(ReceiveEmailOutput { task_id: task.id })
    }
}
