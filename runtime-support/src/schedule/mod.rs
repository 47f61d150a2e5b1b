//! The scheduler: cron (with time zones), fixed-interval and one-shot schedules that enqueue a job per tick, each tick exactly once across instances.
//!
//! # How a tick runs once
//!
//! Every schedule has a row in `bunbase_schedules` holding its spec and the
//! time of its next tick (`next_at`). Every instance's scheduler computes
//! the same ticks; to fire one it moves `next_at` from that tick to the
//! following one with a compare-and-set (`UPDATE … WHERE next_at = <tick>`)
//! **in the same transaction** that inserts the tick's job. Exactly one
//! instance's update matches, so each tick is enqueued once, and the job
//! then runs with the queue's leases and retries. No leader is needed, and
//! the same code runs on SQLite and PostgreSQL.
//!
//! # Missed ticks
//!
//! A tick more than [`MISSED_AFTER_MS`] (one minute) late when a scheduler
//! first sees it counts as missed (no instance was running, or all were
//! stopped). [`MissedTicks::Skip`] drops missed ticks and resumes at the
//! first tick that is not missed; [`MissedTicks::RunOnce`] fires the
//! latest missed tick once, then resumes. Ticks less than a minute late
//! fire as usual (a short restart does not lose them). A one-shot schedule
//! always fires, however late.
//!
//! # Time zones and daylight saving time
//!
//! Cron expressions are evaluated in their IANA time zone by croner, which
//! follows the OCPS / Vixie cron rules: a local time that does not exist
//! (spring forward, e.g. 02:30 on the last Sunday of March in Berlin) fires
//! once at the first instant after the gap (03:00 local); a local time that
//! occurs twice (fall back, 02:30 on the last Sunday of October) fires
//! once, at its first occurrence. Interval schedules count real elapsed
//! time and ignore zones. The tests in `tests/schedule.rs` pin this
//! behaviour.

use std::str::FromStr as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeZone as _, Utc};
use tokio::sync::{Notify, watch};

use crate::jobs::{Jobs, JobsError};

/// How late a tick may be and still fire as usual (one minute).
pub const MISSED_AFTER_MS: i64 = 60_000;

/// When a schedule fires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Schedule {
    /// A cron expression (5 fields, or 6 with seconds first) in an IANA
    /// time zone (`UTC`, `Europe/Berlin`).
    Cron {
        /// The expression.
        expr: String,
        /// The time zone.
        timezone: String,
    },
    /// Every so often, counted from the schedule's first tick (no drift).
    Every(Duration),
    /// Once, at this time (a delayed run).
    Once(DateTime<Utc>),
}

impl Schedule {
    /// A cron schedule.
    pub fn cron(expr: impl Into<String>, timezone: impl Into<String>) -> Schedule {
        Schedule::Cron {
            expr: expr.into(),
            timezone: timezone.into(),
        }
    }

    /// Checks the schedule and prepares it for evaluation.
    pub fn compile(&self, name: &str) -> Result<Compiled, JobsError> {
        let bad = |why: String| JobsError::Schedule {
            name: name.to_owned(),
            why,
        };
        match self {
            Schedule::Cron { expr, timezone } => {
                let fields = expr.split_whitespace().count();
                if !(5..=6).contains(&fields) {
                    return Err(bad(format!(
                        "cron expression `{expr}` has {fields} fields; use five (minute hour day month weekday) or six with seconds first"
                    )));
                }
                let cron = croner::Cron::from_str(expr)
                    .map_err(|e| bad(format!("cron expression `{expr}`: {e}")))?;
                let tz = chrono_tz::Tz::from_str(timezone).map_err(|_| {
                    bad(format!(
                        "unknown time zone `{timezone}`; use an IANA name such as UTC or Europe/Berlin"
                    ))
                })?;
                Ok(Compiled::Cron {
                    cron: Box::new(cron),
                    tz,
                    text: format!("cron {expr} {timezone}"),
                })
            }
            Schedule::Every(d) => {
                let ms = d.as_millis().min(i64::MAX as u128) as i64;
                if ms < 1 {
                    return Err(bad("an interval must be at least 1 ms".into()));
                }
                Ok(Compiled::Every { ms })
            }
            Schedule::Once(at) => Ok(Compiled::Once {
                at: at.timestamp_millis(),
            }),
        }
    }
}

/// A checked schedule that computes its ticks (ms since the epoch).
#[derive(Debug, Clone)]
pub enum Compiled {
    /// A cron expression in a zone.
    Cron {
        /// The parsed expression.
        cron: Box<croner::Cron>,
        /// The zone.
        tz: chrono_tz::Tz,
        /// The spec as stored.
        text: String,
    },
    /// A fixed interval.
    Every {
        /// The interval in ms.
        ms: i64,
    },
    /// One tick.
    Once {
        /// Its time.
        at: i64,
    },
}

