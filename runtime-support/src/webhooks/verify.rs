//! Signature verification for the three webhook schemes, over the raw body and in constant time, before anything is parsed.
//!
//! Every check compares the expected HMAC-SHA256 tag with each signature the
//! request offers, under each configured secret, with `subtle`'s
//! constant-time equality and without stopping at the first match, so the
//! time taken does not depend on where the bytes differ.

use axum::http::HeaderMap;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use subtle::{Choice, ConstantTimeEq};

use super::{Encoding, Scheme, WebhookError};

type HmacSha256 = Hmac<Sha256>;

/// The header names of the Standard Webhooks scheme.
pub const STANDARD_ID: &str = "webhook-id";
/// The Standard Webhooks timestamp header (Unix seconds).
pub const STANDARD_TIMESTAMP: &str = "webhook-timestamp";
/// The Standard Webhooks signature header (`v1,<base64>` entries).
pub const STANDARD_SIGNATURE: &str = "webhook-signature";

/// The longest delivery id accepted (a header value a provider controls).
const MAX_ID_LEN: usize = 256;

/// The secrets a webhook verifies with: every one is tried, so a provider
/// can rotate by sending under the new secret while the old one is still
/// configured.
#[derive(Clone)]
pub struct Secrets(Vec<Vec<u8>>);

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secrets({} keys)", self.0.len())
    }
}

impl Secrets {
    /// Parses the value of the variable `env`: comma-separated secrets
    /// (surrounding spaces ignored), any order. For Standard Webhooks each
    /// secret is `whsec_` followed by base64 (the prefix is optional), and
    /// the key is the decoded bytes; for the other schemes the key is the
    /// secret's text as it is (Stripe's `whsec_…` included).
    pub fn parse(scheme: &Scheme, env: &'static str, value: &str) -> Result<Secrets, WebhookError> {
        let mut keys = Vec::new();
        for raw in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let key = match scheme {
                Scheme::StandardWebhooks { .. } => {
                    let b64 = raw.strip_prefix("whsec_").unwrap_or(raw);
                    STANDARD
                        .decode(b64)
                        .map_err(|_| WebhookError::InvalidSecret {
                            env,
                            reason: "a Standard Webhooks secret is `whsec_` followed by base64",
                        })?
                }
                _ => raw.as_bytes().to_vec(),
            };
            if key.is_empty() {
                return Err(WebhookError::InvalidSecret {
                    env,
                    reason: "a secret decodes to no bytes",
                });
            }
            keys.push(key);
        }
        if keys.is_empty() {
            return Err(WebhookError::InvalidSecret {
                env,
                reason: "it holds no secret (comma-separated secrets expected)",
            });
        }
        Ok(Secrets(keys))
    }

    /// How many secrets are configured.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always false: parsing refuses an empty list.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Why a delivery was refused. Each answers 401 `unauthorized` with
/// [`Rejection::reason`] in `details.reason`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// A header the scheme needs is absent.
    MissingHeader(String),
    /// A header is present but does not parse.
    MalformedHeader(String),
    /// No offered signature matches any secret.
    SignatureMismatch,
    /// The signature matches but the timestamp is outside the tolerance
    /// window (a replay of an old delivery, or a skewed clock).
    StaleTimestamp {
        /// The delivery's timestamp (Unix seconds).
        timestamp: i64,
        /// The server's time (Unix seconds).
        now: i64,
    },
}

impl Rejection {
    /// The stable `details.reason` text.
    pub fn reason(&self) -> &'static str {
        match self {
            Rejection::MissingHeader(_) => "missing_header",
            Rejection::MalformedHeader(_) => "malformed_header",
            Rejection::SignatureMismatch => "signature_mismatch",
            Rejection::StaleTimestamp { .. } => "stale_timestamp",
        }
    }

    /// The client-facing message: what to check, never a secret.
    pub fn message(&self) -> String {
        match self {
            Rejection::MissingHeader(h) => {
                format!("The webhook delivery has no {h} header: it is not signed.")
            }
            Rejection::MalformedHeader(h) => {
                format!("The webhook delivery's {h} header does not parse.")
            }
            Rejection::SignatureMismatch => {
                "The webhook signature does not match the body under any configured secret."
                    .to_owned()
            }
            Rejection::StaleTimestamp { timestamp, now } => format!(
                "The webhook timestamp {timestamp} is too far from the server's time {now}: the delivery is refused as a possible replay."
            ),
        }
    }
}

