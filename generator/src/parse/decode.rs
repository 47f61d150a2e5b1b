//! Decoding helpers: read YAML nodes as mappings with known keys, strings, integers and booleans, reporting what does not fit.

use super::ast::Spanned;
use super::yaml::{Node, NodeKind};
use crate::diag::{self, Diagnostic};
use crate::ir::Span;

/// A decoding context for one file.
pub struct Cx<'a> {
    pub diags: &'a mut Vec<Diagnostic>,
    /// The file's text (for spans inside scalars).
    pub text: &'a str,
}

/// A mapping whose keys were checked against the allowed ones.
pub struct Entries<'n> {
    pub entries: Vec<(&'n str, &'n Node, &'n Node)>,
    pub span: Span,
}

impl<'n> Entries<'n> {
    /// The value under `key`.
    pub fn get(&self, key: &str) -> Option<&'n Node> {
        self.entries
            .iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, _, v)| *v)
    }

    /// The key node of `key`.
    pub fn key_node(&self, key: &str) -> Option<&'n Node> {
        self.entries
            .iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, k, _)| *k)
    }
}

impl Cx<'_> {
    /// Reports an error.
    pub fn error(&mut self, code: &'static str, span: &Span, msg: impl Into<String>) {
        self.diags.push(Diagnostic::error(code, span, msg));
    }

    /// Reports a wrong kind of node.
    pub fn expected(&mut self, node: &Node, what: &str) {
        self.diags.push(Diagnostic::error(
            "E0002",
            &node.span,
            format!("expected {what}, found {}", node.describe()),
        ));
    }

    /// Reads a mapping with string keys. Keys not in `allowed` are reported
    /// (with a did-you-mean) and dropped; `context` names the mapping in
    /// messages ("action `create_task`"). Returns `None` (reported) when the
    /// node is not a mapping; a null node reads as an empty mapping.
    pub fn entries<'n>(
        &mut self,
        node: &'n Node,
        context: &str,
        allowed: &[&str],
    ) -> Option<Entries<'n>> {
        if node.is_null() {
            return Some(Entries {
                entries: Vec::new(),
                span: node.span.clone(),
            });
        }
        let Some(map) = node.map() else {
            self.expected(node, &format!("a mapping for {context}"));
            return None;
        };
        let mut entries = Vec::new();
        for (k, v) in map {
            let Some(key) = self.key(k) else { continue };
            if allowed.contains(&key) {
                entries.push((key, k, v));
            } else {
                let hint = diag::did_you_mean(key, allowed.iter().copied())
                    .unwrap_or_else(|| format!("allowed keys here: {}", allowed.join(", ")));
                self.diags.push(
                    Diagnostic::error(
                        "E0003",
                        &k.span,
                        format!("unknown key `{key}` in {context}"),
                    )
                    .with_hint(hint),
                );
            }
        }
        Some(Entries {
            entries,
            span: node.span.clone(),
        })
    }

    /// Reads a mapping whose keys are names (types, fields, actions), in
    /// document order. Returns `None` (reported) for a non-mapping.
    pub fn named<'n>(&mut self, node: &'n Node, context: &str) -> Vec<(Spanned<String>, &'n Node)> {
        if node.is_null() {
            return Vec::new();
        }
        let Some(map) = node.map() else {
            self.expected(node, &format!("a mapping for {context}"));
            return Vec::new();
        };
        map.iter()
            .filter_map(|(k, v)| {
                self.key(k)
                    .map(|key| (Spanned::new(key.to_owned(), k.span.clone()), v))
            })
            .collect()
    }

    fn key<'n>(&mut self, k: &'n Node) -> Option<&'n str> {
        match k.scalar() {
            Some(s) if !s.text.is_empty() => Some(s.text.as_str()),
            _ => {
                self.expected(k, "a name as the key");
                None
            }
        }
    }

    /// Reports `key` missing from a mapping.
    pub fn missing(&mut self, entries: &Entries<'_>, key: &str, context: &str) {
        let example = match key {
            "project" => Some("project: acme"),
            "version" => Some("version: 1.0.0"),
            "method" => Some("method: POST"),
            "path" => Some("path: /things"),
            "schedule" => Some("schedule: \"0 8 * * *\""),
            "secret_env" => Some("secret_env: MY_WEBHOOK_SECRET"),
            "tag" => Some("tag: kind"),
            "variants" => Some("variants: { card: CardPayment }"),
            "value" => Some("value: in_progress"),
            "limit" => Some("limit: 100"),
            "window" => Some("window: 1m"),
            _ => None,
        };
        let d = Diagnostic::error(
            "E0004",
            &entries.span,
            format!("{context} is missing `{key}`"),
        );
        self.diags
            .push(d.with_opt_hint(example.map(|e| format!("add `{e}`"))));
    }

    /// Reads a string scalar (any plain scalar counts: `version: 1.0` is the
    /// string `1.0`).
    pub fn string(&mut self, node: &Node, what: &str) -> Option<Spanned<String>> {
        match &node.kind {
            NodeKind::Scalar(s) if !node.is_null() || s.quoted => {
                Some(Spanned::new(s.text.clone(), node.span.clone()))
            }
            _ => {
                self.expected(node, what);
                None
            }
        }
    }

    /// Reads an optional string under `key`.
    pub fn opt_string(
        &mut self,
        e: &Entries<'_>,
        key: &str,
        what: &str,
    ) -> Option<Spanned<String>> {
        e.get(key).and_then(|n| self.string(n, what))
    }

    /// Reads free text (description, summary).
    pub fn text_of(&mut self, e: &Entries<'_>, key: &str) -> Option<String> {
        e.get(key)
            .and_then(|n| self.string(n, &format!("text for `{key}`")))
            .map(|s| s.value)
    }

    /// Reads an integer scalar.
    pub fn int(&mut self, node: &Node, what: &str) -> Option<Spanned<i64>> {
        match node.scalar() {
            Some(s) if !s.quoted => match s.text.parse::<i64>() {
                Ok(i) => Some(Spanned::new(i, node.span.clone())),
                Err(_) => {
                    self.expected(node, what);
                    None
                }
            },
            _ => {
                self.expected(node, what);
                None
            }
        }
    }

    /// Reads a boolean scalar.
    pub fn bool(&mut self, node: &Node, what: &str) -> Option<bool> {
        match node.to_json() {
            serde_json::Value::Bool(b) if node.scalar().is_some_and(|s| !s.quoted) => Some(b),
            _ => {
                self.expected(node, what);
                None
            }
        }
    }

    /// Reads `deprecated: true|false` (free text also counts as true).
    pub fn deprecated_flag(&mut self, e: &Entries<'_>) -> bool {
        match e.get("deprecated") {
            None => false,
            Some(n) => match n.to_json() {
                serde_json::Value::Bool(b) => b,
                serde_json::Value::String(_) => true,
                _ => {
                    self.expected(n, "`true`, `false` or a note for `deprecated`");
                    false
                }
            },
        }
    }

    /// Reads a list of strings (a single string also counts as a list of one).
    pub fn string_list(&mut self, node: &Node, what: &str) -> Vec<Spanned<String>> {
        match &node.kind {
            NodeKind::Seq(items) => items.iter().filter_map(|i| self.string(i, what)).collect(),
            NodeKind::Scalar(_) if !node.is_null() => self.string(node, what).into_iter().collect(),
            _ if node.is_null() => Vec::new(),
            _ => {
                self.expected(node, &format!("a list of {what}"));
                Vec::new()
            }
        }
    }

    /// The span of the characters of a scalar's value: inside the quotes for
    /// quoted scalars on one line.
    pub fn inner_span(&self, node: &Node) -> Span {
        let mut span = node.span.clone();
        let raw = self.text.get(span.start..span.end).unwrap_or("");
        if (raw.starts_with('"') || raw.starts_with('\'')) && raw.len() >= 2 && !raw.contains('\n')
        {
            span.start += 1;
            span.end -= 1;
            span.col += 1;
        }
        span
    }
}
