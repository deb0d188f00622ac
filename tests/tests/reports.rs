//! `gameday report` and the report phase of `gameday run`, as a user runs them, and the
//! HTML report in a real browser: headless Chromium draws it without a console message
//! and without a single network request.

#![allow(clippy::unwrap_used, clippy::panic)]

use gameday_tests::{browser, repo, run, stderr, stdout};
use std::path::{Path, PathBuf};

fn journals() -> PathBuf {
    repo().join("engine/tests/journals")
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn report_writes_every_format_for_a_folder_of_runs() {
    let out = tempfile::tempdir().unwrap();
    let o = run(&[
        "report",
        s(&journals()),
        "--format",
        "md,html,json,junit",
        "--out",
        s(out.path()),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for f in ["report.md", "report.html", "report.json", "junit.xml"] {
        let path = out.path().join(f);
        assert!(stdout(&o).contains(s(&path)), "{f} is listed");
        assert!(
            std::fs::metadata(&path).unwrap().len() > 500,
            "{f} has content"
        );
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("report.json")).unwrap())
            .unwrap();
    assert_eq!(json["totals"]["runs"], 3);
    assert_eq!(json["runs"].as_array().unwrap().len(), 3);
    // One format without --out goes to standard output.
    let o = run(&["report", s(&journals().join("passed")), "--format", "junit"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).starts_with("<?xml"));
}

#[test]
fn report_refuses_bad_input_with_exit_2() {
    let o = run(&["report", "no/such/run"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no/such/run"), "{}", stderr(&o));

    let o = run(&["report", s(&journals()), "--format", "md,html"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--out"), "{}", stderr(&o));

    let o = run(&["report", s(&journals()), "--format", "pdf"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--format"), "{}", stderr(&o));

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("journal.jsonl");
    std::fs::write(&bad, "{\"not\":\"an event\"}\n{}\n").unwrap();
    let o = run(&["report", s(&bad)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(":1: not a journal event"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_run_writes_its_reports_and_fail_on_gates_on_the_score() {
    let runs = tempfile::tempdir().unwrap();
    let o = run(&[
        "run",
        "malicious-ip-caller",
        "--virtual",
        "--quiet",
        "--runs-dir",
        s(runs.path()),
    ]);
    // No responder: containment is missed, exit 1.
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let dir = std::fs::read_dir(runs.path())
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    for f in [
        "journal.jsonl",
        "report.md",
        "report.html",
        "report.json",
        "junit.xml",
    ] {
        assert!(dir.join(f).is_file(), "{f} in the run directory");
    }

    // A score under the bar is reported; the missed expectation keeps exit 1.
    let o = run(&[
        "run",
        "malicious-ip-caller",
        "--virtual",
        "--quiet",
        "--runs-dir",
        s(runs.path()),
        "--fail-on",
        "score<50",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("score below 50"), "{}", stderr(&o));
    // Full marks (seed 1) clear any bar.
    let o = run(&[
        "run",
        "compromised-access-key",
        "--autopilot",
        "--virtual",
        "--quiet",
        "--runs-dir",
        s(runs.path()),
        "--fail-on",
        "score<100",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));

    // A run that passed with less than full marks fails the bar: find one among seeds.
    let mut gated = 0;
    for seed in 1..=8 {
        let seed = seed.to_string();
        let o = run(&[
            "run",
            "public-bucket",
            "--autopilot",
            "--virtual",
            "--json",
            "--seed",
            &seed,
            "--runs-dir",
            s(runs.path()),
            "--fail-on",
            "score<100",
        ]);
        let j: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
        let score = j["score"]["total"].as_f64().unwrap();
        if j["outcome"] == "passed" && score < 100.0 {
            assert_eq!(o.status.code(), Some(1), "seed {seed}: {}", stderr(&o));
            assert!(stderr(&o).contains("score below 100"), "{}", stderr(&o));
            gated += 1;
        } else if j["outcome"] == "passed" {
            assert_eq!(o.status.code(), Some(0), "seed {seed}: {}", stderr(&o));
        }
    }
    assert!(gated > 0, "no seed passed below full marks");

    let o = run(&["run", "compromised-access-key", "--fail-on", "grade<B"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--fail-on"), "{}", stderr(&o));
}

#[test]
fn the_html_report_renders_in_chromium_without_errors_or_requests() {
    let out = tempfile::tempdir().unwrap();
    let o = run(&[
        "report",
        s(&journals()),
        "--format",
        "html",
        "--out",
        s(out.path()),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // The screenshot is kept beside the build for people to look at.
    let shot = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("report.png");
    let visit = browser::open(&out.path().join("report.html"), &shot, (1280, 2000))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(visit.console.is_empty(), "console: {:#?}", visit.console);
    assert!(visit.requests.is_empty(), "requests: {:#?}", visit.requests);
    let png = std::fs::read(&shot).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
    // A drawn page, not a blank one: a blank 1280x2000 PNG compresses to a few KiB.
    assert!(png.len() > 50_000, "screenshot of {} bytes", png.len());
    eprintln!("screenshot: {}", shot.display());
}

#[test]
fn every_command_that_reads_journals_refuses_one_that_cannot_be_naming_its_line() {
    // The committed passed run, its detection journaled at a run time of 2^63 - 1 ms.
    let runs = tempfile::tempdir().unwrap();
    let run_dir = runs.path().join("r1");
    std::fs::create_dir(&run_dir).unwrap();
    let text = std::fs::read_to_string(journals().join("passed/journal.jsonl")).unwrap();
    let mut bad = String::new();
    let mut line = 0;
    for (i, l) in text.lines().enumerate() {
        let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
        if v["event"] == "detection_met" && line == 0 {
            v["t_ms"] = serde_json::json!(i64::MAX);
            line = i + 1;
        }
        bad.push_str(&format!("{v}\n"));
    }
    let journal = run_dir.join("journal.jsonl");
    std::fs::write(&journal, bad).unwrap();
    let at = format!("{}:{line}: ", journal.display());
    for args in [
        vec!["report", s(&run_dir)],
        vec!["report", s(runs.path()), "--format", "json"],
        vec!["trend", s(runs.path())],
        vec!["coverage", "--runs", s(runs.path())],
        vec!["replay", s(&run_dir)],
        vec!["cleanup", "--run", s(&run_dir)],
    ] {
        let o = run(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(&at), "{args:?}: {}", stderr(&o));
    }
}

/// A report planted as a symbolic link to a file outside the run directory is replaced,
/// and the file it pointed at is left as it was.
#[cfg(unix)]
#[test]
fn a_report_that_is_a_symlink_is_replaced_never_followed() {
    let out = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let precious = outside.path().join("precious.txt");
    std::fs::write(&precious, "keep me").unwrap();
    for f in ["report.md", "junit.xml"] {
        std::os::unix::fs::symlink(&precious, out.path().join(f)).unwrap();
    }
    let o = run(&[
        "report",
        s(&journals().join("passed")),
        "--format",
        "md,junit",
        "--out",
        s(out.path()),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&precious).unwrap(), "keep me");
    for f in ["report.md", "junit.xml"] {
        let path = out.path().join(f);
        assert!(std::fs::symlink_metadata(&path).unwrap().is_file(), "{f}");
        assert!(std::fs::read_to_string(&path).unwrap().len() > 100, "{f}");
    }
}
