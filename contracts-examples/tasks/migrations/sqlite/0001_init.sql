-- The tasks example's schema on SQLite: UUID columns hold sqlx's 16-byte
-- blobs, TIMESTAMPTZ columns RFC 3339 text in UTC, the status enum is a
-- CHECK and the tag list JSON text.
CREATE TABLE users (
    id UUID PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE tasks (
    id UUID PRIMARY KEY,
    owner_id UUID NOT NULL REFERENCES users (id),
    title TEXT NOT NULL,
    description TEXT,
    status task_status NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'in_progress', 'done')),
    tags JSON NOT NULL DEFAULT '[]',
    due_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE INDEX tasks_owner_created ON tasks (owner_id, created_at, id);
