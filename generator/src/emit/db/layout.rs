//! Lays out each printed `db_table!` declaration for a reader: one part of the header per line, one column per line, types spelt as Rust prints them.
//!
//! prettyplease fills a macro body like a paragraph and spaces every token
//! (`Vec < String >`). After printing, each `::bunbase_runtime::db_table! {`
//! block of the text is read back as tokens and printed again by the
//! declaration's own grammar (documented on `bunbase_runtime::db::table`):
//! each `;`-ended part of the header on its own line, then `columns {` with
//! one column per line, a column longer than [`WIDTH`] wrapped before its
//! `in`, `range` or `order` clause with a further indent. The tokens are
//! unchanged, so the macro sees the same input.

use std::str::FromStr;

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};

/// The opening of a declaration as prettyplease prints it (after its
/// indentation).
const OPEN: &str = "::bunbase_runtime::db_table! {";

/// The line width past which a column's clauses wrap (prettyplease's).
const WIDTH: usize = 100;

/// `text` (printed Rust) with every `db_table!` declaration laid out; text
/// without one is returned as is.
pub fn declarations(text: String) -> String {
    if !text.contains(OPEN) {
        return text;
    }
    let mut out = String::with_capacity(text.len());
    let mut lines = text.split_inclusive('\n');
    while let Some(line) = lines.next() {
        out.push_str(line);
        let trimmed = line.trim_end();
        let Some(indent) = trimmed.strip_suffix(OPEN) else {
            continue;
        };
        if !indent.chars().all(|c| c == ' ') {
            continue;
        }
        let close = format!("{indent}}}");
        let mut body = String::new();
        let mut closed = None;
        for inner in lines.by_ref() {
            if inner.trim_end() == close {
                closed = Some(inner);
                break;
            }
            body.push_str(inner);
        }
        let laid = TokenStream::from_str(&body)
            .ok()
            .map(|tokens| body_lines(tokens, &format!("{indent}    ")));
        match laid {
            Some(laid) => out.push_str(&laid),
            None => out.push_str(&body),
        }
        out.extend(closed);
    }
    out
}

/// The declaration's body, each line indented by `indent` and ended by a
/// newline.
fn body_lines(tokens: TokenStream, indent: &str) -> String {
    let mut out = String::new();
    for (part, semi) in statements(tokens) {
        match part.split_last() {
            Some((TokenTree::Group(g), head)) if g.delimiter() == Delimiter::Brace && !semi => {
                out.push_str(&format!("{indent}{} {{\n", flat(head)));
                let inner = format!("{indent}    ");
                for (column, semi) in statements(g.stream()) {
                    out.push_str(&column_lines(&column, semi, &inner));
                }
                out.push_str(&format!("{indent}}}\n"));
            }
            _ => {
                let end = if semi { ";" } else { "" };
                out.push_str(&format!("{indent}{}{end}\n", flat(&part)));
            }
        }
    }
    out
}

