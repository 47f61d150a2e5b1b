//! Decoders for `bunbase.yaml`, module files, types, fields and events.

use super::action;
use super::ast::*;
use super::decode::{Cx, Entries};
use super::texpr;
use super::yaml::{Node, NodeKind};
use crate::diag::Diagnostic;

const PROJECT_KEYS: &[&str] = &[
    "project",
    "version",
    "title",
    "description",
    "database",
    "api",
    "sdk",
    "license",
];
const MODULE_KEYS: &[&str] = &[
    "module",
    "description",
    "prefix",
    "guards",
    "types",
    "events",
    "actions",
];
const TYPE_KEYS: &[&str] = &["description", "deprecated", "fields", "enum", "union"];
/// Keys of a field's long form, constraints included.
pub const FIELD_KEYS: &[&str] = &[
    "type",
    "description",
    "default",
    "deprecated",
    "example",
    "min_len",
    "max_len",
    "pattern",
    "min",
    "max",
    "min_items",
    "max_items",
    "unique",
];
const INLINE_KEYS: &[&str] = &["fields", "description", "deprecated", "optional"];
/// Constraint keys.
pub const CONSTRAINT_KEYS: &[&str] = &[
    "min_len",
    "max_len",
    "pattern",
    "min",
    "max",
    "min_items",
    "max_items",
    "unique",
];

/// Decodes `bunbase.yaml`.
pub fn project(root: &Node, text: &str, diags: &mut Vec<Diagnostic>) -> Option<ProjectDecl> {
    let cx = &mut Cx { diags, text };
    let e = cx.entries(root, "bunbase.yaml", PROJECT_KEYS)?;
    let name = cx.opt_string(&e, "project", "the project name");
    if e.get("project").is_none() {
        cx.missing(&e, "project", "bunbase.yaml");
    }
    let version = cx.opt_string(&e, "version", "a semver version such as `1.0.0`");
    if e.get("version").is_none() {
        cx.missing(&e, "version", "bunbase.yaml");
    }
    let title = cx.text_of(&e, "title");
    let description = cx.text_of(&e, "description");
    let database = cx.opt_string(&e, "database", "`sqlite` or `postgres`");
    let base_path = match e.get("api") {
        Some(api) => cx
            .entries(api, "`api`", &["base_path"])
            .and_then(|a| cx.opt_string(&a, "base_path", "a path")),
        None => None,
    };
    let sdk_package = match e.get("sdk") {
        Some(sdk) => cx
            .entries(sdk, "`sdk`", &["typescript"])
            .and_then(|s| s.get("typescript"))
            .and_then(|ts| cx.entries(ts, "`sdk.typescript`", &["package"]))
            .and_then(|ts| cx.opt_string(&ts, "package", "an npm package name")),
        None => None,
    };
    let license = match e.get("license") {
        Some(l) => cx.entries(l, "`license`", &["name", "url"]).and_then(|l| {
            if l.get("name").is_none() {
                cx.missing(&l, "name", "`license`");
            }
            let name = cx.opt_string(&l, "name", "the license's name, e.g. `MIT`");
            let url = cx.opt_string(&l, "url", "the license's URL");
            Some((name?, url))
        }),
        None => None,
    };
    Some(ProjectDecl {
        name: name?,
        license,
        version: version?,
        title,
        description,
        database,
        base_path,
        sdk_package,
        span: e.span,
    })
}

