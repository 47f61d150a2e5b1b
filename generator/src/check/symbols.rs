//! The symbol table: every type (declared or inline) with its project-unique name, every event, and name resolution of type expressions.
//!
//! Built once by the checker (which reports what cannot be named) and again
//! by lowering (which then reads names from it), so both stages agree on
//! every name by construction.

use std::collections::{BTreeMap, HashMap};

use crate::diag::{self, Diagnostic};
use crate::ir::{Span, TypeOrigin, TypeRef};
use crate::naming;
use crate::parse::ast::*;

/// The body of a type, borrowed from the syntax tree.
#[derive(Debug, Clone, Copy)]
pub enum Body<'a> {
    /// An object's fields.
    Object(&'a [FieldDecl]),
    /// An enum's values.
    Enum(&'a [EnumValueDecl]),
    /// `union: { tag, variants }`
    Union {
        /// The tag field name.
        tag: &'a Spanned<String>,
        /// (tag value, object type) pairs.
        variants: &'a [(Spanned<String>, TypeExpr)],
    },
}

/// One type of the project.
#[derive(Debug, Clone)]
pub struct TypeEntry<'a> {
    /// The owning module's name.
    pub module: &'a str,
    /// As written, or the generated inline name (`CreateTaskInput`).
    pub contract_name: String,
    /// Project-unique name (the key of `Ir::types`).
    pub name: String,
    /// Declared, or where an inline type came from.
    pub origin: TypeOrigin,
    /// The type's shape.
    pub body: Body<'a>,
    /// `description`, if any.
    pub description: Option<&'a str>,
    /// True when marked `deprecated`.
    pub deprecated: bool,
    /// Where it was written.
    pub span: Span,
}

/// Every named thing of a project.
#[derive(Debug, Default)]
pub struct Symbols<'a> {
    /// Every type, in a deterministic order (module file order, then
    /// declaration order).
    pub types: Vec<TypeEntry<'a>>,
    /// (module, contract name) -> index into `types`, declared and inline.
    pub by_contract: HashMap<String, HashMap<String, usize>>,
    /// Events by name: (module, declaration).
    pub events: BTreeMap<String, (&'a str, &'a EventDecl)>,
    /// Event name -> index of its payload type (inline payloads only; a
    /// payload naming a type resolves through it).
    pub payloads: HashMap<String, usize>,
    /// Module names in use (first declaration wins).
    pub modules: BTreeMap<String, &'a ModuleDecl>,
    /// Unique name -> index into `types`.
    pub unique: HashMap<String, usize>,
}

/// The name of an action's inline input type.
pub fn input_name(action: &str) -> String {
    format!("{}Input", naming::pascal(action))
}

/// The name of an action's inline output type.
pub fn output_name(action: &str) -> String {
    format!("{}Output", naming::pascal(action))
}

/// The name of an event's inline payload type.
pub fn payload_name(event: &str) -> String {
    format!("{}Payload", naming::pascal(event))
}

/// The name of a nested inline object of `parent`'s field `field`.
pub fn nested_name(parent: &str, field: &str) -> String {
    format!("{parent}{}", naming::pascal(field))
}

impl<'a> Symbols<'a> {
    /// Collects every type and event of `contracts`, naming inline types and
    /// making names project-unique; reports duplicates and collisions.
    pub fn collect(contracts: &'a Contracts, diags: &mut Vec<Diagnostic>) -> Self {
        let mut s = Symbols::default();
        for m in &contracts.modules {
            if let Some(first) = s.modules.get(&m.name.value) {
                diags.push(
                    Diagnostic::error(
                        "E0011",
                        &m.name.span,
                        format!("module `{}` is declared twice", m.name.value),
                    )
                    .with_hint(format!(
                        "it is also declared in `{}`; module names must be unique",
                        first.file
                    )),
                );
                continue;
            }
            s.modules.insert(m.name.value.clone(), m);
        }
        let modules: Vec<&'a ModuleDecl> = s.modules.values().copied().collect();
        for m in modules {
            s.collect_module(m, diags);
        }
        s.make_unique(diags);
        s
    }

