//! Text helpers for the TypeScript emitter: doc-comment lines, string literals and property names.

use crate::ir::TypeRef;
use crate::naming;

/// The lines of a doc comment for `text`, safe inside `/** ... */`.
pub fn lines(text: Option<&str>) -> Vec<String> {
    text.map(|t| {
        t.trim()
            .lines()
            .map(|l| l.trim_end().replace("*/", "*\\/"))
            .collect()
    })
    .unwrap_or_default()
}

/// Appends `line` as a new paragraph of a doc comment.
pub fn push(doc: &mut Vec<String>, line: &str) {
    if !doc.is_empty() {
        doc.push(String::new());
    }
    doc.extend(lines(Some(line)));
}

/// A TypeScript string literal (see [`naming::ts_string`]).
pub fn literal(s: &str) -> String {
    naming::ts_string(s)
}

/// A property name: bare when it is an identifier, quoted otherwise (see
/// [`naming::ts_property`]).
pub fn prop(name: &str) -> String {
    naming::ts_property(name)
}

/// What a string-typed field carries, for types TypeScript sees as `string`.
pub fn format_note(ty: &TypeRef) -> Option<&'static str> {
    match ty {
        TypeRef::Optional { inner } => format_note(inner),
        TypeRef::Int64 => Some("A 64-bit integer as a decimal string."),
        TypeRef::Uuid => Some("A UUID."),
        TypeRef::Email => Some("An email address."),
        TypeRef::Url => Some("A URL."),
        TypeRef::DateTime => Some("An RFC 3339 date-time in UTC, e.g. `2024-05-01T12:00:00Z`."),
        TypeRef::Date => Some("An RFC 3339 date, e.g. `2024-05-01`."),
        TypeRef::Bytes => Some("Bytes as a base64 string."),
        _ => None,
    }
}
