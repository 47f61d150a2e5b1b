//! The OpenAPI 3.0.3 emitter: builds the document as `openapiv3` values from the IR.
//!
//! The document describes the wire exactly as the generated server speaks it:
//!
//! - **Paths** are the IR's full paths (base path included), so the one
//!   server entry is `/`; nothing is prefixed twice.
//! - **Operations**: one per `api` route (`operationId` = `module.action`,
//!   further routes of the same action `module.action.2`, ...), one per action
//!   endpoint (`POST {base_path}/v1/actions/{module}.{action}`, operation id
//!   `module.action.invoke`, the whole input as body) and one per inbound
//!   webhook (`module.action.webhook`). Each carries
//!   `x-bunbase-action: module.action` and the module's tag.
//! - **Requests versus responses.** The server always sends every field,
//!   writing `null` for an absent optional one, so response schemas list
//!   optional fields as required and nullable. Clients may leave optional and
//!   defaulted fields out (or send `null`), and the server rejects unknown
//!   fields, so request schemas list them as not required and nullable and
//!   set `additionalProperties: false`. A type used both ways gets one
//!   component per shape (see `layout`).
//! - **Errors**: one response per status among the action's exact error set
//!   (`Action::errors`), the envelope's `code` narrowed to that status's
//!   codes, plus `default` for the framework's transport errors
//!   (`Ir::transport_errors`; see `errors`).
//! - **Security**: operations whose guards need a principal
//!   (`GuardKind::needs_principal`) require the signed session cookie
//!   `bunbase_session`.
//!
//! Every name, direction and error set comes from the IR; this emitter only
//! translates them into `openapiv3` values.
//!
//! Output is deterministic: every map is filled from sorted IR maps or sorted
//! before serialising.

mod decimal;
mod errors;
mod layout;
mod operation;
mod schema;

use indexmap::IndexMap;
use openapiv3::{
    APIKeyLocation, Components, Info, OpenAPI, Paths, ReferenceOr, SecurityScheme, Server, Tag,
};

use super::{GenOptions, GeneratedFile, Ownership};
use crate::ir::Ir;
use errors::SharedResponses;
use layout::{Component, Layout};

/// The name of the session cookie security scheme under
/// `components/securitySchemes`.
pub const SESSION_SCHEME: &str = "session";

/// The session cookie the runtime signs and verifies.
const SESSION_COOKIE: &str = "bunbase_session";

/// Emits `openapi.json` at the output root.
pub fn emit(ir: &Ir, _opts: &GenOptions) -> Vec<GeneratedFile> {
    vec![file(document_json_with(ir, |_| ()).0)]
}

/// `openapi.json` holding `json`, the document printed (so that a caller
/// which also needs its schemas builds it once).
pub fn file(json: String) -> GeneratedFile {
    GeneratedFile {
        path: "openapi.json".into(),
        contents: json,
        ownership: Ownership::Generated,
    }
}

/// The OpenAPI document as pretty JSON with a trailing newline. The API
/// crate embeds the file [`emit`] writes (`include_str!` from its `src/`
/// folder; the build.rs single file embeds this text as a literal) and
/// serves it at `{base_path}/openapi.json`.
pub fn to_json(ir: &Ir) -> String {
    document_json(&document(ir))
}

/// [`to_json`] of a document already built.
pub fn document_json(doc: &OpenAPI) -> String {
    let mut s = serde_json::to_string_pretty(doc).expect("an OpenAPI document always serialises");
    s.push('\n');
    s
}

/// The component schemas of a document, by name.
pub type ComponentSchemas = IndexMap<String, ReferenceOr<openapiv3::Schema>>;

/// The OpenAPI 3.0.3 document of `ir`. Never fails; the same IR always gives
/// an equal document.
pub fn document(ir: &Ir) -> OpenAPI {
    let layout = Layout::new(ir);
    let schemas = component_schema_map(&layout);
    let mut shared = SharedResponses::default();
    let paths = operation::paths(&layout, &mut shared);
    OpenAPI {
        paths,
        components: Some(components(schemas, shared)),
        ..head(ir)
    }
}