    fn add(&mut self, entry: TypeEntry<'a>, diags: &mut Vec<Diagnostic>) -> Option<usize> {
        if let Some(&i) = self
            .by_contract
            .get(entry.module)
            .and_then(|m| m.get(&entry.contract_name))
        {
            let first = &self.types[i];
            let what = |o: &TypeOrigin| match o {
                TypeOrigin::Declared => "the declared type".to_owned(),
                TypeOrigin::ActionInput { action } => format!("the input of action `{action}`"),
                TypeOrigin::ActionOutput { action } => format!("the output of action `{action}`"),
                TypeOrigin::EventPayload { event } => format!("the payload of event `{event}`"),
                TypeOrigin::Inline { parent, field } => {
                    format!("the inline object of `{parent}.{field}`")
                }
            };
            let (code, msg) =
                if entry.origin == TypeOrigin::Declared && first.origin == TypeOrigin::Declared {
                    (
                        "E0104",
                        format!(
                            "type `{}` is declared twice in module `{}`",
                            entry.contract_name, entry.module
                        ),
                    )
                } else {
                    (
                        "E0109",
                        format!(
                            "{} would be named `{}`, which is already {} (line {})",
                            what(&entry.origin),
                            entry.contract_name,
                            what(&first.origin),
                            first.span.line
                        ),
                    )
                };
            diags.push(Diagnostic::error(code, &entry.span, msg).with_hint("rename one of them"));
            return None;
        }
        let i = self.types.len();
        self.by_contract
            .entry(entry.module.to_owned())
            .or_default()
            .insert(entry.contract_name.clone(), i);
        self.types.push(entry);
        Some(i)
    }

    fn collect_module(&mut self, m: &'a ModuleDecl, diags: &mut Vec<Diagnostic>) {
        let module = m.name.value.as_str();
        for t in &m.types {
            let body = match &t.body {
                TypeBody::Object(f) => Body::Object(f),
                TypeBody::Enum(v) => Body::Enum(v),
                TypeBody::Union { tag, variants } => Body::Union { tag, variants },
            };
            let entry = TypeEntry {
                module,
                contract_name: t.name.value.clone(),
                name: t.name.value.clone(),
                origin: TypeOrigin::Declared,
                body,
                description: t.description.as_deref(),
                deprecated: t.deprecated,
                span: t.name.span.clone(),
            };
            self.add(entry, diags);
        }
        for t in &m.types {
            if let TypeBody::Object(fields) = &t.body {
                self.nested(module, &t.name.value, fields, diags);
            }
        }
        for e in &m.events {
            if let Some((other, _)) = self.events.get(&e.name.value) {
                diags.push(
                    Diagnostic::error(
                        "E0104",
                        &e.name.span,
                        format!("event `{}` is declared twice", e.name.value),
                    )
                    .with_hint(format!(
                        "it is also declared in module `{other}`; event names are project-wide"
                    )),
                );
                continue;
            }
            self.events.insert(e.name.value.clone(), (module, e));
            if let Shape::Inline { fields, span } = &e.payload {
                let name = payload_name(&e.name.value);
                let entry = TypeEntry {
                    module,
                    contract_name: name.clone(),
                    name: name.clone(),
                    origin: TypeOrigin::EventPayload {
                        event: e.name.value.clone(),
                    },
                    body: Body::Object(fields),
                    description: e.description.as_deref(),
                    deprecated: false,
                    span: span.clone(),
                };
                if let Some(i) = self.add(entry, diags) {
                    self.payloads.insert(e.name.value.clone(), i);
                    self.nested(module, &name, fields, diags);
                }
            }
        }
        for a in &m.actions {
            for (shape, output) in [(&a.input, false), (&a.output, true)] {
                let Some(Shape::Inline { fields, span }) = shape else {
                    continue;
                };
                let action = a.name.value.clone();
                let (name, origin) = if output {
                    (output_name(&action), TypeOrigin::ActionOutput { action })
                } else {
                    (input_name(&action), TypeOrigin::ActionInput { action })
                };
                let entry = TypeEntry {
                    module,
                    contract_name: name.clone(),
                    name: name.clone(),
                    origin,
                    body: Body::Object(fields),
                    description: None,
                    deprecated: false,
                    span: span.clone(),
                };
                if self.add(entry, diags).is_some() {
                    self.nested(module, &name, fields, diags);
                }
            }
        }
    }

