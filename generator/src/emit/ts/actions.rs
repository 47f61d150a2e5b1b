//! View model of the SDK's modules and actions: signatures, routes, error unions and TanStack Query keys.

use std::collections::BTreeSet;

use serde::Serialize;

use super::docs;
use super::types::{ts_type, type_name};
use crate::ir::{
    Action, BindingLocation, Direction, ErrorDef, ErrorPayload, Field, Ir, Module, OutputType,
    TransportError, TypeKind, TypeRef,
};

/// A module of the client (`client.tasks`).
#[derive(Debug, Serialize)]
pub struct ModuleView {
    /// Property name on the client (`tasks`).
    pub prop: String,
    /// Contract name (`tasks`).
    pub name: String,
    /// Name of the module's client interface (`TasksClient`).
    pub interface: String,
    /// The module's query key as a TS tuple literal.
    pub key: String,
    pub doc: Vec<String>,
    pub actions: Vec<ActionView>,
}

/// One action reachable over HTTP.
#[derive(Debug, Serialize)]
pub struct ActionView {
    /// Method name on the module client (`createTask`).
    pub prop: String,
    /// `tasks.create_task`.
    pub full_name: String,
    pub doc: Vec<String>,
    /// Input type (`T.CreateTaskInput`), empty when the action takes none.
    pub input: String,
    /// The input type as the package exports it (`CreateTaskInput`,
    /// `JsonValue`), empty when the action takes none.
    pub input_export: String,
    /// `?` when every input field may be left out, else empty.
    pub input_optional: &'static str,
    /// Output type expression in the client's scope (`T.Task`, `null`).
    pub output: String,
    /// Name of the error union in `errors.ts` ([`Action::error_enum`]).
    pub error: String,
    pub errors: Vec<ErrorView>,
    /// The `Route` object literal passed to the transport.
    pub route: String,
    /// True when TanStack Query gets query options (GET routes).
    pub query: bool,
    /// True when TanStack Query also gets infinite-query options: a GET
    /// action taking an optional string `cursor` and answering an object
    /// with an optional string `next_cursor`.
    pub infinite: bool,
    /// `?` when the input without its cursor may be left out, else empty.
    pub page_input_optional: &'static str,
    /// The action's key as a TS tuple literal, without the input.
    pub key: String,
    /// The elements of `key`, comma-separated.
    pub key_items: String,
    /// The TS type of a query key of one call (with the input, if any).
    pub key_type: String,
}

/// One member of an action's error union.
#[derive(Debug, Serialize)]
pub struct ErrorView {
    pub code: String,
    /// True for the implicit errors every action has.
    pub implicit: bool,
    /// The member's TS type (`rt.ApiError<"title_taken", 409>`).
    pub ty: String,
    pub doc: Vec<String>,
}

/// Every module with at least one HTTP action, in module order.
pub fn module_views(ir: &Ir) -> Vec<ModuleView> {
    let project = docs::literal(&ir.project.snake_name);
    ir.modules
        .values()
        .filter_map(|m| {
            let actions: Vec<ActionView> = m
                .actions
                .values()
                .filter(|a| !a.triggers.http.is_empty())
                .map(|a| action_view(ir, m, a, &project))
                .collect();
            (!actions.is_empty()).then(|| ModuleView {
                prop: docs::prop(&m.ts_name),
                name: m.name.clone(),
                interface: m.ts_client.clone(),
                key: format!("[{project}, {}]", docs::literal(&m.name)),
                doc: module_doc(m),
                actions,
            })
        })
        .collect()
}

fn module_doc(m: &Module) -> Vec<String> {
    let mut doc = docs::lines(m.description.as_deref());
    docs::push(&mut doc, &format!("The actions of module `{}`.", m.name));
    doc
}

/// Names the package root exports for the contracts: every type (both
/// shapes), every error union and the transport-error type.
pub fn exported_names(ir: &Ir) -> BTreeSet<String> {
    let mut taken: BTreeSet<String> = ir
        .types
        .values()
        .flat_map(|t| [t.names.ts_output.clone(), t.names.ts_input.clone()])
        .collect();
    taken.extend(ir.actions().map(|a| a.error_enum.clone()));
    taken.insert(ir.names.ts_transport_error.clone());
    taken
}

