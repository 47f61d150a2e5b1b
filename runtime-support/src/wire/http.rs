//! Action inputs from HTTP requests: the JSON body, path parameters and query string merged into one object, each field from where its binding says, then decoded with every violation reported.

use serde_json::{Map, Value};

use super::{Decode, Decoder, decode_document, wrong_type};

/// How a path or query string becomes the JSON value of one input field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Param {
    /// Kept as a JSON string.
    Str,
    /// A JSON integer when it parses as one.
    Int,
    /// A JSON number when it parses as one.
    Float,
    /// `true` or `false`.
    Bool,
    /// Parsed as JSON text when it is valid JSON.
    Json,
    /// Repeated keys (`?tag=a&tag=b`) as an array of items.
    List(&'static Param),
}

impl Param {
    fn scalar(self, raw: String) -> Value {
        match self {
            Param::Str => Value::String(raw),
            Param::Int => raw
                .parse::<i64>()
                .map(Value::from)
                .unwrap_or(Value::String(raw)),
            Param::Float => match raw
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
            {
                Some(n) => Value::Number(n),
                None => Value::String(raw),
            },
            Param::Bool => match raw.as_str() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                _ => Value::String(raw),
            },
            Param::Json => serde_json::from_str(&raw).unwrap_or(Value::String(raw)),
            Param::List(item) => item.scalar(raw),
        }
    }

    fn value(self, mut raw: Vec<String>) -> Value {
        match self {
            Param::List(item) => Value::Array(raw.into_iter().map(|r| item.scalar(r)).collect()),
            _ => self.scalar(raw.pop().unwrap_or_default()),
        }
    }
}

/// Where one input field comes from in an HTTP request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binding {
    /// A `{name}` path segment.
    Path(&'static str, Param),
    /// A query-string parameter.
    Query(&'static str, Param),
    /// A member of the JSON body.
    Body(&'static str),
}

/// Whether the request says `Content-Type: application/json` (any other
/// JSON type takes the decoding path, which judges it).
fn is_plain_json(req: &crate::HttpRequest) -> bool {
    // On the bytes: a value that is not text cannot be this one anyway.
    req.headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.as_bytes().split(|&b| b == b';').next())
        .is_some_and(|mime| mime.trim_ascii().eq_ignore_ascii_case(b"application/json"))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = s
                    .get(i + 1..i + 3)
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Builds an action's input from an HTTP request: the JSON body (for
/// methods that carry one), path parameters and query string, each field
/// from where its binding says; then decodes it, reporting every violation
/// (unknown query parameters included) as one 400 `validation_failed`.
pub fn http_input<T: Decode>(
    req: &crate::HttpRequest,
    bindings: &[Binding],
) -> Result<T, crate::ApiError> {
    use axum::http::Method;
    let mut obj = Map::new();
    // A `null` body stands for no body (the document says so), as long as
    // no body would do; otherwise it is not the object the input needs.
    let mut null_body = false;
    let has_body = !matches!(*req.method(), Method::GET | Method::DELETE | Method::HEAD);
    // The typed fast path, for a body that is the whole input.
    if has_body
        && req.path_params().is_empty()
        && req.uri().query().is_none_or(str::is_empty)
        && is_plain_json(req)
        && let Some(input) = T::from_body(req.body())
    {
        return Ok(input);
    }
    if has_body {
        match req.json_value()? {
            Value::Object(m) => obj = m,
            Value::Null => null_body = true,
            other => {
                let mut d = Decoder::new();
                wrong_type(&mut d, "an object", &other);
                return Err(crate::ApiError::validation(d.into_violations()));
            }
        }
    }
    for (k, v) in req.path_params() {
        let param = bindings.iter().find_map(|b| match b {
            Binding::Path(n, p) if n == k => Some(*p),
            _ => None,
        });
        if let Some(p) = param {
            obj.insert(k.clone(), p.value(vec![v.clone()]));
        }
    }
    let mut query: Vec<(String, Vec<String>)> = Vec::new();
    for pair in req
        .uri()
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
    {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let (k, v) = (percent_decode(k), percent_decode(v));
        match query.iter_mut().find(|(n, _)| *n == k) {
            Some((_, vs)) => vs.push(v),
            None => query.push((k, vec![v])),
        }
    }
    for (k, vs) in query {
        let param = bindings.iter().find_map(|b| match b {
            Binding::Query(n, p) if *n == k => Some(*p),
            _ => None,
        });
        let value = param.unwrap_or(Param::Str).value(vs);
        obj.insert(k, value);
    }
    decode_document(Value::Object(obj)).map_err(|violations| {
        if null_body {
            let mut d = Decoder::new();
            wrong_type(&mut d, "an object", &Value::Null);
            crate::ApiError::validation(d.into_violations())
        } else {
            crate::ApiError::validation(violations)
        }
    })
}