    fn nested(
        &mut self,
        module: &'a str,
        parent: &str,
        fields: &'a [FieldDecl],
        diags: &mut Vec<Diagnostic>,
    ) {
        for f in fields {
            let FieldType::Inline {
                fields: inner,
                span,
                ..
            } = &f.ty
            else {
                continue;
            };
            let name = nested_name(parent, &f.name.value);
            let entry = TypeEntry {
                module,
                contract_name: name.clone(),
                name: name.clone(),
                origin: TypeOrigin::Inline {
                    parent: parent.to_owned(),
                    field: f.name.value.clone(),
                },
                body: Body::Object(inner),
                description: f.description.as_deref(),
                deprecated: f.deprecated,
                span: span.clone(),
            };
            if self.add(entry, diags).is_some() {
                self.nested(module, &name, inner, diags);
            }
        }
    }

    /// Prefixes names used by more than one module with the module's
    /// PascalCase name, then reports any name still taken twice.
    fn make_unique(&mut self, diags: &mut Vec<Diagnostic>) {
        let mut modules_of: HashMap<&str, Vec<&str>> = HashMap::new();
        for t in &self.types {
            modules_of
                .entry(t.contract_name.as_str())
                .or_default()
                .push(t.module);
        }
        let clashing: Vec<bool> = self
            .types
            .iter()
            .map(|t| modules_of[t.contract_name.as_str()].len() > 1)
            .collect();
        for (t, clash) in self.types.iter_mut().zip(clashing) {
            if clash {
                t.name = format!("{}{}", naming::pascal(t.module), t.contract_name);
            }
        }
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (i, t) in self.types.iter().enumerate() {
            if let Some(&j) = seen.get(&t.name) {
                let first = &self.types[j];
                diags.push(
                    Diagnostic::error(
                        "E0109",
                        &t.span,
                        format!(
                            "type `{}` of module `{}` gets the generated name `{}`, which module `{}` already uses for `{}`",
                            t.contract_name, t.module, t.name, first.module, first.contract_name
                        ),
                    )
                    .with_hint("rename one of the types"),
                );
            } else {
                seen.insert(t.name.clone(), i);
            }
        }
        self.unique = seen;
    }

