//! The team console's costs: the host's frame time with three joined consoles and a long
//! timeline, and the time from one participant's key to another participant's screen.
//! Run with `cargo bench -p gameday --bench team`.
//!
//! A game day of `compromised-access-key` on the simulator, in real time, hosted in this
//! process as `gameday console --listen 127.0.0.1:0` hosts one: the engine, its journal
//! (on disk, in the temporary directory, synced per event), the hub and its listeners run
//! on the host's runtime, on a thread of their own. Each joiner connects as `gameday join`
//! does, through the run directory's socket or over TCP with the token, and reads and
//! writes its connection on a thread and runtime of its own (as its own process would).
//! Every console draws into an in-memory screen. Once the watch phase starts, the host
//! writes notes (its keys, through the run) until the timeline holds the wanted number of
//! events; then:
//!
//! - host frame: the host writes a note and, once the run has journaled and relayed it,
//!   one frame is timed: the events that came taken, the screen drawn (200x60, then
//!   80x24); and a frame with no new event. Alone, then with three consoles joined
//!   through the socket, each getting every event; the ratio of the two. The host's
//!   screen is drawn on the benchmark's thread, not on the host's runtime.
//! - host's key to its own screen: from the Enter that sends a note to the host's screen
//!   drawn with it, alone and with the joiners.
//! - key to another's screen: a responder's Enter that sends a note, until a commander's
//!   console has it and has drawn its screen (200x60); three joined through the socket,
//!   then three others over TCP.
//!
//! The notes the measurements write lengthen the timeline beyond the wanted number as
//! they go. Prints medians, and ratios measured in the same run. Options (environment):
//! `GAMEDAY_BENCH_EVENTS` (default 10000), `GAMEDAY_BENCH_FRAMES` (frames timed for each
//! figure, default 300), `GAMEDAY_BENCH_ITERATIONS` (keys timed for each latency,
//! default 200).

use gameday_engine::event::{Body, Event, RunPhase};
use gameday_engine::team::Role;
use gameday_tui::bench::{Console, TeamDay, Via};
use ratatui::crossterm::event::KeyCode;
use std::path::Path;
use std::time::{Duration, Instant};

#[path = "../../engine/benches/common/mod.rs"]
mod common;
use common::{median, peak_rss_mib, setting};

/// How long anything awaited may take before the benchmark gives up.
const PATIENCE: Duration = Duration::from_secs(60);

/// Types `text` into the console's note dialog, without sending it.
fn type_note(c: &mut Console, text: &str) {
    c.key(KeyCode::Char('n'));
    for ch in text.chars() {
        c.key(KeyCode::Char(ch));
    }
}

