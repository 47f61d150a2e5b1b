//! The in-process event bus: an action's emitted events run every subscribed action through the same pipeline, after the emitter succeeds.
//!
//! Delivery is at-most-once and in-process: a crash between the emitter's
//! success and a subscriber's run loses the event. Durable delivery belongs
//! to the queue (a later issue).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use futures::future::BoxFuture;
use serde_json::Value;
use tokio::sync::Notify;

use crate::session::Session;
use crate::{Runtime, TraceId};

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
}

type Subscriber = Arc<dyn Fn(Runtime, EventDelivery) -> BoxFuture<'static, ()> + Send + Sync>;

/// Subscribers by event name.
#[derive(Default)]
pub struct EventBus {
    subscribers: RwLock<HashMap<&'static str, Vec<(&'static str, Subscriber)>>>,
    in_flight: Arc<AtomicUsize>,
    idle: Arc<Notify>,
}

impl std::fmt::Debug for EventBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventBus")
            .field("in_flight", &self.in_flight.load(Ordering::Relaxed))
            .finish()
    }
}

impl EventBus {
    /// Subscribes action `action` (full name) to `event`. `run` is called
    /// once per delivery, on its own task; generated code makes it call
    /// [`crate::ActionSpec::run_event`].
    pub fn subscribe<F, Fut>(&self, event: &'static str, action: &'static str, run: F)
    where
        F: Fn(Runtime, EventDelivery) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let sub: Subscriber = Arc::new(move |rt, d| Box::pin(run(rt, d)));
        let mut map = self.subscribers.write().unwrap_or_else(|p| p.into_inner());
        map.entry(event).or_default().push((action, sub));
    }

    /// The names of the actions subscribed to `event`.
    pub fn subscribers(&self, event: &str) -> Vec<&'static str> {
        let map = self.subscribers.read().unwrap_or_else(|p| p.into_inner());
        map.get(event)
            .map(|v| v.iter().map(|(a, _)| *a).collect())
            .unwrap_or_default()
    }

    /// Delivers `payload` to every subscriber of `event`, each on its own
    /// task. Returns the number of deliveries started.
    pub fn publish(
        &self,
        rt: &Runtime,
        event: &'static str,
        payload: Value,
        trace_id: &TraceId,
        session: Option<&Session>,
    ) -> usize {
        let subs: Vec<Subscriber> = {
            let map = self.subscribers.read().unwrap_or_else(|p| p.into_inner());
            map.get(event)
                .map(|v| v.iter().map(|(_, s)| s.clone()).collect())
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
            };
            self.in_flight.fetch_add(1, Ordering::SeqCst);
            let guard = InFlight {
                count: self.in_flight.clone(),
                idle: self.idle.clone(),
            };
            let fut = sub(rt.clone(), delivery);
            tokio::spawn(async move {
                let _guard = guard;
                fut.await;
            });
        }
        subs.len()
    }

    /// Waits until no delivery is running (including deliveries started by
    /// deliveries). Used at shutdown and in tests.
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
