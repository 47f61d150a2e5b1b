//! A small YAML tree with a byte-accurate [`Span`] on every node, built from `saphyr-parser` events.
//!
//! We build our own tree instead of using `saphyr::MarkedYaml` because the
//! contract checker needs things a generic loader drops: duplicate mapping
//! keys (reported, not silently overwritten), byte offsets (the parser counts
//! characters) and whether a scalar was quoted (`"1.0"` is a string, `1.0` a
//! number). Syntax errors become diagnostics; the parser is also guarded
//! against panics so no input can crash the checker.

use std::collections::HashMap;

use saphyr_parser::{Event, Marker, Parser, ScalarStyle};

use crate::diag::Diagnostic;
use crate::ir::Span;

/// A YAML node.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// What the node holds.
    pub kind: NodeKind,
    /// The whole node for scalars; for collections, the first line of it.
    pub span: Span,
}

/// What a node holds.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    /// A scalar.
    Scalar(Scalar),
    /// A sequence.
    Seq(Vec<Node>),
    /// Entries in document order; duplicate keys were reported and dropped.
    Map(Vec<(Node, Node)>),
}

/// A scalar as written.
#[derive(Debug, Clone, PartialEq)]
pub struct Scalar {
    /// The scalar's value (quotes and escapes resolved).
    pub text: String,
    /// True unless the scalar was plain (quoted or block scalars are strings).
    pub quoted: bool,
}

impl Node {
    /// The scalar text, if this is a scalar.
    pub fn scalar(&self) -> Option<&Scalar> {
        match &self.kind {
            NodeKind::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// The mapping entries, if this is a mapping.
    pub fn map(&self) -> Option<&[(Node, Node)]> {
        match &self.kind {
            NodeKind::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The sequence items, if this is a sequence.
    pub fn seq(&self) -> Option<&[Node]> {
        match &self.kind {
            NodeKind::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// True for a plain `null`, `~` or empty scalar.
    pub fn is_null(&self) -> bool {
        matches!(&self.kind, NodeKind::Scalar(s) if !s.quoted && matches!(s.text.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }

    /// What kind of node this is, for messages ("a mapping").
    pub fn describe(&self) -> &'static str {
        match &self.kind {
            NodeKind::Map(_) => "a mapping",
            NodeKind::Seq(_) => "a list",
            NodeKind::Scalar(_) if self.is_null() => "nothing (null)",
            NodeKind::Scalar(s) if s.quoted => "a string",
            NodeKind::Scalar(s) => match plain_value(&s.text) {
                serde_json::Value::Bool(_) => "a boolean",
                serde_json::Value::Number(_) => "a number",
                _ => "a string",
            },
        }
    }

    /// The node as a JSON value, with YAML 1.2 core-schema typing of plain
    /// scalars. `None` for non-string mapping keys that cannot become JSON.
    pub fn to_json(&self) -> serde_json::Value {
        match &self.kind {
            NodeKind::Scalar(s) if s.quoted => serde_json::Value::String(s.text.clone()),
            NodeKind::Scalar(s) => plain_value(&s.text),
            NodeKind::Seq(items) => {
                serde_json::Value::Array(items.iter().map(Node::to_json).collect())
            }
            NodeKind::Map(entries) => serde_json::Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| {
                        (
                            k.scalar().map(|s| s.text.clone()).unwrap_or_default(),
                            v.to_json(),
                        )
                    })
                    .collect(),
            ),
        }
    }
}

/// Types a plain scalar by the YAML 1.2 core schema.
pub fn plain_value(text: &str) -> serde_json::Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return serde_json::Value::Null,
        "true" | "True" | "TRUE" => return serde_json::Value::Bool(true),
        "false" | "False" | "FALSE" => return serde_json::Value::Bool(false),
        _ => {}
    }
    let looks_numeric =
        text.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '+' || c == '.');
    if looks_numeric {
        if let Ok(i) = text.parse::<i64>() {
            return serde_json::Value::from(i);
        }
        if let Ok(u) = text.parse::<u64>() {
            return serde_json::Value::from(u);
        }
        let is_float = text
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E'))
            && text.chars().any(|c| c.is_ascii_digit());
        if is_float
            && let Some(n) = text
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
        {
            return serde_json::Value::Number(n);
        }
    }
    serde_json::Value::String(text.to_owned())
}

/// Maps the parser's character positions to byte offsets in one file.
struct Positions<'a> {
    file: &'a str,
    text: &'a str,
    /// Byte offset of the start of each line (0-based line index).
    line_starts: Vec<usize>,
    /// Whether the text is ASCII, so that a column is a byte count.
    ascii: bool,
}

impl<'a> Positions<'a> {
    fn new(file: &'a str, text: &'a str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Positions {
            file,
            text,
            line_starts,
            ascii: text.is_ascii(),
        }
    }

