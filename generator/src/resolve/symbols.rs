//! The symbol table: every type (declared or inline) with its project-unique name, every event, and name resolution of type expressions.
//!
//! Built once per compile by the resolve stage; the checker and lowering
//! both read it, so they agree on every name by construction. Declared types
//! are found by (module, contract name); inline types by where they appear
//! ([`Inline`]), so an inline type's generated name never shadows a declared
//! one. Project-unique names are claimed through [`naming::Scope`]: declared
//! types first, then inline ones, so a generated name that is already taken
//! gets a number (`CreateTaskInput2`).

use std::collections::{BTreeMap, HashMap};

use crate::diag::{self, Diagnostic};
use crate::ir::{Span, TypeOrigin, TypeRef};
use crate::naming::{self, Scope};
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

/// Where an inline type appears: the key it is found by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Inline {
    /// The inline input of an action: (module, action).
    Input(String, String),
    /// The inline output of an action: (module, action).
    Output(String, String),
    /// The inline payload of an event.
    Payload(String),
    /// The inline object of a field: (index of the parent type, field).
    Field(usize, String),
}

/// One type of the project.
#[derive(Debug, Clone)]
pub struct TypeEntry<'a> {
    /// The owning module's name.
    pub module: &'a str,
    /// As written, or the generated inline name before it is made unique
    /// (`CreateTaskInput`).
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
    /// Every type, in a deterministic order (module name order, then
    /// declaration order).
    pub types: Vec<TypeEntry<'a>>,
    /// (module, contract name) -> index into `types`, declared types only.
    pub by_contract: HashMap<String, HashMap<String, usize>>,
    /// Where an inline type appears -> index into `types`.
    pub inline: HashMap<Inline, usize>,
    /// Events by name: (module, declaration).
    pub events: BTreeMap<String, (&'a str, &'a EventDecl)>,
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
        s.make_unique();
        s
    }

    /// Adds a declared type; reports a second declaration of the same name
    /// in the same module.
    fn declare(&mut self, entry: TypeEntry<'a>, diags: &mut Vec<Diagnostic>) -> Option<usize> {
        if let Some(&i) = self
            .by_contract
            .get(entry.module)
            .and_then(|m| m.get(&entry.contract_name))
        {
            let first = &self.types[i];
            diags.push(
                Diagnostic::error(
                    "E0104",
                    &entry.span,
                    format!(
                        "type `{}` is declared twice in module `{}`",
                        entry.contract_name, entry.module
                    ),
                )
                .with_hint(format!(
                    "it is first declared on line {}; rename one of them",
                    first.span.line
                )),
            );
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

    /// Adds an inline type found at `key` (the first one wins should the
    /// contract repeat a key, which parsing reports).
    fn add_inline(&mut self, key: Inline, entry: TypeEntry<'a>) -> Option<usize> {
        if self.inline.contains_key(&key) {
            return None;
        }
        let i = self.types.len();
        self.inline.insert(key, i);
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
            self.declare(entry, diags);
        }
        for t in &m.types {
            if let TypeBody::Object(fields) = &t.body
                && let Some(&parent) = self
                    .by_contract
                    .get(module)
                    .and_then(|m| m.get(&t.name.value))
            {
                self.nested(module, parent, fields);
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
                if let Some(i) = self.add_inline(Inline::Payload(e.name.value.clone()), entry) {
                    self.nested(module, i, fields);
                }
            }
        }
        for a in &m.actions {
            for (shape, output) in [(&a.input, false), (&a.output, true)] {
                let Some(Shape::Inline { fields, span }) = shape else {
                    continue;
                };
                let action = a.name.value.clone();
                let (name, origin, key) = if output {
                    let key = Inline::Output(module.to_owned(), action.clone());
                    (
                        output_name(&action),
                        TypeOrigin::ActionOutput { action },
                        key,
                    )
                } else {
                    let key = Inline::Input(module.to_owned(), action.clone());
                    (input_name(&action), TypeOrigin::ActionInput { action }, key)
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
                if let Some(i) = self.add_inline(key, entry) {
                    self.nested(module, i, fields);
                }
            }
        }
    }

    fn nested(&mut self, module: &'a str, parent: usize, fields: &'a [FieldDecl]) {
        let parent_name = self.types[parent].contract_name.clone();
        for f in fields {
            let FieldType::Inline {
                fields: inner,
                span,
                ..
            } = &f.ty
            else {
                continue;
            };
            let name = nested_name(&parent_name, &f.name.value);
            let entry = TypeEntry {
                module,
                contract_name: name.clone(),
                name,
                origin: TypeOrigin::Inline {
                    parent: parent_name.clone(),
                    field: f.name.value.clone(),
                },
                body: Body::Object(inner),
                description: f.description.as_deref(),
                deprecated: f.deprecated,
                span: span.clone(),
            };
            if let Some(i) = self.add_inline(Inline::Field(parent, f.name.value.clone()), entry) {
                self.nested(module, i, inner);
            }
        }
    }

    /// Makes every name project-unique: a name generated or declared in more
    /// than one module gets the module's PascalCase name as a prefix, then
    /// names are claimed through a [`Scope`], declared types first (those
    /// keeping their contract name before the prefixed ones), then inline
    /// types, so a name still taken gets a number. Inline origins then name
    /// their parent by its unique name.
    fn make_unique(&mut self) {
        let mut modules_of: HashMap<&str, Vec<&str>> = HashMap::new();
        for t in &self.types {
            let ms = modules_of.entry(t.contract_name.as_str()).or_default();
            if !ms.contains(&t.module) {
                ms.push(t.module);
            }
        }
        let wanted: Vec<(String, bool)> = self
            .types
            .iter()
            .map(|t| {
                if modules_of[t.contract_name.as_str()].len() > 1 {
                    (
                        format!("{}{}", naming::pascal(t.module), t.contract_name),
                        true,
                    )
                } else {
                    (t.contract_name.clone(), false)
                }
            })
            .collect();
        // Three rounds: declared types keeping their contract name, declared
        // types with a module prefix, inline types.
        let round_of = |t: &TypeEntry<'_>, prefixed: bool| match (&t.origin, prefixed) {
            (TypeOrigin::Declared, false) => 0,
            (TypeOrigin::Declared, true) => 1,
            _ => 2,
        };
        let mut scope = Scope::new();
        for round in 0..3 {
            for (t, (name, prefixed)) in self.types.iter_mut().zip(&wanted) {
                if round_of(t, *prefixed) == round {
                    t.name = scope.claim_pascal(name);
                }
            }
        }
        let parents: Vec<(usize, String)> = self
            .inline
            .iter()
            .filter_map(|(k, &i)| match k {
                Inline::Field(parent, _) => Some((i, self.types[*parent].name.clone())),
                _ => None,
            })
            .collect();
        for (i, parent_name) in parents {
            if let TypeOrigin::Inline { parent, .. } = &mut self.types[i].origin {
                *parent = parent_name;
            }
        }
        self.unique = self
            .types
            .iter()
            .enumerate()
            .map(|(i, t)| (t.name.clone(), i))
            .collect();
    }

    /// The entry of an action's inline input type.
    pub fn input_of(&self, module: &str, action: &str) -> Option<&TypeEntry<'a>> {
        self.inline_entry(&Inline::Input(module.to_owned(), action.to_owned()))
    }

    /// The entry of an action's inline output type.
    pub fn output_of(&self, module: &str, action: &str) -> Option<&TypeEntry<'a>> {
        self.inline_entry(&Inline::Output(module.to_owned(), action.to_owned()))
    }

    /// The entry of the inline object of field `field` of the type `parent`
    /// (by unique name).
    pub fn field_object(&self, parent: &str, field: &str) -> Option<&TypeEntry<'a>> {
        let &p = self.unique.get(parent)?;
        self.inline_entry(&Inline::Field(p, field.to_owned()))
    }

    fn inline_entry(&self, key: &Inline) -> Option<&TypeEntry<'a>> {
        self.inline.get(key).map(|&i| &self.types[i])
    }

    /// The entry of a declared type by module and contract name.
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
        if let Some(t) = self.inline_entry(&Inline::Payload(event.to_owned())) {
            return Some(t);
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
