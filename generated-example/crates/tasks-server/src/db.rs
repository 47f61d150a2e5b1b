//! Small helpers shared by the handlers: timestamps and ids as stored (TEXT), and row decoding.

use bunbase_runtime::chrono::{DateTime, SecondsFormat, Utc};
use bunbase_runtime::sqlx::Row;
use bunbase_runtime::sqlx::any::AnyRow;
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

/// Decodes a `tasks` row.
pub fn task_from_row(row: &AnyRow) -> Result<Task, String> {
    let get = |c: &str| row.try_get::<String, _>(c).map_err(|e| e.to_string());
    let opt = |c: &str| row.try_get::<Option<String>, _>(c).map_err(|e| e.to_string());
    let tags: Vec<String> = bunbase_runtime::serde_json::from_str(&get("tags")?).map_err(|e| e.to_string())?;
    Ok(Task {
        id: parse_id(&get("id")?)?,
        owner_id: parse_id(&get("owner_id")?)?,
        title: get("title")?,
        description: opt("description")?,
        status: parse_status(&get("status")?)?,
        tags,
        due_at: opt("due_at")?.as_deref().map(parse_ts).transpose()?,
        created_at: parse_ts(&get("created_at")?)?,
        updated_at: parse_ts(&get("updated_at")?)?,
    })
}

/// Decodes a `users` row (id, email, name, created_at).
pub fn user_from_row(row: &AnyRow) -> Result<User, String> {
    let get = |c: &str| row.try_get::<String, _>(c).map_err(|e| e.to_string());
    Ok(User { id: parse_id(&get("id")?)?, email: get("email")?, name: get("name")?, created_at: parse_ts(&get("created_at")?)? })
}
