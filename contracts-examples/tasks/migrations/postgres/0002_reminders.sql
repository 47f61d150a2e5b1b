-- Reminders sent by the send_reminder job: at most one per task.
CREATE TABLE task_reminders (
    task_id UUID PRIMARY KEY REFERENCES tasks (id) ON DELETE CASCADE,
    owner_id UUID NOT NULL,
    reminded_at TIMESTAMPTZ NOT NULL
);
