//! The build.rs Builder: generates the API crate's code into `OUT_DIR` and tells cargo when to rerun.