    /// Byte offset of a marker (line 1-based, col 0-based in characters).
    fn byte(&self, m: &Marker) -> usize {
        let line = m.line().max(1) - 1;
        let Some(&start) = self.line_starts.get(line) else {
            return self.text.len();
        };
        if self.ascii {
            // The column, or the line's end when the column lies past it.
            let end = self
                .line_starts
                .get(line + 1)
                .map_or(self.text.len(), |next| next - 1);
            return (start + m.col()).min(end);
        }
        let rest = &self.text[start..];
        let mut offset = start;
        for (n, c) in rest.chars().enumerate() {
            if n == m.col() || c == '\n' {
                return offset;
            }
            offset += c.len_utf8();
        }
        offset
    }

    fn span(&self, start: &Marker, end: &Marker) -> Span {
        let s = self.byte(start);
        let e = self.byte(end).max(s);
        Span {
            file: self.file.to_owned(),
            line: start.line().max(1) as u32,
            col: start.col() as u32 + 1,
            start: s,
            end: e,
        }
    }

    /// A span from `start` to the end of the marker's line, or `end` if sooner.
    fn first_line_span(&self, start: &Marker, end: Option<&Marker>) -> Span {
        let mut span = self.span(start, end.unwrap_or(start));
        let line_end = self.text[span.start..]
            .find('\n')
            .map_or(self.text.len(), |i| span.start + i);
        if end.is_none() || span.end > line_end {
            span.end = line_end;
        }
        let trimmed = self.text[span.start..span.end].trim_end();
        span.end = span.start + trimmed.len();
        span
    }

    /// A span covering a byte range of the file, with its line and column.
    pub fn span_of_bytes(&self, start: usize, end: usize) -> Span {
        span_at(self.file, self.text, start, end)
    }
}

/// A span for a byte range of `text`, computing line and column.
pub fn span_at(file: &str, text: &str, start: usize, end: usize) -> Span {
    let start = start.min(text.len());
    let before = &text[..floor_boundary(text, start)];
    let line = before.matches('\n').count() as u32 + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u32 + 1;
    Span {
        file: file.to_owned(),
        line,
        col,
        start,
        end: end.clamp(start, text.len()),
    }
}

fn floor_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Parses one YAML file into a tree. Returns `None` (with a diagnostic) on a
/// syntax error; an empty file gives a null scalar.
pub fn parse(file: &str, text: &str, diags: &mut Vec<Diagnostic>) -> Option<Node> {
    let result = std::panic::catch_unwind(|| parse_inner(file, text));
    match result {
        Ok(Ok((node, mut found))) => {
            diags.append(&mut found);
            Some(node)
        }
        Ok(Err(d)) => {
            diags.push(d);
            None
        }
        Err(_) => {
            let pos = Positions::new(file, text);
            diags.push(Diagnostic::error(
                "E0001",
                &pos.span_of_bytes(0, 0),
                "this file is not valid YAML (the YAML parser failed)",
            ));
            None
        }
    }
}

/// Collections nested deeper than this are refused (no contract needs it,
/// and recursive consumers must not overflow the stack).
const MAX_DEPTH: usize = 128;
/// Nodes a file may expand to, aliases included (stops "billion laughs").
const MAX_NODES: usize = 1_000_000;

enum Frame {
    /// Items, span, anchor id, node count when the collection started.
    Seq(Vec<Node>, Span, usize, usize),
    /// Entries, pending key, span, anchor id, node count at start.
    Map(Vec<(Node, Node)>, Option<Node>, Span, usize, usize),
}

type Parsed = (Node, Vec<Diagnostic>);

fn parse_inner(file: &str, text: &str) -> Result<Parsed, Diagnostic> {
    let pos = Positions::new(file, text);
    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, (Node, usize)> = HashMap::new();
    let mut count: usize = 0;
    let mut root: Option<Node> = None;
    let mut diags = Vec::new();
    let mut documents = 0;
    while let Some(event) = parser.next_event() {
        let (event, mspan) = event.map_err(|e| {
            let at = pos.span(e.marker(), e.marker());
            Diagnostic::error("E0001", &at, format!("invalid YAML: {}", e.info()))
        })?;
        count += 1;
        if stack.len() > MAX_DEPTH || count > MAX_NODES {
            let what = if count > MAX_NODES {
                "expands to too many nodes (check its aliases)"
            } else {
                "nests too deeply"
            };
            return Err(Diagnostic::error(
                "E0001",
                &pos.first_line_span(&mspan.start, None),
                format!("this YAML {what}"),
            ));
        }
        let node = match event {
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => continue,
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    diags.push(Diagnostic::error(
                        "E0001",
                        &pos.first_line_span(&mspan.start, None),
                        "a contract file holds one YAML document; this one starts a second",
                    ));
                    break;
                }
                continue;
            }
            Event::SequenceStart(anchor, _) => {
                stack.push(Frame::Seq(
                    Vec::new(),
                    pos.first_line_span(&mspan.start, None),
                    anchor,
                    count,
                ));
                continue;
            }
            Event::MappingStart(anchor, _) => {
                stack.push(Frame::Map(
                    Vec::new(),
                    None,
                    pos.first_line_span(&mspan.start, None),
                    anchor,
                    count,
                ));
                continue;
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq(items, span, anchor, start)) => {
                    let node = Node {
                        kind: NodeKind::Seq(items),
                        span,
                    };
                    remember(&mut anchors, anchor, &node, count - start);
                    node
                }
                _ => {
                    return Err(Diagnostic::error(
                        "E0001",
                        &pos.span_of_bytes(0, 0),
                        "invalid YAML structure",
                    ));
                }
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map(entries, _, span, anchor, start)) => {
                    let node = Node {
                        kind: NodeKind::Map(entries),
                        span,
                    };
                    remember(&mut anchors, anchor, &node, count - start);
                    node
                }
                _ => {
                    return Err(Diagnostic::error(
                        "E0001",
                        &pos.span_of_bytes(0, 0),
                        "invalid YAML structure",
                    ));
                }
            },
            Event::Scalar(value, style, anchor, _tag) => {
                let span = pos.span(&mspan.start, &mspan.end);
                let node = Node {
                    kind: NodeKind::Scalar(Scalar {
                        text: value.into_owned(),
                        quoted: style != ScalarStyle::Plain,
                    }),
                    span,
                };
                remember(&mut anchors, anchor, &node, 1);
                node
            }
            Event::Alias(id) => {
                let span = pos.span(&mspan.start, &mspan.end);
                match anchors.get(&id) {
                    Some((n, size)) => {
                        count += size;
                        if count > MAX_NODES {
                            return Err(Diagnostic::error(
                                "E0001",
                                &span,
                                "this YAML expands to too many nodes (check its aliases)",
                            ));
                        }
                        Node {
                            kind: n.kind.clone(),
                            span,
                        }
                    }
                    None => {
                        return Err(Diagnostic::error(
                            "E0001",
                            &span,
                            "this alias names no anchor defined before it",
                        ));
                    }
                }
            }
        };
        match stack.last_mut() {
            None => root = Some(node),
            Some(Frame::Seq(items, ..)) => items.push(node),
            Some(Frame::Map(entries, pending, ..)) => match pending.take() {
                None => *pending = Some(node),
                Some(key) => {
                    let duplicate = match &key.kind {
                        NodeKind::Scalar(k) => entries
                            .iter()
                            .find(|(e, _)| e.scalar().is_some_and(|s| s.text == k.text))
                            .map(|(e, _)| e.span.clone()),
                        _ => None,
                    };
                    if let (Some(first), Some(k)) = (duplicate, key.scalar()) {
                        diags.push(
                            Diagnostic::error(
                                "E0005",
                                &key.span,
                                format!("duplicate key `{}`", k.text),
                            )
                            .with_hint(format!(
                                "`{}` is first defined on line {}",
                                k.text, first.line
                            )),
                        );
                    } else {
                        entries.push((key, node));
                    }
                }
            },
        }
    }
    let root = root.unwrap_or(Node {
        kind: NodeKind::Scalar(Scalar {
            text: String::new(),
            quoted: false,
        }),
        span: pos.span_of_bytes(0, 0),
    });
    Ok((root, diags))
}

