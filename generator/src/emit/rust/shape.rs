//! Formatting once per shape: items that differ only in names of the same lengths are parsed and printed once, and each copy is the printed shape with its own names put back.
//!
//! A thousand actions give a thousand decoders, error enums and route
//! functions that differ only in their names. prettyplease lays text out by
//! the widths of its tokens, never by what an identifier or a plain string
//! says, so an item whose long names (identifiers of six characters or
//! more, plain string literals of six characters or more) are replaced by
//! placeholders of the same lengths prints as the same text with the
//! placeholders where the names were. [`Shapes::unparse`] keys each
//! element by that canonical text, parses and prints a key the first time
//! it meets it (with syn and prettyplease, as [`unparse_items`] does), and
//! fills the placeholders of the printed shape with the element's names.
//!
//! What could change how syn parses or prettyplease prints is left as it
//! is: short identifiers, keywords and contextual keywords, raw
//! identifiers, macro names (prettyplease knows the standard macros by
//! name), numbers and other literals, and any string whose value differs
//! from its text (escapes), starts with `/` or `*` or ends with a space
//! (doc comments depend on those). An element with a short token holding
//! the placeholder marker is printed as it is. The snapshots and the
//! generated example hold the result byte for byte.

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex};

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};

use super::format::{Printed, unparse_items};

/// The marker every placeholder starts with, followed by a three-digit
/// base-36 index into the element's names and `_` up to the name's length.
const MARKER: &str = "QzQ";
/// The shortest name replaced: the marker and the index.
const MIN_LEN: usize = 6;
/// How many distinct names one element may have (three base-36 digits).
const MAX_NAMES: usize = 36 * 36 * 36;

/// Identifiers syn or prettyplease treat by their text: keywords, reserved
/// words and contextual keywords of six characters or more.
const KEEP: &[&str] = &[
    "abstract",
    "become",
    "builtin",
    "continue",
    "default",
    "extern",
    "macro_rules",
    "override",
    "return",
    "static",
    "struct",
    "typeof",
    "unsafe",
    "unsized",
    "virtual",
];

/// The printed shapes met so far, shared by the formatting workers.
#[derive(Default)]
pub struct Shapes {
    printed: Mutex<HashMap<String, Arc<Vec<Printed>>>>,
}

