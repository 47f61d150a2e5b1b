//! Small helpers shared by the handlers: timestamps and ids as stored (TEXT), and row decoding.

use bunbase_runtime::chrono::{DateTime, SecondsFormat, Utc};
use bunbase_runtime::uuid::Uuid;
use tasks_api::{Task, TaskStatus, User};

/// A timestamp as stored: RFC 3339, UTC, microseconds, so text order is time order.
pub fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Parses a stored timestamp.
pub fn parse_ts(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&Utc)).map_err(|e| format!("bad timestamp {s:?}: {e}"))
}

/// Parses a stored id.
pub fn parse_id(s: &str) -> Result<Uuid, String> {
    Uuid::try_parse(s).map_err(|e| format!("bad id {s:?}: {e}"))
}

/// The stored text of a status.
pub fn status_str(s: TaskStatus) -> &'static str {
    s.as_str()
}

/// Parses a stored status.
pub fn parse_status(s: &str) -> Result<TaskStatus, String> {
    match s {
        "open" => Ok(TaskStatus::Open),
        "in_progress" => Ok(TaskStatus::InProgress),
        "done" => Ok(TaskStatus::Done),
        other => Err(format!("bad status {other:?}")),
    }
}

/// The columns [`task_from_row`] reads, in order.
pub const TASK_COLUMNS: &str = "id, owner_id, title, description, status, tags, due_at, created_at, updated_at";

/// A `tasks` row as stored: [`TASK_COLUMNS`] as text (the same type on both databases).
pub type TaskRow = (String, String, String, Option<String>, String, String, Option<String>, String, String);

/// Decodes a `tasks` row.
pub fn task_from_row(row: TaskRow) -> Result<Task, String> {
    let (id, owner_id, title, description, status, tags, due_at, created_at, updated_at) = row;
    let tags: Vec<String> = bunbase_runtime::serde_json::from_str(&tags).map_err(|e| e.to_string())?;
    Ok(Task {
        id: parse_id(&id)?,
        owner_id: parse_id(&owner_id)?,
        title,
        description,
        status: parse_status(&status)?,
        tags,
        due_at: due_at.as_deref().map(parse_ts).transpose()?,
        created_at: parse_ts(&created_at)?,
        updated_at: parse_ts(&updated_at)?,
    })
}

/// A `users` row as stored: id, email, name, created_at.
pub type UserRow = (String, String, String, String);

/// Decodes a `users` row (id, email, name, created_at).
pub fn user_from_row(row: UserRow) -> Result<User, String> {
    let (id, email, name, created_at) = row;
    Ok(User { id: parse_id(&id)?, email, name, created_at: parse_ts(&created_at)? })
}
