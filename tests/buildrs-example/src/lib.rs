//! The API crate of `contracts-examples/tasks`, generated at build time by the bunbase Builder (see `build.rs`) instead of committed.

include!(concat!(env!("OUT_DIR"), "/bunbase_api.rs"));