impl Compiled {
    /// The text stored with the schedule's row: a changed spec resets the
    /// schedule.
    pub fn text(&self) -> String {
        match self {
            Compiled::Cron { text, .. } => text.clone(),
            Compiled::Every { ms } => format!("every {ms}ms"),
            Compiled::Once { at } => format!("once {at}"),
        }
    }

    /// The first tick strictly after `t`, if any.
    pub fn next_after(&self, t: i64) -> Option<i64> {
        match self {
            Compiled::Cron { cron, tz, .. } => {
                let local = Utc.timestamp_millis_opt(t).single()?.with_timezone(tz);
                cron.find_next_occurrence(&local, false)
                    .ok()
                    .map(|d| d.timestamp_millis())
            }
            Compiled::Every { ms } => Some(t + ms),
            Compiled::Once { at } => (*at > t).then_some(*at),
        }
    }

    /// The first tick at or after `t`, given a known tick `anchor <= t`
    /// (intervals count from their anchor).
    fn at_or_after(&self, anchor: i64, t: i64) -> Option<i64> {
        match self {
            Compiled::Every { ms } => {
                let steps = ((t - anchor).max(0) + ms - 1) / ms;
                Some(anchor + steps * ms)
            }
            _ => self.next_after(t - 1),
        }
    }

    /// The latest tick strictly before `t`, given a known tick `anchor < t`.
    fn before(&self, anchor: i64, t: i64) -> i64 {
        match self {
            Compiled::Cron { cron, tz, .. } => Utc
                .timestamp_millis_opt(t)
                .single()
                .map(|d| d.with_timezone(tz))
                .and_then(|local| cron.find_previous_occurrence(&local, false).ok())
                .map_or(anchor, |d| d.timestamp_millis().max(anchor)),
            Compiled::Every { ms } => anchor + ((t - 1 - anchor) / ms) * ms,
            Compiled::Once { at } => *at,
        }
    }
}

/// What to do with ticks missed while no scheduler ran (see the module
/// docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MissedTicks {
    /// Drop them (the default: a daily digest that is days late is not
    /// worth three runs).
    #[default]
    Skip,
    /// Fire the latest missed tick once.
    RunOnce,
}

/// One decision for a due schedule: the tick to fire (if any) and where the
/// schedule goes next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// The tick whose job is inserted, if any.
    pub fire: Option<i64>,
    /// The schedule's next `next_at` (`None`: finished).
    pub next: Option<i64>,
}

/// Decides what a scheduler does with a schedule whose next tick `due` is
/// at or before `now`.
pub fn step(spec: &Compiled, missed: MissedTicks, due: i64, now: i64) -> Step {
    if let Compiled::Once { at } = spec {
        return Step {
            fire: Some(*at),
            next: None,
        };
    }
    if due >= now - MISSED_AFTER_MS {
        return Step {
            fire: Some(due),
            next: spec.next_after(due),
        };
    }
    let resume = spec.at_or_after(due, now - MISSED_AFTER_MS);
    let fire = match missed {
        MissedTicks::Skip => None,
        MissedTicks::RunOnce => Some(spec.before(due, resume.unwrap_or(now))),
    };
    Step { fire, next: resume }
}

struct Entry {
    name: String,
    kind: String,
    spec: Compiled,
    missed: MissedTicks,
    next_at: Option<Option<i64>>,
}

struct Inner {
    jobs: Jobs,
    entries: Mutex<Vec<Entry>>,
    changed: Notify,
    stop: watch::Sender<bool>,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

/// The schedules of this process and the loop that fires them. Cheap to
/// clone.
#[derive(Clone)]
pub struct Scheduler {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Scheduler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.inner.entries.lock().map(|e| e.len()).unwrap_or(0);
        f.debug_struct("Scheduler").field("schedules", &n).finish()
    }
}

impl Scheduler {
    /// A scheduler enqueuing into `jobs` (not started).
    pub fn new(jobs: Jobs) -> Scheduler {
        Scheduler {
            inner: Arc::new(Inner {
                jobs,
                entries: Mutex::new(Vec::new()),
                changed: Notify::new(),
                stop: watch::channel(false).0,
                task: Mutex::new(None),
            }),
        }
    }

    /// Adds schedule `name`: every tick enqueues a job of `kind` with an
    /// empty object as payload (register the kind's handler on the queue).
    /// Adding a name again replaces it.
    pub fn add(
        &self,
        name: impl Into<String>,
        schedule: &Schedule,
        missed: MissedTicks,
        kind: impl Into<String>,
    ) -> Result<(), JobsError> {
        let name = name.into();
        let spec = schedule.compile(&name)?;
        let mut entries = self.inner.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.retain(|e| e.name != name);
        entries.push(Entry {
            name,
            kind: kind.into(),
            spec,
            missed,
            next_at: None,
        });
        drop(entries);
        self.inner.changed.notify_one();
        Ok(())
    }

