//! Which of the optional request headers the pipeline reads a request carries, found in one pass over its header names.
//!
//! The pipeline asks for seven headers that most requests do not send
//! (`x-request-id`, `traceparent`, `sec-fetch-site`, `origin`,
//! `authorization`, `x-api-key`, `idempotency-key`). A `HeaderMap` lookup
//! hashes the name even when it is absent; a request's few names, each
//! compared with the one candidate of its length, cost less, and a lookup
//! then runs only for a header that is there. The request layer scans once
//! and hands the result on ([`crate::trace::Served`]).

use axum::http::{HeaderMap, HeaderName};

/// A set of the optional headers a request carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Present(u8);

impl Present {
    pub(crate) const REQUEST_ID: u8 = 1;
    pub(crate) const TRACEPARENT: u8 = 1 << 1;
    pub(crate) const SEC_FETCH_SITE: u8 = 1 << 2;
    pub(crate) const ORIGIN: u8 = 1 << 3;
    pub(crate) const AUTHORIZATION: u8 = 1 << 4;
    pub(crate) const API_KEY: u8 = 1 << 5;
    pub(crate) const IDEMPOTENCY_KEY: u8 = 1 << 6;

    /// The optional headers among `headers`' names.
    pub(crate) fn scan(headers: &HeaderMap) -> Self {
        Self::scan_sized(headers).0
    }

    /// [`Present::scan`], and in the same pass the size of the header
    /// fields as HTTP/1.1 text (`name: value` and a line break each), which
    /// the request layer holds against `HEAD_LIMIT_BYTES`.
    pub(crate) fn scan_sized(headers: &HeaderMap) -> (Self, usize) {
        let (mut bits, mut size) = (0, 0);
        for (name, value) in headers {
            bits |= Self::bit(name);
            size += name.as_str().len() + 2 + value.len() + 2;
        }
        (Present(bits), size)
    }

    /// Whether any header of `bits` is present.
    pub(crate) fn any(self, bits: u8) -> bool {
        self.0 & bits != 0
    }

    /// The bit of a header name: its length picks the one candidate it
    /// is compared with, first byte first (names are lowercase).
    fn bit(name: &HeaderName) -> u8 {
        let name = name.as_str().as_bytes();
        let (candidate, bit): (&[u8], u8) = match name.len() {
            6 => (b"origin", Self::ORIGIN),
            9 => (b"x-api-key", Self::API_KEY),
            11 => (b"traceparent", Self::TRACEPARENT),
            12 => (b"x-request-id", Self::REQUEST_ID),
            13 => (b"authorization", Self::AUTHORIZATION),
            14 => (b"sec-fetch-site", Self::SEC_FETCH_SITE),
            15 => (b"idempotency-key", Self::IDEMPOTENCY_KEY),
            _ => return 0,
        };
        if name.first() == candidate.first() && name == candidate {
            bit
        } else {
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::header;

    use crate::auth::apikey::X_API_KEY;
    use crate::auth::csrf::SEC_FETCH_SITE;
    use crate::auth::idempotency::IDEMPOTENCY_KEY_NAME;
    use crate::trace::{REQUEST_ID, TRACEPARENT};

    #[test]
    fn finds_each_optional_header_and_nothing_else() {
        // The names the pipeline looks up, spelled as they do.
        let names = [
            (REQUEST_ID.as_str(), Present::REQUEST_ID),
            (TRACEPARENT.as_str(), Present::TRACEPARENT),
            (SEC_FETCH_SITE.as_str(), Present::SEC_FETCH_SITE),
            (header::ORIGIN.as_str(), Present::ORIGIN),
            (header::AUTHORIZATION.as_str(), Present::AUTHORIZATION),
            (X_API_KEY.as_str(), Present::API_KEY),
            (IDEMPOTENCY_KEY_NAME.as_str(), Present::IDEMPOTENCY_KEY),
        ];
        for (name, bit) in names {
            let mut headers = HeaderMap::new();
            headers.insert(header::CONTENT_TYPE, "application/json".parse().unwrap());
            headers.insert(header::COOKIE, "a=b".parse().unwrap());
            // Parsed from text, as hyper does: a standard name or a custom one.
            headers.insert(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                "x".parse().unwrap(),
            );
            let present = Present::scan(&headers);
            assert_eq!(present, Present(bit), "{name}");
            assert!(present.any(bit));
        }
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, "h".parse().unwrap());
        headers.insert(
            HeaderName::from_static("x-request-ids"),
            "x".parse().unwrap(),
        );
        assert_eq!(Present::scan(&headers), Present(0));
    }
}