/// [`document_json`] of [`document`], and what `with_schemas` makes of the
/// document's component schemas (the MCP tools' schemas), built so that the
/// operations never sit in memory together: each path item is serialised as
/// soon as it is built. On the 1,000-action benchmark the whole document
/// held 56 MB of `openapiv3` values for 6 MB of JSON; this holds the
/// components and one path item. The same bytes as `document_json(&document(ir))`
/// (a test holds that).
pub fn document_json_with<T>(
    ir: &Ir,
    with_schemas: impl FnOnce(&ComponentSchemas) -> T,
) -> (String, T) {
    let layout = Layout::new(ir);
    let schemas = component_schema_map(&layout);
    let made = with_schemas(&schemas);
    let mut shared = SharedResponses::default();
    let mut paths = String::new();
    operation::path_items(&layout, &mut shared, |path, item| {
        let one = IndexMap::from([(path, item)]);
        let text = serde_json::to_string_pretty(&one).expect("a path item always serialises");
        // `{`, the entry at two spaces, `}`: the entry alone, moved to the
        // four spaces of a key under `paths`. JSON strings hold no raw
        // newline, so every line break is the printer's.
        let entry = &text[2..text.len() - 2];
        if !paths.is_empty() {
            paths.push_str(",\n");
        }
        for (i, line) in entry.split('\n').enumerate() {
            if i > 0 {
                paths.push('\n');
            }
            paths.push_str("  ");
            paths.push_str(line);
        }
    });
    let mut doc = OpenAPI {
        components: Some(components(schemas, shared)),
        ..head(ir)
    };
    if paths.is_empty() {
        return (document_json(&doc), made);
    }
    doc.paths.paths.insert(
        PATHS_MARK.into(),
        ReferenceOr::Reference {
            reference: PATHS_MARK.into(),
        },
    );
    let text = document_json(&doc);
    drop(doc);
    let mark = "    \"\\u0001\": {\n      \"$ref\": \"\\u0001\"\n    }";
    let at = text
        .find(mark)
        .expect("the paths mark is printed as written here");
    let mut out = String::with_capacity(text.len() + paths.len());
    out.push_str(&text[..at]);
    out.push_str(&paths);
    out.push_str(&text[at + mark.len()..]);
    (out, made)
}

/// The document's component schemas alone (what the MCP tools' schemas are
/// converted from), for a caller that does not print the document.
pub fn component_schemas(ir: &Ir) -> ComponentSchemas {
    component_schema_map(&Layout::new(ir))
}

/// The one key `paths` holds while the rest of the document is printed,
/// replaced by the path items printed one by one.
const PATHS_MARK: &str = "\u{1}";

/// Everything of the document but its paths and components.
fn head(ir: &Ir) -> OpenAPI {
    let base = if ir.project.base_path.is_empty() {
        "/"
    } else {
        ir.project.base_path.as_str()
    };
    OpenAPI {
        openapi: "3.0.3".into(),
        info: Info {
            title: ir.project.title.clone(),
            description: ir.project.description.clone(),
            version: ir.project.version.clone(),
            license: ir.project.license.as_ref().map(|l| openapiv3::License {
                name: l.name.clone(),
                url: l.url.clone(),
                extensions: IndexMap::new(),
            }),
            ..Info::default()
        },
        servers: vec![Server {
            url: "/".into(),
            description: Some(format!(
                "The server that serves this document. Every path below already includes the base path `{base}`."
            )),
            ..Server::default()
        }],
        paths: Paths::default(),
        components: None,
        security: None,
        // One tag per module that has an operation (the tag an operation
        // carries is its module's name).
        tags: ir
            .modules
            .values()
            .filter(|m| m.actions.values().any(|a| a.audience.http))
            .map(|m| Tag {
                name: m.name.clone(),
                description: m.description.clone(),
                ..Tag::default()
            })
            .collect(),
        external_docs: None,
        extensions: IndexMap::new(),
    }
}

/// Every component schema: one per type shape and union variant wrapper,
/// then the error envelopes, sorted by name.
fn component_schema_map(layout: &Layout<'_>) -> ComponentSchemas {
    let names = &layout.ir.names;
    let mut schemas = IndexMap::new();
    for c in layout.components() {
        let schema = match &c {
            Component::Type { ty, dir, .. } => layout
                .ir
                .types
                .get(ty)
                .map(|def| layout.type_def_schema(def, *dir)),
            Component::Variant {
                union,
                tag_value,
                dir,
                ..
            } => layout
                .ir
                .types
                .get(union)
                .map(|def| layout.variant_wrapper_schema(def, tag_value, *dir)),
        };
        if let Some(schema) = schema {
            schemas.insert(c.name().to_string(), ReferenceOr::Item(schema));
        }
    }
    for (name, schema) in errors::components(names) {
        schemas.insert(name, ReferenceOr::Item(schema));
    }
    schemas.sort_keys();
    schemas
}

fn components(schemas: ComponentSchemas, shared: SharedResponses) -> Components {
    let mut security_schemes = IndexMap::new();
    security_schemes.insert(
        SESSION_SCHEME.to_string(),
        ReferenceOr::Item(SecurityScheme::APIKey {
            location: APIKeyLocation::Cookie,
            name: SESSION_COOKIE.into(),
            description: Some(
                "The signed session cookie the server sets when a user signs in (for example through the \
                 project's login action)."
                    .into(),
            ),
            extensions: IndexMap::new(),
        }),
    );
    let headers = IndexMap::from([(
        errors::REQUEST_ID_HEADER.to_string(),
        ReferenceOr::Item(errors::request_id_header()),
    )]);
    Components {
        schemas,
        responses: shared.into_components(),
        security_schemes,
        headers,
        ..Components::default()
    }
}
