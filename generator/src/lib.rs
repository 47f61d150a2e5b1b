//! bunbase: turns YAML contracts into an axum + sqlx server, an OpenAPI document and a TypeScript SDK.
//!
//! The engine is a library that returns values and never writes files; the
//! `bunbase` CLI, the build.rs [`builder::Builder`] and `xtask` are thin
//! adaptors over it. The pipeline, one module per stage:
//!
//! 1. [`load`]: contract files into a [`source::SourceSet`];
//! 2. [`parse`]: YAML with spans into the contract syntax tree;
//! 3. [`check`]: every rule, as accumulated [`diag::Diagnostic`]s;
//! 4. [`lower`]: the resolved, sorted [`ir::Ir`];
//! 5. [`emit`]: Rust, OpenAPI and TypeScript files (never fails);
//! 6. [`write`]: write-if-changed, manifest and drift checks.

pub mod breaking;
pub mod builder;
pub mod check;
pub mod cli;
pub mod diag;
pub mod emit;
pub mod ir;
pub mod load;
pub mod lower;
pub mod naming;
pub mod parse;
pub mod schema;
pub mod source;
pub mod write;
