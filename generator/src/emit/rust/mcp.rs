//! Emits the `mcp` module of the API crate: one `ToolSpec` per action with an `mcp` trigger, the tool registry and the Streamable HTTP route at `{base_path}/mcp`.
//!
//! The runtime (`bunbase_runtime::mcp`, feature `mcp`) serves the protocol
//! and runs each call through the pipeline as the caller (session cookie or
//! API key), so guards apply and contract errors come back as tool errors
//! with their code. This file translates each [`McpTrigger`] into a static
//! spec, each input type into the tool's input schema (the OpenAPI
//! document's request schema of the type) and each object output type into
//! its output schema (the response schema), rewritten from OpenAPI 3.0 to
//! JSON Schema (`nullable` becomes a `null` type, `example` becomes
//! `examples`). The schemas they refer to are emitted once
//! (`SCHEMA_DEFS`); the runtime copies what each tool reaches into its
//! `$defs`, so clients still get self-contained schemas.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::{Map, Value};

use crate::emit::openapi::ComponentSchemas;

use super::format::{Part, chunked, part, whole};
use super::router::{handler_closure, spec_name};
use super::tokens::{decoded_input, ident, json_lit, lit};
use crate::ir::{Action, Ir, McpTrigger, OutputType, TypeKind};

/// True when some action has an `mcp` trigger (the module is emitted and
/// the runtime's `mcp` feature turned on).
pub fn any(ir: &Ir) -> bool {
    ir.actions().any(|a| a.triggers.mcp.is_some())
}

/// The path of the Streamable HTTP endpoint: `{base_path}/mcp`.
pub fn path(ir: &Ir) -> String {
    format!("{}/mcp", ir.project.base_path.trim_end_matches('/'))
}

/// The tools' JSON Schemas, converted from the OpenAPI document's component
/// schemas before any token is built (so that the `mcp` module formats in
/// parts, on every core, like the other big modules).
#[derive(Debug, Clone, Default)]
pub struct McpSchemas {
    /// `SCHEMA_DEFS`: every schema the tools refer to, as JSON.
    defs: String,
    /// Per tool, in action order: its input schema and output schema as JSON.
    tools: Vec<(String, Option<String>)>,
}

/// Converts the schemas of every MCP tool of `ir`; `components` are the
/// OpenAPI document's component schemas
/// ([`crate::emit::openapi::document_json_with`]), each turned into JSON
/// only when a tool reaches it.
pub fn schemas(ir: &Ir, components: &ComponentSchemas) -> McpSchemas {
    let mut defs = Defs::new(components);
    let tools = ir
        .actions()
        .filter(|a| a.triggers.mcp.is_some())
        .map(|a| {
            let input = input_schema(ir, &mut defs, a).to_string();
            let output = output_schema(ir, &mut defs, a).map(|s| s.to_string());
            (input, output)
        })
        .collect();
    McpSchemas {
        defs: Value::Object(defs.finish()).to_string(),
        tools,
    }
}

/// An MCP tool's action, its trigger, and its input and output schemas.
type ToolWithSchemas<'a> = (&'a Action, &'a McpTrigger, &'a (String, Option<String>));

/// The `mcp` module as parts: the head, the tool specs in runs, then
/// `tools` and `routes`. `schemas` are [`schemas`] of `ir`.
pub fn mcp_parts<'a>(ir: &'a Ir, schemas: &'a McpSchemas) -> Vec<Part<'a>> {
    let tools: Vec<ToolWithSchemas<'a>> = ir
        .actions()
        .filter_map(|a| a.triggers.mcp.as_ref().map(|t| (a, t)))
        .zip(&schemas.tools)
        .map(|((a, t), s)| (a, t, s))
        .collect();
    let mut parts = vec![part(move || mcp_head(ir, schemas))];
    parts.extend(chunked(tools, |(a, t, (input, output))| {
        spec(a, t, input, output.as_deref())
    }));
    let with_tools: Vec<(&Action, &McpTrigger)> = ir
        .actions()
        .filter_map(|a| a.triggers.mcp.as_ref().map(|t| (a, t)))
        .collect();
    parts.extend(chunked(with_tools, move |(a, t)| register_fn(ir, a, t)));
    parts.push(whole(move || mcp_tail(ir)));
    parts
}

