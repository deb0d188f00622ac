//! The responder console (`gameday console`) and the replay (`gameday replay`), driven in a
//! real terminal through tmux as a responder would — keys in, screens out — and the journal
//! the game day left behind.

#![allow(clippy::unwrap_used, clippy::panic)]

use gameday_tests::tmux::{Session, frame, panel, row};
use gameday_tests::{gameday, journal, repo, run, stderr, stdout};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The terminal's size: below 150 columns the console stacks the runbook over the step.
const WIDTH: u16 = 120;
const HEIGHT: u16 = 40;

const STEP: &str = "Deactivate the access key";

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The one run directory in `runs`.
fn only_run(runs: &Path) -> PathBuf {
    let dirs: Vec<PathBuf> = std::fs::read_dir(runs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    assert_eq!(dirs.len(), 1, "one run in {}: {dirs:?}", runs.display());
    dirs.into_iter().next().unwrap()
}

fn kinds(events: &[Value]) -> Vec<&str> {
    events
        .iter()
        .map(|e| e["event"].as_str().unwrap_or("?"))
        .collect()
}

/// The first event of kind `kind` for which `fields` all hold, and its position.
fn find<'a>(events: &'a [Value], kind: &str, fields: &[(&str, Value)]) -> (usize, &'a Value) {
    events
        .iter()
        .enumerate()
        .find(|(_, e)| e["event"] == kind && fields.iter().all(|(k, v)| &e[*k] == v))
        .unwrap_or_else(|| {
            panic!(
                "no {kind} event with {fields:?} in the journal: {:?}",
                kinds(events)
            )
        })
}

fn at(e: &Value) -> chrono::DateTime<chrono::FixedOffset> {
    chrono::DateTime::parse_from_rfc3339(e["at"].as_str().unwrap())
        .unwrap_or_else(|err| panic!("`at` is not RFC 3339 ({err}): {e}"))
}

/// `a` came before `b`: in the journal's order, its run time and its UTC time.
fn before(a: &Value, b: &Value) {
    let what = format!("{} before {}", a["event"], b["event"]);
    assert!(a["seq"].as_u64() < b["seq"].as_u64(), "{what}: seq");
    assert!(a["t_ms"].as_u64() <= b["t_ms"].as_u64(), "{what}: t_ms");
    assert!(at(a) <= at(b), "{what}: at");
}

