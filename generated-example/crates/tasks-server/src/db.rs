//! What the handlers share about storage; the rows, queries and conversions themselves are generated (`tasks_api::db`).

use bunbase_runtime::ActionContext;
use bunbase_runtime::chrono::{DateTime, SubsecRound, Utc};
use bunbase_runtime::uuid::Uuid;

/// Now, at the precision the databases keep (microseconds), so what an
/// action answers is exactly what a later read returns.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// The signed-in user's id (sessions carry it as text).
pub fn user_id(ctx: &ActionContext) -> Option<Uuid> {
    ctx.user_id().and_then(|id| Uuid::try_parse(id).ok())
}
