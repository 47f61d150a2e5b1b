//! A hand-built IR exercising every mapping of the OpenAPI emitter, written as IR JSON (spans are not serialised).

use bunbase::ir::Ir;
use serde_json::{Value, json};

/// A field of an object type.
pub fn field(name: &str, ty: Value, required: bool) -> Value {
    json!({
        "name": name, "rust_name": name, "ty": ty, "required": required, "default": null,
        "constraints": {}, "description": null, "deprecated": false, "example": null
    })
}

/// A field with extra keys merged in (constraints, default, ...).
pub fn field_with(name: &str, ty: Value, required: bool, extra: Value) -> Value {
    let mut f = field(name, ty, required);
    if let (Some(f), Some(extra)) = (f.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            f.insert(k.clone(), v.clone());
        }
    }
    f
}

/// A type reference of kind `kind` (`string`, `uuid`, ...).
pub fn prim(kind: &str) -> Value {
    json!({ "kind": kind })
}

/// `T?`.
pub fn opt(inner: Value) -> Value {
    json!({ "kind": "optional", "inner": inner })
}

/// `list<T>`.
pub fn list(item: Value) -> Value {
    json!({ "kind": "list", "item": item })
}

/// A named type reference.
pub fn named(name: &str) -> Value {
    json!({ "kind": "named", "name": name, "boxed": false })
}

fn type_def(name: &str, origin: Value, kind: Value) -> Value {
    json!({
        "name": name, "module": "tasks", "contract_name": name, "origin": origin,
        "description": null, "deprecated": false, "kind": kind, "recursive": false
    })
}

/// A declared object type.
pub fn object(name: &str, fields: Vec<Value>) -> Value {
    type_def(
        name,
        json!({"kind": "declared"}),
        json!({"kind": "object", "fields": fields}),
    )
}

fn error(code: &str, status: u16, implicit: bool) -> Value {
    json!({ "code": code, "rust_name": code, "status": status, "message": format!("{code} happened"), "implicit": implicit })
}

/// The implicit errors every action has, after `declared`.
pub fn errors(declared: &[(&str, u16)]) -> Value {
    let mut out: Vec<Value> = declared.iter().map(|(c, s)| error(c, *s, false)).collect();
    for (code, status) in [
        ("validation_failed", 400),
        ("unauthorized", 401),
        ("forbidden", 403),
        ("not_found", 404),
        ("rate_limited", 429),
        ("not_implemented", 501),
        ("internal", 500),
    ] {
        if !declared.iter().any(|(c, _)| *c == code) {
            out.push(error(code, status, true));
        }
    }
    Value::Array(out)
}

/// An action of module `tasks`; `http` is a list of `(method, path, status,
/// bindings)` and `extra` overrides any key.
pub fn action(
    name: &str,
    input: Option<&str>,
    output: Value,
    http: Vec<Value>,
    extra: Value,
) -> Value {
    let endpoint = if http.is_empty() {
        Value::Null
    } else {
        json!(format!("/api/v1/actions/tasks.{name}"))
    };
    let mut a = json!({
        "name": name, "full_name": format!("tasks.{name}"), "module": "tasks", "rust_name": name,
        "pascal_name": name, "ts_name": name, "summary": null, "description": null, "deprecated": null,
        "input": input, "output": output, "errors": errors(&[]), "guards": [],
        "triggers": { "http": http, "events": [], "crons": [], "queue": null, "webhooks": [], "mcp": null },
        "retry": { "attempts": 1, "backoff": "exponential", "base_ms": 1000, "max_ms": 30000 },
        "emits": [], "action_endpoint": endpoint, "input_json": false
    });
    if let (Some(a), Some(extra)) = (a.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            a.insert(k.clone(), v.clone());
        }
    }
    a
}

/// An HTTP route with `bindings` as `(field, location)` pairs.
pub fn route(method: &str, path: &str, status: u16, bindings: &[(&str, &str)]) -> Value {
    let bindings: Vec<Value> = bindings
        .iter()
        .map(|(f, l)| json!({"field": f, "location": l}))
        .collect();
    json!({ "method": method, "path": path, "status": status, "bindings": bindings })
}

