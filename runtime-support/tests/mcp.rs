//! MCP endpoint behaviour checked from Rust (feature `mcp`): registration errors, the `Host` allow-list, and a tool error's envelope carrying the request's trace id. The TypeScript SDK drives the tools end to end in `tests/tests/mcp.rs`.
#![cfg(feature = "mcp")]

mod common;

use bunbase_runtime::axum::Router;
use bunbase_runtime::axum::body::Body;
use bunbase_runtime::http::decode_value;
use bunbase_runtime::mcp::{self, McpError, McpTools, ToolSpec};
use bunbase_runtime::{ActionContext, ActionSpec, ApiError, Config, RetryPolicy, Runtime};
use common::{request, send};
use serde_json::{Value, json};

static ECHO: ActionSpec = ActionSpec {
    name: "demo.echo",
    guards: &[],
    retry: RetryPolicy::NONE,
};

const OBJECT: &str = r#"{"type":"object"}"#;

static ECHO_TOOL: ToolSpec = ToolSpec {
    action: &ECHO,
    name: "demo_echo",
    title: None,
    description: "Echoes its arguments; refuses {\"refuse\": true}.",
    input_schema: OBJECT,
    output_schema: Some(OBJECT),
};

async fn echo(_ctx: ActionContext, input: Value) -> Result<Value, ApiError> {
    if input["refuse"] == json!(true) {
        return Err(ApiError::new(409, "echo_refused", "Refused."));
    }
    Ok(input)
}

fn tools() -> McpTools {
    let mut tools = McpTools::new();
    tools
        .register(&ECHO_TOOL, decode_value::<Value>, echo)
        .expect("registers");
    tools
}

fn app(rt: &Runtime) -> Router {
    rt.app(mcp::router(rt, "/api/mcp", tools()))
}

/// A JSON-RPC `tools/call` POST to `/api/mcp` with `host`.
fn call(host: &str, arguments: Value) -> bunbase_runtime::axum::http::Request<Body> {
    let body = json!({
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": { "name": "demo_echo", "arguments": arguments },
    });
    request("POST", "/api/mcp")
        .header("host", host)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-11-25")
        .header("x-request-id", "trace-mcp-1")
        .body(Body::from(body.to_string()))
        .unwrap()
}

#[test]
fn registration_refuses_bad_names_duplicates_and_schemas() {
    static BAD_NAME: ToolSpec = ToolSpec {
        action: &ECHO,
        name: "bad name!",
        title: None,
        description: "",
        input_schema: OBJECT,
        output_schema: None,
    };
    static NOT_JSON: ToolSpec = ToolSpec {
        action: &ECHO,
        name: "not_json",
        title: None,
        description: "",
        input_schema: "{",
        output_schema: None,
    };
    static NOT_OBJECT: ToolSpec = ToolSpec {
        action: &ECHO,
        name: "not_object",
        title: None,
        description: "",
        input_schema: OBJECT,
        output_schema: Some(r#"{"type":"array"}"#),
    };
    let mut tools = McpTools::new();
    let err = |r: Result<&mut McpTools, McpError>| r.expect_err("refused").to_string();
    assert!(err(tools.register(&BAD_NAME, decode_value::<Value>, echo)).contains("bad name!"));
    assert!(err(tools.register(&NOT_JSON, decode_value::<Value>, echo)).contains("input schema"));
    assert!(
        err(tools.register(&NOT_OBJECT, decode_value::<Value>, echo))
            .contains("output schema of MCP tool \"not_object\"")
    );
    tools
        .register(&ECHO_TOOL, decode_value::<Value>, echo)
        .expect("a good tool registers");
    assert!(err(tools.register(&ECHO_TOOL, decode_value::<Value>, echo)).contains("twice"));
    assert_eq!(tools.names(), ["demo_echo"]);
}

#[tokio::test]
async fn a_tool_error_is_the_envelope_with_the_request_trace_id() {
    let (rt, _dir) = common::runtime().await;
    let reply = send(&app(&rt), call("localhost", json!({ "refuse": true }))).await;
    assert_eq!(
        reply.status,
        200,
        "{:?}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(reply.header("x-request-id"), Some("trace-mcp-1"));
    let result = &reply.json()["result"];
    assert_eq!(result["isError"], true, "{result}");
    assert!(result.get("structuredContent").is_none());
    let envelope: Value =
        serde_json::from_str(result["content"][0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(
        envelope,
        json!({ "error": { "code": "echo_refused", "message": "Refused.", "trace_id": "trace-mcp-1", "details": null } })
    );

    let ok = send(&app(&rt), call("127.0.0.1:8080", json!({ "a": 1 }))).await;
    let result = &ok.json()["result"];
    assert_eq!(result["isError"], false, "{result}");
    assert_eq!(result["structuredContent"], json!({ "a": 1 }));
}

#[tokio::test]
async fn the_host_allow_list_refuses_other_hosts_unless_opened() {
    let (rt, _dir) = common::runtime().await;
    let reply = send(&app(&rt), call("evil.example", json!({}))).await;
    assert_eq!(reply.status, 403, "DNS-rebinding protection: {reply:?}");

    let (rt, _dir) =
        common::runtime_with(|c| c.mcp_allowed_hosts = vec!["api.example.com".into()]).await;
    assert_eq!(
        send(&app(&rt), call("api.example.com", json!({})))
            .await
            .status,
        200
    );
    assert_eq!(
        send(&app(&rt), call("localhost", json!({}))).await.status,
        403
    );

    let (rt, _dir) = common::runtime_with(|c| c.mcp_allowed_hosts = vec!["*".into()]).await;
    assert_eq!(
        send(&app(&rt), call("evil.example", json!({})))
            .await
            .status,
        200
    );
}

#[test]
fn mcp_allowed_hosts_is_read_from_the_environment() {
    let c = Config::from_lookup("t", |k| {
        (k == "MCP_ALLOWED_HOSTS").then(|| "api.example.com, api.example.com:8443".to_owned())
    })
    .expect("valid");
    assert_eq!(
        c.mcp_allowed_hosts,
        ["api.example.com", "api.example.com:8443"]
    );
    let d = Config::from_lookup("t", |_| None).expect("valid");
    assert_eq!(d.mcp_allowed_hosts, ["localhost", "127.0.0.1", "::1"]);
}