impl Shapes {
    /// Prints `tokens` (whole items) as [`unparse_items`] does, from the
    /// printed shape when one with the same key was printed before; and
    /// whether a string literal in them spans lines.
    pub fn unparse(&self, tokens: TokenStream) -> (Vec<Printed>, bool) {
        let mut key = Key {
            text: String::with_capacity(4096),
            ..Key::default()
        };
        key.walk(tokens);
        let multiline = key.multiline;
        if key.clash {
            // Printed as it is: the element's own text, names put back
            // where their placeholders were written.
            return (parse_and_unparse(&key.plain()), multiline);
        }
        let known = self.lock().get(&key.text).cloned();
        let shape = match known {
            Some(shape) => shape,
            None => {
                let shape = Arc::new(parse_and_unparse(&key.text));
                self.lock().insert(key.text, shape.clone());
                shape
            }
        };
        let printed = shape
            .iter()
            .map(|p| Printed {
                is_use: p.is_use,
                text: fill(&p.text, &key.names),
            })
            .collect();
        (printed, multiline)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Vec<Printed>>>> {
        self.printed.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Lexes `text` (tokens written out by [`Key::walk`]) and prints it.
fn parse_and_unparse(text: &str) -> Vec<Printed> {
    match text.parse::<TokenStream>() {
        Ok(tokens) => unparse_items(tokens),
        Err(e) => panic!("bunbase bug: the Rust emitter's tokens do not lex back: {e}"),
    }
}

/// An element's canonical text (its tokens as source text, names replaced
/// by placeholders), its names in the order of the placeholders' indexes,
/// and where each placeholder was written.
#[derive(Default)]
struct Key {
    text: String,
    names: Vec<String>,
    spots: Vec<(usize, usize)>,
    /// Some short token holds the marker: the element cannot be keyed.
    clash: bool,
    /// Some literal spans lines in its source text.
    multiline: bool,
}

impl Key {
    /// Appends `stream` to the key, consuming it (a token stream shared
    /// with another would be copied to be iterated).
    fn walk(&mut self, stream: TokenStream) {
        let mut tokens = stream.into_iter().peekable();
        while let Some(token) = tokens.next() {
            match token {
                TokenTree::Group(g) => {
                    let (open, close) = match g.delimiter() {
                        Delimiter::Parenthesis => ("(", ")"),
                        Delimiter::Brace => ("{", "}"),
                        Delimiter::Bracket => ("[", "]"),
                        Delimiter::None => ("", ""),
                    };
                    let inner = g.stream();
                    drop(g);
                    self.text.push_str(open);
                    self.walk(inner);
                    self.text.push_str(close);
                    self.text.push(' ');
                }
                TokenTree::Punct(p) => {
                    self.text.push(p.as_char());
                    if p.spacing() == Spacing::Alone {
                        self.text.push(' ');
                    }
                }
                TokenTree::Ident(i) => {
                    let start = self.text.len();
                    let _ = write!(self.text, "{i}");
                    let is_macro = matches!(
                        tokens.peek(),
                        Some(TokenTree::Punct(p)) if p.as_char() == '!' && p.spacing() == Spacing::Alone
                    );
                    let name = &self.text[start..];
                    let keep = name.len() < MIN_LEN
                        || is_macro
                        || name.starts_with("r#")
                        || KEEP.contains(&name);
                    if keep {
                        self.clash |= name.contains(MARKER);
                    } else {
                        self.placeholder(start);
                    }
                    self.text.push(' ');
                }
                TokenTree::Literal(l) => {
                    let start = self.text.len();
                    let _ = write!(self.text, "{l}");
                    let text = &self.text[start..];
                    self.multiline |= text.contains('\n');
                    match plain_string(text) {
                        Some(value) if value.len() >= MIN_LEN => {
                            self.text.pop();
                            self.placeholder(start + 1);
                            self.text.push('"');
                        }
                        _ => self.clash |= text.contains(MARKER),
                    }
                    self.text.push(' ');
                }
            }
        }
    }

    /// Replaces the name written at the end of the text, from `start`, by
    /// its placeholder, the same length as it (or leaves it when the
    /// element has run out of indexes).
    fn placeholder(&mut self, start: usize) {
        let name = &self.text[start..];
        let i = match self.names.iter().position(|n| n == name) {
            Some(i) => i,
            None if self.names.len() < MAX_NAMES => {
                self.names.push(name.to_owned());
                self.names.len() - 1
            }
            None => {
                self.clash |= name.contains(MARKER);
                return;
            }
        };
        self.text.truncate(start);
        self.spots.push((start, i));
        self.text.push_str(MARKER);
        for d in [i / (36 * 36), (i / 36) % 36, i % 36] {
            self.text.push(digit(d));
        }
        for _ in MIN_LEN..self.names[i].len() {
            self.text.push('_');
        }
    }

    /// The element's own text: [`Key::text`] with each placeholder
    /// replaced by its name.
    fn plain(&self) -> String {
        let mut out = String::with_capacity(self.text.len());
        let mut at = 0;
        for (spot, i) in &self.spots {
            out.push_str(&self.text[at..*spot]);
            out.push_str(&self.names[*i]);
            at = spot + self.names[*i].len();
        }
        out.push_str(&self.text[at..]);
        out
    }
}

fn digit(d: usize) -> char {
    char::from_digit(d as u32, 36).unwrap_or('0')
}

/// The value of a string literal written without escapes, whose value is
/// its text between the quotes and which prints the same whatever it says:
/// ASCII, no backslash or quote, not starting with `/` or `*` (a doc
/// comment would print otherwise) nor ending with a space (trimmed in a
/// doc comment).
fn plain_string(text: &str) -> Option<&str> {
    let value = text.strip_prefix('"')?.strip_suffix('"')?;
    let plain = value.is_ascii()
        && !value.contains(['\\', '"'])
        && !value.starts_with(['/', '*'])
        && !value.ends_with(' ');
    plain.then_some(value)
}

/// `shape` with each placeholder replaced by the name it stands for.
fn fill(shape: &str, names: &[String]) -> String {
    let mut out = String::with_capacity(shape.len());
    let mut rest = shape;
    while let Some(at) = find_marker(rest) {
        out.push_str(&rest[..at]);
        let digits = &rest[at + MARKER.len()..at + MIN_LEN];
        let i = usize::from_str_radix(digits, 36).unwrap_or(usize::MAX);
        let Some(name) = names.get(i) else {
            panic!("bunbase bug: a printed shape holds an unknown placeholder");
        };
        out.push_str(name);
        rest = &rest[at + name.len()..];
    }
    out.push_str(rest);
    out
}

/// Where the first placeholder in `text` starts (a search for the
/// marker's first byte, which is fast, then a check of the rest).
fn find_marker(text: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(at) = text[from..].find('Q') {
        let at = from + at;
        if text[at..].starts_with(MARKER) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;

    #[test]
    fn items_print_the_same_through_their_shape() {
        let shapes = Shapes::default();
        let item = |name: &str, wire: &str, doc: &str| {
            let n = quote::format_ident!("{}", name);
            let doc = format!(" {doc}");
            let least = proc_macro2::Literal::i64_unsuffixed(-5);
            let most = proc_macro2::Literal::i64_unsuffixed(12);
            quote! {
                #[doc = #doc]
                #[derive(Debug, ::bunbase_runtime::serde::Serialize)]
                #[serde(crate = "::bunbase_runtime::serde")]
                pub struct #n { #[serde(rename = #wire)] pub value_field: ::std::vec::Vec<#n> }
                impl #n {
                    pub fn describe(&self) -> &'static str { if self.value_field.is_empty() { #wire } else { "many" } }
                }
                pub static TABLE: &[&str] = &[#wire, "/path", "trailing ", "esc\"aped", "ünï"];
                pub const LEAST: i64 = #least;
                pub fn rules() -> ::std::vec::Vec<Rule> { vec![Rule::MinInt(#least), Rule::MaxInt(#most)] }
            }
        };
        for (name, wire, doc) in [
            ("AlphaInput", "alpha_wire", "The input of `m.alpha`."),
            ("BravoInput", "bravo_wire", "The input of `m.bravo`."),
            (
                "CharlieInputLonger",
                "charlie",
                "The input of `m.charlie`, longer.",
            ),
            ("BravoInput", "bravo_wire", "The input of `m.bravo`."),
        ] {
            let direct = unparse_items(item(name, wire, doc));
            let shaped = shapes.unparse(item(name, wire, doc)).0;
            let texts = |p: &[Printed]| {
                p.iter()
                    .map(|p| (p.is_use, p.text.clone()))
                    .collect::<Vec<_>>()
            };
            assert_eq!(texts(&shaped), texts(&direct));
        }
        // Alpha and Bravo share a shape; Charlie has one of its own.
        assert_eq!(shapes.lock().len(), 2);
    }

    #[test]
    fn elements_naming_the_marker_print_as_they_are() {
        let shapes = Shapes::default();
        for tokens in [
            quote!(
                pub struct QzQ;
                pub struct QzQ000Thing;
            ),
            quote!(
                pub const A: &str = "QzQ";
                pub struct QzQ000Thing;
            ),
        ] {
            let printed = shapes.unparse(tokens.clone()).0;
            let direct = unparse_items(tokens);
            assert_eq!(printed.len(), direct.len());
            for (p, d) in printed.iter().zip(&direct) {
                assert_eq!(p.text, d.text);
            }
        }
        assert!(shapes.lock().is_empty());
    }
}
