//! Tests of the OpenAPI emitter: the important mappings asserted one by one on a small contract set (so a regression fails with a clear message), plus a snapshot of the whole document.

mod emit_openapi_ir;

use bunbase::emit::openapi;
use serde_json::{Value, json};

fn doc() -> Value {
    serde_json::from_str(&openapi::to_json(&emit_openapi_ir::tasks_ir()))
        .expect("the document is JSON")
}

/// Follows a `#/...` pointer inside the document.
fn resolve<'d>(doc: &'d Value, v: &'d Value) -> &'d Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => resolve(
            doc,
            doc.pointer(r.trim_start_matches('#'))
                .unwrap_or(&Value::Null),
        ),
        None => v,
    }
}

fn schema<'d>(doc: &'d Value, name: &str) -> &'d Value {
    let s = &doc["components"]["schemas"][name];
    assert!(s.is_object(), "component schema {name} is missing");
    s
}

fn op<'d>(doc: &'d Value, path: &str, method: &str) -> &'d Value {
    let o = &doc["paths"][path][method];
    assert!(o.is_object(), "operation {method} {path} is missing");
    o
}

fn required(s: &Value) -> Vec<&str> {
    s["required"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

#[test]
fn document_header_comes_from_the_project() {
    let d = doc();
    assert_eq!(d["openapi"], "3.0.3");
    assert_eq!(
        d["info"],
        json!({"title": "Acme API", "description": "Acme's task tracker", "version": "1.4.0"})
    );
    assert_eq!(
        d["servers"][0]["url"], "/",
        "paths carry the base path, so the server is the root"
    );
    assert_eq!(
        d["tags"],
        json!([{"name": "tasks", "description": "Task tracking"}])
    );
}

#[test]
fn paths_include_the_base_path_exactly_once() {
    let d = doc();
    let paths: Vec<&String> = d["paths"].as_object().expect("paths").keys().collect();
    assert!(!paths.is_empty());
    for p in &paths {
        assert!(
            p.starts_with("/api/") && !p.starts_with("/api/api"),
            "path {p} must start with the base path once"
        );
    }
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted, "paths are sorted");
}

#[test]
fn routes_bind_path_and_query_parameters() {
    let d = doc();
    let get = op(&d, "/api/tasks/{id}", "get");
    assert_eq!(get["operationId"], "tasks.get_task");
    assert_eq!(get["x-bunbase-action"], "tasks.get_task");
    assert_eq!(get["tags"], json!(["tasks"]));
    assert_eq!(
        get["parameters"],
        json!([{"in": "path", "name": "id", "required": true, "schema": {"type": "string", "format": "uuid"}}])
    );
    assert!(get.get("requestBody").is_none(), "GET has no body");

    let list = op(&d, "/api/tasks", "get");
    let params = list["parameters"].as_array().expect("parameters");
    assert_eq!(params[0]["name"], "status");
    assert_eq!(params[0]["in"], "query");
    assert!(
        params[0].get("required").is_none(),
        "an optional query parameter is not required"
    );
    assert_eq!(
        params[0]["schema"],
        json!({"$ref": "#/components/schemas/TaskStatus"}),
        "a parameter is never null"
    );
    assert_eq!(params[1]["schema"]["default"], 20);
    assert_eq!(
        (
            params[1]["schema"]["minimum"].as_i64(),
            params[1]["schema"]["maximum"].as_i64()
        ),
        (Some(1), Some(100))
    );
    assert_eq!(list["deprecated"], true);
    assert!(
        list["description"]
            .as_str()
            .is_some_and(|s| s.contains("use search")),
        "the deprecation note is shown"
    );
}

#[test]
fn body_fields_travel_as_a_json_body() {
    let d = doc();
    let create = op(&d, "/api/tasks", "post");
    assert_eq!(create["requestBody"]["required"], true);
    assert_eq!(
        create["requestBody"]["content"]["application/json"]["schema"],
        json!({"$ref": "#/components/schemas/CreateTaskInput"}),
        "all fields in the body: the input type itself"
    );
    assert_eq!(
        create["responses"]["201"]["content"]["application/json"]["schema"],
        json!({"$ref": "#/components/schemas/Task"})
    );

    let patch = op(&d, "/api/tasks/{id}", "patch");
    let body = &patch["requestBody"]["content"]["application/json"]["schema"];
    assert_eq!(
        body["properties"]
            .as_object()
            .map(|p| p.keys().collect::<Vec<_>>()),
        Some(vec![&"task".to_string()]),
        "path fields are not in the body"
    );
    assert_eq!(body["additionalProperties"], false);
    assert_eq!(
        body["properties"]["task"],
        json!({"$ref": "#/components/schemas/Task-Input"}),
        "a request refers to the request shape"
    );
    let out = &patch["responses"]["200"]["content"]["application/json"]["schema"];
    assert_eq!(
        out,
        &json!({"type": "array", "items": {"$ref": "#/components/schemas/Task"}}),
        "an output expression is inlined"
    );
}

#[test]
fn no_output_answers_204_without_content() {
    let d = doc();
    let del = op(&d, "/api/tasks/{id}", "delete");
    assert!(del["responses"]["204"].is_object());
    assert!(del["responses"]["204"].get("content").is_none());
    assert!(del["responses"].get("200").is_none());
}

#[test]
fn every_api_action_has_an_action_endpoint() {
    let d = doc();
    for action in [
        "create_task",
        "get_task",
        "list_tasks",
        "update_task",
        "delete_task",
    ] {
        let o = op(&d, &format!("/api/v1/actions/tasks.{action}"), "post");
        assert_eq!(o["operationId"], format!("tasks.{action}.invoke"));
        assert_eq!(o["x-bunbase-action"], format!("tasks.{action}"));
        let body = &o["requestBody"]["content"]["application/json"]["schema"];
        // An optional body is `anyOf: [input, null]`: look through it.
        let input = resolve(&d, body.get("anyOf").map_or(body, |any| &any[0]));
        assert_eq!(
            input["type"], "object",
            "{action}: the whole input is the body"
        );
    }
    assert!(
        d["paths"]
            .get("/api/v1/actions/tasks.daily_digest")
            .is_none(),
        "a cron-only action is not reachable"
    );
    assert!(
        d["components"]["schemas"]
            .get("DailyDigestOutput")
            .is_none(),
        "nor are its types components: the document describes what HTTP carries"
    );
    let create = op(&d, "/api/v1/actions/tasks.create_task", "post");
    assert!(
        create["responses"]["201"].is_object(),
        "the action endpoint answers with the route's status"
    );
    assert_eq!(create["requestBody"]["required"], true);
    let list = op(&d, "/api/v1/actions/tasks.list_tasks", "post");
    assert_eq!(
        list["requestBody"]["content"]["application/json"]["schema"]["anyOf"][1]["enum"],
        json!([null]),
        "the server reads a null body as an empty one"
    );
    assert!(
        list["requestBody"].get("required").is_none(),
        "no required field: the body may be left out"
    );
    let get = op(&d, "/api/v1/actions/tasks.get_task", "post");
    assert_eq!(
        get["requestBody"]["content"]["application/json"]["schema"],
        json!({"$ref": "#/components/schemas/GetTaskInput"})
    );
}

#[test]
fn webhooks_take_the_raw_body_and_a_signature_header() {
    let d = doc();
    let hook = op(&d, "/api/webhooks/stripe", "post");
    assert_eq!(hook["operationId"], "tasks.stripe_event.webhook");
    assert_eq!(hook["parameters"][0]["in"], "header");
    assert_eq!(hook["parameters"][0]["name"], "Stripe-Signature");
    assert_eq!(hook["parameters"][0]["required"], true);
    assert!(
        hook["parameters"][0]["description"]
            .as_str()
            .is_some_and(|s| s.contains("STRIPE_SECRET") && s.contains("300 seconds"))
    );
    assert_eq!(hook["security"], json!([]), "signed, not signed in");
    let refused = resolve(&d, &hook["responses"]["401"]);
    assert!(
        refused["description"]
            .as_str()
            .is_some_and(|s| s.contains("signature_mismatch"))
    );
    assert_eq!(hook["x-bunbase-webhook"]["scheme"], "stripe");
    assert_eq!(hook["x-bunbase-webhook"]["mode"], "sync");
}

#[test]
fn optional_fields_differ_between_requests_and_responses() {
    let d = doc();
    let task = schema(&d, "Task");
    assert!(
        required(task).contains(&"description"),
        "responses always carry optional fields (as null)"
    );
    assert_eq!(task["properties"]["description"]["nullable"], true);
    assert!(
        task.get("additionalProperties").is_none(),
        "responses may grow fields"
    );

    let input = schema(&d, "Task-Input");
    assert!(
        !required(input).contains(&"description"),
        "requests may leave optional fields out"
    );
    assert!(required(input).contains(&"title"));
    assert_eq!(
        input["properties"]["description"]["nullable"], true,
        "requests may send null"
    );
    assert_eq!(
        input["additionalProperties"], false,
        "unknown input fields are rejected"
    );

    let create = schema(&d, "CreateTaskInput");
    assert!(
        !required(create).contains(&"priority"),
        "a defaulted field may be left out of a request"
    );
    assert_eq!(create["properties"]["priority"]["default"], 3);
    assert_eq!(
        create["properties"]["priority"]["nullable"], true,
        "null in a request means absent, so a defaulted field accepts it"
    );
    assert!(
        schema(&d, "Task")["properties"]["views"]
            .get("nullable")
            .is_none(),
        "a response field is nullable only when optional"
    );
    assert!(
        d["components"]["schemas"]
            .get("CreateTaskInput-Input")
            .is_none(),
        "a request-only type is not split"
    );
    assert!(
        schema(&d, "ListTasksOutput")["required"]
            .as_array()
            .is_some_and(|r| r.contains(&json!("next_cursor")))
    );
}

#[test]
fn scalars_map_to_formats_and_ranges() {
    let d = doc();
    let create = &schema(&d, "CreateTaskInput")["properties"];
    assert_eq!(create["priority"]["format"], "int64");
    assert_eq!(
        (
            create["priority"]["minimum"].as_i64(),
            create["priority"]["maximum"].as_i64()
        ),
        (Some(1), Some(5)),
        "contract bounds are tighter than ±(2^53−1)"
    );
    assert_eq!(
        create["score"],
        json!({"type": "integer", "format": "int32", "minimum": i32::MIN, "maximum": i32::MAX})
    );
    assert_eq!(
        create["ratio"],
        json!({"nullable": true, "type": "number", "format": "double"})
    );
    let total = &schema(&d, "ListTasksOutput")["properties"]["total"];
    assert_eq!(
        (total["minimum"].as_i64(), total["maximum"].as_i64()),
        (Some(-9_007_199_254_740_991), Some(9_007_199_254_740_991))
    );

    let task = &schema(&d, "Task")["properties"];
    assert_eq!(task["id"]["format"], "uuid");
    assert_eq!(task["due_at"]["format"], "date-time");
    assert_eq!(task["title"]["minLength"], 1);
    assert_eq!(task["title"]["maxLength"], 200);
    assert_eq!(task["title"]["pattern"], "\\S");
    assert_eq!(task["title"]["description"], "Short title");
    assert_eq!(task["title"]["example"], "Buy milk");
    assert_eq!(task["tags"]["maxItems"], 20);
    assert_eq!(task["tags"]["uniqueItems"], true);
    assert_eq!(task["views"]["type"], "string", "int64 travels as a string");
    assert_eq!(
        task["views"]["example"], "12",
        "int64 examples are written as strings"
    );
    assert_eq!(
        task["views"]["pattern"].as_str(),
        Some(openapi_int64_pattern().as_str())
    );
}

fn openapi_int64_pattern() -> String {
    doc()["components"]["schemas"]["Task"]["properties"]["views"]["pattern"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn int64_pattern_admits_exactly_the_i64_range() {
    let re = regex::Regex::new(&openapi_int64_pattern()).expect("the pattern is a valid regex");
    for ok in [
        "0",
        "1",
        "-1",
        "42",
        &i64::MAX.to_string(),
        &i64::MIN.to_string(),
        "999999999999999999",
        "-9223372036854775799",
    ] {
        assert!(re.is_match(ok), "{ok} is an i64");
    }
    for bad in [
        "",
        "9223372036854775808",
        "-9223372036854775809",
        "10000000000000000000",
        "007",
        "-0",
        "+1",
        "1.5",
        "1e3",
        " 1",
    ] {
        assert!(!re.is_match(bad), "{bad:?} is not a canonical i64");
    }
}

#[test]
fn enums_carry_value_docs() {
    let d = doc();
    let status = schema(&d, "TaskStatus");
    assert_eq!(status["enum"], json!(["open", "done"]));
    assert_eq!(status["x-enum-descriptions"], json!(["Not started", ""]));
    assert_eq!(status["x-enum-deprecated"], json!(["done"]));
    assert!(
        d["components"]["schemas"].get("TaskStatus-Input").is_none(),
        "enums look the same both ways"
    );
}

#[test]
fn unions_are_one_of_with_a_discriminator() {
    let d = doc();
    let payment = schema(&d, "Payment");
    assert_eq!(payment["discriminator"]["propertyName"], "kind");
    let mapping = payment["discriminator"]["mapping"]
        .as_object()
        .expect("mapping");
    assert_eq!(mapping.keys().collect::<Vec<_>>(), vec!["card", "bank"]);
    let one_of: Vec<&Value> = payment["oneOf"].as_array().expect("oneOf").iter().collect();
    for (tag, target) in mapping {
        assert!(
            one_of.contains(&&json!({"$ref": target})),
            "mapping target {target} is a oneOf member"
        );
        let target_ref = json!({"$ref": target});
        let variant = resolve(&d, &target_ref);
        assert_eq!(
            variant["properties"]["kind"],
            json!({"type": "string", "enum": [tag]}),
            "variant {tag} carries its tag"
        );
        assert!(required(variant).contains(&"kind"));
    }
    assert_eq!(
        mapping["card"], "#/components/schemas/CardPayment",
        "a type used only as this variant carries the tag itself"
    );
    assert_eq!(
        mapping["bank"], "#/components/schemas/Payment.bank",
        "a type also used elsewhere gets a wrapper"
    );
    assert!(
        schema(&d, "BankPayment")["properties"]
            .get("kind")
            .is_none(),
        "the standalone type has no tag"
    );
    let input = schema(&d, "Payment-Input");
    assert_eq!(
        input["discriminator"]["mapping"]["bank"],
        "#/components/schemas/Payment.bank-Input"
    );
    assert_eq!(
        schema(&d, "Payment.bank-Input")["additionalProperties"],
        false
    );
}

#[test]
fn recursion_goes_through_refs() {
    let d = doc();
    assert_eq!(
        schema(&d, "Task")["properties"]["parent"],
        json!({"anyOf": [
            {"$ref": "#/components/schemas/Task"},
            {"type": "string", "nullable": true, "enum": [null]}
        ]})
    );
    assert_eq!(
        schema(&d, "Task-Input")["properties"]["parent"]["anyOf"][0]["$ref"],
        "#/components/schemas/Task-Input"
    );
}

#[test]
fn errors_are_grouped_by_status_with_narrowed_codes() {
    let d = doc();
    let create = op(&d, "/api/tasks", "post");
    let conflict = &create["responses"]["409"];
    assert!(
        conflict["description"]
            .as_str()
            .is_some_and(|s| s.contains("title_taken"))
    );
    let narrowing = &conflict["content"]["application/json"]["schema"]["allOf"];
    assert_eq!(narrowing[0]["$ref"], "#/components/schemas/ErrorEnvelope");
    assert_eq!(
        narrowing[1]["properties"]["error"]["properties"]["code"]["enum"],
        json!(["title_taken"])
    );
    // The exact error set: input (400), `authenticated` (401), the declared
    // 409, and always 500 and 501; no guard refuses (403) or rate-limits
    // (429), and nothing declares 404.
    let mut statuses: Vec<&str> = create["responses"]
        .as_object()
        .expect("responses")
        .keys()
        .map(String::as_str)
        .collect();
    statuses.sort();
    assert_eq!(
        statuses,
        ["201", "400", "401", "409", "500", "501", "default"],
        "the responses are exactly the action's error set"
    );
    let default = resolve(&d, &create["responses"]["default"]);
    for code in [
        "malformed_json",
        "not_found",
        "payload_too_large",
        "unsupported_media_type",
    ] {
        assert!(
            default["description"]
                .as_str()
                .is_some_and(|s| s.contains(code)),
            "the default response lists the transport error {code}"
        );
    }
    let bad = resolve(&d, &create["responses"]["400"]);
    let codes = &bad["content"]["application/json"]["schema"]["allOf"][1]["properties"]["error"]["properties"]
        ["code"]["enum"];
    assert_eq!(
        codes,
        &json!(["validation_failed", "malformed_json"]),
        "a body can be malformed"
    );

    let get = op(&d, "/api/tasks/{id}", "get");
    let bad = resolve(&d, &get["responses"]["400"]);
    let error = &bad["content"]["application/json"]["schema"]["allOf"][1]["properties"]["error"]["properties"];
    assert_eq!(error["code"]["enum"], json!(["validation_failed"]));
    assert_eq!(
        error["details"]["$ref"],
        "#/components/schemas/ValidationFailedDetails"
    );
    let violation = schema(&d, "Violation");
    assert_eq!(required(violation), vec!["path", "code", "message"]);
    let envelope = schema(&d, "ErrorEnvelope");
    assert_eq!(
        required(&envelope["properties"]["error"]),
        vec!["code", "message", "trace_id", "details"]
    );
}

#[test]
fn guards_needing_a_principal_require_the_session_cookie() {
    let d = doc();
    assert_eq!(
        d["components"]["securitySchemes"]["session"],
        json!({
            "type": "apiKey", "in": "cookie", "name": "bunbase_session",
            "description": d["components"]["securitySchemes"]["session"]["description"]
        })
    );
    assert_eq!(
        op(&d, "/api/tasks", "post")["security"],
        json!([{"session": []}])
    );
    assert_eq!(
        op(&d, "/api/v1/actions/tasks.create_task", "post")["security"],
        json!([{"session": []}])
    );
    assert_eq!(
        op(&d, "/api/tasks/{id}", "get")["security"],
        json!([]),
        "an unguarded action needs no session, and says so"
    );
}

#[test]
fn output_is_deterministic() {
    let ir = emit_openapi_ir::tasks_ir();
    assert_eq!(openapi::to_json(&ir), openapi::to_json(&ir.clone()));
    assert!(openapi::to_json(&ir).ends_with("}\n"));
}

#[test]
fn snapshot_of_the_fixture() {
    insta::assert_snapshot!(
        "fixture_tasks",
        openapi::to_json(&emit_openapi_ir::tasks_ir())
    );
}
