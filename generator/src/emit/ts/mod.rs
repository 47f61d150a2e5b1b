//! The TypeScript SDK emitter: a typed client, error unions and TanStack Query helpers, rendered through tera from a view model.
//!
//! `bunbase gen` writes the SDK to `sdk/typescript/`: an ESM npm package with
//! no runtime dependencies, named by `sdk.typescript.package` and versioned
//! with the contracts. The emitter builds a small view model from the IR
//! ([`types`] for data types, [`actions`] for the client) and renders
//! logic-free templates from `templates/ts/`, embedded in the binary. The
//! transport (`src/runtime.ts`) is copied verbatim.

mod actions;
mod docs;
mod types;

use std::sync::OnceLock;

use serde::Serialize;
use tera::{Context, Tera};

use super::{GenOptions, GeneratedFile, Ownership};
use crate::ir::Ir;

/// Where the SDK goes in the output folder.
pub const SDK_DIR: &str = "sdk/typescript";

/// The SDK runtime, copied verbatim into every SDK (also measured by `cargo xtask bench sdk`).
pub const RUNTIME_TS: &str = include_str!("../../../../templates/ts/runtime.ts");

const TSCONFIG: &str = include_str!("../../../../templates/ts/tsconfig.json");

const TEMPLATES: &[(&str, &str)] = &[
    (
        "package.json",
        include_str!("../../../../templates/ts/package.json.tera"),
    ),
    (
        "README.md",
        include_str!("../../../../templates/ts/README.md.tera"),
    ),
    (
        "src/types.ts",
        include_str!("../../../../templates/ts/types.ts.tera"),
    ),
    (
        "src/errors.ts",
        include_str!("../../../../templates/ts/errors.ts.tera"),
    ),
    (
        "src/client.ts",
        include_str!("../../../../templates/ts/client.ts.tera"),
    ),
    (
        "src/tanstack.ts",
        include_str!("../../../../templates/ts/tanstack.ts.tera"),
    ),
    (
        "src/index.ts",
        include_str!("../../../../templates/ts/index.ts.tera"),
    ),
];

/// What `src/runtime.ts` exports to users, and whether each is a type only.
const RUNTIME_EXPORTS: &[(&str, bool)] = &[
    ("SdkError", false),
    ("createCookieJar", false),
    ("unwrap", false),
    ("ApiError", true),
    ("ApiKeyHeader", true),
    ("ApiResult", true),
    ("CallOptions", true),
    ("ClientError", true),
    ("ClientErrorCode", true),
    ("ClientOptions", true),
    ("CookieJar", true),
    ("CredentialOption", true),
    ("HeadersOption", true),
    ("JsonValue", true),
    ("UnknownApiError", true),
    ("ValidationDetails", true),
    ("Violation", true),
];

/// Everything the templates see.
#[derive(Debug, Serialize)]
struct View {
    /// The project's snake_case name as a TS string literal (query key root).
    project: String,
    title: String,
    /// The title, safe inside a `/* */` comment.
    title_comment: String,
    version: String,
    package: String,
    package_literal: String,
    version_literal: String,
    description_literal: String,
    types: Vec<types::TypeView>,
    /// True when `types.ts` refers to the runtime's `JsonValue`.
    uses_json: bool,
    /// Name of the client interface ([`crate::ir::ProjectNames::ts_client`]).
    client: String,
    /// The transport-error type every call can end with.
    transport: TransportView,
    /// The runtime's exports re-exported from the package root (`SdkError`,
    /// `type ApiError`...): those no contract type shadows.
    runtime_exports: Vec<String>,
    /// True when the client refers to `types.ts`.
    uses_types: bool,
    /// True when some action gets TanStack query options.
    any_query: bool,
    /// True when some action gets TanStack infinite-query options.
    any_infinite: bool,
    modules: Vec<actions::ModuleView>,
    /// A GET action for the README's examples, if there is one.
    example_query: Option<ExampleView>,
    /// A non-GET action for the README's examples, if there is one.
    example_mutation: Option<ExampleView>,
}

/// An action used in the README's usage examples.
#[derive(Debug, Serialize)]
struct ExampleView {
    module: String,
    action: String,
    /// The input type's name as exported by the package; empty for none.
    input_type: String,
    /// Codes of the action's declared (non-implicit) errors.
    declared_codes: Vec<String>,
    /// The name of its error union.
    error: String,
}

