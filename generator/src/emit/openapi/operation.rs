//! Operations: one per `api` route, one per action endpoint and one per inbound webhook, with parameters, request bodies, responses and security.

use indexmap::IndexMap;
use openapiv3::{
    HeaderStyle, ObjectType, Operation, Parameter, ParameterData, ParameterSchemaOrContent,
    PathItem, PathStyle, Paths, QueryStyle, ReferenceOr, RequestBody, Response, Responses, Schema,
    SchemaKind, SecurityRequirement, StatusCode, Type,
};
use serde_json::Value;

use super::SESSION_SCHEME;
use super::errors::{self, SharedResponses, json_content};
use super::layout::Layout;
use super::schema::{nullable, plain, reference, string};
use crate::ir::{
    Action, BindingLocation, Constraints, Direction, Field, HttpRoute, OutputType, ProjectNames,
    TypeKind, TypeRef, WebhookEncoding, WebhookMode, WebhookScheme, WebhookTrigger,
};

/// Every operation of the document, paths sorted.
pub(crate) fn paths(layout: &Layout<'_>, shared: &mut SharedResponses) -> Paths {
    let mut paths = IndexMap::new();
    path_items(layout, shared, |path, item| {
        paths.insert(path.to_string(), ReferenceOr::Item(item));
    });
    Paths {
        paths,
        extensions: IndexMap::new(),
    }
}

