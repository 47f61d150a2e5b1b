//! Property tests: random mutations of the example contracts never panic the loader or checker, and whatever checks clean also lowers.

use std::path::Path;

use bunbase::source::SourceSet;
use proptest::prelude::*;

fn base_sets() -> Vec<SourceSet> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut sets = Vec::new();
    for dir in [
        root.join("tests/fixtures/good/spec"),
        root.join("tests/fixtures/good/naming"),
    ]
    .into_iter()
    .chain(
        std::fs::read_dir(root.join("../contracts-examples"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path()),
    ) {
        if let Ok(s) = bunbase::load::from_dir(&dir) {
            sets.push(s);
        }
    }
    sets
}

/// The IR's invariants: every reference resolves, inputs and variants are
/// objects, paths are normalised, names are unique where they must be.
fn well_formed(ir: &bunbase::ir::Ir) -> Result<(), String> {
    use bunbase::ir::{OutputType, TypeKind, TypeRef};
    fn refs_ok(ir: &bunbase::ir::Ir, ty: &TypeRef) -> Result<(), String> {
        match ty {
            TypeRef::Named { name, .. } if !ir.types.contains_key(name) => {
                Err(format!("dangling type `{name}`"))
            }
            TypeRef::List { item } => refs_ok(ir, item),
            TypeRef::Map { value } => refs_ok(ir, value),
            TypeRef::Optional { inner } => refs_ok(ir, inner),
            _ => Ok(()),
        }
    }
    let is_object = |n: &str| {
        matches!(
            ir.types.get(n).map(|t| &t.kind),
            Some(TypeKind::Object { .. })
        )
    };
    for (name, t) in &ir.types {
        if &t.name != name {
            return Err(format!("type key `{name}` names `{}`", t.name));
        }
        match &t.kind {
            TypeKind::Object { fields } => {
                let mut seen = std::collections::HashSet::new();
                for f in fields {
                    refs_ok(ir, &f.ty)?;
                    if !seen.insert(f.rust_name.trim_start_matches("r#")) {
                        return Err(format!(
                            "duplicate rust field `{}` in `{name}`",
                            f.rust_name
                        ));
                    }
                }
            }
            TypeKind::Union { variants, .. } => {
                for v in variants {
                    if !is_object(&v.type_name) {
                        return Err(format!(
                            "variant `{}` of `{name}` is not an object",
                            v.type_name
                        ));
                    }
                }
            }
            TypeKind::Enum { values } => {
                if values.is_empty() {
                    return Err(format!("empty enum `{name}`"));
                }
            }
        }
    }
    for a in ir.actions() {
        if let Some(i) = &a.input
            && !is_object(i)
        {
            return Err(format!("input `{i}` of `{}` is not an object", a.full_name));
        }
        match &a.output {
            Some(OutputType::Named { name }) if !ir.types.contains_key(name) => {
                return Err(format!("dangling output `{name}`"));
            }
            Some(OutputType::Expr { ty }) => refs_ok(ir, ty)?,
            _ => {}
        }
        for r in &a.triggers.http {
            if !r.path.starts_with('/')
                || r.path.contains("//")
                || (r.path.len() > 1 && r.path.ends_with('/'))
            {
                return Err(format!("path `{}` is not normalised", r.path));
            }
        }
        for e in &a.emits {
            if !ir.events.contains_key(e) {
                return Err(format!("`{}` emits unknown `{e}`", a.full_name));
            }
        }
    }
    for e in ir.events.values() {
        if !is_object(&e.payload) {
            return Err(format!(
                "payload `{}` of `{}` is not an object",
                e.payload, e.name
            ));
        }
    }
    Ok(())
}

#[test]
fn good_sets_are_well_formed() {
    for sources in base_sets() {
        let ir = bunbase::compile(&sources).expect("checks").ir;
        well_formed(&ir).expect("well formed");
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    DeleteLine(usize),
    DuplicateLine(usize),
    SwapLines(usize, usize),
    ReplaceToken(usize, &'static str),
    Truncate(usize),
    InsertText(usize, &'static str),
}

const TOKENS: &[&str] = &[
    "",
    "x",
    "?",
    "{",
    "}",
    "[",
    "]",
    ":",
    "- ",
    "list<",
    "map<Task>",
    "Task",
    "tasks.Task",
    "task.created",
    "GET /{id}",
    "\"",
    "'",
    "&a",
    "*a",
    "!!str",
    "null",
    "~",
    "0",
    "-1",
    "99999999999999999999",
    "1.5",
    "true",
    "é",
    "\t",
    "#",
    "{ type: string, min_len: 5, max_len: 1 }",
    "int??",
    "[[int]]",
    "self",
    "type",
    "api: GET /",
    "cron: \"* *\"",
];

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::DeleteLine),
        any::<usize>().prop_map(Mutation::DuplicateLine),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        (any::<usize>(), prop::sample::select(TOKENS))
            .prop_map(|(a, t)| Mutation::ReplaceToken(a, t)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), prop::sample::select(TOKENS))
            .prop_map(|(a, t)| Mutation::InsertText(a, t)),
    ]
}

