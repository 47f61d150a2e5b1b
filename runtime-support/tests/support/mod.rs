//! Shared by the runtime's integration tests that need a generated-shaped input type.

pub mod create_task;