/// What one operation documents: an action's `api` route (by index), its
/// action endpoint, or one of its inbound webhooks (by index).
#[derive(Clone, Copy)]
enum Source<'a> {
    Route(&'a Action, usize),
    Endpoint(&'a Action),
    Webhook(&'a Action, usize),
}

/// Builds the document's path items one at a time, in path order, and
/// hands each to `each` (so that a caller can serialise it and let it go).
/// Within a path, operations are built in module and action order; shared
/// responses are registered in that same order whoever calls.
pub(crate) fn path_items(
    layout: &Layout<'_>,
    shared: &mut SharedResponses,
    mut each: impl FnMut(&str, PathItem),
) {
    let mut ops: Vec<(&str, &str, Source<'_>)> = Vec::new();
    for action in layout.ir.actions().filter(|a| a.audience.http) {
        for (i, route) in action.triggers.http.iter().enumerate() {
            ops.push((&route.path, &route.method, Source::Route(action, i)));
        }
        if let Some(path) = &action.action_endpoint {
            ops.push((path, "POST", Source::Endpoint(action)));
        }
        for (i, hook) in action.triggers.webhooks.iter().enumerate() {
            ops.push((&hook.path, "POST", Source::Webhook(action, i)));
        }
    }
    // Stable: operations of one path keep module and action order.
    ops.sort_by_key(|(path, _, _)| *path);
    for group in ops.chunk_by(|a, b| a.0 == b.0) {
        let mut item = PathItem::default();
        for (_, method, source) in group {
            let slot = match *method {
                "GET" => &mut item.get,
                "PUT" => &mut item.put,
                "POST" => &mut item.post,
                "DELETE" => &mut item.delete,
                "PATCH" => &mut item.patch,
                "HEAD" => &mut item.head,
                "OPTIONS" => &mut item.options,
                _ => &mut item.trace,
            };
            // The checker rejects duplicate routes; should two operations
            // still meet, the first (in module, action order) wins,
            // deterministically.
            if slot.is_none() {
                *slot = Some(operation(layout, &mut *shared, *source));
            }
        }
        each(group[0].0, item);
    }
}

/// The operation `source` documents.
fn operation(layout: &Layout<'_>, shared: &mut SharedResponses, source: Source<'_>) -> Operation {
    let action = match source {
        Source::Route(a, _) | Source::Endpoint(a) | Source::Webhook(a, _) => a,
    };
    let mut ops = Ops {
        layout,
        names: &layout.ir.names,
        action,
        shared,
    };
    match source {
        Source::Route(_, i) => {
            let id = if i == 0 {
                action.full_name.clone()
            } else {
                format!("{}.{}", action.full_name, i + 1)
            };
            ops.route(&action.triggers.http[i], id)
        }
        Source::Endpoint(_) => ops.action_endpoint(),
        Source::Webhook(_, i) => {
            let suffix = if i == 0 {
                String::new()
            } else {
                format!(".{}", i + 1)
            };
            ops.webhook(
                &action.triggers.webhooks[i],
                format!("{}.webhook{suffix}", action.full_name),
            )
        }
    }
}

/// The headers a webhook delivery must carry, with what each holds.
fn webhook_headers(hook: &WebhookTrigger) -> Vec<(String, String)> {
    let env = &hook.secret_env;
    let keyed = format!(
        "keyed with a secret from the server's `{env}` environment variable (several, \
         comma-separated, while rotating)"
    );
    match &hook.scheme {
        WebhookScheme::HmacSha256 {
            header,
            prefix,
            encoding,
            id_header,
        } => {
            let enc = match encoding {
                WebhookEncoding::Hex => "hex",
                WebhookEncoding::Base64 => "base64",
            };
            let prefix = if prefix.is_empty() {
                String::new()
            } else {
                format!("`{prefix}` then ")
            };
            let mut h = vec![(
                header.clone(),
                format!(
                    "{prefix}the {enc} HMAC-SHA256 of the raw body, {keyed}. Checked in constant time \
                     before the body is parsed."
                ),
            )];
            if let Some(id) = id_header {
                h.push((
                    id.clone(),
                    "The sender's delivery id: a delivery id already accepted is not run again."
                        .into(),
                ));
            }
            h
        }
        WebhookScheme::Stripe {
            header,
            tolerance_secs,
        } => vec![(
            header.clone(),
            format!(
                "Stripe's `t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<raw body>\">`, {keyed}; \
                 `t` must be within {tolerance_secs} seconds of the server's clock."
            ),
        )],
        WebhookScheme::StandardWebhooks { tolerance_secs } => vec![
            (
                "webhook-id".into(),
                "The delivery id (Standard Webhooks): an id already accepted is not run again."
                    .into(),
            ),
            (
                "webhook-timestamp".into(),
                format!(
                    "Unix seconds when the delivery was signed; within {tolerance_secs} seconds of \
                     the server's clock."
                ),
            ),
            (
                "webhook-signature".into(),
                format!(
                    "`v1,<base64 HMAC-SHA256 of \"<id>.<timestamp>.<raw body>\">` entries separated \
                     by spaces, {keyed} (`whsec_<base64>`)."
                ),
            ),
        ],
    }
}

/// The success status of the action endpoint and of webhooks: the status of
/// the action's first route (the action endpoint answers like the route it
/// mirrors), else 200 with an output and 204 without.
pub(crate) fn rpc_status(action: &Action) -> u16 {
    match action.triggers.http.first() {
        Some(route) => route.status,
        None if action.output.is_some() => 200,
        None => 204,
    }
}

struct Ops<'l, 'a> {
    layout: &'l Layout<'a>,
    names: &'l ProjectNames,
    action: &'l Action,
    shared: &'l mut SharedResponses,
}

impl Ops<'_, '_> {
    /// The operation of an `api` route.
    fn route(&mut self, route: &HttpRoute, operation_id: String) -> Operation {
        let input = self.input_fields();
        let mut parameters = Vec::new();
        let mut body_fields = Vec::new();
        for binding in &route.bindings {
            let Some(field) = input.iter().find(|f| f.name == binding.field) else {
                continue;
            };
            match binding.location {
                BindingLocation::Path => parameters.push(ReferenceOr::Item(Parameter::Path {
                    parameter_data: self.parameter_data(field, true),
                    style: PathStyle::Simple,
                })),
                BindingLocation::Query => parameters.push(ReferenceOr::Item(Parameter::Query {
                    parameter_data: self.parameter_data(field, field.required),
                    allow_reserved: false,
                    style: QueryStyle::Form,
                    allow_empty_value: None,
                })),
                BindingLocation::Body => body_fields.push(*field),
            }
        }
        // The server decodes an empty body as `{}`, so a body is required
        // only when one of its fields is.
        let mut body_required = body_fields.iter().any(|f| f.required);
        let body = if self.action.input_json && !matches!(route.method.as_str(), "GET" | "DELETE") {
            // `input: json`: the whole body is the input, any JSON value.
            body_required = true;
            Some(self.any_json())
        } else if body_fields.is_empty() {
            None
        } else if body_fields.len() == input.len() {
            self.action
                .input
                .as_deref()
                .map(|name| reference(&self.layout.type_name(name, Direction::In)))
        } else {
            Some(ReferenceOr::Item(self.layout.object_schema(
                body_fields,
                Direction::In,
                None,
            )))
        };
        let mut op = self.base(operation_id, body.is_some());
        op.parameters = parameters;
        op.request_body = body.map(|s| {
            ReferenceOr::Item(if body_required {
                request_body(s, None)
            } else {
                optional_body(s, None)
            })
        });
        op.responses.responses.insert(
            StatusCode::Code(route.status),
            ReferenceOr::Item(self.success(route.status)),
        );
        op.responses.responses.sort_keys();
        op.extensions
            .insert("x-bunbase-trigger".into(), Value::from("api"));
        op
    }

    /// The operation of `POST {base_path}/v1/actions/{module}.{action}`.
    fn action_endpoint(&mut self) -> Operation {
        let (schema, required) = match &self.action.input {
            Some(name) => (
                reference(&self.layout.type_name(name, Direction::In)),
                self.input_fields().iter().any(|f| f.required),
            ),
            None if self.action.input_json => (self.any_json(), true),
            None => (
                ReferenceOr::Item(self.layout.object_schema([], Direction::In, None)),
                false,
            ),
        };
        let mut op = self.base(format!("{}.invoke", self.action.full_name), true);
        op.summary = Some(match &self.action.summary {
            Some(s) => format!("{s} (action endpoint)"),
            None => format!("Call {} (action endpoint)", self.action.full_name),
        });
        let description = Some("The action's whole input.".to_string());
        let body = if required {
            request_body(schema, description)
        } else {
            optional_body(schema, description)
        };
        op.request_body = Some(ReferenceOr::Item(body));
        let status = rpc_status(self.action);
        op.responses.responses.insert(
            StatusCode::Code(status),
            ReferenceOr::Item(self.success(status)),
        );
        op.responses.responses.sort_keys();
        op.extensions
            .insert("x-bunbase-trigger".into(), Value::from("action_endpoint"));
        op
    }

    /// The operation of an inbound webhook: the signature header is checked
    /// against the raw body before the body is parsed as the action's input.
    fn webhook(&mut self, hook: &WebhookTrigger, operation_id: String) -> Operation {
        let schema = match &self.action.input {
            Some(name) => reference(&self.layout.type_name(name, Direction::In)),
            None => {
                self.layout
                    .type_ref_schema(&TypeRef::Json, &Constraints::default(), Direction::In)
            }
        };
        let mut op = self.base(operation_id, true);
        op.summary = Some(match &self.action.summary {
            Some(s) => format!("{s} (webhook)"),
            None => format!("Inbound webhook for {}", self.action.full_name),
        });
        // Deliveries prove themselves by their signature, not a session.
        op.security = Some(Vec::new());
        op.parameters = webhook_headers(hook)
            .into_iter()
            .map(|(name, description)| {
                ReferenceOr::Item(Parameter::Header {
                    parameter_data: ParameterData {
                        name,
                        description: Some(description),
                        required: true,
                        deprecated: None,
                        format: ParameterSchemaOrContent::Schema(ReferenceOr::Item(string())),
                        example: None,
                        examples: IndexMap::new(),
                        explode: None,
                        extensions: IndexMap::new(),
                    },
                    style: HeaderStyle::Simple,
                })
            })
            .collect();
        let envelope = json_content(reference(&self.names.openapi_envelope));
        let refused = |description: &str| {
            ReferenceOr::Item(Response {
                description: description.to_owned(),
                content: envelope.clone(),
                ..Response::default()
            })
        };
        op.responses.responses.insert(
            StatusCode::Code(401),
            refused(
                "The signature is missing, malformed, wrong or stale: `unauthorized`, with \
                 `details.reason` (`missing_header`, `malformed_header`, `signature_mismatch`, \
                 `stale_timestamp`). Nothing ran.",
            ),
        );
        op.responses.responses.insert(
            StatusCode::Code(409),
            refused(
                "`delivery_in_progress`: another request is running this delivery; retry later.",
            ),
        );
        op.responses.responses.insert(
            StatusCode::Code(413),
            refused("`payload_too_large`: the body is larger than the server's limit."),
        );
        let body = request_body(
            schema,
            Some("The raw JSON body as the sender signed it.".into()),
        );
        op.request_body = Some(ReferenceOr::Item(body));
        match hook.mode {
            WebhookMode::Sync => {
                let status = rpc_status(self.action);
                let mut success = self.success(status);
                success.description.push_str(
                    " A delivery already accepted (same delivery id) is answered 200 \
                     `{\"duplicate\":true,\"delivery_id\":...}` without running again.",
                );
                op.responses
                    .responses
                    .insert(StatusCode::Code(status), ReferenceOr::Item(success));
            }
            WebhookMode::Queue => {
                op.responses.responses.insert(
                    StatusCode::Code(202),
                    ReferenceOr::Item(Response {
                        description: "Verified, validated and enqueued as a job: \
                                      `{\"enqueued\":true,\"delivery_id\":...}`."
                            .into(),
                        content: json_content(ReferenceOr::Item(plain(SchemaKind::Type(
                            Type::Object(ObjectType::default()),
                        )))),
                        ..Response::default()
                    }),
                );
            }
        }
        op.responses.responses.sort_keys();
        op.extensions
            .insert("x-bunbase-trigger".into(), Value::from("webhook"));
        op.extensions.insert(
            "x-bunbase-webhook".into(),
            serde_json::json!({
                "secret_env": hook.secret_env,
                "scheme": hook.scheme.name(),
                "mode": hook.mode,
            }),
        );
        op
    }

    /// What every operation of the action shares: tag, texts, operation id,
    /// deprecation, security and error responses.
    fn base(&mut self, operation_id: String, has_body: bool) -> Operation {
        let a = self.action;
        let mut description = a.description.clone().unwrap_or_default();
        if let Some(dep) = &a.deprecated {
            if !description.is_empty() {
                description.push_str("\n\n");
            }
            description.push_str("**Deprecated.**");
            if let Some(note) = &dep.note {
                description.push(' ');
                description.push_str(note);
            }
        }
        let (errors, default) = errors::responses(
            a,
            &self.layout.ir.transport_errors,
            has_body,
            self.names,
            self.shared,
        );
        let mut responses = Responses {
            default: Some(default),
            ..Responses::default()
        };
        let client_errors = errors.iter().any(|(status, _)| (400..500).contains(status));
        for (status, r) in errors {
            responses.responses.insert(StatusCode::Code(status), r);
        }
        // The framework's answers (`not_found`, `method_not_allowed`, ...)
        // are client errors: an operation with no 4xx of its own lists them
        // as its `4XX`.
        if !client_errors && let Some(default) = &responses.default {
            responses
                .responses
                .insert(StatusCode::Range(4), default.clone());
        }
        // Public operations say so (`security: []`) rather than say nothing.
        let security = Some(if a.guards.iter().any(|g| g.kind.needs_principal()) {
            let mut req = SecurityRequirement::new();
            req.insert(SESSION_SCHEME.to_string(), Vec::new());
            vec![req]
        } else {
            Vec::new()
        });
        let mut extensions = IndexMap::new();
        extensions.insert(
            "x-bunbase-action".to_string(),
            Value::from(a.full_name.clone()),
        );
        Operation {
            tags: vec![a.module.clone()],
            summary: a.summary.clone(),
            description: (!description.is_empty()).then_some(description),
            operation_id: Some(operation_id),
            responses,
            deprecated: a.deprecated.is_some(),
            security,
            extensions,
            ..Operation::default()
        }
    }

    /// The success response with `status`.
    fn success(&self, status: u16) -> Response {
        let content = match (&self.action.output, status) {
            (_, 204) | (None, _) => IndexMap::new(),
            (Some(OutputType::Named { name }), _) => {
                json_content(reference(&self.layout.type_name(name, Direction::Out)))
            }
            (Some(OutputType::Expr { ty }), _) => json_content(self.layout.type_ref_schema(
                ty,
                &Constraints::default(),
                Direction::Out,
            )),
        };
        let description = if content.is_empty() {
            "Success; no body."
        } else {
            "Success."
        };
        let headers = IndexMap::from([(
            "x-request-id".to_string(),
            ReferenceOr::Reference {
                reference: format!("#/components/headers/{}", errors::REQUEST_ID_HEADER),
            },
        )]);
        Response {
            description: description.into(),
            headers,
            content,
            ..Response::default()
        }
    }

    /// The schema of any JSON value (an `input: json` body).
    fn any_json(&self) -> ReferenceOr<Schema> {
        self.layout
            .type_ref_schema(&TypeRef::Json, &Constraints::default(), Direction::In)
    }

    /// The fields of the action's input type, in declaration order.
    fn input_fields(&self) -> Vec<&Field> {
        let def = self
            .action
            .input
            .as_deref()
            .and_then(|n| self.layout.ir.types.get(n));
        match def.map(|d| &d.kind) {
            Some(TypeKind::Object { fields }) => fields.iter().collect(),
            _ => Vec::new(),
        }
    }

    /// A path or query parameter bound to `field`. A parameter is never
    /// `null` (a query string cannot say null), so the schema is the field's
    /// type without its optional layer.
    fn parameter_data(&self, field: &Field, required: bool) -> ParameterData {
        let ty = match &field.ty {
            TypeRef::Optional { inner } => inner.as_ref(),
            ty => ty,
        };
        // The description goes on the parameter, not again on its schema.
        let undescribed = Field {
            description: None,
            ..field.clone()
        };
        let schema: ReferenceOr<Schema> = self.layout.field_schema(&undescribed, ty, Direction::In);
        // Objects, maps and `json` values travel in a query string as JSON
        // text, which OpenAPI says with `content` instead of `schema`.
        let format = if self.is_json_text(ty) {
            ParameterSchemaOrContent::Content(json_content(schema))
        } else {
            ParameterSchemaOrContent::Schema(schema)
        };
        ParameterData {
            name: field.name.clone(),
            description: field.description.clone(),
            required,
            deprecated: field.deprecated.then_some(true),
            format,
            example: None,
            examples: IndexMap::new(),
            explode: None,
            extensions: IndexMap::new(),
        }
    }

    /// True when a parameter of type `ty` is written as JSON text.
    fn is_json_text(&self, ty: &TypeRef) -> bool {
        match ty {
            TypeRef::Json | TypeRef::Map { .. } => true,
            TypeRef::Named { name, .. } => !matches!(
                self.layout.ir.types.get(name).map(|t| &t.kind),
                Some(TypeKind::Enum { .. }) | None
            ),
            _ => false,
        }
    }
}

/// A JSON request body. An optional body (`required: false`) is also
/// nullable: the server reads a `null` body like an empty one, as `{}`.
fn optional_body(schema: ReferenceOr<Schema>, description: Option<String>) -> RequestBody {
    let mut body = request_body(nullable(schema), description);
    body.required = false;
    body
}

fn request_body(schema: ReferenceOr<Schema>, description: Option<String>) -> RequestBody {
    RequestBody {
        description,
        content: json_content(schema),
        required: true,
        ..RequestBody::default()
    }
}