    /// Starts the loop (once) on the current tokio runtime.
    pub fn start(&self) {
        let mut task = self.inner.task.lock().unwrap_or_else(|p| p.into_inner());
        if task.is_none() {
            *task = Some(tokio::spawn(run(self.inner.clone())));
        }
    }

    /// Stops the loop (a tick being fired finishes first).
    pub async fn stop(&self) {
        // `send_replace`, not `send`: `send` stores nothing while no receiver
        // exists, and the loop subscribes only once it first runs, so a stop
        // right after `start` (a quick CLI command under load) was lost and
        // this waited for the loop forever.
        self.inner.stop.send_replace(true);
        let task = self
            .inner
            .task
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(task) = task {
            let _ = task.await;
        }
    }

    /// Fires every due tick once, as the loop does; returns how many jobs
    /// this call enqueued. Tests call it with a manual clock.
    pub async fn tick(&self) -> Result<u32, JobsError> {
        fire_due(&self.inner).await.map(|(n, _)| n)
    }
}

/// A schedule's name, job kind, spec, policy and cached next tick.
type Work = (String, String, Compiled, MissedTicks, Option<Option<i64>>);

/// One pass over the schedules: fires due ticks and returns how many jobs
/// were enqueued and the earliest next tick.
async fn fire_due(inner: &Inner) -> Result<(u32, Option<i64>), JobsError> {
    inner.jobs.ready().await?;
    let jobs = &inner.jobs;
    let backend = jobs.backend().clone();
    // Work on a snapshot; write the cached `next_at`s back after.
    let mut work: Vec<Work> = {
        let entries = inner.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .iter()
            .map(|e| {
                (
                    e.name.clone(),
                    e.kind.clone(),
                    e.spec.clone(),
                    e.missed,
                    e.next_at,
                )
            })
            .collect()
    };
    let mut fired = 0;
    let mut earliest: Option<i64> = None;
    for (name, kind, spec, missed, next_at) in &mut work {
        let now = jobs.clock().now_ms();
        let mut next = match *next_at {
            Some(n) => n,
            None => {
                let first = match spec {
                    Compiled::Once { at } => Some(*at),
                    _ => spec.next_after(now),
                };
                match first {
                    Some(first) => backend.schedule_load(name, &spec.text(), first).await?,
                    None => None,
                }
            }
        };
        // A bounded number of steps per pass keeps one schedule from
        // starving the others after a long pause.
        for _ in 0..100 {
            let Some(due) = next else { break };
            if due > now {
                break;
            }
            let s = step(spec, *missed, due, now);
            let job = match s.fire {
                Some(tick) => Some(
                    jobs.job(kind, &serde_json::json!({}))
                        .unique_key(format!("schedule:{name}:{tick}"))
                        .build()?,
                ),
                None => None,
            };
            if backend
                .schedule_advance(name, due, s.next, job.as_ref())
                .await?
            {
                if job.is_some() {
                    fired += 1;
                    jobs.wake_workers();
                }
                next = s.next;
            } else {
                // Another instance moved it: read where it is now.
                next = backend.schedule_load(name, &spec.text(), due).await?;
                if next == Some(due) {
                    break;
                }
            }
        }
        *next_at = Some(next);
        if let Some(n) = next {
            earliest = Some(earliest.map_or(n, |e: i64| e.min(n)));
        }
    }
    let mut entries = inner.entries.lock().unwrap_or_else(|p| p.into_inner());
    for (name, _, spec, _, next_at) in work {
        if let Some(e) = entries
            .iter_mut()
            .find(|e| e.name == name && e.spec.text() == spec.text())
        {
            e.next_at = next_at;
        }
    }
    Ok((fired, earliest))
}

async fn run(inner: Arc<Inner>) {
    let mut stop = inner.stop.subscribe();
    loop {
        if *stop.borrow() {
            return;
        }
        let empty = inner.entries.lock().map(|e| e.is_empty()).unwrap_or(true);
        let wait = if empty {
            Duration::from_secs(3600)
        } else {
            match fire_due(&inner).await {
                // Wake at the next tick, and at least every second to see
                // ticks other instances fired and schedules added here.
                Ok((_, Some(next))) => {
                    let ms = (next - inner.jobs.clock().now_ms()).clamp(5, 1000);
                    Duration::from_millis(ms as u64)
                }
                Ok((_, None)) => Duration::from_secs(1),
                Err(e) => {
                    tracing::warn!(error = %e, "scheduler cannot fire due ticks; retrying");
                    Duration::from_secs(1)
                }
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = inner.changed.notified() => {}
            _ = stop.changed() => {}
        }
    }
}
