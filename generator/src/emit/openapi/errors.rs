//! The error envelope components and the error responses of each operation.
//!
//! Every failure answers `{"error":{"code","message","trace_id","details"}}`
//! (`details` is `null` unless the error carries structure, e.g. the
//! violations of `validation_failed`). Each operation documents one response
//! per status among its action's exact error set, with `code` narrowed to
//! the codes that status can carry, plus a `default` response listing the
//! framework's transport errors (`Ir::transport_errors`). A transport error
//! that an operation with a body can get and whose status the operation
//! already lists (malformed JSON next to `validation_failed`) joins that
//! response, so its codes stay complete.

use std::collections::BTreeMap;

use super::schema::{boxed, plain, reference, string, string_enum, typed};
use crate::ir::{Action, ErrorPayload, ProjectNames, TransportError};
use indexmap::IndexMap;
use openapiv3::{
    Header, MediaType, ObjectType, ParameterSchemaOrContent, ReferenceOr, Response, Schema,
    SchemaKind, Type,
};

/// The name of the `x-request-id` header component (header components live
/// apart from schemas, so no type name can take it).
pub(crate) const REQUEST_ID_HEADER: &str = "RequestId";

/// The `application/json` content of a schema.
pub(crate) fn json_content(schema: ReferenceOr<Schema>) -> IndexMap<String, MediaType> {
    IndexMap::from([(
        "application/json".to_string(),
        MediaType {
            schema: Some(schema),
            ..MediaType::default()
        },
    )])
}

/// The component schemas of the envelope: `(name, schema)` pairs.
pub(crate) fn components(names: &ProjectNames) -> Vec<(String, Schema)> {
    let any_details = {
        // No `type`, so any value, `null` included (OpenAPI 3.0.3 ignores
        // `nullable` without a `type`, and linters reject it).
        let mut s = plain(SchemaKind::Any(Default::default()));
        s.schema_data.description = Some(
            "Structured details, or `null`. For `validation_failed`, a `ValidationFailedDetails`."
                .into(),
        );
        s
    };
    let body = object(
        [
            (
                "code",
                described(string(), "Stable snake_case error code; switch on this."),
            ),
            ("message", described(string(), "Human-readable message.")),
            (
                "trace_id",
                described(
                    string(),
                    "The request's trace id, also sent in the `x-request-id` header.",
                ),
            ),
            ("details", any_details),
        ],
        None,
    );
    let envelope = described(
        object([("error", body)], None),
        "The body of every error response, whatever its cause.",
    );
    let violation = described(
        object(
            [
                (
                    "path",
                    described(
                        string(),
                        "JSON pointer to the offending input value (`/title`, `/items/0/qty`).",
                    ),
                ),
                (
                    "code",
                    described(
                        string(),
                        "What is wrong: `required`, `max_len`, `unknown_field`, `invalid_type`, ...",
                    ),
                ),
                (
                    "message",
                    described(string(), "Human-readable explanation."),
                ),
            ],
            None,
        ),
        "One problem found in the input.",
    );
    let details = described(
        object(
            [("violations", array_of(reference(&names.openapi_violation)))],
            None,
        ),
        "The `details` of a `validation_failed` error: every problem, not just the first. Unknown input fields are \
         reported with code `unknown_field`.",
    );
    vec![
        (names.openapi_envelope.clone(), envelope),
        (names.openapi_validation_details.clone(), details),
        (names.openapi_violation.clone(), violation),
    ]
}

/// The `x-request-id` response header every response carries.
pub(crate) fn request_id_header() -> Header {
    Header {
        description: Some(
            "The request's trace id (taken from `x-request-id` or `traceparent`, else generated)."
                .into(),
        ),
        style: Default::default(),
        required: true,
        deprecated: None,
        format: ParameterSchemaOrContent::Schema(ReferenceOr::Item(string())),
        example: None,
        examples: IndexMap::new(),
        extensions: IndexMap::new(),
    }
}

/// Error responses shared between operations, by name, collected while the
/// operations are built and emitted under `components/responses`.
#[derive(Default)]
pub(crate) struct SharedResponses {
    responses: BTreeMap<String, Response>,
    /// The entries (code, message, violations) each shared response was
    /// built from: [`response`] is a function of them, so equal entries are
    /// the same response, not built again to be compared.
    built_from: BTreeMap<String, Vec<(String, String, bool)>>,
}

impl SharedResponses {
    /// A reference to the shared response `name`, registering `response`
    /// under it; the response itself when `name` already holds a different
    /// one (an implicit error whose message differs between actions).
    fn share(&mut self, name: String, response: Response) -> ReferenceOr<Response> {
        match self.responses.get(&name) {
            Some(existing) if *existing != response => ReferenceOr::Item(response),
            Some(_) => ReferenceOr::Reference {
                reference: format!("#/components/responses/{name}"),
            },
            None => {
                let r = ReferenceOr::Reference {
                    reference: format!("#/components/responses/{name}"),
                };
                self.responses.insert(name, response);
                r
            }
        }
    }

