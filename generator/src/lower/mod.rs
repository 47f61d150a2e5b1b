//! Lowering: checked contracts to the fully resolved, sorted [`Ir`](crate::ir::Ir).
