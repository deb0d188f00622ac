//! The console on an AWS target (the emulator), in real time, in a real terminal: a game
//! day of the library played by a responder, with the test playing GuardDuty (a finding
//! put a known delay after T0). The journal names the responder for each action, the
//! measured time to detect is the injected delay, and nothing the run tagged remains in
//! the emulator afterwards, as boto3 reads it. A host killed with SIGKILL on AWS leaves a
//! journal that `gameday cleanup --run` completes.

#![allow(clippy::unwrap_used, clippy::panic)]

use gameday_tests::aws_run::{self, DELAY, Detectors};
use gameday_tests::moto::Moto;
use gameday_tests::tmux::{Session, frame, panel, row};
use gameday_tests::{journal, repo};
use serde_json::Value;
use std::path::{Path, PathBuf};

const WIDTH: u16 = 120;
const HEIGHT: u16 = 40;
const STEP: &str = "Deactivate the access key";
const ACCOUNT: &str = "123456789012";

/// `gameday console compromised-access-key --target moto --as ana` in `dir`, in tmux.
fn console(dir: &Path) -> Session {
    let library = repo();
    let command = aws_run::command(
        dir,
        &[
            "console",
            "compromised-access-key",
            "--library",
            library.to_str().unwrap(),
            "--target",
            "moto",
            "--as",
            "ana",
            "--runs-dir",
            "runs",
        ],
    );
    Session::start(&command, WIDTH, HEIGHT)
}

/// The one run directory under `dir/runs`, once the run has made it.
fn run_dir(dir: &Path) -> PathBuf {
    let dirs = aws_run::run_dirs(&dir.join("runs"));
    assert_eq!(dirs.len(), 1, "one run: {dirs:?}");
    dirs.into_iter().next().unwrap()
}

fn find<'a>(events: &'a [Value], kind: &str, fields: &[(&str, Value)]) -> &'a Value {
    events
        .iter()
        .find(|e| e["event"] == kind && fields.iter().all(|(k, v)| &e[*k] == v))
        .unwrap_or_else(|| panic!("no {kind} with {fields:?} in {events:#?}"))
}

