//! The enqueue path of `mode: queue` webhooks: a verified delivery becomes a job, at least once, deduplicated by its delivery id.
//!
//! The webhook layer depends only on [`WebhookQueue`]. The runtime's job
//! queue ([`crate::jobs::Jobs`]) implements it, and [`use_jobs`] registers
//! it (generated servers call it when a contract has a queued webhook);
//! [`crate::webhooks::set_queue`] registers any other. A server with a
//! queued webhook refuses to start without a queue.

use futures::future::BoxFuture;
use serde_json::Value;

use crate::jobs::{Enqueued, Jobs};
use crate::{ApiError, Runtime, TraceId};

/// One verified, decoded and validated delivery to run later as a job of
/// `action`.
#[derive(Debug, Clone)]
pub struct WebhookJob {
    /// The action's full name (`billing.stripe_event`).
    pub action: &'static str,
    /// The job kind to enqueue it as (the spec's [`super::Mode::Queue`]).
    pub job_kind: &'static str,
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

/// The runtime's job queue takes webhook deliveries as jobs of their
/// `job_kind`, with the delivery's unique key and trace id and no session.
impl WebhookQueue for Jobs {
    fn enqueue(&self, job: WebhookJob) -> BoxFuture<'_, Result<(), ApiError>> {
        Box::pin(async move {
            let enqueued = self
                .job(job.job_kind, &job.payload)
                .unique_key(job.unique_key)
                .trace_id(job.trace_id)
                .enqueue()
                .await
                .map_err(|e| ApiError::internal(format_args!("webhook job: {e}")))?;
            if let Enqueued::Duplicate = enqueued {
                tracing::info!(
                    kind = job.job_kind,
                    "webhook delivery already has a live job"
                );
            }
            Ok(())
        })
    }
}

/// Makes `mode: queue` webhooks on `rt` enqueue into the runtime's own job
/// queue, unless another queue is already registered (then nothing
/// changes).
pub fn use_jobs(rt: &Runtime) {
    let _ = rt
        .webhooks()
        .queue
        .set(std::sync::Arc::new(rt.jobs().clone()));
}
