//! The contract set the OpenAPI emitter's tests read: `tests/fixtures/openapi/`, a small task tracker using every feature the emitter maps.

use std::path::Path;

use bunbase::ir::Ir;

/// The IR of `tests/fixtures/openapi/`, compiled by the front end.
pub fn tasks_ir() -> Ir {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/openapi");
    let sources = bunbase::load::from_dir(&dir).expect("the OpenAPI fixture loads");
    match bunbase::compile(&sources) {
        Ok(c) => c.ir,
        Err(d) => panic!(
            "the OpenAPI fixture does not check:\n{}",
            bunbase::diag::render(&d, &sources, false)
        ),
    }
}
