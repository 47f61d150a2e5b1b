//! [`Metrics`]: the pipeline's counters and latency histograms per action and trigger, guard denials, pool and run-history gauges, rendered in the Prometheus text format at `/metrics`.
//!
//! One recorder per [`Runtime`] (`metrics-exporter-prometheus`, never the
//! process-global one), so two runtimes in one process (tests) count
//! apart. The pipeline's hot path takes the handles of its action and
//! trigger from a read-locked map (a hash of a `&'static str`) and
//! increments atomics: no allocation after an action's first run.
//!
//! | metric | labels | meaning |
//! | --- | --- | --- |
//! | `bunbase_action_runs_total` | `action`, `trigger`, `outcome` (`ok`, `error`) | finished runs |
//! | `bunbase_action_duration_seconds` | `action`, `trigger` | run time: guards, decoding, every attempt (histogram) |
//! | `bunbase_action_errors_total` | `action`, `trigger`, `code` | failed runs by error code (`validation_failed`, `internal`, declared codes, ...) |
//! | `bunbase_action_retries_total` | `action`, `trigger` | attempts after the first |
//! | `bunbase_guard_denials_total` | `action`, `trigger`, `code` | runs a guard refused (`unauthorized`, `forbidden`, `rate_limited`) |
//! | `bunbase_db_pool_connections` | `pool` (`app`, `history`), `state` (`idle`, `in_use`) | open connections |
//! | `bunbase_db_pool_max_connections` | `pool` | pool size limit |
//! | `bunbase_run_history_total` | `result` (`written`, `dropped`, `skipped`) | run records by fate |
//!
//! Other parts of a server add theirs through a [`ScrapeHook`] (the job
//! queue's depth, for one), run before every scrape.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::Duration;

use futures::future::BoxFuture;
use metrics::{Counter, Histogram, Key, Label, Metadata, Recorder, SharedString, Unit};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle, PrometheusRecorder};

use crate::context::TriggerKind;
use crate::{ApiError, Runtime};

/// Histogram buckets of `bunbase_action_duration_seconds`, in seconds:
/// from 1 ms (a cached read) to 10 s (a slow retry loop).
pub const DURATION_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// How often histograms are folded into their buckets when nobody scrapes,
/// so their sample buffers stay small.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

static META: Metadata<'static> =
    Metadata::new(module_path!(), metrics::Level::INFO, Some(module_path!()));

/// Work run before every scrape: reads a current value (a queue's depth, a
/// cache's size) and sets it with [`Metrics::gauge`].
///
/// ```
/// use bunbase_runtime::{Runtime, futures::future::BoxFuture};
/// use bunbase_runtime::observe::metrics::{Metrics, ScrapeHook};
///
/// struct QueueDepth;
///
/// impl ScrapeHook for QueueDepth {
///     fn collect<'a>(&'a self, _rt: &'a Runtime, m: &'a Metrics) -> BoxFuture<'a, ()> {
///         Box::pin(async move {
///             m.gauge("bunbase_queue_depth", &[("state", "available".into())], 3.0);
///         })
///     }
/// }
/// ```
pub trait ScrapeHook: Send + Sync + 'static {
    /// Sets this hook's values on `metrics`.
    fn collect<'a>(&'a self, rt: &'a Runtime, metrics: &'a Metrics) -> BoxFuture<'a, ()>;
}

/// The handles one (action, trigger) pair records through.
struct RunHandles {
    ok: Counter,
    error: Counter,
    duration: Histogram,
    retries: Counter,
}

