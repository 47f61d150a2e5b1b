-- The tasks example's schema. Portable SQL: runs on SQLite and PostgreSQL
-- (TEXT ids and RFC 3339 timestamps, `$1` placeholders in queries).
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE tasks (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL REFERENCES users (id),
    title TEXT NOT NULL,
    description TEXT,
    status TEXT NOT NULL,
    tags TEXT NOT NULL,
    due_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE INDEX tasks_owner_created ON tasks (owner_id, created_at, id);
