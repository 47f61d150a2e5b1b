//! Names of the components bunbase adds beside the IR types, chosen so that they never collide with an IR type name.

use crate::ir::Ir;

/// Component names of the error envelope and shared headers.
pub(crate) struct Names {
    /// `ErrorEnvelope`: the body of every error response.
    pub(crate) envelope: String,
    /// `ValidationFailedDetails`: the `details` of `validation_failed`.
    pub(crate) validation_details: String,
    /// `Violation`: one input problem.
    pub(crate) violation: String,
    /// `x-request-id`: the trace id header (a header component; header
    /// names cannot collide with schema names).
    pub(crate) request_id_header: String,
}

impl Names {
    /// Picks the names for `ir`: the plain name unless the project declares
    /// a type of that name, then `bunbase.<Name>` (a dot never occurs in an
    /// IR type name).
    pub(crate) fn new(ir: &Ir) -> Self {
        let pick = |name: &str| {
            if ir.types.contains_key(name) {
                format!("bunbase.{name}")
            } else {
                name.to_string()
            }
        };
        Names {
            envelope: pick("ErrorEnvelope"),
            validation_details: pick("ValidationFailedDetails"),
            violation: pick("Violation"),
            request_id_header: "RequestId".to_string(),
        }
    }
}