/// Whether `e` is the note `text`.
fn is_note(e: &Event, text: &str) -> bool {
    matches!(&e.body, Body::NoteAdded { text: t, .. } if t == text)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// A host frame's median milliseconds over `frames` frames, each once a note of the
/// host's (`label` names them) has come back to its screen from the run; and the events
/// each frame took, on average.
fn host_frames(host: &mut Console, frames: usize, label: &str) -> (f64, f64) {
    host.frame();
    let mut v = Vec::with_capacity(frames);
    let before = host.seen();
    for i in 0..frames {
        type_note(
            host,
            &format!("{label} {i}: still nothing new in CloudTrail"),
        );
        host.key(KeyCode::Enter);
        let sent = Instant::now();
        while host.waiting() == 0 && sent.elapsed() < PATIENCE {
            std::thread::sleep(Duration::from_micros(100));
        }
        let t = Instant::now();
        host.frame();
        v.push(ms(t.elapsed()));
    }
    let taken = (host.seen() - before) as f64 / frames.max(1) as f64;
    (median(v), taken)
}

/// A host frame's median milliseconds when no event came since the last one.
fn idle_frames(host: &mut Console, frames: usize) -> f64 {
    host.frame();
    let mut v = Vec::with_capacity(frames);
    for _ in 0..frames {
        let t = Instant::now();
        host.frame();
        v.push(ms(t.elapsed()));
    }
    median(v)
}

/// Median milliseconds from the host's Enter on a note to its own screen drawn with it.
fn host_key_to_screen(host: &mut Console, iterations: usize, label: &str) -> f64 {
    let mut v = Vec::with_capacity(iterations);
    for i in 0..iterations {
        let text = format!("{label} {i}: checked the key's last use");
        type_note(host, &text);
        let t = Instant::now();
        host.key(KeyCode::Enter);
        assert!(
            host.wait_for(|e| is_note(e, &text), PATIENCE),
            "the host's note reached its screen"
        );
        v.push(ms(t.elapsed()));
    }
    median(v)
}

/// Median milliseconds from `from`'s Enter on a note to `to`'s screen drawn with it.
/// Every console takes what came before each key, untimed.
fn key_to_other(
    host: &mut Console,
    [from, to, other]: &mut [Console; 3],
    iterations: usize,
    label: &str,
) -> f64 {
    let mut v = Vec::with_capacity(iterations);
    for i in 0..iterations {
        for c in [&mut *host, &mut *from, &mut *to, &mut *other] {
            c.frame();
        }
        let text = format!("{label} {i}: the key was used from 203.0.113.7");
        type_note(from, &text);
        let t = Instant::now();
        from.key(KeyCode::Enter);
        assert!(
            to.wait_for(|e| is_note(e, &text), PATIENCE),
            "the note reached the other console"
        );
        v.push(ms(t.elapsed()));
    }
    median(v)
}

/// Three consoles joined `via`, each once it has every event so far (200x60): a
/// responder, a commander and an observer, named `names`; and how long the slowest took.
fn join_three(day: &TeamDay, via: Via, names: [&str; 3]) -> ([Console; 3], f64) {
    let roles = [Role::Responder, Role::Commander, Role::Observer];
    let t = Instant::now();
    let joined = std::array::from_fn(|i| {
        let name = names[i];
        let mut c = day
            .join(name, roles[i], via, 200, 60)
            .unwrap_or_else(|e| panic!("{e}"));
        let me =
            |e: &Event| matches!(&e.body, Body::ParticipantJoined { name: n, .. } if n == name);
        assert!(c.catch_up(me, PATIENCE), "{name} got the history");
        c
    });
    (joined, ms(t.elapsed()))
}

fn main() {
    let n: usize = setting("GAMEDAY_BENCH_EVENTS", 10_000, 500);
    let frames = setting("GAMEDAY_BENCH_FRAMES", 300, 5);
    let iterations = setting("GAMEDAY_BENCH_ITERATIONS", 200, 5);
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let runs = std::env::temp_dir().join(format!("gameday-bench-team-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&runs);

    let mut day = TeamDay::open(&repo, "compromised-access-key", &runs, "fay", 200, 60)
        .unwrap_or_else(|e| panic!("{e}"));
    let watch = |e: &Event| {
        matches!(
            e.body,
            Body::PhaseStarted {
                phase: RunPhase::Watch
            }
        )
    };
    assert!(day.host.catch_up(watch, PATIENCE), "the watch phase starts");

    // The timeline, filled with the host's notes.
    let fill = n.saturating_sub(day.host.seen());
    let filled = Instant::now();
    let mut last = String::new();
    for i in 0..fill {
        last = format!("looked at CloudTrail event history, page {i}: nothing new");
        type_note(&mut day.host, &last);
        day.host.key(KeyCode::Enter);
    }
    assert!(
        fill == 0 || day.host.catch_up(|e| is_note(e, &last), PATIENCE * 10),
        "the notes reached the host's screen"
    );
    let fill_ms = ms(filled.elapsed());
    let events = day.host.seen();

    // Alone.
    let (alone_frame, _) = host_frames(&mut day.host, frames, "alone, 200x60");
    let alone_idle = idle_frames(&mut day.host, frames);
    day.host.resize(80, 24);
    let (alone_frame_80, _) = host_frames(&mut day.host, frames, "alone, 80x24");
    day.host.resize(200, 60);
    let alone_key = host_key_to_screen(&mut day.host, iterations, "alone");

    // Three joined through the run directory.
    let (mut socket, join_ms) = join_three(&day, Via::Socket, ["ana", "bea", "obi"]);
    let (team_frame, per_frame) = host_frames(&mut day.host, frames, "joined, 200x60");
    let team_idle = idle_frames(&mut day.host, frames);
    day.host.resize(80, 24);
    let (team_frame_80, _) = host_frames(&mut day.host, frames, "joined, 80x24");
    day.host.resize(200, 60);
    let team_key = host_key_to_screen(&mut day.host, iterations, "joined");
    let over_socket = key_to_other(&mut day.host, &mut socket, iterations, "socket");
    drop(socket);

    // Three others over TCP.
    let (mut tcp, _) = join_three(&day, Via::Tcp, ["cal", "dan", "eve"]);
    let over_tcp = key_to_other(&mut day.host, &mut tcp, iterations, "tcp");
    drop(tcp);

    let ended = Instant::now();
    day.end()
        .unwrap_or_else(|e| panic!("the game day ends: {e}"));
    let end_ms = ms(ended.elapsed());
    let journaled = std::fs::read_dir(&runs)
        .ok()
        .and_then(|mut d| d.next())
        .and_then(|d| d.ok())
        .and_then(|d| std::fs::read_to_string(d.path().join("journal.jsonl")).ok())
        .map_or(0, |j| j.lines().count());
    let _ = std::fs::remove_dir_all(&runs);

    let ratio = |a: f64, b: f64| a / b.max(1e-9);
    println!(
        "team console: {events} events, 3 joined consoles; medians of {frames} frames, {iterations} keys"
    );
    println!(
        "  host frame 200x60:       {team_frame:7.3} ms  (alone: {alone_frame:.3} ms, ratio {:.2}; target under 2 ms; {per_frame:.2} events a frame)",
        ratio(team_frame, alone_frame)
    );
    println!(
        "  host frame 80x24:        {team_frame_80:7.3} ms  (alone: {alone_frame_80:.3} ms, ratio {:.2})",
        ratio(team_frame_80, alone_frame_80)
    );
    println!(
        "  host frame, no event:    {team_idle:7.3} ms  (alone: {alone_idle:.3} ms, ratio {:.2}; 200x60, nothing new to take)",
        ratio(team_idle, alone_idle)
    );
    println!(
        "  host key to own screen:  {team_key:7.3} ms  (alone: {alone_key:.3} ms, ratio {:.2})",
        ratio(team_key, alone_key)
    );
    println!(
        "  key to another's screen: {over_socket:7.3} ms  (responder to commander, Unix socket; target under 50 ms)"
    );
    println!(
        "                           {over_tcp:7.3} ms  (over TCP with the token, loopback; ratio to the socket {:.2})",
        ratio(over_tcp, over_socket)
    );
    println!(
        "  filling the timeline:    {fill_ms:7.0} ms for {fill} notes ({:.3} ms each, the journal synced per event)",
        fill_ms / fill.max(1) as f64
    );
    println!(
        "  three joining:           {join_ms:7.0} ms until each had the {events}-event history"
    );
    println!(
        "  the end:                 {end_ms:7.0} ms to clean up and report; {journaled} events journaled"
    );
    if let Some(rss) = peak_rss_mib() {
        println!(
            "  peak RSS:                {rss:7.1} MiB (the host and every console in one process)"
        );
    }
}
