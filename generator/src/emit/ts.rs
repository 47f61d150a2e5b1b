//! The TypeScript SDK emitter: a typed client, error unions and TanStack Query helpers, rendered through tera from a view model.

use super::{GenOptions, GeneratedFile};
use crate::ir::Ir;

/// Emits `sdk/typescript/` for `ir`.
pub fn emit(_ir: &Ir, _opts: &GenOptions) -> Vec<GeneratedFile> {
    Vec::new()
}
