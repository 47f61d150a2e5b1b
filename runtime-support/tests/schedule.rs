//! The scheduler: cron in time zones across daylight-saving changes, missed-tick policies, one-shot schedules and ticks fired once by competing schedulers, on SQLite and PostgreSQL with a manual clock.

mod queue_support;

use std::sync::Arc;
use std::time::Duration;

use bunbase_runtime::chrono::{TimeZone as _, Utc};
use bunbase_runtime::jobs::{JobState, Jobs, ManualClock};
use bunbase_runtime::schedule::{Compiled, MISSED_AFTER_MS, MissedTicks, Schedule, Scheduler};
use queue_support::TestDb;

fn ms(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> i64 {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .unwrap()
        .timestamp_millis()
}

fn cron(expr: &str, tz: &str) -> Compiled {
    Schedule::cron(expr, tz).compile("test").unwrap()
}

fn ticks(spec: &Compiled, from: i64, n: usize) -> Vec<i64> {
    let mut out = Vec::new();
    let mut t = from;
    for _ in 0..n {
        t = spec.next_after(t).unwrap();
        out.push(t);
    }
    out
}

#[test]
fn cron_follows_the_time_zone_across_daylight_saving_changes() {
    // 02:30 every day in Berlin. On 2026-03-29 02:30 does not exist (02:00
    // jumps to 03:00): the tick fires once at 03:00 CEST.
    let daily = cron("30 2 * * *", "Europe/Berlin");
    assert_eq!(
        ticks(&daily, ms(2026, 3, 27, 12, 0), 3),
        [
            ms(2026, 3, 28, 1, 30),
            ms(2026, 3, 29, 1, 0),
            ms(2026, 3, 30, 0, 30)
        ]
    );
    // On 2026-10-25 02:30 happens twice (CEST, then CET): it fires once,
    // at the first.
    assert_eq!(
        ticks(&daily, ms(2026, 10, 24, 12, 0), 2),
        [ms(2026, 10, 25, 0, 30), ms(2026, 10, 26, 1, 30)]
    );
    // A schedule with no fixed hour fires on every real occurrence, in both
    // passes of the repeated hour.
    let half_hourly = cron("*/30 * * * *", "Europe/Berlin");
    assert_eq!(
        ticks(&half_hourly, ms(2026, 10, 24, 23, 50), 4),
        [
            ms(2026, 10, 25, 0, 0),
            ms(2026, 10, 25, 0, 30),
            ms(2026, 10, 25, 1, 0),
            ms(2026, 10, 25, 1, 30)
        ]
    );
    // UTC and six fields (seconds first).
    let every_ten_s = cron("*/10 * * * * *", "UTC");
    assert_eq!(
        ticks(&every_ten_s, ms(2026, 1, 1, 0, 0), 2),
        [ms(2026, 1, 1, 0, 0) + 10_000, ms(2026, 1, 1, 0, 0) + 20_000]
    );
}

#[test]
fn invalid_schedules_say_what_is_wrong() {
    let e = Schedule::cron("0 8 * *", "UTC")
        .compile("digest")
        .unwrap_err();
    assert!(e.to_string().contains("4 fields"), "{e}");
    let e = Schedule::cron("0 25 * * *", "UTC")
        .compile("digest")
        .unwrap_err();
    assert!(e.to_string().contains("digest"), "{e}");
    let e = Schedule::cron("0 8 * * *", "Mars/Olympus")
        .compile("digest")
        .unwrap_err();
    assert!(e.to_string().contains("unknown time zone"), "{e}");
    let e = Schedule::Every(Duration::ZERO)
        .compile("digest")
        .unwrap_err();
    assert!(e.to_string().contains("at least 1 ms"), "{e}");
}

/// The ticks of `kind` enqueued so far, from their unique keys.
async fn fired(jobs: &Jobs, kind: &str) -> Vec<i64> {
    let mut out = Vec::new();
    for state in [JobState::Available, JobState::Completed] {
        for j in jobs.list(state, Some(kind), 0, 1000).await.unwrap() {
            let key = j.unique_key.unwrap();
            out.push(key.rsplit(':').next().unwrap().parse().unwrap());
        }
    }
    out.sort();
    out
}

/// A stop right after start, before the loop first runs (a quick CLI
/// command such as `create-api-key`), ends the loop instead of waiting for
/// it forever. On a current-thread runtime the spawned loop has not run yet
/// when `stop` is called.
#[tokio::test(flavor = "current_thread")]
async fn stop_right_after_start_returns() {
    for db in TestDb::both("stop_right_after_start_returns") {
        let jobs = db.jobs(Arc::new(ManualClock::new(ms(2026, 5, 1, 12, 0))));
        let sched = Scheduler::new(jobs);
        sched.start();
        tokio::time::timeout(Duration::from_secs(10), sched.stop())
            .await
            .unwrap_or_else(|_| panic!("{}: stop waited for a loop that never saw it", db.name()));
    }
}

#[tokio::test]
async fn missed_ticks_are_skipped_or_run_once() {
    for db in TestDb::both("missed_ticks_are_skipped_or_run_once") {
        let t0 = ms(2026, 5, 1, 12, 0);
        let clock = ManualClock::new(t0);
        let jobs = db.jobs(Arc::new(clock.clone()));
        let sched = Scheduler::new(jobs.clone());
        let minute = Schedule::Every(Duration::from_secs(60));
        sched
            .add("skip", &minute, MissedTicks::Skip, "skip")
            .unwrap();
        sched
            .add("once", &minute, MissedTicks::RunOnce, "once")
            .unwrap();
        // First pass: the schedules start at the next tick.
        assert_eq!(sched.tick().await.unwrap(), 0, "{}", db.name());
        clock.advance(60_000);
        assert_eq!(sched.tick().await.unwrap(), 2);
        // Late by less than a minute: still fires.
        clock.advance(60_000 + MISSED_AFTER_MS - 1);
        assert_eq!(sched.tick().await.unwrap(), 2);
        // Down for ten minutes.
        clock.set(t0 + 13 * 60_000);
        sched.tick().await.unwrap();
        let m = |n: i64| t0 + n * 60_000;
        // Ticks 3..=11 were missed (over a minute late); 12 and 13 were not.
        assert_eq!(
            fired(&jobs, "skip").await,
            [m(1), m(2), m(12), m(13)],
            "{}",
            db.name()
        );
        assert_eq!(
            fired(&jobs, "once").await,
            [m(1), m(2), m(11), m(12), m(13)],
            "{}",
            db.name()
        );
    }
}

#[tokio::test]
async fn competing_schedulers_fire_each_tick_once() {
    for db in TestDb::both("competing_schedulers_fire_each_tick_once") {
        let t0 = ms(2026, 5, 1, 7, 0) - 30_000;
        let clock = ManualClock::new(t0);
        let a = Scheduler::new(db.jobs(Arc::new(clock.clone())));
        let b = Scheduler::new(db.jobs(Arc::new(clock.clone())));
        let jobs = db.jobs(Arc::new(clock.clone()));
        // Hourly at :00 Berlin time, which is :00 UTC too.
        let digest = Schedule::cron("0 * * * *", "Europe/Berlin");
        for s in [&a, &b] {
            s.add("digest", &digest, MissedTicks::Skip, "digest")
                .unwrap();
            s.tick().await.unwrap();
        }
        let hour = |n: i64| ms(2026, 5, 1, 7, 0) + n * 3_600_000;
        let mut total = 0;
        for n in 0..5 {
            clock.set(hour(n) + 1_000);
            // Both see the tick; only one fires it.
            let (x, y) = tokio::join!(a.tick(), b.tick());
            total += x.unwrap() + y.unwrap();
        }
        assert_eq!(total, 5, "{}", db.name());
        assert_eq!(
            fired(&jobs, "digest").await,
            [hour(0), hour(1), hour(2), hour(3), hour(4)]
        );
    }
}

#[tokio::test]
async fn a_one_shot_schedule_fires_once_even_late_and_a_changed_spec_resets() {
    for db in TestDb::both("a_one_shot_schedule_fires_once_even_late_and_a_changed_spec_resets") {
        let t0 = ms(2026, 5, 1, 12, 0);
        let clock = ManualClock::new(t0);
        let jobs = db.jobs(Arc::new(clock.clone()));
        let sched = Scheduler::new(jobs.clone());
        let at = Utc.timestamp_millis_opt(t0 + 5_000).unwrap();
        sched
            .add("launch", &Schedule::Once(at), MissedTicks::Skip, "launch")
            .unwrap();
        assert_eq!(sched.tick().await.unwrap(), 0);
        clock.advance(3_600_000);
        assert_eq!(
            sched.tick().await.unwrap(),
            1,
            "{}: late, but fires",
            db.name()
        );
        clock.advance(3_600_000);
        assert_eq!(sched.tick().await.unwrap(), 0, "{}: once", db.name());
        // A restarted process with the same spec does not fire it again.
        let again = Scheduler::new(jobs.clone());
        again
            .add("launch", &Schedule::Once(at), MissedTicks::Skip, "launch")
            .unwrap();
        assert_eq!(again.tick().await.unwrap(), 0);
        // A changed spec starts over from its own first tick.
        let later = Utc.timestamp_millis_opt(clock_now(&clock) + 1_000).unwrap();
        again
            .add(
                "launch",
                &Schedule::Once(later),
                MissedTicks::Skip,
                "launch",
            )
            .unwrap();
        clock.advance(1_000);
        assert_eq!(again.tick().await.unwrap(), 1, "{}", db.name());
        assert_eq!(
            fired(&jobs, "launch").await,
            [t0 + 5_000, later.timestamp_millis()]
        );
    }
}

fn clock_now(c: &ManualClock) -> i64 {
    bunbase_runtime::jobs::Clock::now_ms(c)
}