/// The imports, the endpoint's path and the shared schemas.
fn mcp_head(ir: &Ir, schemas: &McpSchemas) -> TokenStream {
    let defs = json_lit(&schemas.defs);
    let path = lit(&path(ir));
    quote! {
        #[allow(unused_imports)]
        use super::types::*;
        #[allow(unused_imports)]
        use super::handlers::*;
        use ::bunbase_runtime::wire;
        use ::bunbase_runtime::axum::Router;
        use ::bunbase_runtime::mcp::{self, McpError, McpTools, ToolSpec};
        use ::bunbase_runtime::Runtime;
        use ::std::sync::Arc;

        /// Where the Streamable HTTP endpoint is served.
        pub const MCP_PATH: &str = #path;

        /// The JSON Schemas the tools' `#/$defs/...` references resolve
        /// against, each kept once; the runtime serves every tool
        /// self-contained.
        pub const SCHEMA_DEFS: &str = #defs;
    }
}

/// The name of the function registering `a`'s tool
/// (`register_tasks_list_tasks`): the spec's name, unique among actions,
/// behind a prefix no other function of the module has.
fn register_name(a: &Action) -> proc_macro2::Ident {
    format_ident!("register_{}", a.spec_static.to_lowercase())
}

/// The function registering the tool of `a` (an action with an `mcp`
/// trigger). One small function per tool: a handler's doc comment changing
/// makes rustc check again only the function calling that handler.
fn register_fn(ir: &Ir, a: &Action, t: &McpTrigger) -> TokenStream {
    let f = register_name(a);
    let name = ident(&t.rust_static);
    let closure = handler_closure(ir, a);
    let input = decoded_input(a);
    let doc = lit(&format!(" Registers the MCP tool of `{}`.", a.full_name));
    quote! {
        #[doc = #doc]
        fn #f<H: Handlers>(tools: &mut McpTools, app: &Arc<H>) -> Result<(), McpError> {
            let app = app.clone();
            tools.register(&#name, wire::event_input::<#input>, #closure)?;
            Ok(())
        }
    }
}

