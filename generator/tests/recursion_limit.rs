//! The `recursion_limit` lowering computes for deep type graphs (`Ir::recursion_limit`), and the `#![recursion_limit]` the API crate's `lib.rs` carries for it; `tests/tests/random_contracts.rs` compiles such a crate.

use std::fmt::Write as _;

use bunbase::emit::{self, GenOptions, RuntimeSource};
use bunbase::ir::Ir;

/// A chain of `n` types, each holding an optional list of the previous one,
/// returned by an action (the shape of the deep chain that
/// `random_contracts.rs` compiles).
fn chain(n: usize) -> Ir {
    let mut m = String::from("module: chain\ntypes:\n  Link1:\n    fields:\n      id: uuid\n");
    for i in 2..=n {
        let _ = write!(
            m,
            "  Link{i}:\n    fields:\n      id: uuid\n      next: \"list<Link{}>?\"\n",
            i - 1
        );
    }
    let _ = write!(
        m,
        "actions:\n  get_chain:\n    input: {{ id: uuid }}\n    output: Link{n}\n    triggers: [{{ api: \"GET /chain/{{id}}\" }}]\n"
    );
    let sources = bunbase::source::SourceSet::from_files([
        ("bunbase.yaml", "project: deep\nversion: 1.0.0\n"),
        ("chain.yaml", m.as_str()),
    ]);
    bunbase::compile(&sources)
        .unwrap_or_else(|d| panic!("the chain checks clean: {d:?}"))
        .ir
}

fn lib_rs(ir: &Ir) -> String {
    let opts = GenOptions {
        runtime: RuntimeSource::Path("../runtime-support".into()),
        contracts_label: "contracts".into(),
    };
    emit::generate(ir, &opts)
        .into_iter()
        .find(|f| f.path.ends_with("-api/src/lib.rs"))
        .expect("an API crate lib.rs")
        .contents
}

#[test]
fn a_deep_chain_gets_a_recursion_limit() {
    let ir = chain(160);
    assert_eq!(bunbase::lower::depth::longest_chain(&ir.types), 160);
    // Six levels per type plus a margin, rounded up to a multiple of 64.
    assert_eq!(ir.recursion_limit, Some(1024));
    assert!(ir.to_json().contains("\"recursion_limit\": 1024"));
    let lib = lib_rs(&ir);
    assert!(
        lib.contains("#![recursion_limit = \"1024\"]"),
        "lib.rs lacks the limit:\n{lib}"
    );
}

#[test]
fn a_shallow_graph_keeps_the_default() {
    let ir = chain(10);
    assert_eq!(bunbase::lower::depth::longest_chain(&ir.types), 10);
    assert_eq!(ir.recursion_limit, None);
    assert!(!ir.to_json().contains("recursion_limit"));
    assert!(!lib_rs(&ir).contains("recursion_limit"));
    let tasks = bunbase::load::from_dir(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../contracts-examples/tasks"),
    )
    .expect("the example contracts load");
    let ir = bunbase::compile(&tasks)
        .expect("the example checks clean")
        .ir;
    assert_eq!(ir.recursion_limit, None);
}
