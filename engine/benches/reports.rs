//! Cost of writing reports for long journals: reading the journal, building the report
//! model and rendering each format, and the size of each output. Run with
//! `cargo bench -p gameday-engine --bench reports`.
//!
//! The journal is the committed `passed` run with responder events (notes, actions,
//! acknowledgements) added during its watch phase until it holds the wanted number of
//! events. Prints medians over rounds, and the ratio of the long journal to a short one
//! measured in the same run. Options (environment): `GAMEDAY_BENCH_EVENTS` (default
//! 10000), `GAMEDAY_BENCH_ROUNDS` (default 11).

use gameday_engine::event::{Actor, Body, Event};
use gameday_engine::journal;
use gameday_engine::report::{Format, Report};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use std::time::Instant;

mod common;
use common::{median, peak_rss_mib, setting};

/// The `passed` journal grown to `n` events, written to `dir`.
fn long_journal(dir: &Path, n: usize) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/journals/passed");
    let base = journal::read(&src)
        .expect("the committed journal reads")
        .events;
    let watch = base
        .iter()
        .position(|e| {
            matches!(
                e.body,
                Body::PhaseStarted {
                    phase: gameday_engine::event::RunPhase::Watch
                }
            )
        })
        .expect("a watch phase");
    let (head, tail) = base.split_at(watch + 1);
    let start = head[head.len() - 1].clone();
    let end_ms = tail
        .first()
        .map_or(start.t_ms, |e| e.t_ms)
        .max(start.t_ms + 1);
    let extra = n.saturating_sub(base.len());
    let mut events: Vec<Event> = head.to_vec();
    for i in 0..extra {
        let t_ms = start.t_ms + (end_ms - start.t_ms) * i as u64 / extra.max(1) as u64;
        let body = match i % 5 {
            0 | 1 => Body::NoteAdded {
                text: format!("checked CloudTrail for the key's calls, batch {i}: nothing new"),
                by: Actor::Responder,
                who: Some(format!("responder-{}", i % 3)),
                answers: None,
            },
            2 | 3 => {
                let mut with = Map::new();
                with.insert("user_name".into(), Value::from("gameday-bench-ci-deploy"));
                Body::ResponderAction {
                    by: Actor::Responder,
                    who: Some(format!("responder-{}", i % 3)),
                    runbook_step: "scope".into(),
                    action: "iam.list_access_keys".into(),
                    with,
                    ok: true,
                    error: None,
                }
            }
            _ => Body::DetectionAcknowledged {
                id: "guardduty-pentest".into(),
                by: Actor::Responder,
                who: Some(format!("responder-{}", i % 3)),
            },
        };
        events.push(Event {
            seq: 0,
            at: start.at + chrono::Duration::milliseconds((t_ms - start.t_ms) as i64),
            t_ms,
            body,
        });
    }
    events.extend_from_slice(tail);
    let mut text = String::new();
    for (seq, e) in events.iter_mut().enumerate() {
        e.seq = seq as u64;
        text.push_str(&serde_json::to_string(e).expect("serialises"));
        text.push('\n');
    }
    let path = dir.join(format!("journal-{n}.jsonl"));
    std::fs::write(&path, text).expect("writes");
    path
}

struct Figures {
    read_build: f64,
    render: Vec<(Format, f64, usize)>,
}

fn measure(path: &Path, rounds: usize) -> Figures {
    let mut read_build = Vec::new();
    let mut per_format: Vec<Vec<f64>> = vec![Vec::new(); Format::ALL.len()];
    let mut sizes = vec![0; Format::ALL.len()];
    for _ in 0..rounds {
        let t = Instant::now();
        let contents = journal::read(path).expect("reads");
        let report = Report::from_journals(std::slice::from_ref(&contents));
        read_build.push(t.elapsed().as_secs_f64() * 1000.0);
        for (k, f) in Format::ALL.into_iter().enumerate() {
            let t = Instant::now();
            let out = report.render(f);
            per_format[k].push(t.elapsed().as_secs_f64() * 1000.0);
            sizes[k] = out.len();
        }
    }
    Figures {
        read_build: median(read_build),
        render: Format::ALL
            .into_iter()
            .zip(per_format)
            .zip(sizes)
            .map(|((f, v), s)| (f, median(v), s))
            .collect(),
    }
}

fn main() {
    let n = setting("GAMEDAY_BENCH_EVENTS", 10_000, 500);
    let rounds = setting("GAMEDAY_BENCH_ROUNDS", 11, 1).max(1);
    let dir = tempfile::tempdir().expect("a temp dir");
    let short = long_journal(dir.path(), 100);
    let long = long_journal(dir.path(), n);
    let s = measure(&short, rounds);
    let l = measure(&long, rounds);
    println!("reports: journal of {n} events vs 100 events, median of {rounds} rounds");
    println!(
        "  read + build model: {:8.2} ms  (100 events: {:.2} ms, ratio {:.1})",
        l.read_build,
        s.read_build,
        l.read_build / s.read_build.max(1e-9)
    );
    for ((f, ms, size), (_, sms, _)) in l.render.iter().zip(&s.render) {
        println!(
            "  render {:<5}       {:8.2} ms  (100 events: {:.2} ms, ratio {:.1})  {:>9} bytes{}",
            f.name(),
            ms,
            sms,
            ms / sms.max(1e-9),
            size,
            if *f == Format::Html {
                format!(" ({:.2} MB)", *size as f64 / 1e6)
            } else {
                String::new()
            }
        );
    }
    let html = l
        .render
        .iter()
        .find(|(f, _, _)| *f == Format::Html)
        .map_or(0.0, |(_, ms, _)| *ms);
    println!(
        "  journal to HTML:    {:8.2} ms (target: under 1000 ms; HTML under 2 MB)",
        l.read_build + html
    );
    if let Some(rss) = peak_rss_mib() {
        println!("  peak RSS:           {rss:8.1} MiB");
    }
}
