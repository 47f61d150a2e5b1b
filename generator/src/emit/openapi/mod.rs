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
    APIKeyLocation, Components, Info, OpenAPI, ReferenceOr, SecurityScheme, Server, Tag,
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
    vec![file(&document(ir))]
}

/// `openapi.json` for a document already built (so that a caller which
/// also needs its schemas builds it once).
pub fn file(doc: &OpenAPI) -> GeneratedFile {
    GeneratedFile {
        path: "openapi.json".into(),
        contents: document_json(doc),
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

/// The document's component schemas as JSON values, by name (what the MCP
/// tools' schemas are converted from).
pub fn component_schemas(doc: &OpenAPI) -> serde_json::Map<String, serde_json::Value> {
    let schemas = doc.components.as_ref().map(|c| &c.schemas);
    match schemas.map(serde_json::to_value) {
        Some(Ok(serde_json::Value::Object(m))) => m,
        _ => serde_json::Map::new(),
    }
}

/// The OpenAPI 3.0.3 document of `ir`. Never fails; the same IR always gives
/// an equal document.
pub fn document(ir: &Ir) -> OpenAPI {
    let layout = Layout::new(ir);
    let mut shared = SharedResponses::default();
    let paths = operation::paths(&layout, &mut shared);
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
        paths,
        components: Some(components(&layout, shared)),
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

fn components(layout: &Layout<'_>, shared: SharedResponses) -> Components {
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