/// A verified delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The delivery's id: the scheme's id header, or `sha256:<hex>` of the
    /// body when the scheme has none (see [`Scheme`]). Deduplication and
    /// queue unique keys use it.
    pub delivery_id: String,
}

/// Verifies `body` and `headers` under `scheme` with `secrets`, at `now`
/// (Unix seconds). Nothing of the body is parsed before this succeeds.
pub fn verify(
    scheme: &Scheme,
    secrets: &Secrets,
    headers: &HeaderMap,
    body: &[u8],
    now: i64,
) -> Result<Verified, Rejection> {
    match *scheme {
        Scheme::HmacSha256 {
            header,
            prefix,
            encoding,
            id_header,
        } => {
            let value = text_header(headers, header)?;
            let delivery_id = match id_header {
                Some(h) => delivery_id(text_header(headers, h)?, h)?,
                None => body_id(body),
            };
            let signature = value
                .trim()
                .strip_prefix(prefix)
                .ok_or_else(|| Rejection::MalformedHeader(header.to_owned()))?;
            let offered = match encoding {
                Encoding::Hex => decode_hex(signature.trim()),
                Encoding::Base64 => decode_b64(signature.trim()),
            };
            let offered: Vec<Vec<u8>> = offered.into_iter().collect();
            matches_any(secrets, &offered, |mac| mac.update(body))?;
            Ok(Verified { delivery_id })
        }
        Scheme::Stripe {
            header,
            tolerance_secs,
        } => {
            let value = text_header(headers, header)?;
            let mut timestamp = None;
            let mut offered = Vec::new();
            for item in value.split(',') {
                let Some((key, val)) = item.trim().split_once('=') else {
                    continue;
                };
                match key {
                    "t" => timestamp = val.parse::<i64>().ok(),
                    // Only v1 is HMAC-SHA256; v0 (test mode) and others are ignored.
                    "v1" => offered.push(decode_hex(val).unwrap_or_default()),
                    _ => {}
                }
            }
            let (Some(t), false) = (timestamp, offered.is_empty()) else {
                return Err(Rejection::MalformedHeader(header.to_owned()));
            };
            let t_text = t.to_string();
            matches_any(secrets, &offered, |mac| {
                mac.update(t_text.as_bytes());
                mac.update(b".");
                mac.update(body);
            })?;
            fresh(t, now, tolerance_secs)?;
            Ok(Verified {
                delivery_id: body_id(body),
            })
        }
        Scheme::StandardWebhooks { tolerance_secs } => {
            let id = delivery_id(text_header(headers, STANDARD_ID)?, STANDARD_ID)?;
            let ts_text = text_header(headers, STANDARD_TIMESTAMP)?.trim();
            let t: i64 = ts_text
                .parse()
                .map_err(|_| Rejection::MalformedHeader(STANDARD_TIMESTAMP.to_owned()))?;
            let value = text_header(headers, STANDARD_SIGNATURE)?;
            // Space-separated `version,signature` entries; only v1 is HMAC.
            let offered: Vec<Vec<u8>> = value
                .split_whitespace()
                .filter_map(|entry| entry.split_once(','))
                .filter(|(version, _)| *version == "v1")
                .map(|(_, sig)| decode_b64(sig).unwrap_or_default())
                .collect();
            if offered.is_empty() {
                return Err(Rejection::MalformedHeader(STANDARD_SIGNATURE.to_owned()));
            }
            matches_any(secrets, &offered, |mac| {
                mac.update(id.as_bytes());
                mac.update(b".");
                mac.update(ts_text.as_bytes());
                mac.update(b".");
                mac.update(body);
            })?;
            fresh(t, now, tolerance_secs)?;
            Ok(Verified { delivery_id: id })
        }
    }
}

