//! The tool registry: each action exposed to MCP clients, with its schemas and a type-erased call through the pipeline.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::future::BoxFuture;
use serde::Serialize;
use serde_json::{Map, Value};

use super::McpError;
use crate::validate::Validate;
use crate::{ActionContext, ActionSpec, ApiError, Invocation, Runtime};

/// One MCP tool, declared by generated code for an action with an `mcp`
/// trigger.
///
/// ```
/// # use bunbase_runtime::{ActionSpec, RetryPolicy, mcp::ToolSpec};
/// # static CREATE_TASK: ActionSpec = ActionSpec { name: "tasks.create_task", guards: &[], retry: RetryPolicy::NONE };
/// static CREATE_TASK_TOOL: ToolSpec = ToolSpec {
///     action: &CREATE_TASK,
///     name: "tasks_create_task",
///     title: Some("Create a task"),
///     description: "Create a task for the current user.",
///     input_schema: r#"{"type":"object","properties":{"title":{"type":"string","minLength":1}},"required":["title"],"additionalProperties":false}"#,
///     output_schema: None,
/// };
/// ```
#[derive(Debug)]
pub struct ToolSpec {
    /// The action a call runs.
    pub action: &'static ActionSpec,
    /// The tool's name: 1 to 128 of `A-Z a-z 0-9 _ - .`.
    pub name: &'static str,
    /// A short human title (the action's summary), if any.
    pub title: Option<&'static str>,
    /// What the tool does, for the model choosing it.
    pub description: &'static str,
    /// The JSON Schema of the arguments (the action's input): a JSON object
    /// with `"type": "object"`, whose `$ref`s point into its own `$defs` or
    /// into the registry's shared definitions ([`McpTools::defs`]); each
    /// tool is served self-contained.
    pub input_schema: &'static str,
    /// The JSON Schema of the result, when the action's output is an object
    /// (MCP's `outputSchema` must describe one); clients from protocol
    /// version 2025-06-18 on validate `structuredContent` against it.
    pub output_schema: Option<&'static str>,
}

/// A call of one tool: the pipeline run, erased over the action's types.
pub(crate) type Call = Arc<
    dyn Fn(Runtime, Invocation, Value) -> BoxFuture<'static, Result<Value, ApiError>> + Send + Sync,
>;

/// One registered tool.
pub(crate) struct Registered {
    pub(crate) spec: &'static ToolSpec,
    pub(crate) input_schema: Arc<Map<String, Value>>,
    pub(crate) output_schema: Option<Arc<Map<String, Value>>>,
    pub(crate) call: Call,
}

/// The tools an MCP endpoint serves, by name. Build it once with
/// [`McpTools::register`] per tool, then hand it to [`super::router`] and
/// [`super::serve_stdio`].
#[derive(Default, Clone)]
pub struct McpTools {
    pub(crate) tools: BTreeMap<&'static str, Arc<Registered>>,
    pub(crate) version: Option<&'static str>,
    /// Schemas shared by the tools' `#/$defs/...` references.
    defs: Map<String, Value>,
}

impl std::fmt::Debug for McpTools {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.tools.keys()).finish()
    }
}

impl McpTools {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the schemas the tools' `#/$defs/NAME` references resolve
    /// against: a JSON object of name to JSON Schema. Generated code keeps
    /// every schema once here instead of in each tool; [`McpTools::register`]
    /// copies the ones a tool reaches into its own `$defs`, so each tool is
    /// still served self-contained. Call it before registering.
    pub fn defs(&mut self, defs: &str) -> Result<&mut Self, McpError> {
        match serde_json::from_str::<Value>(defs) {
            Ok(Value::Object(map)) => {
                self.defs = map;
                Ok(self)
            }
            Ok(_) => Err(McpError::Schema {
                tool: "*",
                which: "shared definitions",
                problem: "they must be a JSON object of name to schema".to_owned(),
            }),
            Err(e) => Err(McpError::Schema {
                tool: "*",
                which: "shared definitions",
                problem: e.to_string(),
            }),
        }
    }

