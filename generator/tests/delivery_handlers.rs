//! `bunbase gen` after the contracts gain, lose or add actions and modules: it names, per user-owned file, the methods to paste (with their doc comments), those to remove, and the `mod` lines to add.

use std::path::Path;
use std::process::{Command, Output};

fn bunbase(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bunbase"))
        .current_dir(cwd)
        .args(args)
        .env_remove("BUNBASE_RUNTIME_PATH")
        .output()
        .expect("bunbase runs")
}

fn stderr(out: &Output) -> String {
    assert!(
        out.status.success(),
        "bunbase failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

const PROJECT: &str = "project: notes\nversion: 0.1.0\ntitle: Notes API\napi:\n  base_path: /api\n";

const NOTES: &str = r#"module: notes
prefix: /notes
actions:
  get_note:
    summary: Read a note
    input: { id: uuid }
    output: { body: string }
    triggers:
      - api: "GET /{id}"
"#;

const ARCHIVE: &str = r#"  archive_note:
    summary: Archive a note
    description: Hides the note from lists; it can be restored.
    input: { id: uuid }
    triggers:
      - api: "POST /{id}/archive"
"#;

#[test]
fn gen_names_the_methods_a_user_file_lacks_and_the_ones_it_no_longer_needs() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let contracts = root.join("contracts");
    std::fs::create_dir_all(&contracts).unwrap();
    std::fs::write(contracts.join("bunbase.yaml"), PROJECT).unwrap();
    std::fs::write(contracts.join("notes.yaml"), NOTES).unwrap();

    let first = stderr(&bunbase(root, &["gen"]));
    assert!(
        !first.contains("note:"),
        "a fresh project lacks nothing:\n{first}"
    );
    let handler = root.join("crates/notes-server/src/notes.rs");
    let written = std::fs::read_to_string(&handler).unwrap();

    // A new action: the user's file is kept, and gen says what to paste.
    std::fs::write(contracts.join("notes.yaml"), format!("{NOTES}{ARCHIVE}")).unwrap();
    let second = stderr(&bunbase(root, &["gen"]));
    assert_eq!(std::fs::read_to_string(&handler).unwrap(), written);
    assert!(
        second.contains(
            "note: crates/notes-server/src/notes.rs lacks 1 method(s) of NotesHandler (archive_note); \
             add them to its `impl NotesHandler for ...` block:"
        ),
        "{second}"
    );
    assert!(
        second.contains("    /// `notes.archive_note`: Archive a note."),
        "{second}"
    );
    assert!(
        second.contains("    /// Hides the note from lists; it can be restored."),
        "{second}"
    );
    assert!(
        second.contains(
            "    async fn archive_note(\n        &self,\n        ctx: ActionContext,\n        input: ArchiveNoteInput,\n    ) -> Result<(), ArchiveNoteError> {"
        ),
        "{second}"
    );

    // Pasting exactly what was printed makes the file whole again.
    let snippet: String = second
        .split_once("block:\n\n")
        .map(|(_, rest)| rest.trim_end().to_owned())
        .unwrap();
    let close = written.rfind('}').unwrap();
    let pasted = format!("{}\n{snippet}\n}}\n", &written[..close]);
    std::fs::write(&handler, &pasted).unwrap();
    let third = stderr(&bunbase(root, &["gen"]));
    assert!(!third.contains("note:"), "{third}");
    let parsed = syn::parse_file(&pasted).expect("the pasted file is valid Rust");
    assert_eq!(
        parsed.items.len(),
        written_items(&written),
        "nothing else changed"
    );

    // The action goes away again: gen names the method to remove.
    std::fs::write(contracts.join("notes.yaml"), NOTES).unwrap();
    let fourth = stderr(&bunbase(root, &["gen"]));
    assert!(
        fourth.contains(
            "note: crates/notes-server/src/notes.rs implements 1 method(s) that NotesHandler no longer declares (archive_note): remove or rename them"
        ),
        "{fourth}"
    );

    // A new module: its file is written and the generated module list
    // declares it, so main.rs needs no line.
    std::fs::write(contracts.join("notes.yaml"), format!("{NOTES}{ARCHIVE}")).unwrap();
    std::fs::write(
        contracts.join("tags.yaml"),
        "module: tags\nprefix: /tags\nactions:\n  list_tags:\n    output: { names: list<string> }\n    triggers:\n      - api: GET /\n",
    )
    .unwrap();
    let fifth = stderr(&bunbase(root, &["gen"]));
    assert!(root.join("crates/notes-server/src/tags.rs").exists());
    let modules = std::fs::read_to_string(root.join("crates/notes-server/src/modules.rs")).unwrap();
    assert!(
        modules.contains("mod notes;") && modules.contains("mod tags;"),
        "{modules}"
    );
    assert!(!fifth.contains("does not declare"), "{fifth}");
    assert!(
        !fifth.contains("TagsHandler"),
        "a new file has every method:\n{fifth}"
    );

    // A main.rs written before the module list existed (its own `mod`
    // lines) is told what to add.
    let main_rs = root.join("crates/notes-server/src/main.rs");
    let main = std::fs::read_to_string(&main_rs).unwrap();
    assert!(main.contains("include!(\"modules.rs\");"), "{main}");
    std::fs::write(
        &main_rs,
        main.replace("include!(\"modules.rs\");", "mod notes;"),
    )
    .unwrap();
    let sixth = stderr(&bunbase(root, &["gen"]));
    assert!(
        sixth.contains(
            "note: crates/notes-server/src/main.rs does not declare the module file tags.rs; add this line to it:\n\n    mod tags;"
        ),
        "{sixth}"
    );
}

fn written_items(source: &str) -> usize {
    syn::parse_file(source).unwrap().items.len()
}
