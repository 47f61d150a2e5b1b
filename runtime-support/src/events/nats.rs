//! Events over NATS (`EVENTS=nats`: queue groups, at most once) and JetStream (`EVENTS=jetstream`: durable consumers, acknowledged after success, dead jobs after the last attempt).

use std::time::Duration;

use futures::StreamExt as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::OnceCell;

use super::{EventDelivery, EventsMode, SubscribeOptions, delivery_kind};
use crate::jobs::JobsError;
use crate::session::Session;
use crate::{Runtime, TraceId};

/// The stream that captures every event subject in `jetstream` mode.
pub const STREAM: &str = "BUNBASE_EVENTS";
/// Events are published on `bunbase.events.<event>`.
pub const SUBJECT_PREFIX: &str = "bunbase.events.";

/// The process's NATS connection, made on first use.
#[derive(Default)]
pub(crate) struct Slot(OnceCell<async_nats::Client>);

/// What travels on the wire.
#[derive(Serialize, Deserialize)]
struct Envelope {
    payload: Value,
    trace_id: String,
    session: Option<Session>,
}

fn nats_err(e: impl std::fmt::Display) -> JobsError {
    JobsError::Nats(e.to_string())
}

async fn client(rt: &Runtime) -> Result<async_nats::Client, JobsError> {
    let url = rt.config().nats_url.clone();
    rt.events()
        .nats
        .0
        .get_or_try_init(
            || async move { async_nats::connect(url.as_str()).await.map_err(nats_err) },
        )
        .await
        .cloned()
}

async fn stream(
    js: &async_nats::jetstream::Context,
) -> Result<async_nats::jetstream::stream::Stream, JobsError> {
    js.get_or_create_stream(async_nats::jetstream::stream::Config {
        name: STREAM.to_owned(),
        subjects: vec![format!("{SUBJECT_PREFIX}>")],
        ..Default::default()
    })
    .await
    .map_err(nats_err)
}

/// Publishes one event; in `jetstream` mode it returns once the stream has
/// stored it.
pub(crate) async fn publish(
    rt: &Runtime,
    mode: EventsMode,
    event: &'static str,
    payload: &Value,
    trace_id: &TraceId,
    session: Option<&Session>,
) -> Result<(), JobsError> {
    let client = client(rt).await?;
    let body = serde_json::to_vec(&Envelope {
        payload: payload.clone(),
        trace_id: trace_id.to_string(),
        session: session.cloned(),
    })
    .map_err(nats_err)?;
    let subject = format!("{SUBJECT_PREFIX}{event}");
    if mode == EventsMode::JetStream {
        let js = async_nats::jetstream::new(client);
        stream(&js).await?;
        js.publish(subject, body.into())
            .await
            .map_err(nats_err)?
            .await
            .map_err(nats_err)?;
    } else {
        client
            .publish(subject, body.into())
            .await
            .map_err(nats_err)?;
        client.flush().await.map_err(nats_err)?;
    }
    Ok(())
}