    /// Registers `spec`: a call decodes the arguments with `decode`
    /// (generated code passes its `wire::event_input`; serde types can pass
    /// [`crate::http::decode_value`]) and runs `handler` through the
    /// pipeline with trigger `mcp`. Fails on a bad name, a duplicate name or
    /// a schema that is not a JSON object.
    pub fn register<I, O, E, Fut, H, D>(
        &mut self,
        spec: &'static ToolSpec,
        decode: D,
        handler: H,
    ) -> Result<&mut Self, McpError>
    where
        I: Validate + Clone + Send + 'static,
        O: Serialize + Send + 'static,
        E: Into<ApiError> + Send + 'static,
        Fut: Future<Output = Result<O, E>> + Send + 'static,
        H: Fn(ActionContext, I) -> Fut + Clone + Send + Sync + 'static,
        D: Fn(Value) -> Result<I, ApiError> + Clone + Send + Sync + 'static,
    {
        let valid_name = !spec.name.is_empty()
            && spec.name.len() <= 128
            && spec
                .name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b));
        if !valid_name {
            return Err(McpError::InvalidName(spec.name));
        }
        if self.tools.contains_key(spec.name) {
            return Err(McpError::Duplicate(spec.name));
        }
        let input_schema = schema(spec.name, "input", spec.input_schema, &self.defs)?;
        let output_schema = spec
            .output_schema
            .map(|text| schema(spec.name, "output", text, &self.defs))
            .transpose()?;
        let action = spec.action;
        let call: Call = Arc::new(move |rt: Runtime, inv: Invocation, args: Value| {
            let decode = decode.clone();
            let handler = handler.clone();
            Box::pin(async move {
                let output = action.run(&rt, inv, move || decode(args), handler).await?;
                serde_json::to_value(&output).map_err(|e| {
                    ApiError::internal(format_args!(
                        "{}: output does not serialise: {e}",
                        action.name
                    ))
                })
            })
        });
        self.tools.insert(
            spec.name,
            Arc::new(Registered {
                spec,
                input_schema,
                output_schema,
                call,
            }),
        );
        Ok(self)
    }

    /// Sets the version the server reports to clients (the contracts'
    /// `version`; default: the runtime's).
    pub fn version(&mut self, version: &'static str) -> &mut Self {
        self.version = Some(version);
        self
    }

    /// The registered tool names, sorted.
    pub fn names(&self) -> Vec<&'static str> {
        self.tools.keys().copied().collect()
    }

    /// How many tools are registered.
    pub fn len(&self) -> usize {
        self.tools.len()
    }

    /// Whether no tool is registered.
    pub fn is_empty(&self) -> bool {
        self.tools.is_empty()
    }
}

/// Parses a schema text into the JSON object MCP wants, with every shared
/// definition it reaches copied into its `$defs`.
fn schema(
    tool: &'static str,
    which: &'static str,
    text: &str,
    shared: &Map<String, Value>,
) -> Result<Arc<Map<String, Value>>, McpError> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(mut map)) if map.get("type") == Some(&Value::from("object")) => {
            complete_defs(&mut map, shared).map_err(|name| McpError::Schema {
                tool,
                which,
                problem: format!("`#/$defs/{name}` is defined nowhere"),
            })?;
            Ok(Arc::new(map))
        }
        Ok(_) => Err(McpError::Schema {
            tool,
            which,
            problem: "it must be a JSON object with \"type\": \"object\"".to_owned(),
        }),
        Err(e) => Err(McpError::Schema {
            tool,
            which,
            problem: e.to_string(),
        }),
    }
}

/// Adds to `root`'s `$defs` every shared definition it reaches through
/// `#/$defs/NAME` references, transitively; the name of a reference found
/// in neither is the error.
fn complete_defs(root: &mut Map<String, Value>, shared: &Map<String, Value>) -> Result<(), String> {
    let mut defs = match root.remove("$defs") {
        Some(Value::Object(d)) => d,
        _ => Map::new(),
    };
    let mut pending = Vec::new();
    refs(&Value::Object(root.clone()), &mut pending);
    for d in defs.values() {
        refs(d, &mut pending);
    }
    while let Some(name) = pending.pop() {
        if defs.contains_key(&name) {
            continue;
        }
        let def = shared.get(&name).ok_or_else(|| name.clone())?;
        refs(def, &mut pending);
        defs.insert(name, def.clone());
    }
    if !defs.is_empty() {
        defs.sort_keys();
        root.insert("$defs".to_owned(), Value::Object(defs));
    }
    Ok(())
}

/// Pushes the names of the `#/$defs/NAME` references in `v`.
fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => {
                        if let Some(name) = r.strip_prefix("#/$defs/") {
                            out.push(name.to_owned());
                        }
                    }
                    _ => refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn shared_definitions_are_copied_into_each_schema() {
        let shared = json!({
            "A": { "type": "object", "properties": { "b": { "$ref": "#/$defs/B" } } },
            "B": { "type": "string" },
            "C": { "type": "integer" }
        });
        let Value::Object(shared) = shared else {
            unreachable!()
        };
        let s = schema(
            "t",
            "input",
            r##"{"type":"object","properties":{"a":{"$ref":"#/$defs/A"}}}"##,
            &shared,
        )
        .expect("complete");
        assert_eq!(
            Value::Object((*s).clone()),
            json!({
                "type": "object",
                "properties": { "a": { "$ref": "#/$defs/A" } },
                "$defs": {
                    "A": { "type": "object", "properties": { "b": { "$ref": "#/$defs/B" } } },
                    "B": { "type": "string" }
                }
            })
        );
        let missing = schema(
            "t",
            "input",
            r##"{"type":"object","properties":{"x":{"$ref":"#/$defs/X"}}}"##,
            &shared,
        );
        assert!(matches!(missing, Err(McpError::Schema { problem, .. }) if problem.contains("X")));
    }
}