/// `tools`, which registers every tool, and `routes`.
fn mcp_tail(ir: &Ir) -> TokenStream {
    let registrations = ir.actions().filter(|a| a.triggers.mcp.is_some()).map(|a| {
        let f = register_name(a);
        quote!(#f(&mut tools, &app)?;)
    });
    let version = lit(&ir.project.version);
    quote! {
        /// Every MCP tool of the contracts, each call running its action
        /// through the pipeline as the caller. Serve it with [`routes`]
        /// (HTTP) or `bunbase_runtime::mcp::serve_stdio` (stdio).
        pub fn tools<H: Handlers>(app: Arc<H>) -> Result<McpTools, McpError> {
            let mut tools = McpTools::new();
            tools.version(#version).defs(SCHEMA_DEFS)?;
            #(#registrations)*
            Ok(tools)
        }

        /// The Streamable HTTP endpoint at [`MCP_PATH`], to merge into the
        /// router. Registration cannot fail for checked contracts; should it,
        /// the error is logged and the endpoint is not served.
        pub fn routes<H: Handlers>(rt: &Runtime, app: &Arc<H>) -> Router {
            match tools(app.clone()) {
                Ok(tools) => mcp::router(rt, MCP_PATH, tools),
                Err(e) => {
                    ::bunbase_runtime::tracing::error!(error = %e, "the MCP tools could not be registered");
                    Router::new()
                }
            }
        }
    }
}

/// The `.merge(...)` the router function adds for the MCP endpoint.
pub fn router_merge(ir: &Ir) -> TokenStream {
    if any(ir) {
        quote!(.merge(super::mcp::routes(rt, &app)))
    } else {
        TokenStream::new()
    }
}

/// One `static` tool spec, its schemas given as JSON.
fn spec(a: &Action, t: &McpTrigger, input: &str, output: Option<&str>) -> TokenStream {
    let name = ident(&t.rust_static);
    let action = spec_name(a);
    let tool = lit(&t.tool);
    let title = match &t.title {
        Some(title) => {
            let title = lit(title);
            quote!(Some(#title))
        }
        None => quote!(None),
    };
    let description = lit(&t.description);
    let input = json_lit(input);
    let output = match output {
        Some(schema) => {
            let schema = json_lit(schema);
            quote!(Some(#schema))
        }
        None => quote!(None),
    };
    let doc = lit(&format!(
        " The MCP tool `{}`: runs `{}` as the caller.",
        t.tool, a.full_name
    ));
    quote! {
        #[doc = #doc]
        pub static #name: ToolSpec = ToolSpec {
            action: &super::router::#action,
            name: #tool,
            title: #title,
            description: #description,
            input_schema: #input,
            output_schema: #output,
        };
    }
}

/// The JSON Schema of an action's arguments: its input type's request
/// schema, whose references point into [`Defs`]; an empty object for an
/// action without input.
fn input_schema(ir: &Ir, defs: &mut Defs<'_>, a: &Action) -> Value {
    if a.input_json {
        // Any arguments: MCP passes them as an object.
        return serde_json::json!({ "type": "object" });
    }
    let Some(name) = a
        .input
        .as_ref()
        .and_then(|i| ir.types.get(i))
        .map(|t| t.names.openapi_request.clone())
    else {
        return serde_json::json!({ "type": "object", "properties": {}, "additionalProperties": false });
    };
    defs.root(&name)
}

/// The JSON Schema of an action's result, when its output is an object type
/// (MCP's `outputSchema` must describe an object; clients check
/// `structuredContent` against it): the type's response schema.
fn output_schema(ir: &Ir, defs: &mut Defs<'_>, a: &Action) -> Option<Value> {
    let OutputType::Named { name } = a.output.as_ref()? else {
        return None;
    };
    let def = ir.types.get(name)?;
    if !matches!(def.kind, TypeKind::Object { .. }) {
        return None;
    }
    Some(defs.root(&def.names.openapi_response))
}

/// The schemas the tools refer to, converted once and emitted once
/// (`SCHEMA_DEFS`): with a schema per tool made self-contained in the
/// source, a set whose types all reach each other would repeat every type
/// in every tool.
struct Defs<'a> {
    /// The OpenAPI component schemas.
    schemas: &'a ComponentSchemas,
    /// The converted schemas reached so far.
    used: Map<String, Value>,
}

impl<'a> Defs<'a> {
    fn new(schemas: &'a ComponentSchemas) -> Self {
        Self {
            schemas,
            used: Map::new(),
        }
    }

    /// Component `name` as JSON (OpenAPI 3.0), converted when first reached:
    /// the document's other schemas are never held as JSON.
    fn component(&self, name: &str) -> Option<Value> {
        let schema = self.schemas.get(name)?;
        Some(serde_json::to_value(schema).expect("an OpenAPI schema always serialises"))
    }

    /// Component `name` as a JSON Schema object (its references point to
    /// `#/$defs/...`), adding every schema it reaches to the shared ones.
    fn root(&mut self, name: &str) -> Value {
        let mut pending = Vec::new();
        let mut root = match self.component(name) {
            Some(s) => match to_json_schema(&s, &mut pending) {
                Value::Object(m) => m,
                _ => Map::new(),
            },
            None => Map::new(),
        };
        while let Some(n) = pending.pop() {
            if self.used.contains_key(&n) {
                continue;
            }
            let Some(s) = self.component(&n) else {
                continue;
            };
            let converted = to_json_schema(&s, &mut pending);
            self.used.insert(n, converted);
        }
        root.insert("type".into(), Value::from("object"));
        Value::Object(root)
    }

    /// The shared schemas, sorted by name.
    fn finish(mut self) -> Map<String, Value> {
        self.used.sort_keys();
        self.used
    }
}

/// One OpenAPI 3.0 schema as JSON Schema; component names it refers to are
/// pushed on `refs`.
fn to_json_schema(s: &Value, refs: &mut Vec<String>) -> Value {
    match s {
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| to_json_schema(v, refs)).collect())
        }
        Value::Object(m) => {
            let mut out = Map::new();
            let mut nullable = false;
            for (k, v) in m {
                match k.as_str() {
                    "$ref" => {
                        let target = v.as_str().unwrap_or_default();
                        let n = target.trim_start_matches("#/components/schemas/");
                        refs.push(n.to_owned());
                        out.insert(k.clone(), Value::from(format!("#/$defs/{n}")));
                    }
                    "nullable" => nullable = v == &Value::Bool(true),
                    "example" => {
                        out.insert("examples".into(), Value::Array(vec![v.clone()]));
                    }
                    "discriminator" => {}
                    k if k.starts_with("x-") => {}
                    // Maps of schemas: recurse into each value.
                    "properties" => {
                        let props = v
                            .as_object()
                            .map(|p| {
                                p.iter()
                                    .map(|(name, s)| (name.clone(), to_json_schema(s, refs)))
                                    .collect()
                            })
                            .unwrap_or_default();
                        out.insert(k.to_owned(), Value::Object(props));
                    }
                    "items" | "additionalProperties" | "not" | "allOf" | "anyOf" | "oneOf" => {
                        out.insert(k.to_owned(), to_json_schema(v, refs));
                    }
                    _ => {
                        out.insert(k.to_owned(), v.clone());
                    }
                }
            }
            if nullable {
                make_nullable(out)
            } else {
                Value::Object(out)
            }
        }
        other => other.clone(),
    }
}

/// `s` or `null`: a `null` type added to a typed schema (and to its `enum`),
/// else `anyOf` with a `null` schema.
fn make_nullable(mut s: Map<String, Value>) -> Value {
    // OpenAPI 3.0's spelling of "only null".
    if s.get("enum") == Some(&Value::Array(vec![Value::Null])) {
        return serde_json::json!({ "type": "null" });
    }
    if let Some(Value::String(t)) = s.get("type").cloned() {
        s.insert("type".into(), serde_json::json!([t, "null"]));
        if let Some(Value::Array(values)) = s.get_mut("enum")
            && !values.contains(&Value::Null)
        {
            values.push(Value::Null);
        }
        return Value::Object(s);
    }
    serde_json::json!({ "anyOf": [Value::Object(s), { "type": "null" }] })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::to_json_schema;

    #[test]
    fn openapi_schemas_become_json_schema() {
        let mut refs = Vec::new();
        let s = to_json_schema(
            &json!({
                "type": "object",
                "properties": {
                    "status": { "anyOf": [
                        { "$ref": "#/components/schemas/TaskStatus" },
                        { "type": "string", "nullable": true, "enum": [null] }
                    ]},
                    "tag": { "type": "string", "nullable": true, "example": "home" },
                    "kind": { "type": "string", "nullable": true, "enum": ["a", "b"] },
                    "any": { "description": "Any JSON value." }
                },
                "x-bunbase": true
            }),
            &mut refs,
        );
        assert_eq!(refs, vec!["TaskStatus"]);
        assert_eq!(
            s,
            json!({
                "type": "object",
                "properties": {
                    "status": { "anyOf": [{ "$ref": "#/$defs/TaskStatus" }, { "type": "null" }] },
                    "tag": { "type": ["string", "null"], "examples": ["home"] },
                    "kind": { "type": ["string", "null"], "enum": ["a", "b", null] },
                    "any": { "description": "Any JSON value." }
                }
            })
        );
    }
}
