//! The rmcp adapter: lists the registered tools and runs a call through the pipeline with the caller's identity, mapping failures to tool errors.
//!
//! Only this file and `mod.rs` name rmcp types, so an rmcp upgrade stays
//! inside the runtime.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::ConnectInfo;
use axum::http::HeaderMap;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::Value;

use super::tools::{McpTools, Registered};
use crate::{Invocation, Runtime, TraceId, TriggerKind};

/// One MCP server over the registered tools: one per HTTP request
/// (stateless) or one for a stdio session.
#[derive(Clone)]
pub(crate) struct McpServer {
    pub(crate) rt: Runtime,
    pub(crate) tools: Arc<McpTools>,
    /// The credentials of a stdio session (HTTP calls bring their own).
    pub(crate) stdio_credentials: Option<HeaderMap>,
}

impl McpServer {
    fn tool(r: &Registered) -> Tool {
        let mut tool = Tool::new(r.spec.name, r.spec.description, r.input_schema.clone());
        if let Some(title) = r.spec.title {
            tool = tool.with_title(title);
        }
        if let Some(out) = &r.output_schema {
            tool = tool.with_raw_output_schema(out.clone());
        }
        tool
    }

    /// Who is calling and under which trace id: the HTTP request's headers,
    /// trace id (echoed as `x-request-id`) and address, or the stdio
    /// session's credentials.
    async fn invocation(&self, context: &RequestContext<RoleServer>) -> Invocation {
        let (headers, trace_id, ip) = match context.extensions.get::<http::request::Parts>() {
            Some(parts) => (
                parts.headers.clone(),
                parts
                    .extensions
                    .get::<TraceId>()
                    .cloned()
                    .unwrap_or_else(|| TraceId::from_headers(&parts.headers)),
                client_ip(&self.rt, parts),
            ),
            None => (
                self.stdio_credentials.clone().unwrap_or_default(),
                TraceId::generate(),
                None,
            ),
        };
        Invocation {
            trace_id,
            trigger: TriggerKind::Mcp,
            session: super::caller_session(&self.rt, &headers).await,
            ip,
            headers,
        }
    }
}

impl ServerHandler for McpServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build()).with_server_info(
            Implementation::new(
                self.rt.config().app_name.clone(),
                self.tools.version.unwrap_or(env!("CARGO_PKG_VERSION")),
            ),
        )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(
            self.tools.tools.values().map(|r| Self::tool(r)).collect(),
        ))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.tools.tools.get(name).map(|r| Self::tool(r))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let Some(registered) = self.tools.tools.get(request.name.as_ref()).cloned() else {
            return Err(ErrorData::invalid_params(
                format!(
                    "unknown tool {}: call tools/list for the names",
                    request.name
                ),
                None,
            ));
        };
        let inv = self.invocation(&context).await;
        let trace_id = inv.trace_id.clone();
        let args = Value::Object(request.arguments.unwrap_or_default());
        let result = match (registered.call)(self.rt.clone(), inv, args).await {
            Ok(value) => {
                let text = value.to_string();
                let mut result = CallToolResult::success(vec![ContentBlock::text(text)]);
                // `structuredContent` is an object; other outputs travel as text.
                if value.is_object() {
                    result.structured_content = Some(value);
                }
                result
            }
            // The envelope an HTTP caller would get, as the tool error's
            // text: the contract's code, the message, the trace id and
            // details (every violation for `validation_failed`). No
            // `structuredContent`: clients check it against `outputSchema`.
            Err(e) => {
                let envelope =
                    serde_json::to_string(&e.to_envelope(trace_id.as_str())).unwrap_or_default();
                CallToolResult::error(vec![ContentBlock::text(envelope)])
            }
        };
        Ok(result.into())
    }
}

/// The client address, as [`crate::HttpRequest::ip`] computes it.
fn client_ip(rt: &Runtime, parts: &http::request::Parts) -> Option<IpAddr> {
    let forwarded = rt
        .config()
        .trust_proxy
        .then(|| {
            parts
                .headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .and_then(|v| v.trim().parse::<IpAddr>().ok())
        })
        .flatten();
    forwarded.or_else(|| {
        parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
    })
}
