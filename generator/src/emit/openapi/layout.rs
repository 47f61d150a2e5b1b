//! Which component schemas the document holds, read from the IR: every type in the shape of the direction it travels, twice when it travels both ways, plus the union variant wrappers.
//!
//! A type's JSON differs by direction (see the module docs of
//! `emit::openapi`): in a request, optional and defaulted fields may be left
//! out and unknown fields are rejected; in a response, every field is present
//! (`null` when absent) and clients should tolerate fields added later. The
//! IR decides the shapes and their names ([`TypeNames::openapi_request`],
//! [`TypeNames::openapi_response`], [`VariantSchema`]) and which way each
//! type travels ([`crate::ir::Directions`]); this module only reads them.
//! Directions are the IR's [`Direction`]: `In` is a request, `Out` a
//! response.

use std::collections::BTreeMap;

use crate::ir::{Direction, Ir, TypeKind, TypeNames, VariantSchema};

/// The component plan of one document.
pub(crate) struct Layout<'a> {
    pub(crate) ir: &'a Ir,
    /// Variant types whose own component carries their union's tag: type
    /// name -> (tag property, tag value).
    embedded: BTreeMap<&'a str, (&'a str, &'a str)>,
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
    /// Reads the component plan of `ir`'s document.
    pub(crate) fn new(ir: &'a Ir) -> Self {
        let mut embedded = BTreeMap::new();
        for def in ir.types.values() {
            if let TypeKind::Union { tag, variants } = &def.kind {
                for v in variants {
                    if v.openapi == VariantSchema::Embedded {
                        embedded.insert(v.type_name.as_str(), (tag.as_str(), v.tag_value.as_str()));
                    }
                }
            }
        }
        Layout { ir, embedded }
    }

    fn names(&self, ty: &str) -> Option<&'a TypeNames> {
        self.ir.types.get(ty).map(|t| &t.names)
    }

    /// True when `ty` has a request-shaped and a response-shaped component.
    pub(crate) fn is_split(&self, ty: &str) -> bool {
        self.names(ty)
            .is_some_and(|n| n.openapi_request != n.openapi_response)
    }

    /// The component name of IR type `ty` as seen from `dir`.
    pub(crate) fn type_name(&self, ty: &str, dir: Direction) -> String {
        match (self.names(ty), dir) {
            (Some(n), Direction::In) => n.openapi_request.clone(),
            (Some(n), Direction::Out) => n.openapi_response.clone(),
            (None, _) => ty.to_string(),
        }
    }

    /// The shape of the one component of a type that is not split: the
    /// request shape when only requests carry it, else the response shape.
    fn home_direction(&self, ty: &str) -> Direction {
        match self.ir.types.get(ty).map(|t| t.directions) {
            Some(d) if d.http_request && !d.http_response => Direction::In,
            _ => Direction::Out,
        }
    }

    /// The tag `(property, value)` that the component of `ty` carries because
    /// `ty` is embedded in its only union, if any.
    pub(crate) fn embedded_tag(&self, ty: &str) -> Option<(&str, &str)> {
        self.embedded.get(ty).copied()
    }

    /// The component name of the schema for variant `tag_value` of `union`,
    /// as seen from `dir`.
    pub(crate) fn variant_name(&self, union: &str, tag_value: &str, dir: Direction) -> String {
        let variant = self.ir.types.get(union).and_then(|t| match &t.kind {
            TypeKind::Union { variants, .. } => variants.iter().find(|v| v.tag_value == tag_value),
            _ => None,
        });
        match variant {
            Some(v) => match (&v.openapi, dir) {
                (VariantSchema::Wrapper { request, .. }, Direction::In) => request.clone(),
                (VariantSchema::Wrapper { response, .. }, Direction::Out) => response.clone(),
                (VariantSchema::Embedded, _) => self.type_name(&v.type_name, dir),
            },
            None => tag_value.to_string(),
        }
    }

    /// Every component schema derived from IR types that travel over HTTP,
    /// sorted by name.
    pub(crate) fn components(&self) -> Vec<Component> {
        let mut out = Vec::new();
        for (name, def) in &self.ir.types {
            // The document describes what travels over HTTP only: a type
            // only events, jobs or MCP calls carry would be an unused
            // component.
            if !(def.directions.http_request || def.directions.http_response) {
                continue;
            }
            let dirs: &[Direction] = if self.is_split(name) {
                &[Direction::Out, Direction::In]
            } else {
                match self.home_direction(name) {
                    Direction::In => &[Direction::In],
                    Direction::Out => &[Direction::Out],
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
                        if let VariantSchema::Wrapper { .. } = v.openapi {
                            out.push(Component::Variant {
                                name: self.variant_name(name, &v.tag_value, dir),
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
