//! The JSON Schema for contract files, printed by `bunbase schema` for editor support.
