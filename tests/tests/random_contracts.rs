//! The collision fixtures, a deep chain of types and random valid contracts, drawn with a fixed seed from every construct of the format, are each checked clean, generated, and compiled with warnings denied in one shared Cargo workspace (one build for all), and their SDKs pass `tsc --strict`: "a contract that checks clean always compiles".
//!
//! 50 contracts by default; `BUNBASE_RANDOM_CONTRACTS=500` draws more and
//! `BUNBASE_RANDOM_SEED=<n>` starts elsewhere. A failure names the seed of
//! every contract involved; `BUNBASE_RANDOM_KEEP=1` keeps the workspace (its
//! path is printed) so a failing contract can become a fixture.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use bunbase::emit::{GenOptions, RuntimeSource};
use bunbase_e2e::{npm_bin, repo_root, tooling_dir};

/// splitmix64: small, seedable, and the same on every platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True with probability `percent` / 100.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Names chosen to collide once bunbase derives its own: actions called
/// alike in every module, types named like derived inputs, outputs and
/// error enums, fields that are Rust or TypeScript keywords.
const MODULES: &[&str] = &["alpha", "beta", "gamma", "tasks"];
const ACTIONS: &[&str] = &[
    "get", "list", "create", "update", "delete", "sync", "get_item",
];
const TYPES: &[&str] = &[
    "Item",
    "Status",
    "Get",
    "GetInput",
    "GetOutput",
    "ListInput",
    "Entry",
    "Order",
    "Page",
    "CreateOutput",
    "Color",
    "SyncInput",
];
const FIELDS: &[&str] = &[
    "id",
    "name",
    "title",
    "count",
    "tags",
    "when",
    "data",
    "type",
    "match",
    "ref",
    "value",
    "class",
    "default",
    "created_at",
    "async",
    "self_link",
];
const PRIMS: &[&str] = &[
    "bool", "int", "int64", "i32", "float", "string", "uuid", "email", "url", "datetime", "date",
    "json", "bytes",
];
const QUERY_PRIMS: &[&str] = &["bool", "int", "i32", "string", "uuid", "date"];
const ERRORS: &[(&str, u16)] = &[("not_found", 404), ("conflict", 409), ("gone", 410)];

/// A declared type, as later declarations may refer to it.
#[derive(Clone)]
struct Declared {
    /// How a field of another module writes it (`alpha.Item`).
    qualified: String,
    /// How a field of the same module writes it.
    local: String,
    module: String,
    object: bool,
    enum_: bool,
}

/// The collision fixtures (`generator/tests/fixtures/collisions/`), each
/// renamed to a project of its own so they share one workspace.
fn collision_sets() -> Vec<(String, Vec<(String, String)>)> {
    let root = repo_root().join("generator/tests/fixtures/collisions");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("the collision fixtures exist")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("bunbase.yaml").is_file())
        .collect();
    dirs.sort();
    dirs.iter()
        .enumerate()
        .map(|(i, dir)| {
            let project = format!("collision{i}");
            let mut files = Vec::new();
            let mut stack = vec![dir.clone()];
            while let Some(d) = stack.pop() {
                for e in std::fs::read_dir(&d).expect("a fixture folder").flatten() {
                    let p = e.path();
                    if p.is_dir() {
                        stack.push(p);
                    } else if p.extension().is_some_and(|x| x == "yaml") {
                        let rel = p
                            .strip_prefix(dir)
                            .expect("inside")
                            .to_string_lossy()
                            .into_owned();
                        let mut text = std::fs::read_to_string(&p).expect("a fixture file");
                        if rel == "bunbase.yaml" {
                            text = text
                                .lines()
                                .map(|l| {
                                    if l.starts_with("project:") {
                                        format!("project: {project}\n")
                                    } else {
                                        format!("{l}\n")
                                    }
                                })
                                .collect();
                        }
                        files.push((rel, text));
                    }
                }
            }
            files.sort();
            (project, files)
        })
        .collect()
}

/// Types in [`deep_chain_set`]'s chain: more than rustc's default
/// `recursion_limit` of 128 levels.
const DEEP_CHAIN: usize = 160;

