//! The event bus: an action's emitted events run every subscribed action through the same pipeline, after the emitter succeeds; in process, as durable jobs, or over NATS.
//!
//! # Modes (`EVENTS`)
//!
//! * `memory` (default): every subscriber runs in this process on its own
//!   task. At most once: a crash between the emitter's success and a
//!   subscriber's run loses the event, and a subscriber in another process
//!   never sees it.
//! * `durable`: every delivery is a job in `bunbase_jobs` (kind
//!   `event:<event>:<action>`), inserted before the emitting request
//!   answers. Subscriptions are recorded in `bunbase_event_subscriptions`, so a
//!   subscriber registered by any process sharing the database gets the
//!   event; the queue's workers run it (one process per delivery), with
//!   the subscriber's attempts and backoff, and a delivery that fails for
//!   good stays as a `dead` job for an operator to redrive. On PostgreSQL
//!   the insert's `NOTIFY` wakes the workers of every process at once.
//! * `nats` (cargo feature `nats`): events are published on subject
//!   `bunbase.events.<event>`; each subscriber action listens in a queue
//!   group named after it, so each event runs each subscriber once across
//!   the processes that have it. At most once.
//! * `jetstream` (cargo feature `nats`): the same subjects captured by the
//!   stream `BUNBASE_EVENTS`, with a durable consumer per subscriber
//!   action: deliveries are acknowledged after the subscriber succeeds,
//!   redelivered with its backoff after a retryable failure, and after the
//!   last attempt (or a non-retryable failure) kept as a `dead` job in
//!   `bunbase_jobs`, never dropped.
//!
//! Subscribers registered with [`EventBus::subscribe`] (no result) always
//! run in process; [`Runtime::on_event`] registers a subscriber that every
//! mode serves.

#[cfg(feature = "nats")]
pub(crate) mod nats;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use futures::future::BoxFuture;
use serde_json::Value;
use tokio::sync::Notify;

use crate::context::TriggerKind;
use crate::jobs::{JobKind, JobRun, JobsError};
use crate::pipeline::RetryPolicy;
use crate::session::Session;
use crate::{ApiError, Runtime, TraceId};

/// How emitted events reach subscribers (`EVENTS`; see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EventsMode {
    /// In process, at most once.
    #[default]
    Memory,
    /// As jobs in the database: at least once, across processes.
    Durable,
    /// Over core NATS (feature `nats`): across processes, at most once.
    Nats,
    /// Over NATS JetStream (feature `nats`): across processes, at least once.
    JetStream,
}

impl EventsMode {
    /// `memory`, `durable`, `nats` or `jetstream` (any case).
    pub fn parse(text: &str) -> Option<EventsMode> {
        match text.trim().to_ascii_lowercase().as_str() {
            "memory" => Some(EventsMode::Memory),
            "durable" => Some(EventsMode::Durable),
            "nats" => Some(EventsMode::Nats),
            "jetstream" => Some(EventsMode::JetStream),
            _ => None,
        }
    }
}

/// One event on its way to one subscriber.
#[derive(Debug, Clone)]
pub struct EventDelivery {
    /// The event's dotted name (`task.created`).
    pub event: &'static str,
    /// The payload as JSON; the subscriber's pipeline deserialises and
    /// validates it as the action's input.
    pub payload: Value,
    /// The emitter's trace id, carried over.
    pub trace_id: TraceId,
    /// The emitter's session, carried over (guards of the subscriber see it).
    pub session: Option<Session>,
    /// The job carrying a durable delivery: the subscriber then runs one
    /// attempt numbered by the queue, which retries it.
    pub job: Option<JobRun>,
}

/// How a subscriber registered with [`Runtime::on_event`] is retried in the
/// durable modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubscribeOptions {
    /// Deliveries tried before a delivery is dead (default 5).
    pub max_attempts: u32,
    /// Delay shape between attempts.
    pub retry: RetryPolicy,
    /// Whether the subscriber skips its guards (an internal trigger).
    pub internal: bool,
}

impl Default for SubscribeOptions {
    fn default() -> Self {
        SubscribeOptions {
            max_attempts: 5,
            retry: RetryPolicy::NONE,
            internal: false,
        }
    }
}

pub(crate) type Subscriber =
    Arc<dyn Fn(Runtime, EventDelivery) -> BoxFuture<'static, Result<(), ApiError>> + Send + Sync>;

struct Sub {
    action: &'static str,
    run: Subscriber,
    /// Registered with [`Runtime::on_event`]: served by the durable modes.
    everywhere: bool,
}

/// Subscribers by event name.
#[derive(Default)]
pub struct EventBus {
    subscribers: RwLock<HashMap<&'static str, Vec<Sub>>>,
    in_flight: Arc<AtomicUsize>,
    idle: Arc<Notify>,
    /// Durable subscriptions not yet recorded in `bunbase_event_subscriptions`.
    pending: Mutex<Vec<(String, String, i32)>>,
    recording: tokio::sync::Mutex<()>,
    #[cfg(feature = "nats")]
    pub(crate) nats: nats::Slot,
}

