//! The contract JSON Schema against the example contracts (all must pass), deliberately wrong snippets (each must fail) and the checker (both must agree).

use std::path::{Path, PathBuf};

use bunbase::schema::{FileKind, contract_schema, schema_for};
use saphyr::{LoadableYamlNode, Scalar, Yaml};
use serde_json::{Map, Number, Value};

/// The repository's `contracts-examples/` folder.
fn examples_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../contracts-examples")
}

/// Every `*.yaml` / `*.yml` below `dir`, sorted, with paths relative to `dir`.
fn contract_files(dir: &Path) -> Vec<(String, PathBuf)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) {
        let entries =
            std::fs::read_dir(dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display()));
        for entry in entries {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                walk(root, &path, out);
            } else if matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("yaml" | "yml")
            ) {
                let rel = path.strip_prefix(root).expect("below root");
                out.push((rel.to_string_lossy().replace('\\', "/"), path));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// Parses one YAML document into JSON the way a YAML 1.2 core-schema reader does.
fn yaml_to_json(text: &str) -> Value {
    let docs = Yaml::load_from_str(text).unwrap_or_else(|e| panic!("invalid YAML: {e}\n{text}"));
    assert_eq!(
        docs.len(),
        1,
        "a contract file holds exactly one YAML document"
    );
    convert(&docs[0])
}

fn convert(node: &Yaml) -> Value {
    match node {
        Yaml::Value(scalar) => scalar_to_json(scalar),
        Yaml::Representation(text, _, _) => Value::String(text.to_string()),
        Yaml::Sequence(items) => Value::Array(items.iter().map(convert).collect()),
        Yaml::Mapping(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                let key = match convert(k) {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                out.insert(key, convert(v));
            }
            Value::Object(out)
        }
        Yaml::Tagged(_, inner) => convert(inner),
        Yaml::Alias(_) | Yaml::BadValue => panic!("unsupported YAML node: {node:?}"),
    }
}

fn scalar_to_json(scalar: &Scalar) -> Value {
    match scalar {
        Scalar::Null => Value::Null,
        Scalar::Boolean(b) => Value::Bool(*b),
        Scalar::Integer(i) => Value::Number((*i).into()),
        Scalar::FloatingPoint(f) => {
            Number::from_f64(f.into_inner()).map_or(Value::Null, Value::Number)
        }
        Scalar::String(s) => Value::String(s.to_string()),
    }
}

fn validator(schema_text: &str) -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(schema_text).expect("schema is JSON");
    jsonschema::draft7::meta::validate(&schema).expect("schema is a valid draft-07 schema");
    jsonschema::draft7::new(&schema).expect("schema compiles")
}

