//! The enqueue path of `mode: queue` webhooks: a verified delivery becomes a job, at least once, deduplicated by its delivery id.
//!
//! The webhook layer depends only on [`WebhookQueue`], so the job queue
//! (`crate::jobs`, when it exists) plugs in with one small adapter:
//! [`crate::webhooks::set_queue`] registers it, and a server whose contracts
//! have a queued webhook refuses to start without one.

use futures::future::BoxFuture;
use serde_json::Value;

use crate::{ApiError, TraceId};

/// One verified, decoded and validated delivery to run later as a job of
/// `action`.
#[derive(Debug, Clone)]
pub struct WebhookJob {
    /// The action's full name (`billing.stripe_event`).
    pub action: &'static str,
    /// The delivery's JSON body: the action's input, already validated.
    pub payload: Value,
    /// `webhook:<path>:<delivery id>`: the queue enqueues a key once while
    /// a job with it is live, so a provider's retry of an accepted delivery
    /// adds no second job.
    pub unique_key: String,
    /// The delivery's trace id, carried into the job's run.
    pub trace_id: TraceId,
}

/// Where `mode: queue` webhooks put their jobs. The delivery is answered
/// 202 only after [`WebhookQueue::enqueue`] returns `Ok` (the job is
/// durable); an error answers 500, so the provider retries.
pub trait WebhookQueue: Send + Sync + 'static {
    /// Enqueues `job` unless a live job already has its unique key; both
    /// are `Ok`.
    fn enqueue(&self, job: WebhookJob) -> BoxFuture<'_, Result<(), ApiError>>;
}
