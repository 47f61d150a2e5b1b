-- The initial migration. Write portable SQL: it runs on SQLite and PostgreSQL
-- (TEXT ids and timestamps, BIGINT, BOOLEAN; `$1` placeholders in queries).
CREATE TABLE IF NOT EXISTS app_settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
