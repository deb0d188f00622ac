//! The console's drawing cost: frame render time with a long timeline, the time from a key
//! to the next frame, seeking a replay, and memory. Run with
//! `cargo bench -p gameday --bench console`.
//!
//! The run is the committed `passed` journal with notes added during its watch phase
//! until it holds the wanted number of events. Prints medians, and ratios measured in the
//! same run. Options (environment): `GAMEDAY_BENCH_EVENTS` (default 10000),
//! `GAMEDAY_BENCH_FRAMES` (default 300).

use gameday_engine::event::{Actor, Body, Event, RunPhase};
use gameday_engine::journal;
use gameday_tui::bench::Screen;
use std::path::Path;
use std::time::Instant;

#[path = "../../engine/benches/common/mod.rs"]
mod common;
use common::{median, peak_rss_mib, setting};

/// The committed passed run with responders' notes added until it has `n` events.
fn events(n: usize) -> Vec<Event> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../engine/tests/journals/passed");
    let base = journal::read(&path)
        .expect("the committed journal reads")
        .events;
    let watch = base
        .iter()
        .position(|e| {
            matches!(
                e.body,
                Body::PhaseStarted {
                    phase: RunPhase::Watch
                }
            )
        })
        .expect("a watch phase");
    let at = &base[watch];
    let mut out: Vec<Event> = base[..=watch].to_vec();
    for i in 0..n.saturating_sub(base.len()) {
        out.push(Event {
            seq: 0,
            at: at.at,
            t_ms: at.t_ms,
            body: Body::NoteAdded {
                text: format!("looked at CloudTrail event history, page {i}: nothing new"),
                by: Actor::Responder,
                who: None,
                answers: None,
            },
        });
    }
    out.extend_from_slice(&base[watch + 1..]);
    for (i, e) in out.iter_mut().enumerate() {
        e.seq = i as u64;
    }
    out
}

/// Median milliseconds of `f` over `n` calls.
fn time(n: usize, mut f: impl FnMut()) -> f64 {
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        f();
        v.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    median(v)
}

fn main() {
    let n = setting("GAMEDAY_BENCH_EVENTS", 10_000, 500);
    let frames = setting("GAMEDAY_BENCH_FRAMES", 300, 5);
    let rss_before = peak_rss_mib();
    let long = events(n);
    let short = events(100);
    let built = Instant::now();
    let mut big = Screen::new(&long, 200, 60);
    let build_ms = built.elapsed().as_secs_f64() * 1000.0;
    let rss_after = peak_rss_mib();
    let mut small = Screen::new(&short, 200, 60);
    let mut tiny = Screen::new(&long, 80, 24);

    let frame_long = time(frames, || big.draw());
    let frame_short = time(frames, || small.draw());
    let frame_80 = time(frames, || tiny.draw());
    let mut down = true;
    let key_to_screen = time(frames, || {
        big.key(if down { 'j' } else { 'k' });
        down = !down;
        big.draw();
    });
    let seek_back = time(frames.min(50), || {
        big.seek(1);
        big.seek(n);
    });

    println!("console: {n} events vs 100, median of {frames} frames");
    println!(
        "  frame 200x60:    {frame_long:7.3} ms  (100 events: {frame_short:.3} ms, ratio {:.2}; target under 2 ms)",
        frame_long / frame_short.max(1e-9)
    );
    println!("  frame 80x24:     {frame_80:7.3} ms  ({n} events)");
    println!("  key to screen:   {key_to_screen:7.3} ms  (handle j/k, then draw 200x60)");
    println!(
        "  load {n} events: {build_ms:7.2} ms; seek to the start and back to the end: {seek_back:.2} ms"
    );
    if let (Some(a), Some(b)) = (rss_before, rss_after) {
        println!("  peak RSS:        {b:7.1} MiB with {n} events (before loading: {a:.1} MiB)");
    }
}
