//! Emits the `jobs` module of the API crate: a typed enqueue function per `queue` action, the job handlers of `queue` and `cron` actions run through the one pipeline, the schedules, and `workers`.
//!
//! Everything here is a translation of the IR's [`QueueTrigger`] and
//! [`CronTrigger`]: lowering decided each job kind, attempt count, schedule
//! name and function name. A queue job runs the action's guards with the
//! enqueuer's session; a cron tick has no caller, so its job skips them.
//! The queue retries a failed attempt after the delays of the action's
//! `retry` policy (with jitter), up to the job's attempts.

use proc_macro2::{Literal, TokenStream};
use quote::quote;

use super::format::{Part, chunked, module, part, whole};
use super::router::spec_name;
use super::tokens::{ident, lit};
use crate::ir::{Action, Backoff, CronTrigger, Ir, MissedTicks, QueueTrigger, RetryPolicy};

/// The `jobs` module as parts: its head, the enqueue functions, then the
/// registration and `workers`.
pub fn jobs_parts(ir: &Ir) -> Vec<Part<'_>> {
    let queued: Vec<&Action> = ir
        .actions()
        .filter(|a| a.triggers.queue.is_some())
        .collect();
    let mut parts = vec![part(jobs_head)];
    parts.extend(chunked(queued, enqueue_fn));
    parts.extend(jobs_tail(ir));
    parts
}

fn jobs_head() -> TokenStream {
    quote! {
        #[allow(unused_imports)]
        use super::types::*;
        #[allow(unused_imports)]
        use super::handlers::*;
        #[allow(unused_imports)]
        use ::bunbase_runtime::wire;
        #[allow(unused_imports)]
        use ::bunbase_runtime::jobs::EnqueueBuilder;
        #[allow(unused_imports)]
        use ::bunbase_runtime::{ActionContext, Backoff, JobKind, MissedTicks, RetryPolicy, Runtime, Schedule, TriggerKind};
        #[allow(unused_imports)]
        use ::std::sync::Arc;
    }
}