/// A consumer name NATS accepts: letters, digits, `-` and `_`.
fn consumer_name(event: &str, action: &str) -> String {
    format!("{action}__{event}")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Starts the consumer of `event` for subscriber `action`, reconnecting
/// with backoff when NATS is unreachable.
pub(crate) fn consume(
    rt: &Runtime,
    event: &'static str,
    action: &'static str,
    options: SubscribeOptions,
) {
    let rt = rt.clone();
    tokio::spawn(async move {
        let mut backoff = Duration::from_millis(200);
        loop {
            let result = match rt.config().events {
                EventsMode::JetStream => jetstream(&rt, event, action, options).await,
                _ => core(&rt, event, action).await,
            };
            if let Err(e) = result {
                tracing::warn!(error = %e, event, action, "event consumer stopped; reconnecting");
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(5));
        }
    });
}

fn delivery(event: &'static str, body: &[u8]) -> Option<EventDelivery> {
    let env: Envelope = serde_json::from_slice(body).ok()?;
    Some(EventDelivery {
        event,
        payload: env.payload,
        trace_id: TraceId::parse(&env.trace_id).unwrap_or_else(TraceId::generate),
        session: env.session,
        job: None,
    })
}

/// Core NATS: one queue group per subscriber action, so each event runs the
/// subscriber in one of the processes that have it.
async fn core(rt: &Runtime, event: &'static str, action: &'static str) -> Result<(), JobsError> {
    let client = client(rt).await?;
    let mut sub = client
        .queue_subscribe(format!("{SUBJECT_PREFIX}{event}"), action.to_owned())
        .await
        .map_err(nats_err)?;
    while let Some(msg) = sub.next().await {
        let (Some(d), Some(run)) = (
            delivery(event, &msg.payload),
            rt.events().everywhere(event, action),
        ) else {
            tracing::warn!(event, action, "dropped an event that does not decode");
            continue;
        };
        let fut = run(rt.clone(), d);
        tokio::spawn(async move {
            let _ = fut.await;
        });
    }
    Ok(())
}

/// JetStream: a durable pull consumer per subscriber action. Success acks;
/// a retryable failure with attempts left is redelivered after the
/// backoff; anything else becomes a dead job and is terminated.
async fn jetstream(
    rt: &Runtime,
    event: &'static str,
    action: &'static str,
    options: SubscribeOptions,
) -> Result<(), JobsError> {
    use async_nats::jetstream::AckKind;
    use async_nats::jetstream::consumer::pull;
    let js = async_nats::jetstream::new(client(rt).await?);
    let stream = stream(&js).await?;
    let name = consumer_name(event, action);
    let consumer: async_nats::jetstream::consumer::Consumer<pull::Config> = stream
        .get_or_create_consumer(
            &name,
            pull::Config {
                durable_name: Some(name.clone()),
                filter_subject: format!("{SUBJECT_PREFIX}{event}"),
                max_deliver: i64::from(options.max_attempts.max(1)) + 1,
                ack_wait: Duration::from_secs(30),
                ..Default::default()
            },
        )
        .await
        .map_err(nats_err)?;
    let mut messages = consumer.messages().await.map_err(nats_err)?;
    while let Some(msg) = messages.next().await {
        let msg = msg.map_err(nats_err)?;
        let delivered = msg.info().map(|i| i.delivered).unwrap_or(1).max(1) as u32;
        let Some(d) = delivery(event, &msg.payload) else {
            let _ = msg.ack_with(AckKind::Term).await;
            continue;
        };
        let Some(run) = rt.events().everywhere(event, action) else {
            let _ = msg
                .ack_with(AckKind::Nak(Some(Duration::from_secs(1))))
                .await;
            continue;
        };
        let (payload, trace_id, session) =
            (d.payload.clone(), d.trace_id.clone(), d.session.clone());
        match run(rt.clone(), d).await {
            Ok(()) => {
                let _ = msg.ack().await;
            }
            Err(e) if e.is_retryable() && delivered < options.max_attempts => {
                let delay = crate::jobs::JobKind::new("event")
                    .retry(options.retry)
                    .backoff(delivered);
                let _ = msg.ack_with(AckKind::Nak(Some(delay))).await;
            }
            Err(e) => {
                let job = rt
                    .jobs()
                    .job(&delivery_kind(event, action), &payload)
                    .trace_id(trace_id)
                    .session(session)
                    .max_attempts(options.max_attempts)
                    .build()?;
                rt.jobs().ready().await?;
                let error = format!("{}: {}", e.code(), e.message());
                rt.jobs()
                    .backend()
                    .bury(&job, &error, rt.jobs().clock().now_ms())
                    .await?;
                let _ = msg.ack_with(AckKind::Term).await;
            }
        }
    }
    Ok(())
}