/// A header's value as text; absent (or empty) and non-text are rejections.
fn text_header<'a>(headers: &'a HeaderMap, name: &str) -> Result<&'a str, Rejection> {
    let value = headers
        .get(name)
        .ok_or_else(|| Rejection::MissingHeader(name.to_owned()))?;
    let text = value
        .to_str()
        .map_err(|_| Rejection::MalformedHeader(name.to_owned()))?;
    if text.trim().is_empty() {
        return Err(Rejection::MissingHeader(name.to_owned()));
    }
    Ok(text)
}

/// A provider's delivery id: printable ASCII, at most [`MAX_ID_LEN`] bytes.
fn delivery_id(value: &str, header: &str) -> Result<String, Rejection> {
    let value = value.trim();
    if value.len() > MAX_ID_LEN || !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Rejection::MalformedHeader(header.to_owned()));
    }
    Ok(value.to_owned())
}

/// The id of a delivery whose scheme names none: the body's SHA-256. A
/// provider's retry resends the same bytes, so it deduplicates as one.
fn body_id(body: &[u8]) -> String {
    format!("sha256:{}", encode_hex(&Sha256::digest(body)))
}

/// Whether some offered signature equals the tag of the signed content
/// (fed by `sign`) under some secret. Every pair is compared in constant
/// time, and the loop does not stop at a match.
fn matches_any(
    secrets: &Secrets,
    offered: &[Vec<u8>],
    sign: impl Fn(&mut HmacSha256),
) -> Result<(), Rejection> {
    let mut found = Choice::from(0);
    for key in &secrets.0 {
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(key).expect("HMAC takes any key");
        sign(&mut mac);
        let expected = mac.finalize().into_bytes();
        for candidate in offered {
            // Unequal lengths compare unequal (`ct_eq` on slices checks the
            // length first, which reveals only the length).
            found |= expected.as_slice().ct_eq(candidate.as_slice());
        }
    }
    if bool::from(found) {
        Ok(())
    } else {
        Err(Rejection::SignatureMismatch)
    }
}

/// Refuses a timestamp more than `tolerance` seconds from `now`, either way.
fn fresh(timestamp: i64, now: i64, tolerance: u64) -> Result<(), Rejection> {
    let tolerance = i64::try_from(tolerance).unwrap_or(i64::MAX);
    if now.saturating_sub(timestamp).saturating_abs() > tolerance {
        return Err(Rejection::StaleTimestamp { timestamp, now });
    }
    Ok(())
}

/// Lower-case hex.
pub(crate) fn encode_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0xf)] as char);
    }
    out
}

/// Hex in either case; `None` when it is not hex.
fn decode_hex(text: &str) -> Option<Vec<u8>> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    bytes
        .chunks(2)
        .map(|pair| Some(nibble(pair[0])? << 4 | nibble(pair[1])?))
        .collect()
}