#[test]
fn a_responder_plays_a_whole_game_day_in_the_console() {
    let runs = tempfile::tempdir().unwrap();
    let mut command = gameday();
    command.args([
        "console",
        "compromised-access-key",
        "--seed",
        "1",
        "--speed",
        "120",
        "--runs-dir",
        s(runs.path()),
    ]);
    let console = Session::start(&command, WIDTH, HEIGHT);

    // The finding arrives and waits for a human; the runbook's first step, which checks
    // for it, ticks itself. (Nothing else moves the selection until the responder acts.)
    let detection = |screen: &str| row(screen, "Expectations", "detect  guardduty-pentest");
    console.wait_for(
        "the detection to arrive, waiting to be acknowledged",
        |screen| {
            detection(screen).is_some_and(|l| l.contains('✓') && l.contains("a: acknowledge"))
                && row(screen, "Runbook", "Confirm the GuardDuty PenTest finding")
                    .is_some_and(|l| l.contains('✓'))
        },
    );
    console.send(&["a"]);
    console.wait_for("the detection to show `ack`", |screen| {
        detection(screen).is_some_and(|l| {
            l.contains('✓') && !l.contains("a: acknowledge") && l.ends_with(" ack")
        })
    });

    // Contain: the step's action, run from the console after a look at what it does.
    console.select_step(STEP);
    console.send(&["r"]);
    let expected = [
        STEP,
        "iam.update_access_key",
        "iam:UpdateAccessKey",
        "status: Inactive",
        "access_key_id: AKIA",
    ];
    let dialog = |screen: &str| panel(screen, "Run this action?").map(|rows| rows.join("\n"));
    let screen = console.wait_for(
        &format!("the confirmation dialog showing {expected:?}"),
        |screen| dialog(screen).is_some_and(|d| expected.iter().all(|e| d.contains(e))),
    );
    let key_id = dialog(&screen)
        .unwrap()
        .lines()
        .find_map(|l| l.trim().strip_prefix("access_key_id: ").map(str::to_owned))
        .unwrap();
    console.send(&["y"]);
    console.wait_for(
        "the step and the containment to tick themselves",
        |screen| {
            row(screen, "Runbook", STEP).is_some_and(|l| l.contains('✓'))
                && row(screen, "Expectations", "contain key-deactivated")
                    .is_some_and(|l| l.contains('✓'))
        },
    );

    // End the exercise: clean-up runs, then the result stays up until q.
    console.send(&["q"]);
    console.wait_for("the “End the exercise?” dialog", |screen| {
        panel(screen, "End the exercise?").is_some()
    });
    console.send(&["y"]);
    let result = |screen: &str| panel(screen, "Clean-up").map(|rows| rows.join("\n"));
    let screen = console.wait_for("the clean-up panel's result", |screen| {
        result(screen).is_some_and(|r| r.contains("Run passed") && r.contains("Clean-up:"))
    });
    let cleanup = result(&screen).unwrap();
    assert!(
        cleanup.contains(" reverted, 0 failed."),
        "{}",
        frame(&screen)
    );
    console.send(&["q"]);
    let (status, screen) = console.wait_exit();
    assert_eq!(status, 0, "the console's exit status:\n{}", frame(&screen));

    // What it printed after closing, and the run it left.
    let run_dir = only_run(runs.path());
    let run_id = run_dir.file_name().unwrap().to_str().unwrap();
    let printed = screen.replace('\n', "");
    for expected in [
        format!("run {run_id}: passed — score "),
        format!("; report: {}", run_dir.join("report.html").display()),
    ] {
        assert!(
            printed.contains(&expected),
            "no `{expected}` on the screen:\n{}",
            frame(&screen)
        );
    }
    assert!(run_dir.join("report.html").is_file());

    let events = journal(&run_dir);
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e["seq"].as_u64(), Some(i as u64), "{e}");
        if i > 0 {
            before(&events[i - 1], e);
        }
    }
    let responder = || Value::from("responder");
    let (_, met) = find(
        &events,
        "detection_met",
        &[("id", "guardduty-pentest".into())],
    );
    let (_, ack) = find(
        &events,
        "detection_acknowledged",
        &[("id", "guardduty-pentest".into()), ("by", responder())],
    );
    before(met, ack);
    let (_, action) = find(
        &events,
        "responder_action",
        &[
            ("by", responder()),
            ("runbook_step", "deactivate-key".into()),
            ("action", "iam.update_access_key".into()),
            ("ok", true.into()),
        ],
    );
    assert_eq!(action["with"]["access_key_id"], key_id.as_str(), "{action}");
    assert_eq!(action["with"]["status"], "Inactive", "{action}");
    let (_, contained) = find(
        &events,
        "containment_met",
        &[("id", "key-deactivated".into())],
    );
    before(action, contained);
    let (_, done) = find(
        &events,
        "runbook_step_done",
        &[("step", "deactivate-key".into()), ("by", "engine".into())],
    );
    before(action, done);
    let (_, cleaned) = find(&events, "cleanup_finished", &[("failed", 0.into())]);
    let (last, ended) = find(&events, "run_ended", &[("outcome", "passed".into())]);
    before(contained, cleaned);
    before(cleaned, ended);
    assert_eq!(
        last,
        events.len() - 1,
        "run_ended is last: {:?}",
        kinds(&events)
    );
}

#[test]
fn a_replay_goes_to_the_last_event_and_back_to_the_first() {
    let runs = tempfile::tempdir().unwrap();
    let out = run(&[
        "run",
        "compromised-access-key",
        "--autopilot",
        "--virtual",
        "--seed",
        "1",
        "--quiet",
        "--runs-dir",
        s(runs.path()),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let run_dir = only_run(runs.path());
    let n = journal(&run_dir).len();
    assert!(n > 10, "{n} events");

    let mut command = gameday();
    command.args(["replay", s(&run_dir)]);
    let replay = Session::start(&command, WIDTH, HEIGHT);
    replay.wait_for("the replay's header", |screen| screen.contains("REPLAY"));

    replay.send(&["End"]);
    let last = format!("event {n}/{n}");
    let screen = replay.wait_for(&format!("`{last}` and the result"), |screen| {
        screen.contains(&last)
            && screen
                .lines()
                .next()
                .is_some_and(|l| l.ends_with(" PASSED"))
            && panel(screen, "Clean-up").is_some_and(|rows| rows.join("\n").contains("Run passed"))
    });
    let cleanup = panel(&screen, "Clean-up").unwrap().join("\n");
    assert!(
        cleanup.contains(" reverted, 0 failed."),
        "{}",
        frame(&screen)
    );

    replay.send(&["Home"]);
    let first = format!("event 1/{n}");
    replay.wait_for(&format!("`{first}`"), |screen| screen.contains(&first));

    replay.send(&["q"]);
    let (status, screen) = replay.wait_exit();
    assert_eq!(status, 0, "the replay's exit status:\n{}", frame(&screen));
}

#[test]
fn the_console_and_the_replay_need_a_terminal() {
    let runs = tempfile::tempdir().unwrap();
    let out = run(&[
        "console",
        "compromised-access-key",
        "--seed",
        "1",
        "--runs-dir",
        s(runs.path()),
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("needs a terminal"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(
        std::fs::read_dir(runs.path()).unwrap().count(),
        0,
        "a console that cannot start leaves no run behind"
    );

    let passed = repo().join("engine/tests/journals/passed");
    let out = run(&["replay", s(&passed)]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("needs a terminal"), "{err}");
}