fn apply(text: &str, m: &Mutation) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    if lines.is_empty() {
        lines.push(String::new());
    }
    let n = lines.len();
    match m {
        Mutation::DeleteLine(i) => {
            lines.remove(i % n);
        }
        Mutation::DuplicateLine(i) => {
            let l = lines[i % n].clone();
            lines.insert(i % n, l);
        }
        Mutation::SwapLines(a, b) => lines.swap(a % n, b % n),
        Mutation::ReplaceToken(i, t) => {
            let line = &mut lines[i % n];
            let words: Vec<&str> = line.split(' ').collect();
            let k = (i / n.max(1)) % words.len().max(1);
            let mut words: Vec<String> = words.into_iter().map(str::to_owned).collect();
            if let Some(w) = words.get_mut(k) {
                *w = (*t).to_owned();
            }
            *line = words.join(" ");
        }
        Mutation::Truncate(i) => {
            let joined = lines.join("\n");
            let mut cut = i % (joined.len() + 1);
            while !joined.is_char_boundary(cut) {
                cut -= 1;
            }
            return joined[..cut].to_owned();
        }
        Mutation::InsertText(i, t) => {
            let line = &mut lines[i % n];
            let mut at = (i / n.max(1)) % (line.len() + 1);
            while !line.is_char_boundary(at) {
                at -= 1;
            }
            line.insert_str(at, t);
        }
    }
    lines.join("\n") + "\n"
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn mutations_never_panic_and_clean_sets_lower(
        set in any::<prop::sample::Index>(),
        file in any::<prop::sample::Index>(),
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        let sets = base_sets();
        prop_assume!(!sets.is_empty());
        let mut sources = sets[set.index(sets.len())].clone();
        let keys: Vec<String> = sources.files.keys().cloned().collect();
        let key = &keys[file.index(keys.len())];
        let mut text = sources.files[key].clone();
        for m in &mutations {
            text = apply(&text, m);
        }
        sources.files.insert(key.clone(), text);
        match bunbase::compile(&sources) {
            Ok(compiled) => {
                // Lowered, consistent and serialisable.
                if let Err(e) = well_formed(&compiled.ir) {
                    prop_assert!(false, "{}", e);
                }
                let json = compiled.ir.to_json();
                prop_assert!(json.starts_with('{'), "json object");
            }
            Err(diags) => {
                prop_assert!(diags.iter().any(|d| d.is_error()));
                let rendered = bunbase::diag::render(&diags, &sources, false);
                prop_assert!(!rendered.is_empty());
            }
        }
    }
}

proptest! {
    /// Whatever a contract name is, the identifiers naming.rs makes from it
    /// are valid Rust (checked by syn) and TypeScript identifiers.
    #[test]
    fn naming_makes_valid_identifiers(name in "[a-zA-Z_][a-zA-Z0-9_]{0,12}|self|Self|crate|super|type|fn|async|r#x|[0-9][a-z0-9_]{0,5}") {
        use bunbase::naming;
        let snake = naming::rust_snake_ident(&name);
        prop_assert!(syn::parse_str::<syn::Ident>(&snake).is_ok(), "snake `{snake}` from `{name}`");
        let ident = naming::to_ident(&snake);
        prop_assert_eq!(ident.to_string(), snake.clone());
        if name.chars().any(|c| c.is_ascii_alphanumeric()) {
            let pascal = naming::rust_pascal_ident(&name);
            prop_assert!(syn::parse_str::<syn::Ident>(&pascal).is_ok(), "pascal `{pascal}` from `{name}`");
            prop_assert!(naming::is_ts_identifier(&naming::ts_type_ident(&name)));
        }
        let ts = naming::ts_ident(&name);
        prop_assert!(naming::is_ts_identifier(&ts) && !naming::is_ts_reserved(&ts), "ts `{ts}`");
    }
}