fn action_view(ir: &Ir, module: &Module, a: &Action, project: &str) -> ActionView {
    // Lowering sorts routes by (path, method); the first is the one the SDK calls.
    let route = &a.triggers.http[0];
    let input_optional = a.input.as_ref().and_then(|n| ir.types.get(n)).is_some_and(
        |d| matches!(&d.kind, TypeKind::Object { fields } if fields.iter().all(|f| !f.required)),
    );
    let output = match &a.output {
        None => "null".to_string(),
        Some(OutputType::Named { name }) => format!("T.{}", type_name(ir, name, Direction::Out)),
        Some(OutputType::Expr { ty }) => ts_type(ir, ty, Direction::Out, "T."),
    };
    let fields_at = |loc: BindingLocation| -> Vec<String> {
        route
            .bindings
            .iter()
            .filter(|b| b.location == loc)
            .map(|b| docs::literal(&b.field))
            .collect()
    };
    let body = if a.input_json {
        "true".to_string()
    } else if a.input.is_some() && !matches!(route.method.as_str(), "GET" | "DELETE" | "HEAD") {
        format!("[{}]", fields_at(BindingLocation::Body).join(", "))
    } else {
        "null".to_string()
    };
    let codes: Vec<String> = a.errors.iter().map(|e| docs::literal(&e.code)).collect();
    let route_literal = format!(
        "{{ m: {}, p: {}, q: [{}], b: {body}, e: [{}] }}",
        docs::literal(&route.method),
        docs::literal(&route.path),
        fields_at(BindingLocation::Query).join(", "),
        codes.join(", "),
    );

    let mut doc = Vec::new();
    if let Some(s) = &a.summary {
        doc.extend(docs::lines(Some(s)));
    }
    if let Some(d) = &a.description {
        docs::push(&mut doc, d);
    }
    docs::push(
        &mut doc,
        &format!("`{} {}` (`{}`).", route.method, route.path, a.full_name),
    );
    let declared: Vec<String> = a
        .errors
        .iter()
        .filter(|e| !e.implicit)
        .map(|e| format!("`{}` ({})", e.code, e.status))
        .collect();
    if !declared.is_empty() {
        docs::push(&mut doc, &format!("Errors: {}.", declared.join(", ")));
    }
    if let Some(dep) = &a.deprecated {
        doc.push(match &dep.note {
            Some(note) => format!("@deprecated {}", docs::lines(Some(note)).join(" ")),
            None => "@deprecated".into(),
        });
    }

    let input = if a.input_json {
        Some(r#"import("./runtime.js").JsonValue"#.to_string())
    } else {
        a.input
            .as_ref()
            .map(|n| format!("T.{}", type_name(ir, n, Direction::In)))
    };
    let page_input_optional = object_fields(ir, a.input.as_deref())
        .is_some_and(|fields| fields.iter().all(|f| !f.required || f.name == "cursor"));
    let key_items = format!(
        "{project}, {}, {}",
        docs::literal(&module.name),
        docs::literal(&a.name)
    );
    ActionView {
        prop: docs::prop(&a.ts_name),
        full_name: a.full_name.clone(),
        doc,
        input_export: input
            .as_deref()
            .map(|i| {
                i.trim_start_matches("T.")
                    .trim_start_matches(r#"import("./runtime.js")."#)
                    .to_string()
            })
            .unwrap_or_default(),
        input: input.clone().unwrap_or_default(),
        input_optional: if input_optional { "?" } else { "" },
        output,
        error: a.error_enum.clone(),
        errors: a.errors.iter().map(error_view).collect(),
        route: route_literal,
        query: route.method == "GET",
        infinite: route.method == "GET" && paginated(ir, a),
        page_input_optional: if page_input_optional { "?" } else { "" },
        key: format!("[{key_items}]"),
        key_type: match &input {
            Some(ty) => format!("readonly [{key_items}, {ty}]"),
            None => format!("readonly [{key_items}]"),
        },
        key_items,
    }
}

fn object_fields<'a>(ir: &'a Ir, name: Option<&str>) -> Option<&'a [Field]> {
    match &ir.types.get(name?)?.kind {
        TypeKind::Object { fields } => Some(fields),
        _ => None,
    }
}

/// Cursor pagination as the contracts spell it: `cursor: string?` in,
/// `next_cursor: string?` out.
fn paginated(ir: &Ir, a: &Action) -> bool {
    let optional_string = |fields: &[Field], name: &str| {
        fields.iter().any(|f| {
            f.name == name
                && matches!(&f.ty, TypeRef::Optional { inner } if **inner == TypeRef::String)
        })
    };
    let output = match &a.output {
        Some(OutputType::Named { name }) => Some(name.as_str()),
        _ => None,
    };
    object_fields(ir, a.input.as_deref()).is_some_and(|f| optional_string(f, "cursor"))
        && object_fields(ir, output).is_some_and(|f| optional_string(f, "next_cursor"))
}

/// One member of the transport-error union.
pub fn transport_error_view(t: &TransportError) -> ErrorView {
    ErrorView {
        code: t.code.clone(),
        implicit: true,
        ty: format!("rt.ApiError<{}, {}>", docs::literal(&t.code), t.status),
        doc: docs::lines(Some(&format!("{} ({})", t.message, t.status))),
    }
}

fn error_view(e: &ErrorDef) -> ErrorView {
    let details = match e.payload {
        ErrorPayload::Violations => ", rt.ValidationDetails",
        ErrorPayload::None | ErrorPayload::Detail => "",
    };
    ErrorView {
        code: e.code.clone(),
        implicit: e.implicit,
        ty: format!(
            "rt.ApiError<{}, {}{details}>",
            docs::literal(&e.code),
            e.status
        ),
        doc: docs::lines(Some(&format!("{} ({})", e.message, e.status))),
    }
}
