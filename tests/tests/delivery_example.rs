//! The committed `generated-example/` must match what the generator produces from `contracts-examples/tasks`: a plain `cargo test` fails when it is stale and names the command that refreshes it.

use bunbase::write::{self, DirTree, PlanOptions, report};
use bunbase_e2e::repo_root;

#[test]
fn generated_example_is_up_to_date() {
    let root = repo_root();
    let (dir, out) = (
        root.join("contracts-examples/tasks"),
        root.join("generated-example"),
    );
    // The same options as `cargo xtask codegen` (xtask/src/codegen.rs).
    let runtime = bunbase::builder::runtime_path(&out, &root.join("runtime-support"));
    let (files, _) = bunbase::builder::emit_dir(&dir, &out, Some(runtime))
        .unwrap_or_else(|e| panic!("contracts-examples/tasks does not compile:\n{e}"));
    let plan = write::plan(&files, &DirTree(out), PlanOptions::default())
        .expect("reading generated-example/");
    assert!(
        plan.is_up_to_date(),
        "generated-example/ is stale: run `cargo xtask codegen` to refresh it.\n{}",
        report::drift(&plan)
    );
}
