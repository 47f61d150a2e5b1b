//! Type expressions (`list<Task>?`, `map<string>`, `[uuid]`, `billing.Invoice`, `task.created`): a tiny recursive-descent parser with spans.

use super::ast::{Prim, TypeExpr, TypeExprKind};
use crate::diag::{self, Diagnostic};
use crate::ir::Span;

/// Parses the type expression `text`, written at `base` (the span of its
/// characters in the file: `base.start` is the byte offset of `text[0]`).
/// Reports malformed expressions and returns a [`TypeExprKind::Invalid`].
pub fn parse(text: &str, base: &Span, diags: &mut Vec<Diagnostic>) -> TypeExpr {
    let mut p = P { text, pos: 0, base };
    let before = diags.len();
    let result = p.expr(diags, 0);
    let expr = match result {
        Some(e) => {
            p.skip_ws();
            if p.pos < text.len() {
                let span = p.span(p.pos, text.len());
                diags.push(
                    Diagnostic::error(
                        "E0102",
                        &span,
                        format!("unexpected `{}` after the type in `{text}`", &text[p.pos..]),
                    )
                    .with_hint(
                        "a type is a name, `list<T>`, `[T]`, `map<T>`, optionally followed by `?`",
                    ),
                );
                None
            } else {
                Some(e)
            }
        }
        None => None,
    };
    match expr {
        Some(e) if diags.len() == before => e,
        _ => {
            if diags.len() == before {
                diags.push(Diagnostic::error(
                    "E0102",
                    &p.span(0, text.len()),
                    format!("invalid type `{text}`"),
                ));
            }
            TypeExpr {
                kind: TypeExprKind::Invalid,
                span: p.span(0, text.len()),
            }
        }
    }
}

struct P<'a> {
    text: &'a str,
    pos: usize,
    base: &'a Span,
}

const MAX_DEPTH: usize = 32;