impl std::fmt::Debug for EventBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventBus")
            .field("in_flight", &self.in_flight.load(Ordering::Relaxed))
            .finish()
    }
}

/// The job kind of a durable delivery of `event` to `action`.
pub fn delivery_kind(event: &str, action: &str) -> String {
    format!("event:{event}:{action}")
}

impl EventBus {
    /// Subscribes action `action` (full name) to `event`, in process only.
    /// `run` is called once per delivery, on its own task; generated code
    /// makes it call [`crate::ActionSpec::run_event`].
    pub fn subscribe<F, Fut>(&self, event: &'static str, action: &'static str, run: F)
    where
        F: Fn(Runtime, EventDelivery) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let run = Arc::new(run);
        let sub: Subscriber = Arc::new(move |rt, d| {
            let fut = run(rt, d);
            Box::pin(async move {
                fut.await;
                Ok(())
            })
        });
        self.add(event, action, sub, false);
    }

    fn add(&self, event: &'static str, action: &'static str, run: Subscriber, everywhere: bool) {
        let mut map = self.subscribers.write().unwrap_or_else(|p| p.into_inner());
        let subs = map.entry(event).or_default();
        subs.retain(|s| s.action != action);
        subs.push(Sub {
            action,
            run,
            everywhere,
        });
    }

    /// The subscriber `action` registered for `event` with
    /// [`Runtime::on_event`].
    #[cfg_attr(not(feature = "nats"), allow(dead_code))]
    pub(crate) fn everywhere(&self, event: &str, action: &str) -> Option<Subscriber> {
        let map = self.subscribers.read().unwrap_or_else(|p| p.into_inner());
        map.get(event)?
            .iter()
            .find(|s| s.everywhere && s.action == action)
            .map(|s| s.run.clone())
    }

    /// The names of the actions subscribed to `event` in this process.
    pub fn subscribers(&self, event: &str) -> Vec<&'static str> {
        let map = self.subscribers.read().unwrap_or_else(|p| p.into_inner());
        map.get(event)
            .map(|v| v.iter().map(|s| s.action).collect())
            .unwrap_or_default()
    }

    /// Delivers `payload` to every subscriber of `event` in this process,
    /// each on its own task, whatever the mode. Returns the number of
    /// deliveries started.
    pub fn publish(
        &self,
        rt: &Runtime,
        event: &'static str,
        payload: Value,
        trace_id: &TraceId,
        session: Option<&Session>,
    ) -> usize {
        self.spawn_local(rt, event, payload, trace_id, session, |_| true)
    }

    fn spawn_local(
        &self,
        rt: &Runtime,
        event: &'static str,
        payload: Value,
        trace_id: &TraceId,
        session: Option<&Session>,
        keep: impl Fn(&Sub) -> bool,
    ) -> usize {
        let subs: Vec<Subscriber> = {
            let map = self.subscribers.read().unwrap_or_else(|p| p.into_inner());
            map.get(event)
                .map(|v| {
                    v.iter()
                        .filter(|s| keep(s))
                        .map(|s| s.run.clone())
                        .collect()
                })
                .unwrap_or_default()
        };
        let mut payload = Some(payload);
        for (i, sub) in subs.iter().enumerate() {
            // The last subscriber takes the payload itself; the others a copy.
            let payload = if i + 1 == subs.len() {
                payload.take().unwrap_or_default()
            } else {
                payload.clone().unwrap_or_default()
            };
            let delivery = EventDelivery {
                event,
                payload,
                trace_id: trace_id.clone(),
                session: session.cloned(),
                job: None,
            };
            self.in_flight.fetch_add(1, Ordering::SeqCst);
            let guard = InFlight {
                count: self.in_flight.clone(),
                idle: self.idle.clone(),
            };
            let fut = sub(rt.clone(), delivery);
            tokio::spawn(async move {
                let _guard = guard;
                let _ = fut.await;
            });
        }
        subs.len()
    }

    /// Publishes an emitted event in the runtime's mode (the pipeline calls
    /// it after the emitter succeeds): in-process subscribers run here; in
    /// the durable modes the event is handed to the database or NATS before
    /// this returns. When that hand-over fails, the event is delivered in
    /// process instead, with an error logged, rather than lost silently.
    pub async fn emit(
        &self,
        rt: &Runtime,
        event: &'static str,
        payload: Value,
        trace_id: &TraceId,
        session: Option<&Session>,
    ) {
        let mode = rt.config().events;
        if mode == EventsMode::Memory {
            self.publish(rt, event, payload, trace_id, session);
            return;
        }
        let handed = match mode {
            EventsMode::Durable => {
                self.emit_durable(rt, event, &payload, trace_id, session)
                    .await
            }
            #[cfg(feature = "nats")]
            EventsMode::Nats | EventsMode::JetStream => {
                nats::publish(rt, mode, event, &payload, trace_id, session).await
            }
            #[cfg(not(feature = "nats"))]
            EventsMode::Nats | EventsMode::JetStream => Err(JobsError::Nats(
                "this server was built without the `nats` feature of bunbase-runtime".into(),
            )),
            EventsMode::Memory => Ok(()),
        };
        match handed {
            Ok(()) => {
                self.spawn_local(rt, event, payload, trace_id, session, |s| !s.everywhere);
            }
            Err(e) => {
                tracing::error!(error = %e, event, "cannot hand the event over; delivering it in process");
                self.publish(rt, event, payload, trace_id, session);
            }
        }
    }

    async fn emit_durable(
        &self,
        rt: &Runtime,
        event: &'static str,
        payload: &Value,
        trace_id: &TraceId,
        session: Option<&Session>,
    ) -> Result<(), JobsError> {
        self.record_subscriptions(rt).await?;
        let job = rt
            .jobs()
            .job(event, payload)
            .trace_id(trace_id.clone())
            .session(session.cloned())
            .build()?;
        rt.jobs().ready().await?;
        let n = rt.jobs().backend().publish(None, event, &job).await?;
        if n > 0 {
            rt.jobs().wake_workers();
        }
        Ok(())
    }

    /// Writes pending durable subscriptions to `bunbase_event_subscriptions`.
    pub(crate) async fn record_subscriptions(&self, rt: &Runtime) -> Result<(), JobsError> {
        let _one = self.recording.lock().await;
        let pending = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|p| p.into_inner()));
        if pending.is_empty() {
            return Ok(());
        }
        rt.jobs().ready().await?;
        for (i, (event, kind, max)) in pending.iter().enumerate() {
            if let Err(e) = rt.jobs().backend().subscribe(event, kind, *max).await {
                let mut back = self.pending.lock().unwrap_or_else(|p| p.into_inner());
                back.extend(pending[i..].iter().cloned());
                return Err(e);
            }
        }
        Ok(())
    }

    /// Waits until no in-process delivery is running (including deliveries
    /// started by deliveries). Used at shutdown and in tests.
    pub async fn idle(&self) {
        loop {
            let notified = self.idle.notified();
            if self.in_flight.load(Ordering::SeqCst) == 0 {
                return;
            }
            notified.await;
        }
    }
}