#[test]
fn a_responder_plays_a_library_game_day_on_the_emulator_in_the_console() {
    let moto = aws_run::library_emulator();
    let dir = tempfile::tempdir().unwrap();
    aws_run::config(dir.path(), &moto.url(), "");
    let console = console(dir.path());
    let runs = dir.path().join("runs");
    let mut detectors = Detectors::default();
    let mut play = || detectors.tick(&moto, &runs);

    // The header names the AWS target and its account; the clock is real time.
    console.wait_doing(
        "the header naming the account",
        |screen| screen.contains(&format!("account {ACCOUNT}")),
        &mut play,
    );
    // The test's GuardDuty puts the finding DELAY after T0; the console shows it, waiting
    // for a human, and the runbook's first step ticks itself.
    let detection = |screen: &str| row(screen, "Expectations", "detect  guardduty-pentest");
    console.wait_doing(
        "the detection, waiting to be acknowledged",
        |screen| {
            detection(screen).is_some_and(|l| l.contains('✓') && l.contains("a: acknowledge"))
                && row(screen, "Runbook", "Confirm the GuardDuty PenTest finding")
                    .is_some_and(|l| l.contains('✓'))
        },
        &mut play,
    );
    console.send(&["a"]);
    console.wait_doing(
        "the detection acknowledged",
        |screen| detection(screen).is_some_and(|l| l.ends_with(" ack")),
        &mut play,
    );

    // Contain through the SDK, after a confirmation that names the target's account.
    console.select_step(STEP);
    console.send(&["r"]);
    let dialog = |screen: &str| panel(screen, "Run this action?").map(|rows| rows.join("\n"));
    let expected = [STEP, "iam.update_access_key", "status: Inactive", ACCOUNT];
    console.wait_doing(
        &format!("the confirmation showing {expected:?}"),
        |screen| dialog(screen).is_some_and(|d| expected.iter().all(|e| d.contains(e))),
        &mut play,
    );
    console.send(&["y"]);
    console.wait_doing(
        "the step and the containment to tick themselves",
        |screen| {
            row(screen, "Runbook", STEP).is_some_and(|l| l.contains('✓'))
                && row(screen, "Expectations", "contain key-deactivated")
                    .is_some_and(|l| l.contains('✓'))
        },
        &mut play,
    );

    // End: clean-up through the SDK, its progress on screen, then the result.
    console.send(&["q"]);
    console.wait_for("the “End the exercise?” dialog", |screen| {
        panel(screen, "End the exercise?").is_some()
    });
    console.send(&["y"]);
    let result = |screen: &str| panel(screen, "Clean-up").map(|rows| rows.join("\n"));
    let screen = console.wait_for("the clean-up's result", |screen| {
        result(screen).is_some_and(|r| r.contains("Run passed") && r.contains("Clean-up:"))
    });
    assert!(
        result(&screen).unwrap().contains(" reverted, 0 failed."),
        "{}",
        frame(&screen)
    );
    console.send(&["q"]);
    let (status, screen) = console.wait_exit();
    assert_eq!(status, 0, "{}", frame(&screen));

    // The journal: who did what, and the time to detect that was injected.
    let run_dir = run_dir(dir.path());
    let events = journal(&run_dir);
    let ana = || Value::from("ana");
    assert_eq!(events[0]["target"]["account_id"], ACCOUNT, "{}", events[0]);
    find(
        &events,
        "detection_acknowledged",
        &[("id", "guardduty-pentest".into()), ("who", ana())],
    );
    let action = find(
        &events,
        "responder_action",
        &[
            ("who", ana()),
            ("action", "iam.update_access_key".into()),
            ("ok", true.into()),
        ],
    );
    assert_eq!(action["with"]["status"], "Inactive", "{action}");
    find(
        &events,
        "containment_met",
        &[("id", "key-deactivated".into())],
    );
    let met = find(
        &events,
        "detection_met",
        &[("id", "guardduty-pentest".into())],
    );
    let (t0, put) = detectors.played.injected["guardduty-pentest"];
    let injected = (put - t0).num_milliseconds();
    assert_eq!(injected, DELAY.as_millis() as i64);
    let ttd = met["ttd_ms"].as_i64().unwrap();
    println!("time to detect: measured {ttd} ms, injected {injected} ms");
    assert!((ttd - injected).abs() <= 1000, "measured {ttd} ms: {met}");
    let ended = events.last().unwrap();
    assert_eq!(ended["event"], "run_ended", "{ended}");
    assert_eq!(ended["outcome"], "passed", "{ended}");
    assert!(run_dir.join("report.html").is_file());

    let left = aws_run::tagged(&moto);
    assert!(left.is_empty(), "left in the emulator: {left:?}");
}

#[test]
fn a_host_killed_on_aws_leaves_a_journal_that_cleanup_completes() {
    let moto: Moto = aws_run::library_emulator();
    let dir = tempfile::tempdir().unwrap();
    aws_run::config(dir.path(), &moto.url(), "");
    let console = console(dir.path());
    // Killed once the set-up has made the user and its key, before anything is reverted.
    console.wait_for("the attack phase", |screen| screen.contains("attack phase"));
    let made = aws_run::tagged(&moto);
    assert!(
        made.iter().any(|l| l.starts_with("iam-user ")),
        "the set-up made its user: {made:?}"
    );
    let pid = console.program_pid().expect("the console's pid");
    let killed = std::process::Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let (status, _) = console.wait_exit();
    assert_ne!(status, 0);

    let run_dir = run_dir(dir.path());
    let out = aws_run::command(dir.path(), &["cleanup", "--run", run_dir.to_str().unwrap()])
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{said}");
    let left = aws_run::tagged(&moto);
    assert!(left.is_empty(), "left in the emulator: {left:?}\n{said}");
    let events = journal(&run_dir);
    assert!(
        events
            .iter()
            .any(|e| e["event"] == "participant_joined" && e["name"] == "ana"),
        "the host's join is journaled"
    );
}
