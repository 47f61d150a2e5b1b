//! The Rust emitter: the generated Cargo workspace (API crate, scaffolded server crate), built as tokens and formatted once.

use super::{GenOptions, GeneratedFile};
use crate::ir::Ir;

/// Emits the Rust workspace files for `ir`.
pub fn emit(_ir: &Ir, _opts: &GenOptions) -> Vec<GeneratedFile> {
    Vec::new()
}