/// One column: on one line when it fits; else its `order` clause on a
/// second line, indented further; else its `in` and `range` clauses on a
/// line of their own too.
fn column_lines(column: &[TokenTree], semi: bool, indent: &str) -> String {
    let end = if semi { ";" } else { "" };
    // The clauses follow the SQL name, the column's one literal:
    // `in IDENT`, `range IDENT`, `order(..)`, each optional, in that order.
    let is =
        |i: usize, word: &str| matches!(column.get(i), Some(TokenTree::Ident(id)) if id == word);
    let filters = column
        .iter()
        .position(|t| matches!(t, TokenTree::Literal(_)))
        .map_or(column.len(), |i| i + 1);
    let mut order = filters;
    for word in ["in", "range"] {
        if is(order, word) {
            order += 2;
        }
    }
    let order = order.min(column.len());
    let (head, filters, order) = (
        flat(&column[..filters]),
        flat(&column[filters..order]),
        flat(&column[order..]),
    );
    let joined = |parts: &[&String]| {
        parts
            .iter()
            .filter(|p| !p.is_empty())
            .map(|p| p.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let cont = format!("{indent}    ");
    let one = format!("{indent}{}{end}", joined(&[&head, &filters, &order]));
    if one.len() <= WIDTH {
        return one + "\n";
    }
    let first = format!("{indent}{}", joined(&[&head, &filters]));
    let mut lines = if first.len() <= WIDTH || filters.is_empty() {
        vec![first]
    } else {
        vec![format!("{indent}{head}"), format!("{cont}{filters}")]
    };
    if !order.is_empty() {
        lines.push(format!("{cont}{order}"));
    }
    lines.join("\n") + end + "\n"
}

/// `tokens` split at each top-level `;`, each part with whether a `;`
/// ended it.
fn statements(tokens: TokenStream) -> Vec<(Vec<TokenTree>, bool)> {
    let mut parts = Vec::new();
    let mut part = Vec::new();
    for t in tokens {
        match &t {
            TokenTree::Punct(p) if p.as_char() == ';' => {
                parts.push((std::mem::take(&mut part), true))
            }
            _ => part.push(t),
        }
    }
    if !part.is_empty() {
        parts.push((part, false));
    }
    parts
}

/// `tokens` on one line, spaced as Rust prints them: `id(Uuid) = "id"`,
/// `Vec<super::Mood>`, `order(IdAsc, IdDesc, Id)`.
fn flat(tokens: &[TokenTree]) -> String {
    let mut out = String::new();
    // Whether the previous token glues to the next (`::`, `<`, an open
    // delimiter) or the next glues to it.
    let mut glue = true;
    let mut after_word = false;
    for t in tokens {
        let (space, next_glue, word) = match t {
            TokenTree::Punct(p) => {
                let c = p.as_char();
                let space = !matches!(c, ',' | ';' | ':' | '<' | '>');
                let next_glue = c == '<' || c == ':' || p.spacing() == Spacing::Joint;
                (space, next_glue, false)
            }
            TokenTree::Group(g) => {
                let space = match g.delimiter() {
                    Delimiter::Parenthesis | Delimiter::Bracket => !after_word,
                    _ => true,
                };
                (space, false, false)
            }
            TokenTree::Ident(_) | TokenTree::Literal(_) => (true, false, true),
        };
        if space && !glue {
            out.push(' ');
        }
        match t {
            TokenTree::Group(g) => {
                let (open, close) = match g.delimiter() {
                    Delimiter::Parenthesis => ("(", ")"),
                    Delimiter::Bracket => ("[", "]"),
                    Delimiter::Brace => ("{ ", " }"),
                    Delimiter::None => ("", ""),
                };
                let inner: Vec<TokenTree> = g.stream().into_iter().collect();
                out.push_str(open);
                out.push_str(&flat(&inner));
                out.push_str(close);
            }
            _ => out.push_str(&t.to_string()),
        }
        glue = next_glue;
        after_word = word;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_declaration_is_laid_out_line_by_line() {
        let printed = "pub mod t {\n    ::bunbase_runtime::db_table! {\n        table \"entries\" on postgres; row EntryRow, new NewEntry, patch EntryPatch, filter\n        EntryFilter; key(id(i64) = \"id\"); order(EntryOrder = IdAsc); after(); columns {\n        id(i64) not_null default key = \"id\" in id_in; tags(Vec < Vec < String >>) not_null\n        default field = \"tags\"; order(::std::string::String) not_null required field = \"order\" in order_in range order_range order(OrderAsc, OrderDesc, Order, id(i64)); description(::std::option::Option < String >) null default field = \"description\" in description_in range description_range order(DescriptionAsc, DescriptionDesc, Description, id(i64)); }\n    }\n}\n";
        let want = "pub mod t {\n    ::bunbase_runtime::db_table! {\n        table \"entries\" on postgres;\n        row EntryRow, new NewEntry, patch EntryPatch, filter EntryFilter;\n        key(id(i64) = \"id\");\n        order(EntryOrder = IdAsc);\n        after();\n        columns {\n            id(i64) not_null default key = \"id\" in id_in;\n            tags(Vec<Vec<String>>) not_null default field = \"tags\";\n            order(::std::string::String) not_null required field = \"order\"\n                in order_in range order_range\n                order(OrderAsc, OrderDesc, Order, id(i64));\n            description(::std::option::Option<String>) null default field = \"description\"\n                in description_in range description_range\n                order(DescriptionAsc, DescriptionDesc, Description, id(i64));\n        }\n    }\n}\n";
        let got = declarations(printed.to_string());
        assert_eq!(got, want, "{got}");
        let again = declarations(got.clone());
        assert_eq!(again, got, "laying out twice changes nothing");
    }

    #[test]
    fn text_without_a_declaration_is_unchanged() {
        let text = "pub struct S {\n    a: Vec<u8>,\n}\n".to_string();
        assert_eq!(declarations(text.clone()), text);
    }
}
