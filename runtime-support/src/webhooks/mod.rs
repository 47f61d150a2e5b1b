//! Inbound webhooks: signed deliveries verified over the raw body before anything is parsed, deduplicated by delivery id, then run through the pipeline or enqueued.
//!
//! Generated code declares one `static` [`WebhookSpec`] per webhook trigger
//! and mounts it with [`route`]: the action runs while the provider waits
//! ([`Mode::Sync`]) or the delivery becomes a job ([`Mode::Queue`]):
//!
//! ```
//! use bunbase_runtime::webhooks::{self, Encoding, Mode, Scheme, WebhookSpec};
//! use bunbase_runtime::{ActionSpec, RetryPolicy};
//!
//! static PUSH: ActionSpec = ActionSpec { name: "github.push", guards: &[], retry: RetryPolicy::NONE };
//! static PUSH_WEBHOOK: WebhookSpec = WebhookSpec {
//!     action: &PUSH,
//!     path: "/api/webhooks/github",
//!     secret_env: "GITHUB_WEBHOOK_SECRET",
//!     scheme: Scheme::HmacSha256 {
//!         header: "x-hub-signature-256",
//!         prefix: "sha256=",
//!         encoding: Encoding::Hex,
//!         id_header: Some("x-github-delivery"),
//!     },
//!     mode: Mode::Sync,
//!     body_limit: None,
//! };
//! ```
//!
//! # What a delivery goes through
//!
//! 1. The body is read up to the webhook's limit (`body_limit`, else
//!    `BODY_LIMIT_BYTES`): larger answers 413 `payload_too_large`.
//! 2. The signature is verified over the raw bytes, in constant time, under
//!    every configured secret ([`verify()`]). Any failure answers 401
//!    `unauthorized` with `details.reason` (`missing_header`,
//!    `malformed_header`, `signature_mismatch`, `stale_timestamp`). A
//!    webhook whose secret is not configured answers 503 and never accepts
//!    a delivery; [`Server::bind`](crate::Server::bind) refuses to start.
//! 3. The delivery id is claimed in `bunbase_webhook_deliveries`
//!    ([`store`]): an id already accepted answers 200
//!    `{"duplicate":true,"delivery_id":…}` without running anything; one
//!    being run by another request answers 409 `delivery_in_progress`.
//! 4. `mode: sync`: the action runs through [`ActionSpec::run`] with
//!    [`TriggerKind::Webhook`](crate::TriggerKind::Webhook): guards, decoding and validation of the JSON
//!    body, the handler with retries, the run record. Success answers 200
//!    with the output (204 when it has none) and marks the id done; a
//!    failure answers its envelope and releases the id, so the provider's
//!    retry runs again. `mode: queue`: the body is decoded and validated,
//!    then enqueued through the registered [`WebhookQueue`] with the unique
//!    key `webhook:<path>:<delivery id>`, and answered 202.
//!
//! Every refused delivery (401, 409, 413, 503) is recorded as a run of the
//! action with trigger `webhook` and attempt 0.
//!
//! # Secrets
//!
//! The variable the contract names holds one secret or several separated by
//! commas, in any order; a delivery is accepted when it verifies under any
//! of them. To rotate: add the new secret, switch the provider, remove the
//! old one. Standard Webhooks secrets are `whsec_<base64>`; Stripe's are used
//! as given; `hmac-sha256` secrets are the text as given (so a secret may not
//! contain a comma).
//!
//! # Delivery ids
//!
//! Standard Webhooks: the `webhook-id` header. `hmac-sha256`: the
//! `id_header` when the contract names one, else the SHA-256 of the body.
//! Stripe: the SHA-256 of the body (an event's body carries its unique id,
//! and Stripe's retries resend the same bytes). Ids are remembered for
//! [`store::DELIVERY_RETENTION`], then pruned.

use std::sync::{Arc, Mutex, OnceLock};

use crate::{ActionSpec, Runtime};

mod queue;
mod route;
pub mod store;
mod verify;

pub use queue::{WebhookJob, WebhookQueue, use_jobs};
pub use route::{DELIVERY_IN_PROGRESS, route};
pub use store::{Claim, DeliveryStore, PgDeliveries, SqliteDeliveries};
pub use verify::{Rejection, Secrets, Verified, verify};

/// The default tolerance of timestamped schemes: 5 minutes either way.
pub const DEFAULT_TOLERANCE_SECS: u64 = 300;

/// How signatures are encoded in an `hmac-sha256` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Hexadecimal, either case (GitHub).
    Hex,
    /// Standard base64, padded or not (Shopify).
    Base64,
}

/// A signature scheme (mirrors the contract's `scheme`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// `hmac-sha256`: `header` holds `prefix` then HMAC-SHA256(secret, body)
    /// in `encoding`. No timestamp, so replays are caught only by the
    /// delivery id: `id_header` (required on every delivery when named),
    /// else the body's SHA-256.
    HmacSha256 {
        /// The signature header, lower-case (`x-hub-signature-256`).
        header: &'static str,
        /// Text before the signature (`sha256=`), or empty.
        prefix: &'static str,
        /// Hex or base64.
        encoding: Encoding,
        /// The provider's delivery id header, if it sends one.
        id_header: Option<&'static str>,
    },
    /// `stripe`: `header` holds `t=<unix>,v1=<hex>[,v1=<hex>…]`, each `v1`
    /// being HMAC-SHA256(secret, `"{t}.{body}"`); `t` must be within
    /// `tolerance_secs` of the server's clock.
    Stripe {
        /// The signature header, lower-case (`stripe-signature`).
        header: &'static str,
        /// The timestamp window in seconds.
        tolerance_secs: u64,
    },
    /// `standard-webhooks` (standardwebhooks.com, Svix): `webhook-id`,
    /// `webhook-timestamp` and `webhook-signature` (`v1,<base64>`
    /// entries separated by spaces) over `"{id}.{timestamp}.{body}"`.
    StandardWebhooks {
        /// The timestamp window in seconds.
        tolerance_secs: u64,
    },
}

