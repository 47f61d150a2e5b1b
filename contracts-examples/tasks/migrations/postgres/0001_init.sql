-- The tasks example's schema on PostgreSQL: native uuid, timestamptz,
-- an enum type and a jsonb tag list.
CREATE TYPE task_status AS ENUM ('open', 'in_progress', 'done');

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
    status task_status NOT NULL DEFAULT 'open',
    tags JSONB NOT NULL DEFAULT '[]',
    due_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE INDEX tasks_owner_created ON tasks (owner_id, created_at, id);