    /// The entry for a declared or inline type by module and contract name.
    pub fn lookup(&self, module: &str, contract_name: &str) -> Option<&TypeEntry<'a>> {
        self.by_contract
            .get(module)
            .and_then(|m| m.get(contract_name))
            .map(|&i| &self.types[i])
    }

    /// The entry of a type by its unique name.
    pub fn by_name(&self, name: &str) -> Option<&TypeEntry<'a>> {
        self.unique.get(name).map(|&i| &self.types[i])
    }

    /// The payload type of event `name`: its inline payload, or the type its
    /// payload names.
    pub fn payload_of(&self, event: &str) -> Option<&TypeEntry<'a>> {
        if let Some(&i) = self.payloads.get(event) {
            return self.types.get(i);
        }
        let (module, decl) = self.events.get(event)?;
        match &decl.payload {
            Shape::Ref(expr) => match &expr.kind {
                TypeExprKind::Named { module: m, name } => {
                    self.lookup(m.as_deref().unwrap_or(module), name)
                }
                _ => None,
            },
            Shape::Inline { .. } => None,
        }
    }

    /// Resolves a type expression written in `module` to a [`TypeRef`]
    /// (unboxed). Reports unknown names with a hint; returns `None` when any
    /// part is unknown or invalid.
    pub fn resolve(
        &self,
        module: &str,
        expr: &TypeExpr,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<TypeRef> {
        Some(match &expr.kind {
            TypeExprKind::Prim(p) => prim(*p),
            TypeExprKind::List(i) => TypeRef::List {
                item: Box::new(self.resolve(module, i, diags)?),
            },
            TypeExprKind::Map(i) => TypeRef::Map {
                value: Box::new(self.resolve(module, i, diags)?),
            },
            TypeExprKind::Optional(i) => TypeRef::Optional {
                inner: Box::new(self.resolve(module, i, diags)?),
            },
            TypeExprKind::Invalid => return None,
            TypeExprKind::Event(event) => match self.payload_of(event) {
                Some(t) => TypeRef::Named {
                    name: t.name.clone(),
                    boxed: false,
                },
                None => {
                    let hint = if self.events.contains_key(event) {
                        None
                    } else {
                        diag::did_you_mean(event, self.events.keys().map(String::as_str))
                    };
                    if !self.events.contains_key(event) {
                        diags.push(
                            Diagnostic::error(
                                "E0311",
                                &expr.span,
                                format!("unknown event `{event}`"),
                            )
                            .with_opt_hint(hint),
                        );
                    }
                    return None;
                }
            },
            TypeExprKind::Named { module: m, name } => {
                let target = m.as_deref().unwrap_or(module);
                if let Some(m) = m
                    && !self.modules.contains_key(m)
                {
                    diags.push(
                        Diagnostic::error(
                            "E0101",
                            &expr.span,
                            format!("unknown module `{m}` in type `{m}.{name}`"),
                        )
                        .with_opt_hint(diag::did_you_mean(
                            m,
                            self.modules.keys().map(String::as_str),
                        )),
                    );
                    return None;
                }
                match self.lookup(target, name) {
                    Some(t) => TypeRef::Named {
                        name: t.name.clone(),
                        boxed: false,
                    },
                    None => {
                        diags.push(self.unknown_type(module, m.as_deref(), name, &expr.span));
                        return None;
                    }
                }
            }
        })
    }

    fn unknown_type(
        &self,
        module: &str,
        qualifier: Option<&str>,
        name: &str,
        span: &Span,
    ) -> Diagnostic {
        let target = qualifier.unwrap_or(module);
        let local: Vec<&str> = self
            .types
            .iter()
            .filter(|t| t.module == target)
            .map(|t| t.contract_name.as_str())
            .collect();
        let shown = match qualifier {
            Some(q) => format!("{q}.{name}"),
            None => name.to_owned(),
        };
        let msg = match qualifier {
            Some(q) => format!("unknown type `{shown}`: module `{q}` declares no type `{name}`"),
            None => format!("unknown type `{shown}`"),
        };
        let hint = diag::did_you_mean(name, local.iter().copied()).or_else(|| {
            if qualifier.is_some() {
                return None;
            }
            let elsewhere: Vec<&str> = self
                .types
                .iter()
                .filter(|t| t.contract_name == name && t.origin == TypeOrigin::Declared)
                .map(|t| t.module)
                .collect();
            elsewhere
                .first()
                .map(|m| format!("`{name}` is declared in module `{m}`: write `{m}.{name}`"))
        });
        Diagnostic::error("E0101", span, msg).with_opt_hint(hint)
    }
}

/// The IR form of a built-in type.
pub fn prim(p: Prim) -> TypeRef {
    match p {
        Prim::Bool => TypeRef::Bool,
        Prim::Int => TypeRef::Int,
        Prim::Int64 => TypeRef::Int64,
        Prim::I32 => TypeRef::I32,
        Prim::Float => TypeRef::Float,
        Prim::String => TypeRef::String,
        Prim::Uuid => TypeRef::Uuid,
        Prim::Email => TypeRef::Email,
        Prim::Url => TypeRef::Url,
        Prim::DateTime => TypeRef::DateTime,
        Prim::Date => TypeRef::Date,
        Prim::Json => TypeRef::Json,
        Prim::Bytes => TypeRef::Bytes,
    }
}
