//! Inbound webhooks over real HTTP, for each scheme: valid, tampered body, wrong secret, rotated secret, stale timestamp, replayed id, missing headers, oversized body, a failed run retried; the Standard Webhooks suite also on PostgreSQL.

mod common;
mod webhook_support;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bunbase_runtime::webhooks::Mode;
use serde_json::json;
use webhook_support::{Harness, Kind, drop_pg, fresh_pg, now, post};

/// The whole list of cases for one scheme, over HTTP.
async fn scheme_suite(kind: Kind) {
    scheme_suite_on(kind, None).await;
}

/// [`scheme_suite`] on the database at `url`.
async fn scheme_suite_on(kind: Kind, url: Option<String>) {
    let (old, new) = kind.secrets();
    let h = Harness::start_on(kind, Mode::Sync, Some(format!("{old}, {new}")), url)
        .await
        .expect("server starts");
    let path = format!("/hooks/{kind:?}").to_lowercase();
    let body = br#"{"event":"paid","n":1}"#;

    // Valid, under the newest secret: the handler runs once and its output answers.
    let valid = kind.sign(&new, body, "msg_1", now());
    let r = post(h.addr, &path, &valid, body).await;
    assert_eq!(
        r.status,
        200,
        "{kind:?}: {:?}",
        String::from_utf8_lossy(&r.body)
    );
    assert_eq!(r.json(), json!({ "received": { "event": "paid", "n": 1 } }));
    assert!(r.header("x-request-id").is_some());
    assert_eq!(h.runs(), 1);

    // Replayed: the same delivery again is acknowledged, not run again.
    let r = post(h.addr, &path, &valid, body).await;
    assert_eq!(r.status, 200, "{kind:?}");
    assert_eq!(r.json()["duplicate"], true, "{kind:?}");
    assert_eq!(h.runs(), 1, "{kind:?}: a replay must not run the action");
    if kind.id_in_header() {
        // The same id with another body, freshly signed, is the same delivery.
        let other = br#"{"event":"paid","n":2}"#;
        let r = post(
            h.addr,
            &path,
            &kind.sign(&new, other, "msg_1", now()),
            other,
        )
        .await;
        assert_eq!(r.json()["duplicate"], true, "{kind:?}");
        assert_eq!(h.runs(), 1);
    }

    // Rotated: a delivery signed with the older secret still verifies.
    let body2 = br#"{"event":"paid","n":3}"#;
    let r = post(
        h.addr,
        &path,
        &kind.sign(&old, body2, "msg_2", now()),
        body2,
    )
    .await;
    assert_eq!(
        r.status,
        200,
        "{kind:?}: {:?}",
        String::from_utf8_lossy(&r.body)
    );
    assert_eq!(h.runs(), 2);

    // Tampered: signed for one body, sent with another.
    let tampered = br#"{"event":"paid","n":9}"#;
    post(
        h.addr,
        &path,
        &kind.sign(&new, body2, "msg_3", now()),
        tampered,
    )
    .await
    .refused("signature_mismatch");

    // Wrong secret.
    let wrong = match kind {
        Kind::Standard => format!("whsec_{}", STANDARD.encode(b"not-the-key-at-all")),
        _ => "not-the-secret".to_owned(),
    };
    let body4 = br#"{"event":"paid","n":4}"#;
    post(
        h.addr,
        &path,
        &kind.sign(&wrong, body4, "msg_4", now()),
        body4,
    )
    .await
    .refused("signature_mismatch");

    // Stale: a genuine signature an hour old (schemes with a timestamp).
    if kind.has_timestamp() {
        let body5 = br#"{"event":"paid","n":5}"#;
        post(
            h.addr,
            &path,
            &kind.sign(&new, body5, "msg_5", now() - 3600),
            body5,
        )
        .await
        .refused("stale_timestamp");
    }

    // Missing headers: nothing signed at all, and a signature without its id.
    post(h.addr, &path, &[], body4)
        .await
        .refused("missing_header");
    if kind == Kind::Standard {
        let mut no_id = kind.sign(&new, body4, "msg_6", now());
        no_id.retain(|(k, _)| k != "webhook-id");
        post(h.addr, &path, &no_id, body4)
            .await
            .refused("missing_header");
    }

    // Oversized: over this webhook's 512-byte limit, even when signed.
    let big = format!(r#"{{"pad":"{}"}}"#, "x".repeat(600));
    let r = post(
        h.addr,
        &path,
        &kind.sign(&new, big.as_bytes(), "msg_7", now()),
        big.as_bytes(),
    )
    .await;
    assert_eq!(r.status, 413, "{kind:?}");
    assert_eq!(r.json()["error"]["code"], "payload_too_large");

    // Signed but not JSON: refused after verification, the handler never runs.
    let r = post(
        h.addr,
        &path,
        &kind.sign(&new, b"{nope", "msg_8", now()),
        b"{nope",
    )
    .await;
    assert_eq!(r.status, 400, "{kind:?}");
    assert_eq!(r.json()["error"]["code"], "malformed_json");

    // A failed run releases its id: the provider's retry runs again.
    let failing = br#"{"fail":true}"#;
    let signed = kind.sign(&new, failing, "msg_9", now());
    let r = post(h.addr, &path, &signed, failing).await;
    assert_eq!(r.status, 422, "{kind:?}");
    assert_eq!(r.json()["error"]["code"], "refused_by_handler");
    let r = post(h.addr, &path, &signed, failing).await;
    assert_eq!(
        r.status, 422,
        "{kind:?}: the retry ran, it was not a duplicate"
    );
    assert_eq!(h.runs(), 2);

    // Every refusal is a run of the action with trigger `webhook`.
    let refusals = if kind.has_timestamp() { 4 } else { 3 } + usize::from(kind == Kind::Standard);
    assert_eq!(
        h.recorded(Some("unauthorized")).await,
        refusals as i64,
        "{kind:?}"
    );
    assert_eq!(h.recorded(Some("payload_too_large")).await, 1);
    assert_eq!(
        h.recorded(None).await,
        2,
        "{kind:?}: the two successful runs"
    );
}

#[tokio::test]
async fn github_style_hmac_hex_over_http() {
    scheme_suite(Kind::Github).await;
}

#[tokio::test]
async fn base64_hmac_without_id_header_over_http() {
    scheme_suite(Kind::Base64).await;
}

#[tokio::test]
async fn stripe_over_http() {
    scheme_suite(Kind::Stripe).await;
}

#[tokio::test]
async fn standard_webhooks_over_http() {
    scheme_suite(Kind::Standard).await;
}

#[tokio::test]
async fn standard_webhooks_over_http_on_postgres() {
    let Some((admin, url)) = fresh_pg("standard_webhooks_over_http_on_postgres").await else {
        return;
    };
    scheme_suite_on(Kind::Standard, Some(url.clone())).await;
    drop_pg(&admin, &url).await;
}