/// Decodes a module file.
pub fn module(
    file: &str,
    root: &Node,
    text: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<ModuleDecl> {
    let cx = &mut Cx { diags, text };
    let e = cx.entries(root, &format!("module file `{file}`"), MODULE_KEYS)?;
    let name = cx.opt_string(&e, "module", "the module name");
    if e.get("module").is_none() {
        cx.diags.push(
            Diagnostic::error("E0004", &e.span, format!("module file `{file}` is missing `module`"))
                .with_hint("every file other than bunbase.yaml is a module: start it with `module: <snake_case_name>`"),
        );
    }
    let description = cx.text_of(&e, "description");
    let prefix = cx.opt_string(&e, "prefix", "a path such as `/tasks`");
    let guards = e
        .get("guards")
        .map(|g| action::guards(cx, g))
        .unwrap_or_default();
    let mut types = Vec::new();
    if let Some(node) = e.get("types") {
        for (name, body) in cx.named(node, "`types`") {
            if let Some(t) = type_decl(cx, name, body) {
                types.push(t);
            }
        }
    }
    let mut events = Vec::new();
    if let Some(node) = e.get("events") {
        for (name, body) in cx.named(node, "`events`") {
            if let Some(ev) = event_decl(cx, name, body) {
                events.push(ev);
            }
        }
    }
    let mut actions = Vec::new();
    if let Some(node) = e.get("actions") {
        for (name, body) in cx.named(node, "`actions`") {
            if let Some(a) = action::action(cx, name, body) {
                actions.push(a);
            }
        }
    }
    Some(ModuleDecl {
        file: file.to_owned(),
        name: name?,
        description,
        prefix,
        guards,
        types,
        events,
        actions,
        span: e.span,
    })
}

fn type_decl(cx: &mut Cx<'_>, name: Spanned<String>, node: &Node) -> Option<TypeDecl> {
    let context = format!("type `{}`", name.value);
    let e = cx.entries(node, &context, TYPE_KEYS)?;
    let description = cx.text_of(&e, "description");
    let deprecated = cx.deprecated_flag(&e);
    let bodies: Vec<&str> = ["fields", "enum", "union"]
        .into_iter()
        .filter(|k| e.get(k).is_some())
        .collect();
    if bodies.len() > 1 {
        let span = e
            .key_node(bodies[1])
            .map_or(e.span.clone(), |k| k.span.clone());
        cx.error(
            "E0002",
            &span,
            format!(
                "{context} has both `{}` and `{}`; a type is one of them",
                bodies[0], bodies[1]
            ),
        );
    }
    let body = match bodies.first().copied() {
        Some("fields") => TypeBody::Object(fields(cx, e.get("fields")?, &context)),
        Some("enum") => TypeBody::Enum(enum_values(cx, e.get("enum")?)),
        Some("union") => union(cx, e.get("union")?, &context)?,
        _ => {
            cx.diags.push(
                Diagnostic::error(
                    "E0004",
                    &name.span,
                    format!("{context} has no `fields`, `enum` or `union`"),
                )
                .with_hint("declare an object with `fields: { ... }`, an enum with `enum: [a, b]`, or a union"),
            );
            return None;
        }
    };
    Some(TypeDecl {
        name,
        description,
        deprecated,
        body,
    })
}

fn enum_values(cx: &mut Cx<'_>, node: &Node) -> Vec<EnumValueDecl> {
    let Some(items) = node.seq() else {
        cx.expected(node, "a list of enum values");
        return Vec::new();
    };
    let mut out = Vec::new();
    for item in items {
        match &item.kind {
            NodeKind::Map(_) => {
                let Some(e) = cx.entries(
                    item,
                    "an enum value",
                    &["value", "description", "deprecated"],
                ) else {
                    continue;
                };
                let Some(value) = cx.opt_string(&e, "value", "the enum value") else {
                    cx.missing(&e, "value", "an enum value");
                    continue;
                };
                let description = cx.text_of(&e, "description");
                let deprecated = cx.deprecated_flag(&e);
                out.push(EnumValueDecl {
                    value,
                    description,
                    deprecated,
                });
            }
            _ => {
                if let Some(value) = cx.string(item, "an enum value") {
                    out.push(EnumValueDecl {
                        value,
                        description: None,
                        deprecated: false,
                    });
                }
            }
        }
    }
    out
}

fn union(cx: &mut Cx<'_>, node: &Node, context: &str) -> Option<TypeBody> {
    let e = cx.entries(
        node,
        &format!("the union of {context}"),
        &["tag", "variants"],
    )?;
    let tag = cx.opt_string(&e, "tag", "the tag field name");
    if tag.is_none() && e.get("tag").is_none() {
        cx.missing(&e, "tag", &format!("the union of {context}"));
    }
    let mut variants = Vec::new();
    match e.get("variants") {
        Some(v) => {
            for (value, ty) in cx.named(v, "`variants`") {
                if let Some(t) = cx.string(ty, "a type name") {
                    let expr = texpr::parse(&t.value, &cx.inner_span(ty), cx.diags);
                    variants.push((value, expr));
                }
            }
        }
        None => cx.missing(&e, "variants", &format!("the union of {context}")),
    }
    Some(TypeBody::Union {
        tag: tag?,
        variants,
    })
}

fn event_decl(cx: &mut Cx<'_>, name: Spanned<String>, node: &Node) -> Option<EventDecl> {
    let context = format!("event `{}`", name.value);
    let e = cx.entries(node, &context, &["payload", "description"])?;
    let description = cx.text_of(&e, "description");
    let payload = match e.get("payload") {
        Some(p) => shape(cx, p, &format!("the payload of {context}"))?,
        None => Shape::Inline {
            fields: Vec::new(),
            span: name.span.clone(),
        },
    };
    Some(EventDecl {
        name,
        description,
        payload,
    })
}

/// Decodes an input, output or payload: a type expression or inline fields.
pub fn shape(cx: &mut Cx<'_>, node: &Node, context: &str) -> Option<Shape> {
    match &node.kind {
        NodeKind::Map(_) => Some(Shape::Inline {
            fields: fields(cx, node, context),
            span: node.span.clone(),
        }),
        NodeKind::Scalar(s) if !node.is_null() || s.quoted => Some(Shape::Ref(texpr::parse(
            &s.text,
            &cx.inner_span(node),
            cx.diags,
        ))),
        _ => {
            cx.expected(
                node,
                &format!("a type or a mapping of fields for {context}"),
            );
            None
        }
    }
}

/// Decodes a mapping of fields.
pub fn fields(cx: &mut Cx<'_>, node: &Node, context: &str) -> Vec<FieldDecl> {
    cx.named(node, &format!("the fields of {context}"))
        .into_iter()
        .filter_map(|(name, value)| field(cx, name, value))
        .collect()
}

fn field(cx: &mut Cx<'_>, name: Spanned<String>, node: &Node) -> Option<FieldDecl> {
    let context = format!("field `{}`", name.value);
    let map = match &node.kind {
        NodeKind::Scalar(s) if !node.is_null() || s.quoted => {
            let ty = texpr::parse(&s.text, &cx.inner_span(node), cx.diags);
            return Some(plain_field(name, FieldType::Expr(ty)));
        }
        NodeKind::Map(m) => m,
        _ => {
            cx.expected(node, &format!("a type for {context}"));
            return None;
        }
    };
    let has = |k: &str| {
        map.iter()
            .any(|(key, _)| key.scalar().is_some_and(|s| s.text == k))
    };
    if has("type") {
        let e = cx.entries(node, &context, FIELD_KEYS)?;
        let ty_node = e.get("type")?;
        let ty = cx.string(ty_node, "a type expression")?;
        let ty = texpr::parse(&ty.value, &cx.inner_span(ty_node), cx.diags);
        let description = cx.text_of(&e, "description");
        let deprecated = cx.deprecated_flag(&e);
        let default = e
            .get("default")
            .map(|d| Spanned::new(d.to_json(), d.span.clone()));
        let example = e
            .get("example")
            .map(|x| Spanned::new(x.to_json(), x.span.clone()));
        let constraints = constraints(&e);
        return Some(FieldDecl {
            name,
            ty: FieldType::Expr(ty),
            default,
            example,
            description,
            deprecated,
            constraints,
        });
    }
    // A nested inline object: `{ fields: {...} }` or the fields themselves.
    if has("fields") {
        let e = cx.entries(node, &context, INLINE_KEYS)?;
        let fields = fields(cx, e.get("fields")?, &context);
        let optional = match e.get("optional") {
            Some(o) => cx.bool(o, "`true` or `false`").unwrap_or(false),
            None => false,
        };
        let mut f = plain_field(
            name,
            FieldType::Inline {
                fields,
                optional,
                span: node.span.clone(),
            },
        );
        f.description = cx.text_of(&e, "description");
        f.deprecated = cx.deprecated_flag(&e);
        return Some(f);
    }
    let fields = fields(cx, node, &context);
    Some(plain_field(
        name,
        FieldType::Inline {
            fields,
            optional: false,
            span: node.span.clone(),
        },
    ))
}

fn plain_field(name: Spanned<String>, ty: FieldType) -> FieldDecl {
    FieldDecl {
        name,
        ty,
        default: None,
        example: None,
        description: None,
        deprecated: false,
        constraints: Vec::new(),
    }
}

fn constraints(e: &Entries<'_>) -> Vec<ConstraintDecl> {
    e.entries
        .iter()
        .filter(|(k, _, _)| CONSTRAINT_KEYS.contains(k))
        .map(|(k, key, v)| ConstraintDecl {
            name: Spanned::new((*k).to_owned(), key.span.clone()),
            value: Spanned::new(v.to_json(), v.span.clone()),
        })
        .collect()
}