/// A chain of [`DEEP_CHAIN`] types, each holding an optional list of the
/// previous one, returned by an action: it checks clean, and its crate
/// compiles only with the `recursion_limit` lowering computes for it (E0320,
/// "overflow while adding drop-check rules", without it).
fn deep_chain_set() -> (String, Vec<(String, String)>) {
    let project = "deepchain".to_owned();
    let mut chain = String::from("module: chain\ntypes:\n  Link1:\n    fields:\n      id: uuid\n");
    for i in 2..=DEEP_CHAIN {
        let _ = write!(
            chain,
            "  Link{i}:\n    fields:\n      id: uuid\n      next: \"list<Link{}>?\"\n",
            i - 1
        );
    }
    let _ = write!(
        chain,
        "actions:\n  get_chain:\n    input: {{ id: uuid }}\n    output: Link{DEEP_CHAIN}\n    triggers: [{{ api: \"GET /chain/{{id}}\" }}]\n"
    );
    let files = vec![
        (
            "bunbase.yaml".to_owned(),
            format!("project: {project}\nversion: 1.0.0\napi:\n  base_path: /api\n"),
        ),
        ("chain.yaml".to_owned(), chain),
    ];
    (project, files)
}

/// One random contract set: `(file name, text)` pairs.
fn contract(seed: u64) -> Vec<(String, String)> {
    let mut rng = Rng(seed);
    let project = format!("rand{seed}");
    let mut files = vec![(
        "bunbase.yaml".to_owned(),
        format!("project: {project}\nversion: 1.0.0\napi:\n  base_path: /api\n"),
    )];
    let n_modules = 1 + rng.below(3);
    let mut modules: Vec<&str> = MODULES.to_vec();
    let mut types: Vec<&str> = TYPES.to_vec();
    let mut declared: Vec<Declared> = Vec::new();
    for _ in 0..n_modules {
        let m = modules.remove(rng.below(modules.len()));
        files.push((
            format!("{m}.yaml"),
            module(&mut rng, m, &mut types, &mut declared),
        ));
    }
    files
}

/// A field type: a primitive or a declared type, maybe in a list, a map or
/// optional.
fn field_type(rng: &mut Rng, module: &str, declared: &[Declared]) -> (String, bool) {
    let base = if !declared.is_empty() && rng.chance(30) {
        let d = rng.pick(declared);
        if d.module == module {
            d.local.clone()
        } else {
            d.qualified.clone()
        }
    } else {
        (*rng.pick(PRIMS)).to_owned()
    };
    let is_string = base == "string";
    match rng.below(6) {
        0 => (format!("list<{base}>"), false),
        1 => (format!("map<{base}>"), false),
        2 => (format!("{base}?"), false),
        _ => (base, is_string),
    }
}

/// Fields for an object: `name: type` lines (long form with constraints
/// now and then), indented by `indent`.
fn fields(
    rng: &mut Rng,
    module: &str,
    declared: &[Declared],
    indent: &str,
    query_only: bool,
) -> String {
    let mut pool: Vec<&str> = FIELDS.to_vec();
    let mut out = String::new();
    for _ in 0..1 + rng.below(4) {
        let name = pool.remove(rng.below(pool.len()));
        if query_only {
            let mut ty = (*rng.pick(QUERY_PRIMS)).to_owned();
            if rng.chance(50) {
                ty.push('?');
            }
            let _ = writeln!(out, "{indent}{name}: \"{ty}\"");
            continue;
        }
        let (ty, is_string) = field_type(rng, module, declared);
        if is_string && rng.chance(40) {
            let _ = writeln!(
                out,
                "{indent}{name}: {{ type: string, min_len: 1, max_len: 40, example: abc, description: \"A {name}.\" }}"
            );
        } else if ty == "int" && rng.chance(40) {
            let _ = writeln!(
                out,
                "{indent}{name}: {{ type: int, min: 1, max: 100, default: 10 }}"
            );
        } else if ty.starts_with("list<") && rng.chance(40) {
            let _ = writeln!(out, "{indent}{name}: {{ type: \"{ty}\", max_items: 5 }}");
        } else {
            let _ = writeln!(out, "{indent}{name}: \"{ty}\"");
        }
    }
    out
}

