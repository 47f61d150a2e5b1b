//! Exact error sets, one action per rule (`fixtures/error_sets/`): the IR holds each action's set, and the Rust error enum, the OpenAPI responses and the SDK's error union list exactly that set.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use bunbase::emit::{self, GenOptions, GeneratedFile, RuntimeSource};
use bunbase::ir::Ir;
use serde_json::Value;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/error_sets")
}

fn compile() -> Ir {
    let sources = bunbase::load::from_dir(&fixture()).expect("fixture loads");
    bunbase::compile(&sources)
        .unwrap_or_else(|d| panic!("the error-set fixture compiles: {d:?}"))
        .ir
}

fn generate(ir: &Ir) -> Vec<GeneratedFile> {
    emit::generate(
        ir,
        &GenOptions {
            runtime: RuntimeSource::Path("../runtime-support".into()),
            contracts_label: "contracts".into(),
        },
    )
}

fn file<'a>(files: &'a [GeneratedFile], suffix: &str) -> &'a str {
    &files
        .iter()
        .find(|f| f.path.ends_with(suffix))
        .unwrap_or_else(|| panic!("no generated file ends with {suffix}"))
        .contents
}

fn set(codes: &[&str]) -> BTreeSet<String> {
    codes.iter().map(|c| (*c).to_owned()).collect()
}

/// Every rule of the exact error set, as `action → codes`.
fn expected() -> BTreeMap<&'static str, BTreeSet<String>> {
    const ALWAYS: [&str; 2] = ["not_implemented", "internal"];
    let with = |extra: &[&str]| {
        let mut s = set(&ALWAYS);
        s.extend(set(extra));
        s
    };
    BTreeMap::from([
        // No input and no guard: only what every handler can answer.
        ("open.bare", with(&[])),
        // `validation_failed` only with input.
        ("open.with_input", with(&["validation_failed"])),
        // `unauthorized` behind a guard that needs a principal.
        ("open.authed", with(&["unauthorized"])),
        // `forbidden` too behind one that can refuse it.
        ("open.role", with(&["unauthorized", "forbidden"])),
        ("open.permission", with(&["unauthorized", "forbidden"])),
        // The organization guards resolve the organization for the caller.
        ("open.org", with(&["unauthorized", "forbidden"])),
        ("open.feature", with(&["unauthorized", "forbidden"])),
        ("open.trial", with(&["unauthorized", "forbidden"])),
        // A custom guard refuses; it does not require a session.
        ("open.custom", with(&["forbidden"])),
        // `rate_limited` only behind a rate limit.
        ("open.limited", with(&["rate_limited"])),
        // Declared codes join the set; a declared framework code replaces
        // the implicit one instead of doubling it.
        (
            "open.declared",
            with(&[
                "not_found",
                "forbidden",
                "validation_failed",
                "unauthorized",
            ]),
        ),
        // Module guards count as the action's own.
        ("closed.module_guard_only", with(&["unauthorized"])),
        (
            "closed.module_and_action",
            with(&["unauthorized", "rate_limited", "validation_failed"]),
        ),
    ])
}

#[test]
fn the_ir_holds_each_rules_set() {
    let ir = compile();
    let expected = expected();
    let mut seen = BTreeSet::new();
    for module in ir.modules.values() {
        for a in module.actions.values() {
            let codes: Vec<&str> = a.errors.iter().map(|e| e.code.as_str()).collect();
            let unique: BTreeSet<String> = codes.iter().map(|c| (*c).to_owned()).collect();
            assert_eq!(unique.len(), codes.len(), "{}: no code twice", a.full_name);
            assert_eq!(
                Some(&unique),
                expected.get(a.full_name.as_str()),
                "{}",
                a.full_name
            );
            seen.insert(a.full_name.clone());
        }
    }
    let declared = &ir.modules["open"].actions["declared"].errors;
    let forbidden = declared
        .iter()
        .find(|e| e.code == "forbidden")
        .expect("declared forbidden");
    assert!(!forbidden.implicit, "the declaration wins");
    assert_eq!(forbidden.message, "Not yours");
    assert_eq!(
        seen,
        expected.keys().map(|k| (*k).to_owned()).collect(),
        "every rule has its action"
    );
}

/// The codes an OpenAPI response object documents, following `$ref`s.
fn response_codes(doc: &Value, response: &Value, out: &mut BTreeSet<String>) {
    if let Some(r) = response.get("$ref").and_then(Value::as_str) {
        let name = r.rsplit('/').next().expect("ref name");
        return response_codes(doc, &doc["components"]["responses"][name], out);
    }
    let schema = &response["content"]["application/json"]["schema"];
    for part in schema["allOf"].as_array().into_iter().flatten() {
        let codes = &part["properties"]["error"]["properties"]["code"]["enum"];
        for c in codes.as_array().into_iter().flatten() {
            out.insert(c.as_str().expect("code is a string").to_owned());
        }
    }
}