impl Runtime {
    /// Subscribes action `action` to `event` in every mode: in process
    /// (`memory`), as durable jobs of kind `event:<event>:<action>`
    /// (`durable`), or over NATS. `run` returns the subscriber's outcome,
    /// which the durable modes act on (retry, dead job). Generated code
    /// makes it call [`crate::ActionSpec::run_event`].
    pub fn on_event<F, Fut>(
        &self,
        event: &'static str,
        action: &'static str,
        options: SubscribeOptions,
        run: F,
    ) where
        F: Fn(Runtime, EventDelivery) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), ApiError>> + Send + 'static,
    {
        let run = Arc::new(run);
        let sub: Subscriber = {
            let run = run.clone();
            Arc::new(move |rt, d| Box::pin(run(rt, d)))
        };
        self.events().add(event, action, sub, true);
        let kind = delivery_kind(event, action);
        // Every mode registers the job kind, so that dead deliveries can be
        // redriven whatever the mode is now.
        self.register_job(
            JobKind::new(kind.clone())
                .max_attempts(options.max_attempts)
                .retry(options.retry)
                .trigger(TriggerKind::Event)
                .internal(options.internal),
            move |rt, job: JobRun| {
                let delivery = EventDelivery {
                    event,
                    payload: job.payload.clone(),
                    trace_id: job.trace_id.clone(),
                    session: job.session.clone(),
                    job: Some(job),
                };
                run(rt, delivery)
            },
        );
        match self.config().events {
            EventsMode::Durable => {
                let max = options.max_attempts.clamp(1, i32::MAX as u32) as i32;
                self.events()
                    .pending
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push((event.to_owned(), kind, max));
                let rt = self.clone();
                tokio::spawn(async move {
                    if let Err(e) = rt.events().record_subscriptions(&rt).await {
                        tracing::warn!(error = %e, "cannot record event subscriptions yet; retrying at the next emit");
                    }
                });
            }
            #[cfg(feature = "nats")]
            EventsMode::Nats | EventsMode::JetStream => {
                nats::consume(self, event, action, options);
            }
            _ => {}
        }
    }
}

struct InFlight {
    count: Arc<AtomicUsize>,
    idle: Arc<Notify>,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if self.count.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.idle.notify_waiters();
        }
    }
}