fn module(rng: &mut Rng, m: &str, types: &mut Vec<&str>, declared: &mut Vec<Declared>) -> String {
    let mut y = format!("module: {m}\n");
    // Routes stay unique across modules: under the module's prefix, or
    // under its name.
    let prefixed = rng.chance(50);
    if prefixed {
        let _ = writeln!(y, "prefix: /{m}");
    }
    let scope = if prefixed {
        String::new()
    } else {
        format!("/{m}")
    };
    let module_guard = rng.chance(25);
    if module_guard {
        y.push_str("guards: [authenticated]\n");
    }

    // Types: enums, objects, and a union over two of this module's objects.
    let n_types = rng.below(4);
    if n_types > 0 {
        y.push_str("types:\n");
    }
    let mut own_objects: Vec<String> = Vec::new();
    for _ in 0..n_types {
        if types.is_empty() {
            break;
        }
        let name = types.remove(rng.below(types.len()));
        let kind = rng.below(5);
        let (object, enum_) = if kind == 0 {
            let _ = writeln!(y, "  {name}:\n    enum: [open, in_progress, done, type]");
            (false, true)
        } else if kind == 1 && own_objects.len() >= 2 {
            let _ = writeln!(
                y,
                "  {name}:\n    union:\n      tag: kind\n      variants: {{ first: {}, second: {} }}",
                own_objects[0], own_objects[1]
            );
            (false, false)
        } else {
            let _ = writeln!(
                y,
                "  {name}:\n    description: The {name} of module {m}.\n    fields:"
            );
            y.push_str(&fields(rng, m, declared, "      ", false));
            own_objects.push(name.to_owned());
            (true, false)
        };
        declared.push(Declared {
            qualified: format!("{m}.{name}"),
            local: name.to_owned(),
            module: m.to_owned(),
            object,
            enum_,
        });
    }

    // One event, sometimes, emitted and subscribed to below.
    let event = rng.chance(40).then(|| format!("{m}.changed"));
    if let Some(e) = &event {
        let _ = writeln!(
            y,
            "events:\n  {e}:\n    payload: {{ id: uuid, note: string? }}"
        );
    }

    y.push_str("actions:\n");
    let mut actions: Vec<&str> = ACTIONS.to_vec();
    let mut subscribed = false;
    for _ in 0..1 + rng.below(4) {
        let a = actions.remove(rng.below(actions.len()));
        let _ = writeln!(y, "  {a}:\n    summary: The {a} action of {m}.");
        if let Some(e) = event.as_ref().filter(|_| !subscribed && rng.chance(40)) {
            // An event subscriber: its input is the event's payload.
            subscribed = true;
            let _ = writeln!(y, "    input: {e}\n    triggers:\n      - event: {e}");
            continue;
        }
        match rng.below(10) {
            0 => {
                // A scheduled action: no input.
                y.push_str("    output: { purged: int }\n");
                let cron = *rng.pick(&[
                    "\"0 3 * * *\"",
                    "{ schedule: \"*/5 * * * * *\" }",
                    "{ schedule: \"0 6 1 * *\", timezone: Europe/Berlin }",
                ]);
                let _ = writeln!(y, "    triggers:\n      - cron: {cron}");
                continue;
            }
            1 => {
                // A job, enqueued through its typed function.
                y.push_str("    input:\n");
                y.push_str(&fields(rng, m, declared, "      ", false));
                let queue = *rng.pick(&["{}", "{ priority: 5, max_attempts: 3 }"]);
                let _ = writeln!(y, "    triggers:\n      - queue: {queue}");
                continue;
            }
            2 => {
                // An inbound webhook: the raw JSON body, signed.
                let secret = format!("{}_{}_SECRET", m.to_uppercase(), a.to_uppercase());
                let _ = writeln!(
                    y,
                    "    input: json\n    triggers:\n      - webhook:\n          path: /hooks/{m}/{a}\n          secret_env: {secret}"
                );
                continue;
            }
            _ => {}
        }
        let method = *rng.pick(&["GET", "POST", "PUT", "PATCH", "DELETE"]);
        let query = matches!(method, "GET" | "DELETE");
        let with_id = rng.chance(40);
        let objects: Vec<&Declared> = declared
            .iter()
            .filter(|d| d.object && d.module == m)
            .collect();
        match rng.below(3) {
            0 if !with_id => {}
            1 if !with_id && !query && !objects.is_empty() => {
                let _ = writeln!(y, "    input: {}", rng.pick(&objects).local);
            }
            _ => {
                y.push_str("    input:\n");
                if with_id {
                    y.push_str("      id: uuid\n");
                }
                let body = fields(rng, m, declared, "      ", query);
                // `id` is taken by the path parameter.
                let body: String = body
                    .lines()
                    .filter(|l| !(with_id && l.trim_start().starts_with("id:")))
                    .map(|l| format!("{l}\n"))
                    .collect();
                y.push_str(&body);
            }
        }
        match rng.below(4) {
            0 => {}
            1 if declared.iter().any(|d| d.module == m && !d.enum_) => {
                let own: Vec<&Declared> = declared
                    .iter()
                    .filter(|d| d.module == m && !d.enum_)
                    .collect();
                let _ = writeln!(y, "    output: {}", rng.pick(&own).local);
            }
            _ => {
                y.push_str("    output:\n");
                y.push_str(&fields(rng, m, declared, "      ", false));
            }
        }
        if rng.chance(40) {
            y.push_str("    errors:\n");
            let (code, status) = *rng.pick(ERRORS);
            let _ = writeln!(
                y,
                "      {code}: {{ status: {status}, message: The {code} case }}"
            );
        }
        if !module_guard && rng.chance(40) {
            let guard = *rng.pick(&[
                "authenticated",
                "{ has_role: admin }",
                "{ has_permission: \"things:write\" }",
                "{ rate_limit: { limit: 10, window: 1m, key: ip } }",
            ]);
            let _ = writeln!(y, "    guards: [{guard}]");
        }
        if rng.chance(20) {
            y.push_str("    retry: { attempts: 3, backoff: exponential, base: 100ms, max: 2s }\n");
        }
        if let Some(e) = event.as_ref().filter(|_| rng.chance(50)) {
            let _ = writeln!(y, "    emits: [{e}]");
        }
        let path = if with_id {
            format!("{scope}/{a}/{{id}}")
        } else {
            format!("{scope}/{a}")
        };
        let _ = writeln!(y, "    triggers:\n      - api: \"{method} {path}\"");
        if rng.chance(20) {
            let _ = writeln!(y, "      - mcp: {{ description: The {a} tool of {m}. }}");
        }
    }
    y
}