impl P<'_> {
    fn span(&self, start: usize, end: usize) -> Span {
        let start = start.min(self.text.len());
        let end = end.clamp(start, self.text.len());
        let chars_before = self.text[..start].chars().count() as u32;
        Span {
            file: self.base.file.clone(),
            line: self.base.line,
            col: self.base.col + chars_before,
            start: self.base.start + start,
            end: self.base.start + end,
        }
    }

    fn skip_ws(&mut self) {
        while self.text[self.pos..].starts_with(' ') {
            self.pos += 1;
        }
    }

    fn eat(&mut self, c: char) -> bool {
        self.skip_ws();
        if self.text[self.pos..].starts_with(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: char, diags: &mut Vec<Diagnostic>) -> Option<()> {
        if self.eat(c) {
            return Some(());
        }
        let found = self.text[self.pos..].chars().next();
        let span = self.span(self.pos, self.pos + found.map_or(0, char::len_utf8));
        let what = found.map_or("the end".to_owned(), |f| format!("`{f}`"));
        diags.push(Diagnostic::error(
            "E0102",
            &span,
            format!("expected `{c}` in type `{}`, found {what}", self.text),
        ));
        None
    }

    fn ident(&mut self) -> (usize, &str) {
        self.skip_ws();
        let start = self.pos;
        let rest = &self.text[start..];
        let len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
            .unwrap_or(rest.len());
        self.pos += len;
        (start, &self.text[start..start + len])
    }

    fn expr(&mut self, diags: &mut Vec<Diagnostic>, depth: usize) -> Option<TypeExpr> {
        self.skip_ws();
        let start = self.pos;
        if depth > MAX_DEPTH {
            diags.push(Diagnostic::error(
                "E0102",
                &self.span(start, self.text.len()),
                "type expression nests too deeply",
            ));
            return None;
        }
        let mut expr = if self.eat('[') {
            let item = self.expr(diags, depth + 1)?;
            self.expect(']', diags)?;
            TypeExpr {
                kind: TypeExprKind::List(Box::new(item)),
                span: self.span(start, self.pos),
            }
        } else {
            let (id_start, id) = self.ident();
            let id = id.to_owned();
            if id.is_empty() {
                let found = self.text[self.pos..].chars().next();
                let span = self.span(self.pos, self.pos + found.map_or(0, char::len_utf8));
                let msg = match found {
                    Some(c) => format!("expected a type name in `{}`, found `{c}`", self.text),
                    None if self.text.trim().is_empty() => {
                        "expected a type, found nothing".to_owned()
                    }
                    None => format!("expected a type name in `{}`, found the end", self.text),
                };
                diags.push(Diagnostic::error("E0102", &span, msg));
                return None;
            }
            if id == "list" || id == "map" {
                if !self.eat('<') {
                    diags.push(
                        Diagnostic::error(
                            "E0102",
                            &self.span(id_start, self.pos),
                            format!("`{id}` needs an item type: `{id}<T>`"),
                        )
                        .with_hint(format!("write `{id}<string>`, for example")),
                    );
                    return None;
                }
                let mut item = self.expr(diags, depth + 1)?;
                if id == "map" && self.eat(',') {
                    // `map<string, T>`: the key must be `string`.
                    if item.kind != TypeExprKind::Prim(Prim::String) {
                        diags.push(Diagnostic::error(
                            "E0102",
                            &item.span,
                            "map keys are always strings: write `map<T>` or `map<string, T>`",
                        ));
                        return None;
                    }
                    item = self.expr(diags, depth + 1)?;
                }
                self.expect('>', diags)?;
                let span = self.span(start, self.pos);
                let kind = if id == "list" {
                    TypeExprKind::List(Box::new(item))
                } else {
                    TypeExprKind::Map(Box::new(item))
                };
                TypeExpr { kind, span }
            } else {
                let span = self.span(id_start, self.pos);
                self.name(&id, span, diags)?
            }
        };
        if self.eat('?') {
            if matches!(expr.kind, TypeExprKind::Optional(_)) {
                diags.push(Diagnostic::error(
                    "E0102",
                    &self.span(start, self.pos),
                    "a type can be optional only once",
                ));
                return None;
            }
            expr = TypeExpr {
                kind: TypeExprKind::Optional(Box::new(expr)),
                span: self.span(start, self.pos),
            };
            if self.eat('?') {
                diags.push(Diagnostic::error(
                    "E0102",
                    &self.span(start, self.pos),
                    "a type can be optional only once",
                ));
                return None;
            }
        }
        Some(expr)
    }

    fn name(&self, id: &str, span: Span, diags: &mut Vec<Diagnostic>) -> Option<TypeExpr> {
        if let Some(p) = Prim::from_name(id) {
            return Some(TypeExpr {
                kind: TypeExprKind::Prim(p),
                span,
            });
        }
        let segments: Vec<&str> = id.split('.').collect();
        if segments.iter().any(|s| s.is_empty()) {
            diags.push(Diagnostic::error(
                "E0102",
                &span,
                format!("`{id}` is not a valid type name"),
            ));
            return None;
        }
        let last = segments.last().copied().unwrap_or("");
        if last.starts_with(|c: char| c.is_ascii_uppercase()) {
            if segments.len() > 2 {
                diags.push(
                    Diagnostic::error("E0102", &span, format!("`{id}` is not a valid type name"))
                        .with_hint("name a type as `Name` or `module.Name`"),
                );
                return None;
            }
            let module = (segments.len() == 2).then(|| segments[0].to_owned());
            return Some(TypeExpr {
                kind: TypeExprKind::Named {
                    module,
                    name: last.to_owned(),
                },
                span,
            });
        }
        if segments.len() >= 2 {
            return Some(TypeExpr {
                kind: TypeExprKind::Event(id.to_owned()),
                span,
            });
        }
        // A single lower-case word that is not a built-in: an unknown type.
        let builtins = Prim::ALL.iter().map(|(n, _)| *n).chain(["list", "map"]);
        diags.push(
            Diagnostic::error("E0101", &span, format!("unknown type `{id}`")).with_opt_hint(
                diag::did_you_mean(id, builtins).or_else(|| {
                    Some(
                        "built-in types are lower case (`string`, `int`, ...); declared types are PascalCase"
                            .to_owned(),
                    )
                }),
            ),
        );
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(s: &str) -> TypeExprKind {
        let mut d = Vec::new();
        let e = parse(s, &Span::default(), &mut d);
        assert!(d.is_empty(), "{d:?}");
        e.kind
    }

    #[test]
    fn parses_forms() {
        assert!(matches!(parse_ok("list<Task>?"), TypeExprKind::Optional(_)));
        assert!(matches!(parse_ok("[uuid]"), TypeExprKind::List(_)));
        assert!(matches!(parse_ok("map<string, int>"), TypeExprKind::Map(_)));
        assert!(matches!(
            parse_ok("billing.Invoice"),
            TypeExprKind::Named { .. }
        ));
        assert!(matches!(parse_ok("task.created"), TypeExprKind::Event(_)));
    }

    #[test]
    fn reports_errors() {
        for bad in ["list<", "strin", "list<int", "int??", "", "a..B", "x y"] {
            let mut d = Vec::new();
            let e = parse(bad, &Span::default(), &mut d);
            assert_eq!(e.kind, TypeExprKind::Invalid, "{bad}");
            assert!(!d.is_empty(), "{bad}");
        }
    }
}