/// Whether a verified delivery runs while the provider waits or as a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Run the action now; answer with its outcome.
    Sync,
    /// Enqueue a job of `job_kind` and answer 202 (at least once,
    /// deduplicated by id).
    Queue {
        /// The job kind the delivery is enqueued as; its handler (generated
        /// code registers one per action) runs the action with trigger
        /// `webhook`.
        job_kind: &'static str,
    },
}

/// One webhook trigger, declared by generated code.
#[derive(Debug)]
pub struct WebhookSpec {
    /// The action the deliveries run.
    pub action: &'static ActionSpec,
    /// The full route, base path included (`/api/webhooks/stripe`);
    /// deliveries are `POST`s.
    pub path: &'static str,
    /// The environment variable holding the secret(s).
    pub secret_env: &'static str,
    /// How deliveries are signed.
    pub scheme: Scheme,
    /// Sync or queued.
    pub mode: Mode,
    /// The largest body accepted, in bytes; `None` is `BODY_LIMIT_BYTES`.
    pub body_limit: Option<usize>,
}

/// Webhook configuration problems, found when routes are built and reported
/// when the server starts. Messages say how to fix the problem.
#[derive(Debug, Clone, thiserror::Error)]
pub enum WebhookError {
    /// The secret variable is not set.
    #[error(
        "webhook {path} has no secret: set the environment variable {env} (several secrets, comma-separated, to rotate); unsigned deliveries are never accepted"
    )]
    MissingSecret {
        /// The variable.
        env: &'static str,
        /// The webhook's route.
        path: &'static str,
    },
    /// The secret variable is set but unusable.
    #[error("the environment variable {env} is not a usable webhook secret: {reason}")]
    InvalidSecret {
        /// The variable.
        env: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
    /// A route axum cannot mount (it must start with `/` and hold no
    /// `{param}` or `*` segment).
    #[error(
        "webhook path {path:?} is not a plain route: use an absolute path such as /api/webhooks/stripe"
    )]
    BadPath {
        /// The path.
        path: &'static str,
    },
    /// A `mode: queue` webhook with no job queue registered.
    #[error(
        "webhook {path} enqueues its deliveries, but no job queue is registered: call bunbase_runtime::webhooks::set_queue before serving"
    )]
    NoQueue {
        /// The webhook's route.
        path: &'static str,
    },
    /// Several problems at once.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Several(Vec<WebhookError>),
}

/// The webhook layer's state inside a [`Runtime`].
#[derive(Default)]
pub(crate) struct WebhookState {
    problems: Mutex<Vec<WebhookError>>,
    queued: Mutex<Vec<&'static str>>,
    queue: OnceLock<Arc<dyn WebhookQueue>>,
    store: OnceLock<Arc<dyn DeliveryStore>>,
    schema: tokio::sync::OnceCell<()>,
    prune: store::PruneClock,
}

/// Uses `store` for delivery ids instead of the default (a store over the
/// runtime's database pool). Call before the first delivery; later calls are ignored
/// with a warning.
pub fn set_store(rt: &Runtime, store: Arc<dyn DeliveryStore>) {
    if rt.webhooks().store.set(store).is_err() {
        tracing::warn!("a webhook delivery store is already in use; ignoring the second one");
    }
}

/// Registers the job queue `mode: queue` webhooks enqueue into (once;
/// later calls are ignored with a warning).
pub fn set_queue(rt: &Runtime, queue: Arc<dyn WebhookQueue>) {
    if rt.webhooks().queue.set(queue).is_err() {
        tracing::warn!("a webhook queue is already registered; ignoring the second one");
    }
}

/// The configuration problems of every webhook mounted on `rt`: missing or
/// unusable secrets, queued webhooks without a queue.
/// [`Server::bind`](crate::Server::bind) calls it and refuses to start on
/// an error.
pub fn check(rt: &Runtime) -> Result<(), WebhookError> {
    let state = rt.webhooks();
    let mut problems = state
        .problems
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    if state.queue.get().is_none() {
        let queued = state.queued.lock().unwrap_or_else(|p| p.into_inner());
        problems.extend(queued.iter().map(|path| WebhookError::NoQueue { path }));
    }
    match problems.len() {
        0 => Ok(()),
        1 => Err(problems.remove(0)),
        _ => Err(WebhookError::Several(problems)),
    }
}

impl WebhookState {
    /// Records a configuration problem for [`check`].
    fn problem(&self, e: WebhookError) {
        tracing::error!(error = %e, "webhook misconfigured");
        self.problems
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(e);
    }

    /// The delivery store, its table created on first use.
    async fn store(&self, rt: &Runtime) -> Result<Arc<dyn DeliveryStore>, crate::db::DbError> {
        let store = self.store.get_or_init(|| store::for_db(rt.db())).clone();
        self.schema
            .get_or_try_init(|| store.ensure_schema())
            .await?;
        Ok(store)
    }
}
