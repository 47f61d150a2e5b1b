//! Naming: the one place for case conversion, Rust and TypeScript keyword escaping and collision-free identifiers.
