//! The contract set the OpenAPI emitter's tests read: `tests/fixtures/openapi/`, a small task tracker using every feature the emitter maps.

use std::path::Path;

use bunbase::ir::Ir;

/// The IR of `tests/fixtures/openapi/`, compiled by the front end.
pub fn tasks_ir() -> Ir {
    // This module is also compiled into the e2e crate (`tests/`), so find
    // the fixture from whichever manifest directory includes it.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|d| d.join("generator/tests/fixtures/openapi"))
        .find(|d| d.is_dir())
        .expect("generator/tests/fixtures/openapi exists above the manifest directory");
    let sources = bunbase::load::from_dir(&dir).expect("the OpenAPI fixture loads");
    match bunbase::compile(&sources) {
        Ok(c) => c.ir,
        Err(d) => panic!(
            "the OpenAPI fixture does not check:\n{}",
            bunbase::diag::render(&d, &sources, false)
        ),
    }
}
