//! Handlers of module `inbox`: an inbound e-mail, delivered by the mail provider's signed webhook, becomes a task of the sender's account.
//!
//! The signature was verified (HMAC-SHA256 over the raw body, under the
//! secret in `TASKS_INBOUND_EMAIL_SECRET`) before this code runs, and a
//! delivery already accepted is never run twice.

use bunbase_runtime::chrono::{SubsecRound, Utc};
use bunbase_runtime::uuid::Uuid;
use bunbase_runtime::{ActionContext, normalize_email, sqlx, with_pool};
use tasks_api::*;

use crate::App;
use crate::db::{status_str, ts};

impl InboxHandler for App {
    async fn receive_email(&self, ctx: ActionContext, input: ReceiveEmailInput) -> Result<ReceiveEmailOutput, ReceiveEmailError> {
        let email = normalize_email(&input.from);
        let owner: Option<String> = with_pool!(ctx.db, pool => {
            sqlx::query_scalar("SELECT id FROM users WHERE email = $1").bind(&email).fetch_optional(pool).await?
        });
        let owner_id = owner.as_deref().map(Uuid::try_parse).transpose().map_err(|e| ReceiveEmailError::Internal(e.to_string()))?.ok_or(ReceiveEmailError::UnknownSender)?;
        let now = Utc::now().trunc_subsecs(6);
        let id = Uuid::now_v7();
        with_pool!(ctx.db, pool => {
            sqlx::query(
                "INSERT INTO tasks (id, owner_id, title, description, status, tags, due_at, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(id.to_string())
            .bind(owner_id.to_string())
            .bind(&input.subject)
            .bind(input.text.clone())
            .bind(status_str(TaskStatus::Open))
            .bind("[\"email\"]")
            .bind(None::<String>)
            .bind(ts(now))
            .bind(ts(now))
            .execute(pool)
            .await?;
        });
        emit_task_created(&ctx, &TaskCreatedPayload { task_id: id, owner_id, title: input.subject })?;
        Ok(ReceiveEmailOutput { task_id: id })
    }
}