fn opts() -> GenOptions {
    GenOptions {
        runtime: RuntimeSource::Path(
            repo_root()
                .join("runtime-support")
                .to_string_lossy()
                .into_owned(),
        ),
        contracts_label: "contracts".into(),
    }
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Writes `contents` to `path` unless it already holds exactly that, so a
/// rerun rebuilds only what changed.
fn write_if_changed(path: &Path, contents: &str) {
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("create folder");
    if std::fs::read_to_string(path).ok().as_deref() != Some(contents) {
        std::fs::write(path, contents).expect("write file");
    }
}

#[test]
fn random_contracts_check_clean_and_compile() {
    let count = env_u64("BUNBASE_RANDOM_CONTRACTS", 50);
    let first = env_u64("BUNBASE_RANDOM_SEED", 1);
    // Under the shared target folder, so CI pays for the runtime once.
    let ws = repo_root().join("target/random-contracts");
    let _ = std::fs::remove_dir_all(&ws);
    let mut members = Vec::new();
    let mut deps = String::new();
    let mut rejected = Vec::new();
    // The generated manifests' `[profile]` tables, kept for the shared
    // manifest: the same dependency builds as every other generated
    // workspace in the suite's target directory.
    let mut profile = String::new();
    let sets = collision_sets()
        .into_iter()
        .chain([deep_chain_set()])
        .chain((first..first + count).map(|seed| (format!("rand{seed}"), contract(seed))));
    for (dir, files) in sets {
        let sources = bunbase::source::SourceSet::from_files(
            files.iter().map(|(n, t)| (n.as_str(), t.as_str())),
        );
        let ir = match bunbase::compile(&sources) {
            Ok(c) => c.ir,
            Err(diags) => {
                let mut text = String::new();
                for (n, t) in &files {
                    let _ = writeln!(text, "--- {n}\n{t}");
                }
                rejected.push(format!(
                    "{dir} does not check:\n{}\n{text}",
                    bunbase::diag::render(&diags, &sources, false)
                ));
                continue;
            }
        };
        for (n, t) in &files {
            write_if_changed(&ws.join(&dir).join("contracts").join(n), t);
        }
        for f in bunbase::emit::generate(&ir, &opts()) {
            // Each project's own workspace manifest is replaced by the
            // shared one below, which keeps its profile.
            if f.path == "Cargo.toml" {
                if let Some(at) = f.contents.find("\n[profile") {
                    f.contents[at..].clone_into(&mut profile);
                }
                // The project's own crates (API, types), under its folder.
                for line in f
                    .contents
                    .lines()
                    .filter(|l| l.contains("path = \"crates/"))
                {
                    let line = line.replace("path = \"crates/", &format!("path = \"{dir}/crates/"));
                    let _ = writeln!(deps, "{line}");
                }
                continue;
            }
            write_if_changed(&ws.join(&dir).join(&f.path), &f.contents);
        }
        members.push(format!("\"{dir}/crates/*\""));
    }
    assert!(
        rejected.is_empty(),
        "random contracts that should check clean do not (a generator or checker bug):\n{}",
        rejected.join("\n")
    );
    let runtime = repo_root().join("runtime-support");
    write_if_changed(
        &ws.join("Cargo.toml"),
        &format!(
            "[workspace]\nresolver = \"3\"\nmembers = [{}]\n\n[workspace.package]\nedition = \"2024\"\nversion = \"1.0.0\"\npublish = false\n\n[workspace.dependencies]\nbunbase-runtime = {{ path = \"{}\" }}\n{deps}{profile}",
            members.join(", "),
            runtime.display()
        ),
    );
    // The repository's lock file: the same dependency versions as the rest
    // of the suite, nothing to resolve.
    std::fs::copy(repo_root().join("Cargo.lock"), ws.join("Cargo.lock")).expect("copy Cargo.lock");

    let out = Command::new(env!("CARGO"))
        .args([
            "clippy",
            "--quiet",
            "--keep-going",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ])
        .current_dir(&ws)
        .env("CARGO_TARGET_DIR", repo_root().join("target/generated-ws"))
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env("RUSTFLAGS", "-D warnings")
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "generated code of random contracts does not compile cleanly (seeds {first}..{}; contracts and code in {}):\n{}",
        first + count,
        ws.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    tsc_all(&ws, &members_dirs(&ws));
    if std::env::var_os("BUNBASE_RANDOM_KEEP").is_none() {
        let _ = std::fs::remove_dir_all(&ws);
    } else {
        eprintln!("kept the random workspace in {}", ws.display());
    }
}

fn members_dirs(ws: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(ws)
        .expect("the workspace exists")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("sdk/typescript/src").is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// Every SDK under `tsc --strict` with the SDK's own settings, in one run.
fn tsc_all(ws: &Path, dirs: &[PathBuf]) {
    let test = "random_contracts_check_clean_and_compile";
    let Some(tsc) = npm_bin("tsc", test) else {
        return;
    };
    let modules = tooling_dir()
        .expect("tooling is installed")
        .join("npm/node_modules");
    let link = ws.join("node_modules");
    if !link.exists() {
        std::os::unix::fs::symlink(modules, &link).expect("link node_modules");
    }
    let sdk_config: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dirs[0].join("sdk/typescript/tsconfig.json"))
            .expect("an SDK tsconfig"),
    )
    .expect("tsconfig is JSON");
    let mut options = sdk_config["compilerOptions"].clone();
    options["rootDir"] = ".".into();
    options["noEmit"] = true.into();
    let include: Vec<String> = dirs
        .iter()
        .map(|d| {
            format!(
                "{}/sdk/typescript/src",
                d.file_name().expect("a name").to_string_lossy()
            )
        })
        .collect();
    let config = serde_json::json!({ "compilerOptions": options, "include": include });
    let path = ws.join("tsconfig.json");
    std::fs::write(&path, config.to_string()).expect("write tsconfig");
    let out = Command::new(tsc)
        .arg("-p")
        .arg(&path)
        .output()
        .expect("run tsc");
    assert!(
        out.status.success(),
        "tsc rejected SDKs of random contracts ({}):\n{}{}",
        ws.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