fn remember(anchors: &mut HashMap<usize, (Node, usize)>, anchor: usize, node: &Node, size: usize) {
    if anchor > 0 {
        anchors.insert(anchor, (node.clone(), size));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_are_bytes() {
        let text = "a: é\nb:\n  c: [1, \"x\"]\n";
        let mut diags = Vec::new();
        let root = parse("f.yaml", text, &mut diags).expect("valid");
        assert!(diags.is_empty());
        let map = root.map().expect("map");
        let (_, b) = &map[1];
        let (ck, cv) = &b.map().expect("map")[0];
        assert_eq!(ck.span.line, 3);
        assert_eq!(ck.span.col, 3);
        assert_eq!(&text[ck.span.start..ck.span.end], "c");
        let items = cv.seq().expect("seq");
        assert_eq!(&text[items[1].span.start..items[1].span.end], "\"x\"");
        assert!(items[1].scalar().expect("scalar").quoted);
    }

    #[test]
    fn duplicate_keys_and_errors_are_diagnostics() {
        let mut diags = Vec::new();
        parse("f.yaml", "a: 1\na: 2\n", &mut diags);
        assert_eq!(diags[0].code, "E0005");
        let mut diags = Vec::new();
        assert!(parse("f.yaml", "a: [1, 2\nb: }", &mut diags).is_none());
        assert_eq!(diags[0].code, "E0001");
    }

    #[test]
    fn hostile_inputs_are_refused() {
        let deep = "[".repeat(100_000);
        let mut diags = Vec::new();
        assert!(parse("f.yaml", &deep, &mut diags).is_none());
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 0..12 {
            let prev = if i == 0 {
                "a".to_owned()
            } else {
                format!("b{}", i - 1)
            };
            bomb.push_str(&format!(
                "b{i}: &b{i} [{}]\n",
                vec![format!("*{prev}"); 10].join(", ")
            ));
        }
        let mut diags = Vec::new();
        assert!(parse("f.yaml", &bomb, &mut diags).is_none());
        assert!(diags[0].message.contains("too many nodes"), "{diags:?}");
    }
}
