//! `bunbase migrate new NAME`: a timestamped file in each dialect folder, a version above the existing ones, the new file read by the next `bunbase check`, and bad names refused.

use std::path::Path;
use std::process::Command;

fn bunbase(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_bunbase"))
        .args(args)
        .output()
        .expect("bunbase runs")
}

fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("a folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn migrate_new_writes_one_file_per_dialect() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let c = tmp.path();
    std::fs::write(c.join("bunbase.yaml"), "project: acme\nversion: 1.0.0\n").expect("write");
    std::fs::write(
        c.join("health.yaml"),
        "module: health\nactions:\n  ping:\n    triggers: [{ api: GET /ping }]\n",
    )
    .expect("write");
    for d in ["sqlite", "postgres"] {
        std::fs::create_dir_all(c.join("migrations").join(d)).expect("mkdir");
        std::fs::write(
            c.join("migrations").join(d).join("0001_init.sql"),
            "CREATE TABLE notes (id BIGINT PRIMARY KEY);\n",
        )
        .expect("write");
    }
    let contracts = c.to_str().expect("utf-8 path");
    let out = bunbase(&["migrate", "new", "add_body", "--contracts", contracts]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    for d in ["sqlite", "postgres"] {
        let names = files(&c.join("migrations").join(d));
        assert_eq!(names.len(), 2, "{names:?}");
        let new = &names[1];
        let (version, rest) = new.split_once('_').expect("version_name");
        assert_eq!(rest, "add_body.sql");
        assert_eq!(version.len(), 14, "a YYYYMMDDHHMMSS timestamp: {new}");
        assert!(version.starts_with("20"), "{new}");
        assert!(stdout.contains(new.as_str()), "{stdout}");
    }
    // The same version in both folders, so the dialects stay in step.
    assert_eq!(
        files(&c.join("migrations/sqlite"))[1],
        files(&c.join("migrations/postgres"))[1]
    );
    // The new file is a migration the next check reads (a comment only).
    std::fs::write(
        c.join("migrations/sqlite")
            .join(&files(&c.join("migrations/sqlite"))[1]),
        "ALTER TABLE nosuch ADD COLUMN body TEXT;\n",
    )
    .expect("write");
    let check = bunbase(&["check", contracts]);
    assert!(!check.status.success());
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    assert!(said.contains("E0703"), "{said}");

    let bad = bunbase(&["migrate", "new", "Add Body", "--contracts", contracts]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("snake_case"));
    let nowhere = bunbase(&[
        "migrate",
        "new",
        "x",
        "--contracts",
        c.join("migrations").to_str().expect("utf-8"),
    ]);
    assert!(!nowhere.status.success());
    assert!(String::from_utf8_lossy(&nowhere.stderr).contains("has no bunbase.yaml"));
}