/// Every error of `instance` as `path: message` lines.
fn errors(validator: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    validator
        .iter_errors(instance)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

#[test]
fn every_example_file_validates() {
    let combined = validator(contract_schema());
    let project = validator(&schema_for(FileKind::Project));
    let module = validator(&schema_for(FileKind::Module));
    let mut failures = Vec::new();
    let mut checked = 0;
    for set in ["tasks", "showcase"] {
        let root = examples_root().join(set);
        let files = contract_files(&root);
        assert!(
            files.iter().any(|(rel, _)| rel == "bunbase.yaml"),
            "{set} has no bunbase.yaml"
        );
        assert!(files.len() >= 3, "{set} has only {} files", files.len());
        for (rel, path) in files {
            let text = std::fs::read_to_string(&path).expect("read example");
            let json = yaml_to_json(&text);
            let (own, other) = match FileKind::of_path(&rel) {
                FileKind::Project => (&project, &module),
                FileKind::Module => (&module, &project),
            };
            for (which, v) in [("combined", &combined), ("per-kind", own)] {
                for e in errors(v, &json) {
                    failures.push(format!("{set}/{rel} ({which} schema) {e}"));
                }
            }
            if other.is_valid(&json) {
                failures.push(format!(
                    "{set}/{rel} also passes the schema of the other file kind"
                ));
            }
            checked += 1;
        }
    }
    assert!(
        failures.is_empty(),
        "{} problems:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked >= 10, "only {checked} example files found");
}

#[test]
fn every_example_file_points_editors_at_the_schema() {
    let schema_file = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/contract.schema.json");
    assert_eq!(
        std::fs::read_to_string(&schema_file).expect("schema file"),
        contract_schema()
    );
    let expected = schema_file.canonicalize().expect("schema file exists");
    for (rel, path) in contract_files(&examples_root()) {
        let text = std::fs::read_to_string(&path).expect("read example");
        let first = text.lines().next().unwrap_or_default();
        let target = first
            .strip_prefix("# yaml-language-server: $schema=")
            .unwrap_or_else(|| panic!("{rel}: first line is not a schema modeline: {first:?}"));
        let resolved = path
            .parent()
            .expect("parent")
            .join(target)
            .canonicalize()
            .ok();
        assert_eq!(
            resolved.as_ref(),
            Some(&expected),
            "{rel}: modeline points at {target}, not at generator/src/contract.schema.json"
        );
    }
}

/// Minimal valid files the wrong snippets below are variations of.
const GOOD: &[&str] = &[
    "project: acme\nversion: 1.0.0\n",
    "module: empty\n",
    r#"
module: tasks
types:
  Task: { fields: { id: uuid, title: { type: string, max_len: 10 } } }
actions:
  get_task:
    input: { id: uuid }
    output: Task
    triggers: [{ api: "GET /{id}" }]
"#,
    r#"
module: shorthands
types:
  Level:
    enum: [low, { value: high, description: Urgent, deprecated: "use low" }]
  Shipment:
    fields:
      to: { street: string, city: { type: string, max_len: 80 } }
      from: { fields: { city: string }, optional: true, description: Sender }
actions:
  ship:
    summary: Ship it
    input: { shipment: Shipment, level: "list< Level >?" }
    errors: { gone: 410, held: { status: 409, description: On hold } }
    triggers:
      - webhook: { path: /hooks/ship, secret_env: SHIP_SECRET }
      - mcp: {}
    guards: [{ rate_limit: { limit: 1, window: 1s } }]
  untriggered: {}
events:
  ship.started: {}
"#,
];

#[test]
fn minimal_files_validate() {
    let v = validator(contract_schema());
    for text in GOOD {
        let errs = errors(&v, &yaml_to_json(text));
        assert!(errs.is_empty(), "{text}\n{errs:#?}");
    }
}

/// Each snippet breaks one rule; the schema must reject it, and must report
/// the problem at (or below) the given JSON pointer.
const WRONG: &[(&str, &str, &str)] = &[
    ("project without version", "project: acme\n", ""),
    (
        "version read as a number",
        "project: acme\nversion: 1.0\n",
        "/version",
    ),
    (
        "unknown database",
        "project: acme\nversion: 1.0.0\ndatabase: mysql\n",
        "/database",
    ),
    (
        "unknown project key",
        "project: acme\nversion: 1.0.0\nbase_path: /api\n",
        "",
    ),
    ("misspelt top-level key", "modul: tasks\n", ""),
    ("module name not snake_case", "module: Tasks\n", "/module"),
    (
        "type name not PascalCase",
        "module: m\ntypes:\n  task: { fields: { id: uuid } }\n",
        "/types",
    ),
    (
        "unknown primitive",
        "module: m\ntypes:\n  T: { fields: { id: strng } }\n",
        "/types/T",
    ),
    (
        "unclosed list",
        "module: m\ntypes:\n  T: { fields: { ids: \"list<uuid\" } }\n",
        "/types/T",
    ),
    (
        "misspelt constraint",
        "module: m\ntypes:\n  T: { fields: { s: { type: string, maxlen: 3 } } }\n",
        "/types/T",
    ),
    (
        "max_len on an int",
        "module: m\ntypes:\n  T: { fields: { n: { type: int, max_len: 3 } } }\n",
        "/types/T",
    ),
    (
        "unique on a string",
        "module: m\ntypes:\n  T: { fields: { s: { type: string, unique: true } } }\n",
        "/types/T",
    ),
    (
        "enum and fields together",
        "module: m\ntypes:\n  T: { enum: [a], fields: { id: uuid } }\n",
        "/types/T",
    ),
    (
        "union without tag",
        "module: m\ntypes:\n  U: { union: { variants: { a: A } } }\n",
        "/types/U",
    ),
    (
        "event name not dotted",
        "module: m\nevents:\n  created: { payload: { id: uuid } }\n",
        "/events",
    ),
    (
        "action name not snake_case",
        "module: m\nactions:\n  GetTask: { triggers: [{ api: GET / }] }\n",
        "/actions",
    ),
    (
        "unknown HTTP method",
        "module: m\nactions:\n  a: { triggers: [{ api: FETCH / }] }\n",
        "/actions/a/triggers/0",
    ),
    (
        "path without leading slash",
        "module: m\nactions:\n  a: { triggers: [{ api: { method: GET, path: x } }] }\n",
        "/actions/a/triggers/0",
    ),
    (
        "success status out of 2xx",
        "module: m\nactions:\n  a: { triggers: [{ api: { method: GET, path: /, status: 404 } }] }\n",
        "/actions/a/triggers/0",
    ),
    (
        "two trigger kinds in one item",
        "module: m\nactions:\n  a: { triggers: [{ api: GET /, queue: {} }] }\n",
        "/actions/a/triggers/0",
    ),
    (
        "lower-case method",
        "module: m\nactions:\n  a: { triggers: [{ api: get /x }] }\n",
        "/actions/a/triggers/0",
    ),
    (
        "triggers as one mapping",
        "module: m\nactions:\n  a: { triggers: { api: GET / } }\n",
        "/actions/a/triggers",
    ),
    (
        "queue without a mapping",
        "module: m\nactions:\n  a: { triggers: [{ queue: }] }\n",
        "/actions/a/triggers/0",
    ),
    (
        "emits as one string",
        "module: m\nevents:\n  x.y: {}\nactions:\n  a: { emits: x.y, triggers: [{ api: POST / }] }\n  b: { input: x.y, triggers: [{ event: x.y }] }\n",
        "/actions/a/emits",
    ),
    (
        "argument-less guard as a mapping",
        "module: m\nguards: [{ authenticated: }]\n",
        "/guards/0",
    ),
    (
        "cron with three fields",
        "module: m\nactions:\n  a: { triggers: [{ cron: \"0 8 *\" }] }\n",
        "/actions/a/triggers/0",
    ),
    (
        "queue with unknown key",
        "module: m\nactions:\n  a: { triggers: [{ queue: { delay: 5s } }] }\n",
        "/actions/a/triggers/0",
    ),
    (
        "webhook with unknown scheme",
        "module: m\nactions:\n  a:\n    triggers:\n      - webhook: { path: /w, secret_env: S, signature_header: X-Sig, scheme: md5 }\n",
        "/actions/a/triggers/0",
    ),
    (
        "mcp tool named with a misspelt key",
        "module: m\nactions:\n  a: { triggers: [{ mcp: { name: t } }] }\n",
        "/actions/a/triggers/0",
    ),
    (
        "enum value mapping without value",
        "module: m\ntypes:\n  E: { enum: [{ description: x }] }\n",
        "/types/E/enum/0",
    ),
    (
        "nested inline object with a non-boolean optional",
        "module: m\ntypes:\n  T: { fields: { a: { fields: { b: int }, optional: maybe } } }\n",
        "/types/T/fields/a",
    ),
    (
        "bad type deep inside a nested inline object",
        "module: m\ntypes:\n  T: { fields: { a: { b: { c: integer } } } }\n",
        "/types/T/fields/a/b/c",
    ),
    (
        "unknown guard",
        "module: m\nguards: [admin_only]\n",
        "/guards/0",
    ),
    (
        "rate limit keyed by session",
        "module: m\nguards: [{ rate_limit: { limit: 5, window: 1m, key: session } }]\n",
        "/guards/0",
    ),
    (
        "duration without unit",
        "module: m\nguards: [{ rate_limit: { limit: 5, window: \"60\", key: ip } }]\n",
        "/guards/0",
    ),
    (
        "zero-length window",
        "module: m\nguards: [{ rate_limit: { limit: 5, window: 0s } }]\n",
        "/guards/0",
    ),
    (
        "primitive input",
        "module: m\nactions:\n  a: { input: string, triggers: [{ api: POST / }] }\n",
        "/actions/a/input",
    ),
    (
        "retry with unknown backoff",
        "module: m\nactions:\n  a: { retry: { attempts: 3, backoff: linear }, triggers: [{ api: GET / }] }\n",
        "/actions/a/retry",
    ),
    (
        "error status below 400",
        "module: m\nactions:\n  a: { errors: { gone: { status: 200 } }, triggers: [{ api: GET / }] }\n",
        "/actions/a/errors/gone",
    ),
    (
        "emits a PascalCase name",
        "module: m\nactions:\n  a: { emits: [TaskCreated], triggers: [{ api: GET / }] }\n",
        "/actions/a/emits/0",
    ),
];

#[test]
fn wrong_snippets_are_rejected_where_they_are_wrong() {
    let v = validator(contract_schema());
    let mut missed = Vec::new();
    for (name, text, pointer) in WRONG {
        let json = yaml_to_json(text);
        let paths: Vec<_> = v
            .iter_errors(&json)
            .map(|e| e.instance_path().to_string())
            .collect();
        if paths.is_empty() {
            missed.push(format!("{name}: accepted"));
        } else if !paths.iter().any(|p| p.starts_with(pointer)) {
            missed.push(format!(
                "{name}: rejected, but at {paths:?} instead of {pointer}"
            ));
        }
    }
    assert!(missed.is_empty(), "{}", missed.join("\n"));
}

/// Snippets of [`WRONG`] that `bunbase check` accepts on purpose: the schema
/// asks for the canonical form in the editor where the checker is lenient.
const SCHEMA_ONLY: &[&str] = &[
    // The checker reads `{ api: ..., queue: {} }` as two triggers.
    "two trigger kinds in one item",
    // Shorthands the checker tolerates; the schema keeps one canonical form.
    "lower-case method",
    "triggers as one mapping",
    "queue without a mapping",
    "emits as one string",
    "argument-less guard as a mapping",
];

/// A snippet as a contract set: project snippets alone, module snippets with
/// a minimal project file.
fn as_sources(text: &str) -> bunbase::source::SourceSet {
    let project = "project: snippet\nversion: 1.0.0\n";
    if text.starts_with("project:") {
        bunbase::source::SourceSet::from_files([("bunbase.yaml", text)])
    } else {
        bunbase::source::SourceSet::from_files([("bunbase.yaml", project), ("m.yaml", text)])
    }
}

fn codes(diags: &[bunbase::diag::Diagnostic]) -> Vec<String> {
    diags
        .iter()
        .map(|d| format!("{} {}", d.code, d.message))
        .collect()
}

#[test]
fn examples_are_valid_contracts_without_warnings() {
    for set in ["tasks", "showcase"] {
        let sources = bunbase::load::from_dir(&examples_root().join(set)).expect("load examples");
        match bunbase::compile(&sources) {
            Ok(c) => assert!(c.warnings.is_empty(), "{set}: {:#?}", codes(&c.warnings)),
            Err(diags) => panic!("{set} does not check:\n{:#?}", codes(&diags)),
        }
    }
}

#[test]
fn checker_agrees_with_the_schema_on_the_snippets() {
    let mut disagreements = Vec::new();
    for text in GOOD {
        if let Err(diags) = bunbase::compile(&as_sources(text)) {
            disagreements.push(format!(
                "schema accepts, checker rejects:\n{text}\n{:#?}",
                codes(&diags)
            ));
        }
    }
    for (name, text, _) in WRONG {
        let accepted = bunbase::compile(&as_sources(text)).is_ok();
        match (accepted, SCHEMA_ONLY.contains(name)) {
            (true, false) => disagreements.push(format!("{name}: the checker accepts it")),
            (false, true) => disagreements.push(format!(
                "{name}: the checker now rejects it too; remove it from SCHEMA_ONLY"
            )),
            _ => {}
        }
    }
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}

/// The complete files in the contract guide (YAML blocks that open with a
/// `# contracts/<file>` comment), as one contract set.
fn guide_files() -> Vec<(String, String)> {
    let guide = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/contracts.md");
    let text = std::fs::read_to_string(guide).expect("read docs/contracts.md");
    text.split("```yaml\n")
        .skip(1)
        .filter_map(|block| {
            let body = block.split("```").next()?;
            let name = body.lines().next()?.strip_prefix("# contracts/")?;
            Some((name.trim().to_owned(), body.to_owned()))
        })
        .collect()
}

#[test]
fn the_guides_first_contract_checks_and_validates() {
    let files = guide_files();
    assert!(
        files.iter().any(|(name, _)| name == "bunbase.yaml"),
        "no project file in the guide"
    );
    assert!(
        files.len() >= 2,
        "the guide's first contract has {} files",
        files.len()
    );
    let v = validator(contract_schema());
    for (name, text) in &files {
        let errs = errors(&v, &yaml_to_json(text));
        assert!(errs.is_empty(), "docs/contracts.md, {name}: {errs:#?}");
    }
    let sources = bunbase::source::SourceSet::from_files(files);
    match bunbase::compile(&sources) {
        Ok(c) => assert!(c.warnings.is_empty(), "{:#?}", codes(&c.warnings)),
        Err(diags) => panic!(
            "the guide's first contract does not check:\n{:#?}",
            codes(&diags)
        ),
    }
}