/// The runtime's `RetryPolicy` literal for the backoff between a job's
/// attempts (its `attempts` field is the pipeline's, unused by the queue).
fn backoff(r: &RetryPolicy) -> TokenStream {
    let attempts = Literal::u32_unsuffixed(r.attempts);
    let base_ms = Literal::u64_unsuffixed(r.base_ms);
    let max_ms = Literal::u64_unsuffixed(r.max_ms);
    let shape = match r.backoff {
        Backoff::Exponential => quote!(Backoff::Exponential),
        Backoff::Fixed => quote!(Backoff::Fixed),
    };
    quote!(RetryPolicy { attempts: #attempts, backoff: #shape, base_ms: #base_ms, max_ms: #max_ms })
}

/// The typed enqueue function of one `queue` action.
fn enqueue_fn(a: &Action) -> TokenStream {
    let Some(q) = &a.triggers.queue else {
        return TokenStream::new();
    };
    let name = ident(&q.enqueue_fn);
    let kind = lit(&q.kind);
    let priority = Literal::i32_unsuffixed(q.priority);
    let attempts = Literal::u32_unsuffixed(q.max_attempts);
    let doc = lit(&format!(
        " Enqueues `{}` as a durable job that carries this call's trace id and session (the action's guards see the caller). From the contract: priority {}, {} attempts.",
        a.full_name, q.priority, q.max_attempts
    ));
    let (param, payload) = match &a.input {
        Some(input) => {
            let input = ident(input);
            (quote!(, input: &#input), quote!(input))
        }
        None => (TokenStream::new(), quote!(&())),
    };
    quote! {
        #[doc = #doc]
        ///
        /// Chain `.run_at(t)` or `.run_in(delay)`, `.priority(p)` and
        /// `.unique_key(k)` as needed, then `.enqueue().await` (the new job's
        /// id in `Enqueued::Created`, or `Enqueued::Duplicate` when a live job
        /// holds the unique key), or `.enqueue_in(&mut *tx).await` to enqueue
        /// inside your own transaction: the job then exists only if it
        /// commits (on SQLite, call `ctx.jobs().wake_workers()` after the
        /// commit for an immediate pickup).
        pub fn #name(ctx: &ActionContext #param) -> EnqueueBuilder {
            ctx.enqueue(#kind, #payload).priority(#priority).max_attempts(#attempts)
        }
    }
}

/// What enqueues the jobs of a kind: the run's trigger, and whether the
/// job skips the guards (only a cron tick, which has no caller).
#[derive(Clone, Copy)]
enum JobTrigger {
    Queue,
    Cron,
    Webhook,
}

/// The registration of one job kind running action `a` through its
/// pipeline description.
fn register_kind(
    ir: &Ir,
    a: &Action,
    kind: &str,
    attempts: u32,
    priority: i32,
    trigger: JobTrigger,
) -> TokenStream {
    let spec = spec_name(a);
    let kind = lit(kind);
    let attempts = Literal::u32_unsuffixed(attempts);
    let priority = Literal::i32_unsuffixed(priority);
    let retry = backoff(&a.retry);
    let (trigger, internal) = match trigger {
        JobTrigger::Cron => (quote!(TriggerKind::Cron), quote!(true)),
        JobTrigger::Queue => (quote!(TriggerKind::Queue), quote!(false)),
        JobTrigger::Webhook => (quote!(TriggerKind::Webhook), quote!(false)),
    };
    let closure = super::router::handler_closure(ir, a);
    let decode = match &a.input {
        Some(input) => {
            let input = ident(input);
            quote!(wire::event_input::<#input>)
        }
        None => quote!(wire::event_input::<()>),
    };
    quote! {
        {
            let app = app.clone();
            rt.register_job(
                JobKind::new(#kind)
                    .max_attempts(#attempts)
                    .priority(#priority)
                    .retry(#retry)
                    .trigger(#trigger)
                    .internal(#internal),
                move |rt, job| {
                    let app = app.clone();
                    async move {
                        super::super::router::#spec.run_job(&rt, job, #decode, #closure).await.map(|_| ())
                    }
                },
            );
        }
    }
}

fn queue_registration(ir: &Ir, a: &Action, q: &QueueTrigger) -> TokenStream {
    register_kind(
        ir,
        a,
        &q.kind,
        q.max_attempts,
        q.priority,
        JobTrigger::Queue,
    )
}

fn cron_registration(ir: &Ir, a: &Action, c: &CronTrigger) -> TokenStream {
    let job = register_kind(ir, a, &c.name, c.max_attempts, 0, JobTrigger::Cron);
    let name = lit(&c.name);
    let schedule = lit(&c.schedule);
    let tz = lit(&c.timezone);
    let missed = match c.missed {
        MissedTicks::Skip => quote!(MissedTicks::Skip),
        MissedTicks::RunOnce => quote!(MissedTicks::RunOnce),
    };
    quote! {
        #job
        if let Err(e) = rt.scheduler().add(#name, &Schedule::cron(#schedule, #tz), #missed, #name) {
            ::bunbase_runtime::tracing::error!(error = %e, "cannot schedule a cron trigger");
        }
    }
}

/// Whether `a` has a job kind or a schedule to register.
fn has_jobs(a: &Action) -> bool {
    a.triggers.queue.is_some()
        || !a.triggers.crons.is_empty()
        || a.triggers.webhooks.iter().any(|w| w.job.is_some())
}

/// The function registering the job kinds and schedules of `a`, in the
/// `per_action` module under the action's spec name (unique among
/// actions; the module keeps it apart from the enqueue functions). One
/// small function per action: a handler's doc comment changing makes
/// rustc check again only the function calling that handler.
fn register_fn(ir: &Ir, a: &Action) -> TokenStream {
    let mut body = TokenStream::new();
    if let Some(q) = &a.triggers.queue {
        body.extend(queue_registration(ir, a, q));
    }
    for c in &a.triggers.crons {
        body.extend(cron_registration(ir, a, c));
    }
    // One kind per action, whatever its number of queued webhooks.
    if let Some(job) = a.triggers.webhooks.iter().find_map(|w| w.job.as_ref()) {
        body.extend(register_kind(
            ir,
            a,
            &job.kind,
            job.max_attempts,
            0,
            JobTrigger::Webhook,
        ));
    }
    let f = ident(&a.spec_static.to_lowercase());
    let doc = lit(&format!(
        " Registers the job kinds and schedules of `{}`.",
        a.full_name
    ));
    quote! {
        #[doc = #doc]
        pub(super) fn #f<H: Handlers>(rt: &Runtime, app: &Arc<H>) {
            #body
        }
    }
}

/// `register` (called by the router), the `per_action` module of the
/// functions it calls (each printed through its shape), and `workers`.
fn jobs_tail(ir: &Ir) -> Vec<Part<'_>> {
    let with_jobs: Vec<&Action> = ir.actions().filter(|a| has_jobs(a)).collect();
    let mut parts = vec![whole(move || register(ir))];
    if !with_jobs.is_empty() {
        let mut items = vec![PerAction::Import];
        items.extend(with_jobs.into_iter().map(PerAction::Register));
        parts.push(module(
            || {
                quote! {
                    /// One function per action registering its job kinds and
                    /// schedules, which [`register`] calls.
                    mod per_action {}
                }
            },
            items,
            move |item| match item {
                PerAction::Import => quote! {
                    #[allow(unused_imports)]
                    use super::*;
                },
                PerAction::Register(a) => register_fn(ir, a),
            },
        ));
    }
    parts.push(part(|| {
        quote! {
            /// Registers everything that runs without an HTTP request (custom
            /// guards, event subscriptions, job handlers and schedules) without
            /// serving routes: the server binary's `worker` command calls it,
            /// then waits for a signal while the runtime's worker and scheduler
            /// run the jobs.
            pub fn workers<H: Handlers>(rt: &Runtime, app: H) {
                let _ = super::router::router(rt, app);
            }
        }
    }));
    parts
}

/// An item of the `per_action` module.
#[derive(Clone, Copy)]
enum PerAction<'a> {
    /// `use super::*;`
    Import,
    /// The function registering an action's jobs ([`register_fn`]).
    Register(&'a Action),
}

/// `register`, calling the `per_action` function of every action with jobs.
fn register(ir: &Ir) -> TokenStream {
    let calls = ir.actions().filter(|a| has_jobs(a)).map(|a| {
        let f = ident(&a.spec_static.to_lowercase());
        quote!(per_action::#f(rt, app);)
    });
    let mut body: TokenStream = calls.collect();
    if body.is_empty() {
        body = quote!(let _ = (rt, app););
    }
    quote! {
        /// Registers the job handler of every `queue` and `cron` action (and
        /// of every action with a `mode: queue` webhook) with
        /// the runtime's queue (each job runs the action through the same
        /// pipeline as HTTP: guards unless the trigger is a schedule,
        /// validation, one attempt, run history), and every cron schedule
        /// with its scheduler. [`super::router::router`] calls it; the
        /// runtime's worker and scheduler run the jobs while `JOBS_WORKER`
        /// is on (the default).
        pub(crate) fn register<H: Handlers>(rt: &Runtime, app: &Arc<H>) {
            #body
        }
    }
}
