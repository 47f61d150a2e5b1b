//! Rule tests for `bunbase breaking` over hand-built IRs: for every rule a case with its exact findings and a near-miss twin that must not fire it.

#[path = "fixtures/breaking/builder.rs"]
mod builder;

use std::collections::BTreeSet;

use bunbase::breaking::{Rule, compare};
use bunbase::ir::*;
use builder::*;

type Mutation = Box<dyn Fn(&mut Ir)>;

struct Case {
    /// The rule under test.
    rule: &'static str,
    /// A near miss: `rule` must not fire.
    near: bool,
    before: Mutation,
    after: Mutation,
    expect: Vec<&'static str>,
}

fn fires(rule: &'static str, after: impl Fn(&mut Ir) + 'static, expect: &[&'static str]) -> Case {
    Case { rule, near: false, before: Box::new(|_| {}), after: Box::new(after), expect: expect.to_vec() }
}

fn near(rule: &'static str, after: impl Fn(&mut Ir) + 'static, expect: &[&'static str]) -> Case {
    Case { rule, near: true, before: Box::new(|_| {}), after: Box::new(after), expect: expect.to_vec() }
}

impl Case {
    /// Applies `before` to the old side too (the new side gets both).
    fn from(mut self, before: impl Fn(&mut Ir) + Clone + 'static) -> Case {
        let after = std::mem::replace(&mut self.after, Box::new(|_| {}));
        let b2 = before.clone();
        self.before = Box::new(before);
        self.after = Box::new(move |ir| {
            b2(ir);
            after(ir)
        });
        self
    }

    fn irs(&self) -> (Ir, Ir) {
        (changed(|ir| (self.before)(ir)), changed(|ir| (self.after)(ir)))
    }
}

fn render(old: &Ir, new: &Ir) -> Vec<String> {
    compare(old, new).iter().map(|f| format!("{} {} {}", f.severity.as_str(), f.rule.id(), f.subject)).collect()
}

fn rebase(ir: &mut Ir, from: &str, to: &str) {
    for m in ir.modules.values_mut() {
        for a in m.actions.values_mut() {
            for r in &mut a.triggers.http {
                r.path = r.path.replacen(from, to, 1);
            }
            for w in &mut a.triggers.webhooks {
                w.path = w.path.replacen(from, to, 1);
            }
        }
    }
}

fn tasks(ir: &mut Ir) -> &mut Module {
    ir.modules.get_mut("tasks").expect("tasks module")
}

fn empty_module(name: &str) -> Module {
    Module {
        name: name.into(),
        rust_name: name.into(),
        pascal_name: name.into(),
        ts_name: name.into(),
        description: None,
        prefix: format!("/{name}"),
        guards: Vec::new(),
        actions: Default::default(),
        types: Vec::new(),
        events: Vec::new(),
        span: span("billing.yaml", 1),
    }
}

fn declare(ir: &mut Ir, name: &str, fields: Vec<Field>) {
    ir.types.insert(name.into(), object(name, TypeOrigin::Declared, fields));
}

fn rate_limit(limit: u32) -> Guard {
    guard(GuardKind::RateLimit { limit, window_ms: 60_000, key: RateLimitKey::Ip }, GuardSource::Action)
}

fn cases() -> Vec<Case> {
    use BindingLocation::*;
    vec![
        // Project and modules.
        fires("base_path_changed", |ir| {
            ir.project.base_path = "/v2".into();
            rebase(ir, "/api", "/v2");
        }, &["breaking base_path_changed project/base_path"]),
        near("base_path_changed", |ir| ir.project.title = "Acme".into(), &["info doc_changed project"]),
        fires("project_renamed", |ir| ir.project.name = "acme2".into(), &["warning project_renamed project/name"]),
        near("project_renamed", |ir| ir.project.version = "9.0.0".into(), &[]),
        fires("sdk_package_changed", |ir| ir.project.sdk_package = "@acme/client".into(), &["warning sdk_package_changed project/sdk_package"]),
        near("sdk_package_changed", |ir| ir.project.database = Database::Postgres, &[]),
        fires("module_removed", |ir| {
            ir.modules.clear();
        }, &["breaking module_removed module/tasks"]),
        near("module_removed", |ir| tasks(ir).description = Some("Tasks".into()), &["info doc_changed module/tasks"]),
        fires("module_added", |ir| {
            ir.modules.insert("billing".into(), empty_module("billing"));
        }, &["info module_added module/billing"]),
        near("module_added", |ir| tasks(ir).types.push("Task".into()), &[]),
        fires("module_prefix_changed", |ir| {
            tasks(ir).prefix = "/todo".into();
            rebase(ir, "/api/tasks", "/api/todo");
        }, &["breaking module_prefix_changed module/tasks/prefix"]),
        near("module_prefix_changed", |ir| {
            ir.modules.get_mut("billing").expect("billing").prefix = "/bills".into();
        }, &[])
        .from(|ir| {
            ir.modules.insert("billing".into(), empty_module("billing"));
        }),
        // Actions.
        fires("action_removed", |ir| {
            tasks(ir).actions.remove("get_task");
            ir.types.remove("GetTaskInput");
        }, &["breaking action_removed action/tasks.get_task"]),
        near("action_removed", |ir| {
            tasks(ir).actions.remove("get_task");
        }, &["warning action_removed_after_deprecation action/tasks.get_task"])
        .from(|ir| act(ir, "get_task").deprecated = Some(Deprecation { note: None })),
        fires("action_removed_after_deprecation", |ir| {
            tasks(ir).actions.remove("get_task");
        }, &["warning action_removed_after_deprecation action/tasks.get_task"])
        .from(|ir| act(ir, "get_task").deprecated = Some(Deprecation { note: Some("use list_tasks".into()) })),
        near("action_removed_after_deprecation", |ir| {
            tasks(ir).actions.remove("get_task");
        }, &["breaking action_removed action/tasks.get_task"]),
        fires("action_added", |ir| {
            let mut a = act(ir, "get_task").clone();
            a.name = "archive".into();
            a.full_name = "tasks.archive".into();
            tasks(ir).actions.insert("archive".into(), a);
        }, &["info action_added action/tasks.archive"]),
        near("action_added", |ir| act(ir, "get_task").ts_name = "fetchTask".into(), &[]),
        fires("action_deprecated", |ir| act(ir, "get_task").deprecated = Some(Deprecation { note: None }),
            &["info action_deprecated action/tasks.get_task"]),
        near("action_deprecated", |ir| act(ir, "get_task").deprecated = Some(Deprecation { note: Some("soon".into()) }), &[])
            .from(|ir| act(ir, "get_task").deprecated = Some(Deprecation { note: None })),
        fires("action_deprecation_removed", |ir| act(ir, "get_task").deprecated = None,
            &["info action_deprecation_removed action/tasks.get_task"])
            .from(|ir| act(ir, "get_task").deprecated = Some(Deprecation { note: None })),
        near("action_deprecation_removed", |ir| act(ir, "get_task").summary = Some("Get".into()),
            &["info doc_changed action/tasks.get_task"]),
        fires("action_input_type_replaced", |ir| {
            declare(ir, "TaskRef", vec![field("id", TypeRef::Uuid)]);
            act(ir, "get_task").input = Some("TaskRef".into());
        }, &["warning action_input_type_replaced action/tasks.get_task/input", "info type_added type/TaskRef"]),
        near("action_input_type_replaced", |ir| {
            declare(ir, "TaskRef", vec![field("id", TypeRef::Uuid)]);
        }, &["info type_added type/TaskRef"]),
        fires("action_output_type_replaced", |ir| {
            let mut view = ir.types["Task"].clone();
            view.name = "TaskView".into();
            ir.types.insert("TaskView".into(), view);
            act(ir, "get_task").output = Some(OutputType::Named { name: "TaskView".into() });
        }, &["warning action_output_type_replaced action/tasks.get_task/output", "info type_added type/TaskView"]),
        near("action_output_type_replaced", |ir| {
            act(ir, "get_task").output = Some(OutputType::Expr { ty: named("Task") });
        }, &[]),
        fires("action_output_removed", |ir| act(ir, "get_task").output = None,
            &["breaking action_output_removed action/tasks.get_task/output"]),
        near("action_output_removed", |ir| act(ir, "send_reminder").output = None, &[]),
        fires("action_output_added", |ir| act(ir, "send_reminder").output = Some(OutputType::Expr { ty: TypeRef::Int }),
            &["info action_output_added action/tasks.send_reminder/output"]),
        near("action_output_added", |ir| act(ir, "get_task").output = Some(OutputType::Named { name: "Task".into() }), &[]),
        fires("action_error_added", |ir| {
            let mut e = act(ir, "create_task").errors[0].clone();
            e.code = "quota_exceeded".into();
            e.status = 402;
            act(ir, "create_task").errors.insert(1, e);
        }, &["warning action_error_added action/tasks.create_task/errors/quota_exceeded"]),
        near("action_error_added", |ir| {
            // Declaring an implicit error changes nothing for clients.
            let e = act(ir, "get_task").errors.iter_mut().find(|e| e.code == "not_found").expect("implicit");
            e.implicit = false;
        }, &[]),
        fires("action_error_removed", |ir| act(ir, "create_task").errors.retain(|e| e.code != "title_taken"),
            &["warning action_error_removed action/tasks.create_task/errors/title_taken"]),
        near("action_error_removed", |ir| act(ir, "create_task").errors[0].message = "Title in use".into(),
            &["info doc_changed action/tasks.create_task/errors/title_taken"]),
        fires("action_error_status_changed", |ir| act(ir, "create_task").errors[0].status = 422,
            &["breaking action_error_status_changed action/tasks.create_task/errors/title_taken"]),
        near("action_error_status_changed", |ir| act(ir, "create_task").errors[0].rust_name = "Taken".into(), &[]),
        fires("action_retry_changed", |ir| act(ir, "create_task").retry.attempts = 3,
            &["info action_retry_changed action/tasks.create_task/retry"]),
        near("action_retry_changed", |ir| act(ir, "create_task").rust_name = "create".into(), &[]),
        fires("action_emit_added", |ir| act(ir, "get_task").emits.push("task.created".into()),
            &["info action_emit_added action/tasks.get_task/emits/task.created"]),
        near("action_emit_added", |ir| ir.events.get_mut("task.created").expect("event").publishers.push("x".into()), &[]),
        fires("action_emit_removed", |ir| act(ir, "create_task").emits.clear(),
            &["warning action_emit_removed action/tasks.create_task/emits/task.created"]),
        near("action_emit_removed", |ir| act(ir, "create_task").emits = vec!["task.created".into()], &[]),
        // HTTP.
        fires("http_route_removed", |ir| act(ir, "get_task").triggers.http.clear(),
            &["breaking http_route_removed action/tasks.get_task/http/GET /api/tasks/{id}"]),
        near("http_route_removed", |ir| act(ir, "get_task").triggers.http[0].path = "/api/tasks/{task}".into(), &[]),
        fires("http_route_changed", |ir| act(ir, "get_task").triggers.http[0].method = "POST".into(),
            &["breaking http_route_changed action/tasks.get_task/http/GET /api/tasks/{id}"]),
        near("http_route_changed", |ir| {
            ir.project.base_path = "".into();
            rebase(ir, "/api", "");
        }, &["breaking base_path_changed project/base_path"]),
        fires("http_route_added", |ir| {
            let r = route("GET", "/api/tasks/by-id/{id}", 200, &[("id", Path)]);
            act(ir, "get_task").triggers.http.push(r);
        }, &["info http_route_added action/tasks.get_task/http/GET /api/tasks/by-id/{id}"]),
        near("http_route_added", |ir| act(ir, "get_task").action_endpoint = Some("/api/v1/actions/tasks.get_task".into()), &[]),
        fires("http_status_changed", |ir| act(ir, "create_task").triggers.http[0].status = 201,
            &["breaking http_status_changed action/tasks.create_task/http/POST /api/tasks/status"]),
        near("http_status_changed", |ir| act(ir, "create_task").triggers.http[0].span = span("tasks.yaml", 99), &[]),
        fires("http_param_location_changed", |ir| act(ir, "create_task").triggers.http[0].bindings[1].location = Query,
            &["breaking http_param_location_changed action/tasks.create_task/http/POST /api/tasks/description"]),
        near("http_param_location_changed", |ir| act(ir, "create_task").triggers.http[0].bindings.reverse(), &[]),
        // Triggers.
        fires("webhook_removed", |ir| act(ir, "stripe_event").triggers.webhooks.clear(),
            &["breaking webhook_removed action/tasks.stripe_event/webhook /webhooks/stripe"]),
        near("webhook_removed", |ir| {
            ir.project.base_path = "/v2".into();
            rebase(ir, "/api", "/v2");
        }, &["breaking base_path_changed project/base_path"]),
        fires("webhook_changed", |ir| act(ir, "stripe_event").triggers.webhooks[0].scheme = WebhookScheme::HmacSha256,
            &["breaking webhook_changed action/tasks.stripe_event/webhook /webhooks/stripe"]),
        near("webhook_changed", |ir| act(ir, "stripe_event").triggers.webhooks[0].secret_env = "STRIPE_KEY".into(),
            &["warning webhook_secret_env_changed action/tasks.stripe_event/webhook /webhooks/stripe/secret_env"]),
        fires("webhook_secret_env_changed", |ir| act(ir, "stripe_event").triggers.webhooks[0].secret_env = "STRIPE_KEY".into(),
            &["warning webhook_secret_env_changed action/tasks.stripe_event/webhook /webhooks/stripe/secret_env"]),
        near("webhook_secret_env_changed", |ir| act(ir, "stripe_event").triggers.webhooks[0].signature_header = "X-Sig".into(),
            &["breaking webhook_changed action/tasks.stripe_event/webhook /webhooks/stripe"]),
        fires("mcp_tool_removed", |ir| act(ir, "create_task").triggers.mcp = None,
            &["breaking mcp_tool_removed action/tasks.create_task/mcp"]),
        near("mcp_tool_removed", |ir| act(ir, "create_task").triggers.mcp.as_mut().expect("mcp").description = "New".into(),
            &["info doc_changed action/tasks.create_task/mcp"]),
        fires("mcp_tool_renamed", |ir| act(ir, "create_task").triggers.mcp.as_mut().expect("mcp").tool = "new_task".into(),
            &["breaking mcp_tool_renamed action/tasks.create_task/mcp"]),
        near("mcp_tool_renamed", |ir| act(ir, "create_task").triggers.mcp.as_mut().expect("mcp").span = span("x.yaml", 1), &[]),
        fires("event_subscription_removed", |ir| act(ir, "index_task").triggers.events.clear(),
            &["warning event_subscription_removed action/tasks.index_task/event/task.created"]),
        near("event_subscription_removed", |ir| ir.events.get_mut("task.created").expect("event").subscribers.clear(), &[]),
        fires("cron_removed", |ir| act(ir, "daily_digest").triggers.crons.clear(),
            &["warning cron_removed action/tasks.daily_digest/cron 0 8 * * * UTC"]),
        near("cron_removed", |ir| act(ir, "daily_digest").triggers.crons[0].schedule = "0 9 * * *".into(),
            &["info cron_changed action/tasks.daily_digest/cron 0 8 * * * UTC"]),
        fires("cron_changed", |ir| act(ir, "daily_digest").triggers.crons[0].timezone = "Europe/Berlin".into(),
            &["info cron_changed action/tasks.daily_digest/cron 0 8 * * * UTC"]),
        near("cron_changed", |ir| {
            let mut c = act(ir, "daily_digest").triggers.crons[0].clone();
            c.schedule = "0 20 * * *".into();
            act(ir, "daily_digest").triggers.crons.push(c);
        }, &["info trigger_added action/tasks.daily_digest/cron 0 20 * * * UTC"]),
        fires("job_removed", |ir| act(ir, "send_reminder").triggers.queue = None,
            &["breaking job_removed action/tasks.send_reminder/queue"]),
        near("job_removed", |ir| act(ir, "send_reminder").triggers.queue.as_mut().expect("queue").max_attempts = 3,
            &["info job_settings_changed action/tasks.send_reminder/queue"]),
        fires("job_settings_changed", |ir| act(ir, "send_reminder").triggers.queue.as_mut().expect("queue").priority = 1,
            &["info job_settings_changed action/tasks.send_reminder/queue"]),
        near("job_settings_changed", |ir| act(ir, "send_reminder").triggers.queue.as_mut().expect("queue").span = span("x.yaml", 2), &[]),
        fires("trigger_added", |ir| {
            act(ir, "get_task").triggers.queue = Some(QueueTrigger { priority: 0, max_attempts: 5, span: span("tasks.yaml", 70) });
        }, &["info trigger_added action/tasks.get_task/queue"]),
        near("trigger_added", |ir| act(ir, "get_task").triggers.http[0].bindings.clear(), &[]),
        // Guards.
        fires("guard_auth_added", |ir| act(ir, "stripe_event").guards.push(guard(GuardKind::Authenticated, GuardSource::Action)),
            &["breaking guard_auth_added action/tasks.stripe_event/guards/authenticated"]),
        near("guard_auth_added", |ir| act(ir, "get_task").guards.push(guard(GuardKind::Authenticated, GuardSource::Action)), &[]),
        fires("guard_added", |ir| {
            act(ir, "get_task").guards.push(guard(GuardKind::HasRole { role: "admin".into() }, GuardSource::Action));
        }, &["warning guard_added action/tasks.get_task/guards/has_role(admin)"]),
        near("guard_added", |ir| {
            act(ir, "stripe_event").guards.push(guard(GuardKind::HasRole { role: "admin".into() }, GuardSource::Action));
        }, &["breaking guard_auth_added action/tasks.stripe_event/guards/has_role(admin)"]),
        fires("rate_limit_tightened", |ir| act(ir, "get_task").guards.push(rate_limit(10)),
            &["warning rate_limit_tightened action/tasks.get_task/guards/rate_limit(ip)"]),
        near("rate_limit_tightened", |ir| act(ir, "get_task").guards[1] = rate_limit(20),
            &["info guard_removed action/tasks.get_task/guards/rate_limit(ip)"])
            .from(|ir| act(ir, "get_task").guards.push(rate_limit(10))),
        fires("guard_removed", |ir| {
            tasks(ir).guards.clear();
            for a in tasks(ir).actions.values_mut() {
                a.guards.retain(|g| g.source != GuardSource::Module);
            }
        }, &["info guard_removed module/tasks/guards/authenticated"]),
        near("guard_removed", |ir| {
            // Moving a guard from the module to the action keeps the action guarded.
            for g in &mut act(ir, "get_task").guards {
                g.source = GuardSource::Action;
            }
        }, &[]),
        // Events and types.
        fires("event_removed", |ir| {
            ir.events.clear();
            tasks(ir).events.clear();
            act(ir, "index_task").triggers.events.clear();
            act(ir, "create_task").emits.clear();
        }, &[
            "warning action_emit_removed action/tasks.create_task/emits/task.created",
            "warning event_subscription_removed action/tasks.index_task/event/task.created",
            "breaking event_removed event/task.created",
        ]),
        near("event_removed", |ir| ir.events.get_mut("task.created").expect("event").description = Some("d".into()),
            &["info doc_changed event/task.created"]),
        fires("event_added", |ir| {
            let mut e = ir.events["task.created"].clone();
            e.name = "task.done".into();
            ir.events.insert("task.done".into(), e);
        }, &["info event_added event/task.done"]),
        near("event_added", |ir| ir.events.get_mut("task.created").expect("event").pascal_name = "Created".into(), &[]),
        fires("type_removed", |ir| {
            ir.types.remove("Legacy");
        }, &["warning type_removed type/Legacy"])
        .from(|ir| declare(ir, "Legacy", vec![])),
        near("type_removed", |ir| {
            ir.types.remove("GetTaskInput");
            tasks(ir).actions.remove("get_task");
        }, &["breaking action_removed action/tasks.get_task"]),
        fires("type_added", |ir| declare(ir, "Tag", vec![field("name", TypeRef::String)]), &["info type_added type/Tag"]),
        near("type_added", |ir| {
            ir.types.insert("Inline".into(), object("Inline", TypeOrigin::Inline { parent: "Task".into(), field: "x".into() }, vec![]));
        }, &[]),
        fires("type_kind_changed", |ir| {
            ir.types.get_mut("TaskStatus").expect("type").kind = TypeKind::Object { fields: vec![] };
        }, &["breaking type_kind_changed type/TaskStatus"]),
        near("type_kind_changed", |ir| values(ir, "TaskStatus").reverse(), &[]),
        fires("union_tag_changed", |ir| {
            if let TypeKind::Union { tag, .. } = &mut ir.types.get_mut("Payment").expect("type").kind {
                *tag = "type".into();
            }
        }, &["breaking union_tag_changed type/Payment"]),
        near("union_tag_changed", |ir| {
            if let TypeKind::Union { variants, .. } = &mut ir.types.get_mut("Payment").expect("type").kind {
                variants.reverse();
            }
        }, &[]),
        fires("type_deprecated", |ir| ir.types.get_mut("Task").expect("type").deprecated = true,
            &["info type_deprecated type/Task"]),
        near("type_deprecated", |ir| ir.types.get_mut("Task").expect("type").recursive = true, &[]),
        fires("field_deprecated", |ir| field_mut(ir, "Task", "title").deprecated = true,
            &["info field_deprecated type/Task/title"]),
        near("field_deprecated", |ir| field_mut(ir, "Task", "title").example = Some(serde_json::json!("x")), &[]),
        fires("doc_changed", |ir| field_mut(ir, "Task", "title").description = Some("The title".into()),
            &["info doc_changed type/Task/title"]),
        near("doc_changed", |ir| field_mut(ir, "Task", "title").rust_name = "name".into(), &[]),
        // Input fields.
        fires("input_field_required_added", |ir| fields(ir, "CreateTaskInput").push(field("owner", TypeRef::Uuid)),
            &["breaking input_field_required_added type/CreateTaskInput/owner"]),
        near("input_field_required_added", |ir| {
            let mut f = field("owner", TypeRef::String);
            f.required = false;
            f.default = Some(serde_json::json!("me"));
            fields(ir, "CreateTaskInput").push(f);
        }, &["info input_field_optional_added type/CreateTaskInput/owner"]),
        fires("input_field_optional_added", |ir| fields(ir, "CreateTaskInput").push(field("owner", opt(TypeRef::Uuid))),
            &["info input_field_optional_added type/CreateTaskInput/owner"]),
        near("input_field_optional_added", |ir| fields(ir, "CreateTaskInput").push(field("owner", TypeRef::Uuid)),
            &["breaking input_field_required_added type/CreateTaskInput/owner"]),
        fires("input_field_removed", |ir| fields(ir, "CreateTaskInput").retain(|f| f.name != "description"),
            &["breaking input_field_removed type/CreateTaskInput/description"]),
        near("input_field_removed", |ir| fields(ir, "Task").retain(|f| f.name != "due_at"),
            &["warning output_optional_field_removed type/Task/due_at"]),
        fires("input_field_became_required", |ir| {
            let f = field_mut(ir, "CreateTaskInput", "description");
            f.ty = TypeRef::String;
            f.required = true;
        }, &["breaking input_field_became_required type/CreateTaskInput/description"]),
        near("input_field_became_required", |ir| {
            let f = field_mut(ir, "CreateTaskInput", "limit");
            f.default = Some(serde_json::json!(50));
        }, &["warning input_field_default_changed type/CreateTaskInput/limit"]),
        fires("input_field_became_optional", |ir| {
            let f = field_mut(ir, "CreateTaskInput", "title");
            f.ty = opt(TypeRef::String);
            f.required = false;
        }, &["info input_field_became_optional type/CreateTaskInput/title"]),
        near("input_field_became_optional", |ir| field_mut(ir, "CreateTaskInput", "title").constraints.min_len = Some(0),
            &["info input_constraint_loosened type/CreateTaskInput/title/min_len"]),
        fires("input_field_type_changed", |ir| field_mut(ir, "GetTaskInput", "id").ty = TypeRef::Int,
            &["breaking input_field_type_changed type/GetTaskInput/id"]),
        near("input_field_type_changed", |ir| field_mut(ir, "GetTaskInput", "id").ty = TypeRef::String,
            &["info input_field_type_widened type/GetTaskInput/id"]),
        fires("input_field_type_narrowed", |ir| field_mut(ir, "CreateTaskInput", "title").ty = TypeRef::Email,
            &["breaking input_field_type_narrowed type/CreateTaskInput/title"]),
        near("input_field_type_narrowed", |ir| field_mut(ir, "CreateTaskInput", "limit").ty = TypeRef::Float,
            &["info input_field_type_widened type/CreateTaskInput/limit"]),
        fires("input_field_type_widened", |ir| field_mut(ir, "CreateTaskInput", "priority").ty = opt(TypeRef::String),
            &["info input_field_type_widened type/CreateTaskInput/priority"]),
        near("input_field_type_widened", |ir| field_mut(ir, "CreateTaskInput", "limit").ty = TypeRef::I32,
            &["breaking input_field_type_narrowed type/CreateTaskInput/limit"]),
        fires("input_field_default_changed", |ir| field_mut(ir, "CreateTaskInput", "limit").default = Some(serde_json::json!(50)),
            &["warning input_field_default_changed type/CreateTaskInput/limit"]),
        near("input_field_default_changed", |ir| field_mut(ir, "CreateTaskInput", "limit").description = Some("Page".into()),
            &["info doc_changed type/CreateTaskInput/limit"]),
        fires("input_constraint_tightened", |ir| field_mut(ir, "CreateTaskInput", "title").constraints.max_len = Some(100),
            &["breaking input_constraint_tightened type/CreateTaskInput/title/max_len"]),
        near("input_constraint_tightened", |ir| field_mut(ir, "CreateTaskInput", "limit").constraints.max = Some(500.into()),
            &["info input_constraint_loosened type/CreateTaskInput/limit/max"]),
        fires("input_constraint_loosened", |ir| field_mut(ir, "CreateTaskInput", "title").constraints.max_len = None,
            &["info input_constraint_loosened type/CreateTaskInput/title/max_len"]),
        near("input_constraint_loosened", |ir| field_mut(ir, "CreateTaskInput", "title").constraints.pattern = Some("^[a-z]".into()),
            &["breaking input_constraint_tightened type/CreateTaskInput/title/pattern"]),
        fires("input_pattern_changed", |ir| field_mut(ir, "CreateTaskInput", "title").constraints.pattern = Some("^[a-z0-9]".into()),
            &["warning input_pattern_changed type/CreateTaskInput/title/pattern"])
            .from(|ir| field_mut(ir, "CreateTaskInput", "title").constraints.pattern = Some("^[a-z]".into())),
        near("input_pattern_changed", |ir| field_mut(ir, "CreateTaskInput", "title").constraints.pattern = None,
            &["info input_constraint_loosened type/CreateTaskInput/title/pattern"])
            .from(|ir| field_mut(ir, "CreateTaskInput", "title").constraints.pattern = Some("^[a-z]".into())),
        fires("input_enum_value_removed", |ir| values(ir, "Priority").retain(|v| v.value != "high"),
            &["breaking input_enum_value_removed type/Priority/high"]),
        near("input_enum_value_removed", |ir| values(ir, "TaskKind").retain(|v| v.value != "bug"),
            &["info output_enum_value_removed type/TaskKind/bug"]),
        fires("input_enum_value_added", |ir| values(ir, "Priority").push(enum_values(&["urgent"]).remove(0)),
            &["info input_enum_value_added type/Priority/urgent"]),
        near("input_enum_value_added", |ir| values(ir, "TaskKind").push(enum_values(&["chore"]).remove(0)),
            &["warning output_enum_value_added type/TaskKind/chore"]),
        fires("input_union_variant_removed", |ir| {
            if let TypeKind::Union { variants, .. } = &mut ir.types.get_mut("Payment").expect("type").kind {
                variants.retain(|v| v.tag_value != "bank");
            }
        }, &["breaking input_union_variant_removed type/Payment/bank", "info output_union_variant_removed type/Payment/bank"]),
        near("input_union_variant_removed", |ir| {
            if let TypeKind::Union { variants, .. } = &mut ir.types.get_mut("Payment").expect("type").kind {
                variants[1].rust_name = "Bank".into();
            }
        }, &[]),
        fires("input_union_variant_added", |ir| {
            declare(ir, "CashPayment", vec![]);
            if let TypeKind::Union { variants, .. } = &mut ir.types.get_mut("Payment").expect("type").kind {
                variants.push(variant("cash", "CashPayment"));
            }
        }, &[
            "info type_added type/CashPayment",
            "info input_union_variant_added type/Payment/cash",
            "warning output_union_variant_added type/Payment/cash",
        ]),
        near("input_union_variant_added", |ir| field_mut(ir, "CardPayment", "last4").ty = TypeRef::Int, &[
            "breaking input_field_type_changed type/CardPayment/last4",
            "breaking output_field_type_changed type/CardPayment/last4",
        ]),
        // Output fields.
        fires("output_field_removed", |ir| fields(ir, "Task").retain(|f| f.name != "count"),
            &["breaking output_field_removed type/Task/count"]),
        near("output_field_removed", |ir| fields(ir, "Task").retain(|f| f.name != "due_at"),
            &["warning output_optional_field_removed type/Task/due_at"]),
        fires("output_optional_field_removed", |ir| fields(ir, "Task").retain(|f| f.name != "due_at"),
            &["warning output_optional_field_removed type/Task/due_at"]),
        near("output_optional_field_removed", |ir| fields(ir, "Task").retain(|f| f.name != "count"),
            &["breaking output_field_removed type/Task/count"]),
        fires("output_field_added", |ir| fields(ir, "Task").push(field("owner", TypeRef::Uuid)),
            &["info output_field_added type/Task/owner"]),
        near("output_field_added", |ir| fields(ir, "Task").reverse(), &[]),
        fires("output_field_became_optional", |ir| field_mut(ir, "Task", "title").ty = opt(TypeRef::String),
            &["breaking output_field_became_optional type/Task/title"]),
        near("output_field_became_optional", |ir| field_mut(ir, "Task", "due_at").ty = TypeRef::DateTime,
            &["info output_field_became_required type/Task/due_at"]),
        fires("output_field_became_required", |ir| field_mut(ir, "Task", "due_at").ty = TypeRef::DateTime,
            &["info output_field_became_required type/Task/due_at"]),
        near("output_field_became_required", |ir| field_mut(ir, "Task", "due_at").ty = opt(TypeRef::Date),
            &["breaking output_field_type_changed type/Task/due_at"]),
        fires("output_field_type_changed", |ir| field_mut(ir, "Task", "count").ty = TypeRef::String,
            &["breaking output_field_type_changed type/Task/count"]),
        near("output_field_type_changed", |ir| field_mut(ir, "Task", "title").ty = TypeRef::Email,
            &["info output_field_type_narrowed type/Task/title"]),
        fires("output_field_type_widened", |ir| field_mut(ir, "Task", "count").ty = TypeRef::Int,
            &["breaking output_field_type_widened type/Task/count"]),
        near("output_field_type_widened", |ir| field_mut(ir, "Task", "tags").ty = list(TypeRef::String), &[]),
        fires("output_field_type_narrowed", |ir| field_mut(ir, "Task", "kind").ty = named("TaskStatus"),
            &["info output_field_type_narrowed type/Task/kind"])
            .from(|ir| field_mut(ir, "Task", "kind").ty = TypeRef::String),
        near("output_field_type_narrowed", |ir| field_mut(ir, "Task", "kind").ty = TypeRef::String,
            &["breaking output_field_type_widened type/Task/kind"]),
        fires("output_constraint_loosened", |ir| field_mut(ir, "Task", "title").constraints.max_len = Some(500),
            &["breaking output_constraint_loosened type/Task/title/max_len"]),
        near("output_constraint_loosened", |ir| field_mut(ir, "Task", "title").constraints.max_len = Some(100),
            &["info output_constraint_tightened type/Task/title/max_len"]),
        fires("output_constraint_tightened", |ir| field_mut(ir, "Task", "title").constraints.min_len = Some(1),
            &["info output_constraint_tightened type/Task/title/min_len"]),
        near("output_constraint_tightened", |ir| field_mut(ir, "Task", "title").constraints.max_len = None,
            &["breaking output_constraint_loosened type/Task/title/max_len"]),
        fires("output_pattern_changed", |ir| field_mut(ir, "Task", "title").constraints.pattern = Some("^b".into()),
            &["warning output_pattern_changed type/Task/title/pattern"])
            .from(|ir| field_mut(ir, "Task", "title").constraints.pattern = Some("^a".into())),
        near("output_pattern_changed", |ir| field_mut(ir, "Task", "title").constraints.pattern = Some("^a".into()),
            &["info output_constraint_tightened type/Task/title/pattern"]),
        fires("output_enum_value_added", |ir| values(ir, "TaskKind").push(enum_values(&["chore"]).remove(0)),
            &["warning output_enum_value_added type/TaskKind/chore"]),
        near("output_enum_value_added", |ir| values(ir, "Priority").push(enum_values(&["urgent"]).remove(0)),
            &["info input_enum_value_added type/Priority/urgent"]),
        fires("output_enum_value_removed", |ir| values(ir, "TaskKind").retain(|v| v.value != "bug"),
            &["info output_enum_value_removed type/TaskKind/bug"]),
        near("output_enum_value_removed", |ir| values(ir, "Priority").retain(|v| v.value != "low"),
            &["breaking input_enum_value_removed type/Priority/low"]),
        fires("output_union_variant_added", |ir| {
            declare(ir, "CashPayment", vec![]);
            if let TypeKind::Union { variants, .. } = &mut ir.types.get_mut("Payment").expect("type").kind {
                variants.push(variant("cash", "CashPayment"));
            }
        }, &[
            "info type_added type/CashPayment",
            "info input_union_variant_added type/Payment/cash",
            "warning output_union_variant_added type/Payment/cash",
        ]),
        near("output_union_variant_added", |ir| {
            if let TypeKind::Union { variants, .. } = &mut ir.types.get_mut("Payment").expect("type").kind {
                variants[0].type_name = "BankPayment".into();
            }
        }, &[
            "breaking input_field_removed type/BankPayment/last4",
            "breaking input_field_required_added type/BankPayment/iban",
            "info output_field_added type/BankPayment/iban",
            "breaking output_field_removed type/BankPayment/last4",
        ]),
        fires("output_union_variant_removed", |ir| {
            if let TypeKind::Union { variants, .. } = &mut ir.types.get_mut("Payment").expect("type").kind {
                variants.retain(|v| v.tag_value != "card");
            }
        }, &["breaking input_union_variant_removed type/Payment/card", "info output_union_variant_removed type/Payment/card"]),
        near("output_union_variant_removed", |ir| ir.types.get_mut("Payment").expect("type").description = Some("How".into()),
            &["info doc_changed type/Payment"]),
    ]
}

/// Rules that only [`bunbase::breaking::Report::build`] produces (tested in
/// `breaking_report.rs`).
const REPORT_RULES: &[&str] = &["version_decreased", "version_not_bumped"];

#[test]
fn every_case_gives_exactly_its_findings() {
    let mut failures = Vec::new();
    for case in cases() {
        let (old, new) = case.irs();
        let mut got = render(&old, &new);
        got.sort();
        let mut want: Vec<String> = case.expect.iter().map(|s| s.to_string()).collect();
        want.sort();
        let kind = if case.near { "near miss" } else { "case" };
        if got != want {
            failures.push(format!("{kind} {}:\n  want {want:#?}\n  got  {got:#?}", case.rule));
        }
        let fired = got.iter().any(|g| g.split(' ').nth(1) == Some(case.rule));
        if case.near == fired {
            failures.push(format!("{kind} {}: the rule {}", case.rule, if fired { "fired" } else { "did not fire" }));
        }
        for (label, ir) in [("old", &old), ("new", &new)] {
            let same = render(ir, ir);
            if !same.is_empty() {
                failures.push(format!("{kind} {}: {label} against itself gave {same:?}", case.rule));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_rule_has_a_case_and_a_near_miss() {
    let cases = cases();
    let mut missing = Vec::new();
    for rule in Rule::ALL {
        let id = rule.id();
        if REPORT_RULES.contains(&id) {
            continue;
        }
        if !cases.iter().any(|c| c.rule == id && !c.near) {
            missing.push(format!("{id}: no case"));
        }
        if !cases.iter().any(|c| c.rule == id && c.near) {
            missing.push(format!("{id}: no near miss"));
        }
    }
    for c in &cases {
        assert!(Rule::from_id(c.rule).is_some(), "case names unknown rule {}", c.rule);
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn identical_contracts_give_no_finding() {
    let ir = baseline();
    assert_eq!(compare(&ir, &ir), Vec::new());
}

#[test]
fn findings_are_sorted_and_unique_by_fingerprint() {
    let old = baseline();
    let new = changed(|ir| {
        ir.modules.clear();
        ir.types.clear();
        ir.events.clear();
    });
    let findings = compare(&old, &new);
    let prints: Vec<String> = findings.iter().map(|f| f.fingerprint()).collect();
    let unique: BTreeSet<&String> = prints.iter().collect();
    assert_eq!(unique.len(), prints.len());
    let keys: Vec<(String, &str)> = findings.iter().map(|f| (f.subject.clone(), f.rule.id())).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
}

/// The same canonical change in each position, with its verdicts.
#[test]
fn positions_decide_the_verdict() {
    let add_required = |ty: &'static str| changed(move |ir| fields(ir, ty).push(field("extra", TypeRef::Uuid)));
    let remove_optional = |ty: &'static str, name: &'static str| changed(move |ir| fields(ir, ty).retain(|f| f.name != name));
    let old = baseline();
    let check = |new: Ir, want: &[&str]| {
        let mut got = render(&old, &new);
        got.sort();
        let mut want: Vec<String> = want.iter().map(|s| s.to_string()).collect();
        want.sort();
        assert_eq!(got, want);
    };
    // Input only: a new required field breaks callers.
    check(add_required("GetTaskInput"), &["breaking input_field_required_added type/GetTaskInput/extra"]);
    // Output only: a new field is harmless.
    check(add_required("Receipt"), &["info output_field_added type/Receipt/extra"]);
    // Event payloads are outputs to subscribers (the subscriber's input is
    // produced by the system, not by clients).
    check(add_required("TaskCreatedPayload"), &["info output_field_added type/TaskCreatedPayload/extra"]);
    check(
        remove_optional("TaskCreatedPayload", "title"),
        &["breaking output_field_removed type/TaskCreatedPayload/title"],
    );
    // Jobs are judged both ways.
    check(
        add_required("SendReminderInput"),
        &[
            "breaking input_field_required_added type/SendReminderInput/extra",
            "info output_field_added type/SendReminderInput/extra",
        ],
    );
    check(
        remove_optional("SendReminderInput", "note"),
        &[
            "breaking input_field_removed type/SendReminderInput/note",
            "warning output_optional_field_removed type/SendReminderInput/note",
        ],
    );
    // A shared type gets every verdict that applies.
    check(
        changed(|ir| values(ir, "TaskStatus").push(enum_values(&["archived"]).remove(0))),
        &["info input_enum_value_added type/TaskStatus/archived", "warning output_enum_value_added type/TaskStatus/archived"],
    );
}

#[test]
fn type_findings_name_the_positions_that_reach_them() {
    let old = baseline();
    let new = changed(|ir| values(ir, "TaskStatus").push(enum_values(&["archived"]).remove(0)));
    let findings = compare(&old, &new);
    let out = findings.iter().find(|f| f.rule == Rule::OutputEnumValueAdded).expect("finding");
    assert!(
        out.message.ends_with("(in output of tasks.create_task, output of tasks.get_task and 1 more)"),
        "{}",
        out.message
    );
    let loc = out.new_location.as_ref().expect("location");
    assert_eq!((loc.file.as_str(), loc.line), ("tasks.yaml", 5));
}

#[test]
fn recursive_types_are_compared_once() {
    let with_tree = |extra: bool| {
        changed(move |ir| {
            let mut node = vec![field("children", list(named("Node")))];
            if extra {
                node.push(field("label", opt(TypeRef::String)));
            }
            declare(ir, "Node", node);
            fields(ir, "Task").push(field("tree", named("Node")));
            fields(ir, "CreateTaskInput").push(field("tree", opt(named("Node"))));
        })
    };
    let got = render(&with_tree(false), &with_tree(true));
    assert_eq!(
        got,
        ["info input_field_optional_added type/Node/label", "info output_field_added type/Node/label"]
    );
}

#[test]
fn removed_elements_point_at_old_and_surviving_parent() {
    let old = baseline();
    let new = changed(|ir| fields(ir, "Task").retain(|f| f.name != "count"));
    let f = compare(&old, &new).pop().expect("finding");
    assert!(f.removed);
    assert_eq!(f.old_location.as_ref().map(|l| l.line), Some(10));
    assert_eq!(f.new_location.as_ref().map(|l| l.line), Some(5), "the type that lost the field");
    assert_eq!(f.location().map(|(side, _)| side), Some(bunbase::breaking::Side::Old));
}