/// The IR of a small task tracker that uses every feature the emitter maps.
pub fn tasks_ir() -> Ir {
    let types = vec![
        type_def(
            "TaskStatus",
            json!({"kind": "declared"}),
            json!({"kind": "enum", "values": [
                {"value": "open", "rust_name": "Open", "description": "Not started", "deprecated": false},
                {"value": "done", "rust_name": "Done", "description": null, "deprecated": true}
            ]}),
        ),
        object(
            "Task",
            vec![
                field("id", prim("uuid"), true),
                field_with(
                    "title",
                    prim("string"),
                    true,
                    json!({"constraints": {"min_len": 1, "max_len": 200, "pattern": "\\S"}, "description": "Short title", "example": "Buy milk"}),
                ),
                field("description", opt(prim("string")), false),
                field("status", named("TaskStatus"), true),
                field_with(
                    "tags",
                    list(prim("string")),
                    true,
                    json!({"constraints": {"max_items": 20, "unique": true}}),
                ),
                field("due_at", opt(prim("date_time")), false),
                field_with("views", prim("int64"), true, json!({"example": 12})),
                field("parent", opt(named("Task")), false),
                field("payment", opt(named("Payment")), false),
            ],
        ),
        object("CardPayment", vec![field("last4", prim("string"), true)]),
        object("BankPayment", vec![field("iban", prim("string"), true)]),
        type_def(
            "Payment",
            json!({"kind": "declared"}),
            json!({"kind": "union", "tag": "kind", "variants": [
                {"tag_value": "card", "rust_name": "Card", "type_name": "CardPayment"},
                {"tag_value": "bank", "rust_name": "Bank", "type_name": "BankPayment"}
            ]}),
        ),
        type_def(
            "CreateTaskInput",
            json!({"kind": "action_input", "action": "create_task"}),
            json!({"kind": "object", "fields": [
                field_with("title", prim("string"), true, json!({"constraints": {"min_len": 1, "max_len": 200}})),
                field("description", opt(prim("string")), false),
                field_with("priority", prim("int"), false, json!({"default": 3, "constraints": {"min": 1, "max": 5}})),
                field("score", prim("i32"), true),
                field("ratio", opt(prim("float")), false),
                field("refund_to", opt(named("BankPayment")), false),
            ]}),
        ),
        type_def(
            "ListTasksInput",
            json!({"kind": "action_input", "action": "list_tasks"}),
            json!({"kind": "object", "fields": [
                field("status", opt(named("TaskStatus")), false),
                field_with("limit", prim("int"), false, json!({"default": 20, "constraints": {"min": 1, "max": 100}})),
                field("labels", opt(json!({"kind": "map", "value": prim("string")})), false),
            ]}),
        ),
        type_def(
            "ListTasksOutput",
            json!({"kind": "action_output", "action": "list_tasks"}),
            json!({"kind": "object", "fields": [
                field("tasks", list(named("Task")), true),
                field("next_cursor", opt(prim("string")), false),
            ]}),
        ),
        type_def(
            "GetTaskInput",
            json!({"kind": "action_input", "action": "get_task"}),
            json!({"kind": "object", "fields": [field("id", prim("uuid"), true)]}),
        ),
        type_def(
            "UpdateTaskInput",
            json!({"kind": "action_input", "action": "update_task"}),
            json!({"kind": "object", "fields": [
                field("id", prim("uuid"), true),
                field("task", named("Task"), true),
            ]}),
        ),
        type_def(
            "DailyDigestOutput",
            json!({"kind": "action_output", "action": "daily_digest"}),
            json!({"kind": "object", "fields": [field("sent", prim("int"), true)]}),
        ),
    ];
    let authenticated = json!([{"kind": {"kind": "authenticated"}, "source": "module"}]);
    let actions = vec![
        action(
            "create_task",
            Some("CreateTaskInput"),
            json!({"kind": "named", "name": "Task"}),
            vec![route(
                "POST",
                "/api/tasks",
                201,
                &[
                    ("title", "body"),
                    ("description", "body"),
                    ("priority", "body"),
                    ("score", "body"),
                    ("ratio", "body"),
                    ("refund_to", "body"),
                ],
            )],
            json!({"summary": "Create a task", "errors": errors(&[("title_taken", 409)]), "guards": authenticated}),
        ),
        action(
            "get_task",
            Some("GetTaskInput"),
            json!({"kind": "named", "name": "Task"}),
            vec![route("GET", "/api/tasks/{id}", 200, &[("id", "path")])],
            json!({}),
        ),
        action(
            "list_tasks",
            Some("ListTasksInput"),
            json!({"kind": "named", "name": "ListTasksOutput"}),
            vec![route(
                "GET",
                "/api/tasks",
                200,
                &[("status", "query"), ("limit", "query"), ("labels", "query")],
            )],
            json!({"deprecated": {"note": "use search"}}),
        ),
        action(
            "update_task",
            Some("UpdateTaskInput"),
            json!({"kind": "expr", "ty": list(named("Task"))}),
            vec![route(
                "PATCH",
                "/api/tasks/{id}",
                200,
                &[("id", "path"), ("task", "body")],
            )],
            json!({}),
        ),
        action(
            "delete_task",
            Some("GetTaskInput"),
            Value::Null,
            vec![route("DELETE", "/api/tasks/{id}", 204, &[("id", "path")])],
            json!({}),
        ),
        action(
            "daily_digest",
            None,
            json!({"kind": "named", "name": "DailyDigestOutput"}),
            vec![],
            json!({"triggers": {"http": [], "events": [], "crons": [{"schedule": "0 8 * * *", "timezone": "UTC"}], "queue": null, "webhooks": [], "mcp": null}}),
        ),
        action(
            "stripe_event",
            None,
            Value::Null,
            vec![],
            json!({"triggers": {"http": [], "events": [], "crons": [], "queue": null, "mcp": null, "webhooks": [
                {"path": "/api/webhooks/stripe", "secret_env": "STRIPE_SECRET", "signature_header": "Stripe-Signature", "scheme": "stripe"}
            ]}}),
        ),
    ];
    let mut type_map = serde_json::Map::new();
    for t in types {
        type_map.insert(t["name"].as_str().unwrap_or_default().to_string(), t);
    }
    let mut action_map = serde_json::Map::new();
    for a in actions {
        action_map.insert(a["name"].as_str().unwrap_or_default().to_string(), a);
    }
    let type_names: Vec<Value> = type_map.keys().map(|k| json!(k)).collect();
    let ir = json!({
        "format_version": 1,
        "project": {
            "name": "acme", "snake_name": "acme", "kebab_name": "acme", "version": "1.4.0", "title": "Acme API",
            "description": "Acme's task tracker", "database": "sqlite", "base_path": "/api", "sdk_package": "@acme/sdk"
        },
        "modules": { "tasks": {
            "name": "tasks", "rust_name": "tasks", "pascal_name": "Tasks", "ts_name": "tasks",
            "description": "Task tracking", "prefix": "/tasks", "guards": [], "actions": action_map,
            "types": type_names, "events": []
        }},
        "types": type_map,
        "events": {}
    });
    serde_json::from_value(ir).expect("the hand-built IR matches the IR's JSON shape")
}
