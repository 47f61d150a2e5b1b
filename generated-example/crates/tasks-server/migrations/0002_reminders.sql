-- Reminders sent by the send_reminder job: at most one per task.
CREATE TABLE task_reminders (
    task_id TEXT PRIMARY KEY REFERENCES tasks (id) ON DELETE CASCADE,
    owner_id TEXT NOT NULL,
    reminded_at TEXT NOT NULL
);
