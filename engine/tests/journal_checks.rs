//! Journals that cannot be a run's record are refused when read, naming the file and the
//! line: the findings of a review, each on an edited copy of a committed journal.

#![allow(clippy::unwrap_used, clippy::panic)]

use gameday_engine::journal;
use gameday_engine::score::Summary;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// The lines of a committed journal, as JSON.
fn lines(name: &str) -> Vec<Value> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/journals")
        .join(name)
        .join(journal::FILE_NAME);
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The 0-based index of the first line holding `event`.
fn find(lines: &[Value], event: &str) -> usize {
    lines
        .iter()
        .position(|l| l["event"] == event)
        .unwrap_or_else(|| panic!("no {event}"))
}

/// `lines` written as a journal in a fresh folder, and read back.
fn written(
    lines: &[Value],
) -> (
    tempfile::TempDir,
    PathBuf,
    Result<journal::Contents, String>,
) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(journal::FILE_NAME);
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(&path, text).unwrap();
    let read = journal::read(&path).map_err(|e| e.to_string());
    (dir, path, read)
}

/// Asserts the journal is refused with an error naming `path` and 1-based `line`.
fn refused_at(read: Result<journal::Contents, String>, path: &Path, line: usize) -> String {
    match read {
        Ok(c) => panic!(
            "accepted; it scores {}",
            Summary::from_events(&c.events).score.total
        ),
        Err(e) => {
            let at = format!("{}:{line}: ", path.display());
            assert!(e.starts_with(&at), "{e}\ndoes not start with {at}");
            e
        }
    }
}

#[test]
fn the_committed_journals_pass_the_checks() {
    for name in ["passed", "missed", "interrupted"] {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/journals")
            .join(name);
        journal::read(&path).unwrap_or_else(|e| panic!("{e}"));
    }
}

#[test]
fn a_run_time_of_2_pow_63_is_refused() {
    // It made `gameday replay` panic and `gameday report` print a run of 9.2e15 s.
    let mut l = lines("passed");
    let i = find(&l, "detection_met");
    l[i]["t_ms"] = json!(i64::MAX);
    let (_dir, path, got) = written(&l);
    let e = refused_at(got, &path, i + 1);
    assert!(e.contains("t_ms"), "{e}");
}

#[test]
fn events_out_of_order_are_refused() {
    // The containment moved before its detection: today it still scores 100.
    let base = lines("passed");
    let det = find(&base, "detection_met");
    let con = find(&base, "containment_met");
    let mut l = base.clone();
    let moved = l.remove(con);
    l.insert(det, moved);
    let (_dir, path, got) = written(&l);
    refused_at(got, &path, det + 1);

    // The same with the sequence numbers rewritten to hide it: run time goes back.
    for (seq, line) in l.iter_mut().enumerate() {
        line["seq"] = json!(seq);
    }
    let (_dir, path, got) = written(&l);
    let e = refused_at(got, &path, det + 2);
    assert!(e.contains("back"), "{e}");
}

#[test]
fn a_detection_before_its_t0_is_refused() {
    // Detected 5 ms before T0: today it earns full points.
    let mut l = lines("passed");
    let i = find(&l, "detection_met");
    let t0: chrono::DateTime<chrono::Utc> = serde_json::from_value(l[i]["t0"].clone()).unwrap();
    let early = t0 - chrono::Duration::milliseconds(5);
    l[i]["detected_at"] = serde_json::to_value(early).unwrap();
    l[i]["ttd_ms"] = json!(-5);
    let (_dir, path, got) = written(&l);
    let e = refused_at(got, &path, i + 1);
    assert!(e.contains("before its T0"), "{e}");
}