type PairKey = (&'static str, TriggerKind);

/// A runtime's metrics: see the module documentation for what is counted.
pub struct Metrics {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
    runs: RwLock<HashMap<PairKey, RunHandles>>,
    errors: RwLock<HashMap<PairKey, HashMap<String, Counter>>>,
    denials: RwLock<HashMap<PairKey, HashMap<String, Counter>>>,
    hooks: Mutex<Vec<Arc<dyn ScrapeHook>>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    /// An empty registry with the runtime's metrics described.
    pub fn new() -> Metrics {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                metrics_exporter_prometheus::Matcher::Full(
                    "bunbase_action_duration_seconds".into(),
                ),
                DURATION_BUCKETS,
            )
            .expect("the duration buckets are not empty")
            .build_recorder();
        let handle = recorder.handle();
        let m = Metrics {
            recorder,
            handle,
            runs: RwLock::default(),
            errors: RwLock::default(),
            denials: RwLock::default(),
            hooks: Mutex::default(),
        };
        m.describe();
        m
    }

    fn describe(&self) {
        let counters = [
            ("bunbase_action_runs_total", "Finished action runs."),
            (
                "bunbase_action_errors_total",
                "Failed action runs by error code.",
            ),
            (
                "bunbase_action_retries_total",
                "Handler attempts after the first.",
            ),
            (
                "bunbase_guard_denials_total",
                "Action runs a guard refused, by error code.",
            ),
            (
                "bunbase_run_history_total",
                "Run records written, dropped (writer full) or skipped (RUN_HISTORY).",
            ),
        ];
        for (name, help) in counters {
            self.recorder
                .describe_counter(name.into(), None, SharedString::const_str(help));
        }
        self.recorder.describe_histogram(
            "bunbase_action_duration_seconds".into(),
            Some(Unit::Seconds),
            SharedString::const_str("Action run time: guards, decoding and every attempt."),
        );
        self.recorder.describe_gauge(
            "bunbase_db_pool_connections".into(),
            None,
            SharedString::const_str("Open database connections by state."),
        );
        self.recorder.describe_gauge(
            "bunbase_db_pool_max_connections".into(),
            None,
            SharedString::const_str("The database pool's size limit."),
        );
    }

    /// Counts one finished run of `action` started by `trigger`.
    pub fn record_run(
        &self,
        action: &'static str,
        trigger: TriggerKind,
        result: Result<(), &ApiError>,
        duration: Duration,
        attempts: u32,
    ) {
        self.with_run_handles(action, trigger, |handles| {
            handles.duration.record(duration.as_secs_f64());
            if attempts > 1 {
                handles.retries.increment(u64::from(attempts - 1));
            }
            match result {
                Ok(()) => handles.ok.increment(1),
                Err(_) => handles.error.increment(1),
            }
        });
        if let Err(e) = result {
            self.coded(
                &self.errors,
                "bunbase_action_errors_total",
                action,
                trigger,
                e.code(),
            );
        }
    }

    /// Counts a run of `action` that a guard refused with error `code`.
    pub fn record_guard_denial(&self, action: &'static str, trigger: TriggerKind, code: &str) {
        self.coded(
            &self.denials,
            "bunbase_guard_denials_total",
            action,
            trigger,
            code,
        );
    }

    /// Sets gauge `name{labels}` to `value` (for [`ScrapeHook`]s).
    pub fn gauge(&self, name: &'static str, labels: &[(&'static str, String)], value: f64) {
        let labels: Vec<Label> = labels
            .iter()
            .map(|(k, v)| Label::new(*k, v.clone()))
            .collect();
        self.recorder
            .register_gauge(&Key::from_parts(name, labels), &META)
            .set(value);
    }

    /// Sets counter `name{labels}` to `value`, a total kept elsewhere.
    pub fn counter_total(&self, name: &'static str, labels: &[(&'static str, String)], value: u64) {
        let labels: Vec<Label> = labels
            .iter()
            .map(|(k, v)| Label::new(*k, v.clone()))
            .collect();
        self.recorder
            .register_counter(&Key::from_parts(name, labels), &META)
            .absolute(value);
    }

    /// Runs `hook` before every scrape.
    pub fn add_hook(&self, hook: Arc<dyn ScrapeHook>) {
        self.hooks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(hook);
    }

    /// Runs the scrape hooks, reads the runtime's gauges, and renders every
    /// metric in the Prometheus text format (version 0.0.4).
    pub async fn render(&self, rt: &Runtime) -> String {
        self.runtime_gauges(rt);
        let hooks = self.hooks.lock().unwrap_or_else(|p| p.into_inner()).clone();
        for hook in hooks {
            hook.collect(rt, self).await;
        }
        self.handle.render()
    }

    /// Folds buffered histogram samples into their buckets.
    pub(crate) fn upkeep(&self) {
        self.handle.run_upkeep();
    }

    /// Folds histograms every few seconds for as long as `metrics` lives
    /// (a scrape does the same; this bounds memory when nobody scrapes).
    pub(crate) fn spawn_upkeep(metrics: &Arc<Metrics>) {
        let weak: Weak<Metrics> = Arc::downgrade(metrics);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(UPKEEP_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                match weak.upgrade() {
                    Some(m) => m.upkeep(),
                    None => return,
                }
            }
        });
    }

    fn runtime_gauges(&self, rt: &Runtime) {
        let db = rt.db();
        let mut pools = vec![("app", db.pool())];
        if db.history_attached() {
            pools.push(("history", db.history()));
        }
        for (name, pool) in pools {
            let (size, idle, max) = crate::with_pool!(pool, p => (
                f64::from(p.size()),
                p.num_idle() as f64,
                f64::from(p.options().get_max_connections()),
            ));
            let pool_label = || ("pool", name.to_owned());
            self.gauge(
                "bunbase_db_pool_connections",
                &[pool_label(), ("state", "idle".into())],
                idle,
            );
            self.gauge(
                "bunbase_db_pool_connections",
                &[pool_label(), ("state", "in_use".into())],
                (size - idle).max(0.0),
            );
            self.gauge("bunbase_db_pool_max_connections", &[pool_label()], max);
        }
        let runs = rt.runs();
        for (result, value) in [
            ("written", runs.written()),
            ("dropped", runs.dropped()),
            ("skipped", runs.skipped()),
        ] {
            self.counter_total(
                "bunbase_run_history_total",
                &[("result", result.into())],
                value,
            );
        }
    }

    /// Runs `f` on the handles of (`action`, `trigger`), registering them
    /// on first use. The common case holds the read lock only.
    fn with_run_handles(
        &self,
        action: &'static str,
        trigger: TriggerKind,
        f: impl FnOnce(&RunHandles),
    ) {
        let key = (action, trigger);
        if let Some(h) = self
            .runs
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
        {
            return f(h);
        }
        let labels = || {
            vec![
                Label::new("action", action),
                Label::new("trigger", trigger.as_str()),
            ]
        };
        let outcome = |o: &'static str| {
            let mut l = labels();
            l.push(Label::new("outcome", o));
            self.recorder
                .register_counter(&Key::from_parts("bunbase_action_runs_total", l), &META)
        };
        let handles = RunHandles {
            ok: outcome("ok"),
            error: outcome("error"),
            duration: self.recorder.register_histogram(
                &Key::from_parts("bunbase_action_duration_seconds", labels()),
                &META,
            ),
            retries: self.recorder.register_counter(
                &Key::from_parts("bunbase_action_retries_total", labels()),
                &META,
            ),
        };
        f(self
            .runs
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .entry(key)
            .or_insert(handles))
    }

    /// Adds one to counter `name{action, trigger, code}` from `map`,
    /// registered on first use.
    fn coded(
        &self,
        map: &RwLock<HashMap<PairKey, HashMap<String, Counter>>>,
        name: &'static str,
        action: &'static str,
        trigger: TriggerKind,
        code: &str,
    ) {
        let key = (action, trigger);
        if let Some(c) = map
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
            .and_then(|codes| codes.get(code))
        {
            return c.increment(1);
        }
        let labels = vec![
            Label::new("action", action),
            Label::new("trigger", trigger.as_str()),
            Label::new("code", code.to_owned()),
        ];
        let counter = self
            .recorder
            .register_counter(&Key::from_parts(name, labels), &META);
        map.write()
            .unwrap_or_else(|p| p.into_inner())
            .entry(key)
            .or_default()
            .entry(code.to_owned())
            .or_insert(counter)
            .increment(1);
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}