/// The union of the errors every call can end with besides its action's:
/// the framework's transport errors ([`Ir::transport_errors`]) and the
/// client's own failures.
#[derive(Debug, Serialize)]
struct TransportView {
    /// Its name ([`crate::ir::ProjectNames::ts_transport_error`]).
    name: String,
    /// The framework's codes as a TS array literal, for the transport.
    codes: String,
    /// The framework's errors, one union member each.
    errors: Vec<actions::ErrorView>,
}

/// Emits `sdk/typescript/` for `ir`.
pub fn emit(ir: &Ir, _opts: &GenOptions) -> Vec<GeneratedFile> {
    let modules = actions::module_views(ir);
    let example = |query: bool| {
        modules
            .iter()
            .flat_map(|m| m.actions.iter().map(move |a| (m, a)))
            .find(|(_, a)| a.query == query)
            .map(|(m, a)| ExampleView {
                module: m.prop.clone(),
                action: a.prop.clone(),
                input_type: a.input_export.clone(),
                error: a.error.clone(),
                declared_codes: a
                    .errors
                    .iter()
                    .filter(|e| !e.implicit)
                    .map(|e| e.code.clone())
                    .collect(),
            })
    };
    let type_views = types::type_views(ir);
    let uses_json = type_views
        .iter()
        .flat_map(|t| &t.fields)
        .any(|f| f.ty.contains("rt."));
    let uses_types = modules
        .iter()
        .flat_map(|m| &m.actions)
        .any(|a| a.input.contains("T.") || a.output.contains("T."));
    let any_query = modules.iter().flat_map(|m| &m.actions).any(|a| a.query);
    let any_infinite = modules.iter().flat_map(|m| &m.actions).any(|a| a.infinite);
    let mut taken = actions::exported_names(ir);
    taken.extend(modules.iter().map(|m| m.interface.clone()));
    taken.insert(ir.names.ts_client.clone());
    let transport = TransportView {
        name: ir.names.ts_transport_error.clone(),
        codes: format!(
            "[{}]",
            ir.transport_errors
                .iter()
                .map(|t| docs::literal(&t.code))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        errors: ir
            .transport_errors
            .iter()
            .map(actions::transport_error_view)
            .collect(),
    };
    let runtime_exports = RUNTIME_EXPORTS
        .iter()
        .filter(|(name, _)| !taken.contains(*name))
        .map(|(name, is_type)| {
            if *is_type {
                format!("type {name}")
            } else {
                name.to_string()
            }
        })
        .collect();
    let view = View {
        client: ir.names.ts_client.clone(),
        transport,
        runtime_exports,
        project: docs::literal(&ir.project.snake_name),
        title: ir.project.title.clone(),
        title_comment: docs::lines(Some(&ir.project.title)).join(" "),
        version: ir.project.version.clone(),
        package: ir.project.sdk_package.clone(),
        package_literal: docs::literal(&ir.project.sdk_package),
        version_literal: docs::literal(&ir.project.version),
        description_literal: docs::literal(&format!(
            "Typed client for {}, generated by bunbase.",
            ir.project.title
        )),
        types: type_views,
        uses_json,
        uses_types,
        any_query,
        any_infinite,
        example_query: example(true),
        example_mutation: example(false),
        modules,
    };
    // By value: the view model is dropped once the context holds it.
    let context = Context::from_serialize(view).expect("the SDK view model serialises");
    let tera = templates();

    let mut files = vec![
        file("src/runtime.ts", RUNTIME_TS.to_string()),
        file("tsconfig.json", TSCONFIG.to_string()),
    ];
    for (name, _) in TEMPLATES {
        let text = tera
            .render(name, &context)
            .unwrap_or_else(|e| panic!("SDK template {name} renders: {e:?}"));
        files.push(file(name, tidy(&text)));
    }
    files.sort();
    files
}

/// The SDK's templates, parsed once per process (they are embedded in the
/// binary). `bunbase gen` asks for them on another thread while the
/// contracts compile, so that the SDK emitter finds them parsed.
pub fn templates() -> &'static Tera {
    static TERA: OnceLock<Tera> = OnceLock::new();
    TERA.get_or_init(|| {
        let mut tera = Tera::default();
        tera.add_raw_templates(TEMPLATES.iter().copied())
            .expect("the SDK templates parse");
        tera
    })
}

fn file(path: &str, contents: String) -> GeneratedFile {
    GeneratedFile {
        path: format!("{SDK_DIR}/{path}"),
        contents,
        ownership: Ownership::Generated,
    }
}

/// Collapses runs of blank lines left by template control flow and ends the
/// text with exactly one newline.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank = 0;
    for line in text.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank += 1;
            if blank > 1 || out.is_empty() {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}
