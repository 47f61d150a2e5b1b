//! Decoding one `create_task` body, the typed fast path against the decoding path (strict `serde_json::Value` reader, then the violation-collecting decoder), timed in alternating rounds in one process: `cargo xtask bench decode` runs it in release and prints the ratio.

#[path = "../tests/support/create_task.rs"]
mod create_task;

use std::hint::black_box;
use std::time::Instant;

use bunbase_runtime::wire::Decode;
use create_task::{CreateTaskInput, slow};

const BODY: &[u8] = br#"{"title":"Write the quarterly report","description":"Numbers for Q3, with the charts","status":"in_progress","tags":["work","reports"],"due_at":"2026-01-31T09:30:00Z"}"#;

/// Nanoseconds per decode of `f` over `n` iterations.
fn time(n: u32, f: impl Fn() -> bool) -> f64 {
    let start = Instant::now();
    let mut ok = 0u32;
    for _ in 0..n {
        ok += u32::from(black_box(f()));
    }
    assert_eq!(ok, n, "every decode succeeds");
    start.elapsed().as_nanos() as f64 / f64::from(n)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let fast = || CreateTaskInput::from_body(black_box(BODY)).is_some();
    let value = || slow::<CreateTaskInput>(black_box(BODY)).is_ok();
    assert_eq!(
        CreateTaskInput::from_body(BODY),
        slow::<CreateTaskInput>(BODY).ok(),
        "both paths decode the body alike"
    );
    let n = 20_000;
    let (mut f, mut v) = (Vec::new(), Vec::new());
    time(n, fast);
    time(n, value);
    for _ in 0..15 {
        f.push(time(n, fast));
        v.push(time(n, value));
    }
    let (f, v) = (median(f), median(v));
    println!("fast path:   {f:.0} ns per body");
    println!("value path:  {v:.0} ns per body");
    println!("RESULT ratio {:.3}", f / v);
}