    /// [`Self::share`] for the response of `group`, built only when `name`
    /// was registered from other entries (or not at all).
    fn share_group(
        &mut self,
        name: String,
        group: &[Entry<'_>],
        names: &ProjectNames,
    ) -> ReferenceOr<Response> {
        let same = |seen: &Vec<(String, String, bool)>| {
            seen.len() == group.len()
                && seen
                    .iter()
                    .zip(group)
                    .all(|((c, m, v), e)| c == e.code && m == e.message && *v == e.violations)
        };
        if self.built_from.get(&name).is_some_and(same) {
            return ReferenceOr::Reference {
                reference: format!("#/components/responses/{name}"),
            };
        }
        if !self.responses.contains_key(&name) {
            let entries = group
                .iter()
                .map(|e| (e.code.to_owned(), e.message.to_owned(), e.violations))
                .collect();
            self.built_from.insert(name.clone(), entries);
        }
        self.share(name, response(group, names))
    }

    /// The shared responses, sorted by name.
    pub(crate) fn into_components(self) -> IndexMap<String, ReferenceOr<Response>> {
        self.responses
            .into_iter()
            .map(|(k, v)| (k, ReferenceOr::Item(v)))
            .collect()
    }
}

/// One error code a response documents.
struct Entry<'e> {
    code: &'e str,
    message: &'e str,
    /// The same for every action (implicit or transport), so a response of
    /// such entries only can be shared.
    shared: bool,
    /// It carries `details.violations`.
    violations: bool,
}

/// The error responses of `action`, by status, for an operation that takes a
/// JSON body when `has_body`; then the `default` response. A status whose
/// codes are all implicit or transport errors (the same for every action)
/// refers to a shared response named after its codes (`unauthorized`,
/// `validation_failed_or_malformed_json`); a status with declared errors is
/// described inline.
pub(crate) fn responses(
    action: &Action,
    transport: &[TransportError],
    has_body: bool,
    names: &ProjectNames,
    shared: &mut SharedResponses,
) -> (Vec<(u16, ReferenceOr<Response>)>, ReferenceOr<Response>) {
    let mut by_status: BTreeMap<u16, Vec<Entry<'_>>> = BTreeMap::new();
    for e in &action.errors {
        by_status.entry(e.status).or_default().push(Entry {
            code: &e.code,
            message: &e.message,
            shared: e.implicit,
            violations: e.payload == ErrorPayload::Violations,
        });
    }
    // What this operation can get from the framework: the transport errors
    // of a body when it has one (the others answer requests no operation
    // serves).
    let applicable: Vec<&TransportError> = transport
        .iter()
        .filter(|t| has_body || !t.with_body)
        .collect();
    for t in applicable.iter().filter(|t| t.with_body) {
        if let Some(group) = by_status.get_mut(&t.status)
            && !group.iter().any(|e| e.code == t.code)
        {
            group.push(Entry {
                code: &t.code,
                message: &t.message,
                shared: true,
                violations: false,
            });
        }
    }
    let mut out = Vec::new();
    for (status, group) in by_status {
        if group.iter().all(|e| e.shared) {
            let name = group
                .iter()
                .map(|e| e.code)
                .collect::<Vec<_>>()
                .join("_or_");
            out.push((status, shared.share_group(name, &group, names)));
        } else {
            out.push((status, ReferenceOr::Item(response(&group, names))));
        }
    }
    let mut description = String::from(
        "Any other failure, answered by the framework before the action runs: the error envelope. Codes:",
    );
    for t in &applicable {
        description.push_str(&format!("\n- `{}` ({}): {}", t.code, t.status, t.message));
    }
    let default = Response {
        description,
        headers: headers(),
        content: json_content(reference(&names.openapi_envelope)),
        ..Response::default()
    };
    let name = if has_body {
        "transport_error_with_body"
    } else {
        "transport_error"
    };
    (out, shared.share(name.into(), default))
}

fn response(group: &[Entry<'_>], names: &ProjectNames) -> Response {
    let mut description = String::from("Error codes:");
    for e in group {
        description.push_str(&format!("\n- `{}`: {}", e.code, e.message));
    }
    let inner = vec![("code", string_enum(group.iter().map(|e| e.code)))];
    let mut error = object(inner, Some(vec![]));
    if group.len() == 1
        && group[0].violations
        && let SchemaKind::Type(Type::Object(o)) = &mut error.schema_kind
    {
        // The details schema itself, not a one-schema `allOf` around it.
        o.properties.insert(
            "details".into(),
            boxed(reference(&names.openapi_validation_details)),
        );
    }
    let narrowing = object([("error", error)], Some(vec![]));
    let schema = plain(SchemaKind::AllOf {
        all_of: vec![
            reference(&names.openapi_envelope),
            ReferenceOr::Item(narrowing),
        ],
    });
    Response {
        description,
        headers: headers(),
        content: json_content(ReferenceOr::Item(schema)),
        ..Response::default()
    }
}

fn headers() -> IndexMap<String, ReferenceOr<Header>> {
    IndexMap::from([(
        "x-request-id".to_string(),
        ReferenceOr::Reference {
            reference: format!("#/components/headers/{REQUEST_ID_HEADER}"),
        },
    )])
}

/// An object with `props` in order, all required unless `required` says
/// otherwise.
fn object<'p>(
    props: impl IntoIterator<Item = (&'p str, Schema)>,
    required: Option<Vec<String>>,
) -> Schema {
    let mut properties = IndexMap::new();
    let mut all = Vec::new();
    for (name, s) in props {
        all.push(name.to_string());
        properties.insert(name.to_string(), ReferenceOr::Item(Box::new(s)));
    }
    typed(Type::Object(ObjectType {
        properties,
        required: required.unwrap_or(all),
        ..ObjectType::default()
    }))
}

fn array_of(item: ReferenceOr<Schema>) -> Schema {
    typed(Type::Array(openapiv3::ArrayType {
        items: Some(boxed(item)),
        min_items: None,
        max_items: None,
        unique_items: false,
    }))
}

fn described(mut s: Schema, text: &str) -> Schema {
    s.schema_data.description = Some(text.to_string());
    s
}