/// Standard base64, with or without padding.
fn decode_b64(text: &str) -> Option<Vec<u8>> {
    STANDARD
        .decode(text)
        .or_else(|_| STANDARD_NO_PAD.decode(text))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    const GITHUB: Scheme = Scheme::HmacSha256 {
        header: "x-hub-signature-256",
        prefix: "sha256=",
        encoding: Encoding::Hex,
        id_header: None,
    };

    /// GitHub's documented example ("Validating webhook deliveries").
    #[test]
    fn github_documented_vector_verifies() {
        let secrets = Secrets::parse(&GITHUB, "GH", "It's a Secret to Everybody").unwrap();
        let h = headers(&[(
            "x-hub-signature-256",
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
        )]);
        let ok = verify(&GITHUB, &secrets, &h, b"Hello, World!", 0).unwrap();
        assert!(ok.delivery_id.starts_with("sha256:"));
        assert_eq!(
            verify(&GITHUB, &secrets, &h, b"Hello, World?", 0),
            Err(Rejection::SignatureMismatch)
        );
    }

    /// The Standard Webhooks reference vector (the spec's and its libraries' test).
    #[test]
    fn standard_webhooks_reference_vector_verifies() {
        let scheme = Scheme::StandardWebhooks {
            tolerance_secs: 300,
        };
        let secrets =
            Secrets::parse(&scheme, "SW", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let h = headers(&[
            ("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"),
            ("webhook-timestamp", "1614265330"),
            (
                "webhook-signature",
                "v1a,ignored v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
            ),
        ]);
        let body = br#"{"test": 2432232314}"#;
        let ok = verify(&scheme, &secrets, &h, body, 1614265330 + 10).unwrap();
        assert_eq!(ok.delivery_id, "msg_p5jXN8AQM9LWM0D4loKWxJek");
        assert_eq!(
            verify(&scheme, &secrets, &h, body, 1614265330 + 301),
            Err(Rejection::StaleTimestamp {
                timestamp: 1614265330,
                now: 1614265631
            })
        );
    }

    #[test]
    fn stripe_accepts_any_v1_under_any_secret_and_checks_the_window() {
        let scheme = Scheme::Stripe {
            header: "stripe-signature",
            tolerance_secs: 300,
        };
        let secrets = Secrets::parse(&scheme, "ST", "whsec_old, whsec_new").unwrap();
        assert_eq!(secrets.len(), 2);
        let body = br#"{"id":"evt_1","type":"invoice.paid"}"#;
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(b"whsec_new").unwrap();
        mac.update(b"1700000000.");
        mac.update(body);
        let good = encode_hex(&mac.finalize().into_bytes());
        let value = format!("t=1700000000,v1={},v1={good},v0=abc", "00".repeat(32));
        let h = headers(&[("stripe-signature", &value)]);
        assert!(verify(&scheme, &secrets, &h, body, 1_700_000_100).is_ok());
        assert_eq!(
            verify(&scheme, &secrets, &h, body, 1_700_000_301).unwrap_err(),
            Rejection::StaleTimestamp {
                timestamp: 1_700_000_000,
                now: 1_700_000_301
            }
        );
        let no_v1 = headers(&[("stripe-signature", "t=1700000000,v0=abc")]);
        assert_eq!(
            verify(&scheme, &secrets, &no_v1, body, 1_700_000_000),
            Err(Rejection::MalformedHeader("stripe-signature".into()))
        );
    }

    #[test]
    fn base64_hmac_with_an_id_header() {
        let scheme = Scheme::HmacSha256 {
            header: "x-shopify-hmac-sha256",
            prefix: "",
            encoding: Encoding::Base64,
            id_header: Some("x-shopify-webhook-id"),
        };
        let secrets = Secrets::parse(&scheme, "SH", "s3cret").unwrap();
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(b"s3cret").unwrap();
        mac.update(b"{}");
        let sig = STANDARD.encode(mac.finalize().into_bytes());
        let h = headers(&[("x-shopify-hmac-sha256", &sig)]);
        assert_eq!(
            verify(&scheme, &secrets, &h, b"{}", 0),
            Err(Rejection::MissingHeader("x-shopify-webhook-id".into()))
        );
        let h = headers(&[
            ("x-shopify-hmac-sha256", &sig),
            ("x-shopify-webhook-id", "d-1"),
        ]);
        assert_eq!(
            verify(&scheme, &secrets, &h, b"{}", 0).unwrap().delivery_id,
            "d-1"
        );
    }

    #[test]
    fn secrets_parse_and_refuse() {
        let sw = Scheme::StandardWebhooks {
            tolerance_secs: 300,
        };
        assert!(Secrets::parse(&sw, "X", "whsec_!!!").is_err());
        assert!(Secrets::parse(&sw, "X", " , ").is_err());
        assert_eq!(Secrets::parse(&GITHUB, "X", "a,b , c").unwrap().len(), 3);
        assert_eq!(decode_hex("0aFf"), Some(vec![0x0a, 0xff]));
        assert_eq!(decode_hex("0g"), None);
        assert_eq!(encode_hex(&[0x0a, 0xff]), "0aff");
    }
}
