//! Which component schemas the document holds and what they are called: every IR type in the shape of the direction it travels, split in two when it travels both ways.
//!
//! A type's JSON differs by direction (see the module docs of
//! `emit::openapi`): in a request, optional and defaulted fields may be left
//! out and unknown fields are rejected; in a response, every field is present
//! (`null` when absent) and clients should tolerate fields added later. One
//! schema cannot say both, so an object or union type that is reachable from
//! both a request and a response gets two components: the response shape
//! under the type's own name (the name the Rust and TypeScript code use) and
//! the request shape under `<Name>-Input` (a hyphen never occurs in an IR type
//! name, so the suffix cannot collide). Enums look the same both ways and are
//! never split. A type reachable from neither (an event payload, the output of
//! a cron action) is described in its response shape.

use std::collections::{BTreeMap, BTreeSet};

use crate::ir::{Action, Ir, OutputType, TypeKind, TypeRef};

/// The side of an HTTP exchange a schema describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Direction {
    /// Sent by the client: optional fields may be absent, unknown fields are
    /// rejected.
    Request,
    /// Sent by the server: every field is present, optional ones as `null`.
    Response,
}

/// How the tag of a union variant is carried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum VariantSchema {
    /// The variant's type is used nowhere but in this one union, so its own
    /// component carries the tag property.
    Embedded,
    /// The variant's type is also used elsewhere: a separate component named
    /// `<Union>.<tag_value>` holds the tag plus the type's fields.
    Wrapper,
}

/// The component plan of one document, computed once from the IR.
pub(crate) struct Layout<'a> {
    pub(crate) ir: &'a Ir,
    request: BTreeSet<String>,
    response: BTreeSet<String>,
    /// Variant types embedded in their only union: type name -> (union name,
    /// tag property, tag value).
    embedded: BTreeMap<String, (String, String, String)>,
}

/// One component schema to emit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Component {
    /// The IR type `ty` in the shape of `dir`.
    Type {
        name: String,
        ty: String,
        dir: Direction,
    },
    /// The wrapper schema of variant `tag_value` of union `union`.
    Variant {
        name: String,
        union: String,
        tag_value: String,
        dir: Direction,
    },
}

impl<'a> Layout<'a> {
    /// Plans the components of `ir`'s document.
    pub(crate) fn new(ir: &'a Ir) -> Self {
        let mut request = BTreeSet::new();
        let mut response = BTreeSet::new();
        for action in ir.actions().filter(|a| is_reachable_over_http(a)) {
            if let Some(input) = &action.input {
                visit_named(ir, input, &mut request);
            }
            match &action.output {
                Some(OutputType::Named { name }) => visit_named(ir, name, &mut response),
                Some(OutputType::Expr { ty }) => visit_ref(ir, ty, &mut response),
                None => {}
            }
        }
        let embedded = embedded_variants(ir);
        Layout {
            ir,
            request,
            response,
            embedded,
        }
    }

    /// True when `ty` has a request-shaped and a response-shaped component.
    pub(crate) fn is_split(&self, ty: &str) -> bool {
        let shaped = matches!(
            self.ir.types.get(ty).map(|t| &t.kind),
            Some(TypeKind::Object { .. } | TypeKind::Union { .. })
        );
        shaped && self.request.contains(ty) && self.response.contains(ty)
    }

    /// The component name of IR type `ty` as seen from `dir`.
    pub(crate) fn type_name(&self, ty: &str, dir: Direction) -> String {
        if dir == Direction::Request && self.is_split(ty) {
            format!("{ty}-Input")
        } else {
            ty.to_string()
        }
    }

    /// The direction whose shape the unsuffixed component of `ty` has.
    pub(crate) fn home_direction(&self, ty: &str) -> Direction {
        if self.request.contains(ty) && !self.response.contains(ty) {
            Direction::Request
        } else {
            Direction::Response
        }
    }

    /// How variant `tag_value` of union `union` (whose type is `variant_ty`)
    /// carries its tag.
    pub(crate) fn variant_schema(
        &self,
        union: &str,
        tag_value: &str,
        variant_ty: &str,
    ) -> VariantSchema {
        match self.embedded.get(variant_ty) {
            Some((u, _, v)) if u == union && v == tag_value => VariantSchema::Embedded,
            _ => VariantSchema::Wrapper,
        }
    }

    /// The tag `(property, value)` that the component of `ty` carries because
    /// `ty` is embedded in its only union, if any.
    pub(crate) fn embedded_tag(&self, ty: &str) -> Option<(&str, &str)> {
        self.embedded
            .get(ty)
            .map(|(_, tag, value)| (tag.as_str(), value.as_str()))
    }