#[test]
fn openapi_documents_exactly_each_set() {
    let ir = compile();
    let files = generate(&ir);
    let doc: Value = serde_json::from_str(file(&files, "openapi.json")).expect("openapi parses");
    let transport: BTreeSet<String> = ir.transport_errors.iter().map(|t| t.code.clone()).collect();
    let expected = expected();
    let mut checked = BTreeSet::new();
    for (path, ops) in doc["paths"].as_object().expect("paths") {
        for (method, op) in ops.as_object().expect("operations") {
            if op.get("responses").is_none() {
                continue;
            }
            let action = ir
                .modules
                .values()
                .flat_map(|m| m.actions.values())
                .find(|a| {
                    a.triggers
                        .http
                        .iter()
                        .any(|h| h.path == *path && h.method.eq_ignore_ascii_case(method))
                        || (a.action_endpoint.as_deref() == Some(path) && method == "post")
                })
                .unwrap_or_else(|| panic!("{method} {path} maps to an action"));
            let mut codes = BTreeSet::new();
            for (status, response) in op["responses"].as_object().expect("responses") {
                if status.starts_with(['4', '5']) {
                    response_codes(&doc, response, &mut codes);
                }
            }
            // The 400 response also names `malformed_json`, a transport
            // error every body can get; `not_found` is one unless declared.
            codes.retain(|c| !transport.contains(c) || action.errors.iter().any(|e| e.code == *c));
            assert_eq!(
                Some(&codes),
                expected.get(action.full_name.as_str()),
                "OpenAPI responses of {method} {path} ({})",
                action.full_name
            );
            checked.insert(action.full_name.clone());
        }
    }
    assert_eq!(
        checked,
        expected.keys().map(|k| (*k).to_owned()).collect(),
        "every action has an operation"
    );
}

/// The codes of the SDK union `name`: its `rt.ApiError<"code", ...>` members.
fn ts_union_codes(errors_ts: &str, name: &str) -> BTreeSet<String> {
    let start = errors_ts
        .find(&format!("export type {name} ="))
        .unwrap_or_else(|| panic!("the SDK declares {name}"));
    let body = &errors_ts[start..];
    let body = &body[..body.find(';').expect("the union ends")];
    let re = regex::Regex::new(r#"rt\.ApiError<"([a-z_]+)""#).expect("regex");
    re.captures_iter(body).map(|c| c[1].to_owned()).collect()
}

#[test]
fn the_sdk_unions_list_exactly_each_set() {
    let ir = compile();
    let files = generate(&ir);
    let errors_ts = file(&files, "src/errors.ts");
    let transport = ts_union_codes(errors_ts, "TransportError");
    let expected = expected();
    for a in ir.modules.values().flat_map(|m| m.actions.values()) {
        let mut codes = ts_union_codes(errors_ts, &a.error_enum);
        assert!(
            errors_ts.contains(&format!("export type {} =", a.error_enum)),
            "{}",
            a.full_name
        );
        codes.retain(|c| !transport.contains(c) || expected[a.full_name.as_str()].contains(c));
        assert_eq!(
            &codes,
            &expected[a.full_name.as_str()],
            "SDK union {} of {}",
            a.error_enum,
            a.full_name
        );
    }
}

/// The variants of the Rust error enum `name` in `errors.rs`, with the wire
/// code each declares: the enum is written plainly or inside the runtime's
/// `action_error!` (`Variant = (status, "code", "message")`).
fn rust_variants(errors_rs: &str, name: &str) -> BTreeMap<String, Option<String>> {
    let file = syn::parse_file(errors_rs).expect("errors.rs parses");
    let e = file
        .items
        .iter()
        .find_map(|item| match item {
            syn::Item::Enum(e) if e.ident == name => Some(e.clone()),
            syn::Item::Macro(m) => syn::parse2::<syn::ItemEnum>(m.mac.tokens.clone())
                .ok()
                .filter(|e| e.ident == name),
            _ => None,
        })
        .unwrap_or_else(|| panic!("errors.rs declares enum {name}"));
    e.variants
        .iter()
        .map(|v| {
            let code = match &v.discriminant {
                Some((_, syn::Expr::Tuple(t))) => match t.elems.iter().nth(1) {
                    Some(syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(s),
                        ..
                    })) => Some(s.value()),
                    _ => None,
                },
                _ => None,
            };
            (v.ident.to_string(), code)
        })
        .collect()
}

#[test]
fn the_rust_enums_list_exactly_each_set() {
    let ir = compile();
    let files = generate(&ir);
    let errors_rs = file(&files, "src/errors.rs");
    let expected = expected();
    let mut codes_seen = 0;
    for a in ir.modules.values().flat_map(|m| m.actions.values()) {
        let want: BTreeSet<String> = a
            .errors
            .iter()
            .filter(|e| expected[a.full_name.as_str()].contains(&e.code))
            .map(|e| e.rust_name.clone())
            .collect();
        assert_eq!(
            want.len(),
            expected[a.full_name.as_str()].len(),
            "{}",
            a.full_name
        );
        let variants = rust_variants(errors_rs, &a.error_enum);
        assert_eq!(
            variants.keys().cloned().collect::<BTreeSet<_>>(),
            want,
            "Rust enum {} of {}",
            a.error_enum,
            a.full_name
        );
        for e in &a.errors {
            if let Some(Some(code)) = variants.get(&e.rust_name) {
                assert_eq!(code, &e.code, "{}::{}", a.error_enum, e.rust_name);
                codes_seen += 1;
            }
        }
    }
    assert!(codes_seen > 0, "the enums name their wire codes");
}