    /// The component name of the schema for variant `tag_value` of `union`,
    /// as seen from `dir`.
    pub(crate) fn variant_name(
        &self,
        union: &str,
        tag_value: &str,
        variant_ty: &str,
        dir: Direction,
    ) -> String {
        match self.variant_schema(union, tag_value, variant_ty) {
            VariantSchema::Embedded => self.type_name(variant_ty, dir),
            VariantSchema::Wrapper => {
                let base = format!("{union}.{tag_value}");
                if dir == Direction::Request && self.is_split(union) {
                    format!("{base}-Input")
                } else {
                    base
                }
            }
        }
    }

    /// Every component schema derived from IR types, sorted by name.
    pub(crate) fn components(&self) -> Vec<Component> {
        let mut out = Vec::new();
        for (name, def) in &self.ir.types {
            let dirs: &[Direction] = if self.is_split(name) {
                &[Direction::Response, Direction::Request]
            } else {
                match self.home_direction(name) {
                    Direction::Request => &[Direction::Request],
                    Direction::Response => &[Direction::Response],
                }
            };
            for &dir in dirs {
                out.push(Component::Type {
                    name: self.type_name(name, dir),
                    ty: name.clone(),
                    dir,
                });
                if let TypeKind::Union { variants, .. } = &def.kind {
                    for v in variants {
                        if self.variant_schema(name, &v.tag_value, &v.type_name)
                            == VariantSchema::Wrapper
                        {
                            out.push(Component::Variant {
                                name: self.variant_name(name, &v.tag_value, &v.type_name, dir),
                                union: name.clone(),
                                tag_value: v.tag_value.clone(),
                                dir,
                            });
                        }
                    }
                }
            }
        }
        out.sort_by(|a, b| a.name().cmp(b.name()));
        out
    }
}

impl Component {
    /// The component's name under `#/components/schemas/`.
    pub(crate) fn name(&self) -> &str {
        match self {
            Component::Type { name, .. } | Component::Variant { name, .. } => name,
        }
    }
}

/// True when the action can be called over HTTP (a route, hence the action
/// endpoint, or a webhook).
pub(crate) fn is_reachable_over_http(action: &Action) -> bool {
    !action.triggers.http.is_empty()
        || action.action_endpoint.is_some()
        || !action.triggers.webhooks.is_empty()
}

fn visit_named(ir: &Ir, name: &str, seen: &mut BTreeSet<String>) {
    if !seen.insert(name.to_string()) {
        return;
    }
    match ir.types.get(name).map(|t| &t.kind) {
        Some(TypeKind::Object { fields }) => {
            for f in fields {
                visit_ref(ir, &f.ty, seen);
            }
        }
        Some(TypeKind::Union { variants, .. }) => {
            for v in variants {
                visit_named(ir, &v.type_name, seen);
            }
        }
        Some(TypeKind::Enum { .. }) | None => {}
    }
}

fn visit_ref(ir: &Ir, ty: &TypeRef, seen: &mut BTreeSet<String>) {
    match ty {
        TypeRef::List { item: inner }
        | TypeRef::Map { value: inner }
        | TypeRef::Optional { inner } => visit_ref(ir, inner, seen),
        TypeRef::Named { name, .. } => visit_named(ir, name, seen),
        _ => {}
    }
}

/// Variant types used in exactly one place, as a variant of one union: their
/// own component can carry that union's tag.
fn embedded_variants(ir: &Ir) -> BTreeMap<String, (String, String, String)> {
    let mut uses: BTreeMap<&str, usize> = BTreeMap::new();
    let mut variant_of: BTreeMap<&str, (String, String, String)> = BTreeMap::new();
    fn refs<'t>(ty: &'t TypeRef, uses: &mut BTreeMap<&'t str, usize>) {
        match ty {
            TypeRef::List { item: inner }
            | TypeRef::Map { value: inner }
            | TypeRef::Optional { inner } => refs(inner, uses),
            TypeRef::Named { name, .. } => *uses.entry(name.as_str()).or_default() += 1,
            _ => {}
        }
    }
    for (name, def) in &ir.types {
        match &def.kind {
            TypeKind::Object { fields } => fields.iter().for_each(|f| refs(&f.ty, &mut uses)),
            TypeKind::Union { tag, variants } => {
                for v in variants {
                    *uses.entry(v.type_name.as_str()).or_default() += 1;
                    variant_of.insert(
                        &v.type_name,
                        (name.clone(), tag.clone(), v.tag_value.clone()),
                    );
                }
            }
            TypeKind::Enum { .. } => {}
        }
    }
    for action in ir.actions() {
        if let Some(input) = &action.input {
            *uses.entry(input.as_str()).or_default() += 1;
        }
        match &action.output {
            Some(OutputType::Named { name }) => *uses.entry(name.as_str()).or_default() += 1,
            Some(OutputType::Expr { ty }) => refs(ty, &mut uses),
            None => {}
        }
    }
    for event in ir.events.values() {
        *uses.entry(event.payload.as_str()).or_default() += 1;
    }
    variant_of
        .into_iter()
        .filter(|(ty, _)| uses.get(ty) == Some(&1))
        .map(|(ty, v)| (ty.to_string(), v))
        .collect()
}
