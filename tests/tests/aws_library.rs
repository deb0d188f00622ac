//! Every library scenario as a game day on the emulator, with the autopilot responding and
//! the test playing the detectors, twice: through a proxy that only records, and through
//! one that answers a fifth of the calls with throttling errors or 503s. Each run passes,
//! each measured time to detect is the injected delay (within a second), or for a drill
//! its sample finding's `createdAt` minus T0 to the millisecond, the journal is
//! whole, nothing the run tagged is left behind, and no secret (the account's, or the
//! access keys the scenarios create) appears in anything the run wrote.

use gameday_tests::aws_run;
use gameday_tests::proxy::{Proxy, ProxyConfig};
use serde_json::Value;
use std::path::Path;
use std::sync::Mutex;

/// Every file under `dir`, as text.
fn files(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.extend(files(&p));
        } else if let Ok(bytes) = std::fs::read(&p) {
            out.push((
                p.display().to_string(),
                String::from_utf8_lossy(&bytes).into_owned(),
            ));
        }
    }
    out
}

/// The secret access keys in the answers the proxy forwarded.
fn secrets_seen(proxy: &Proxy) -> Vec<String> {
    let mut found = Vec::new();
    for x in proxy.requests() {
        let mut rest = x.response_body.as_str();
        while let Some(i) = rest.find("<SecretAccessKey>") {
            rest = &rest[i + "<SecretAccessKey>".len()..];
            if let Some(end) = rest.find('<') {
                found.push(rest[..end].to_owned());
            }
        }
    }
    found
}

/// One game day of `scenario` with `fault_rate`; every failed check, in words.
fn game_day(scenario: &str, fault_rate: f64) -> Vec<String> {
    let mut problems = Vec::new();
    let mut check = |ok: bool, what: String| {
        if !ok {
            problems.push(format!("{scenario} (faults {fault_rate}): {what}"));
        }
    };
    let moto = aws_run::library_emulator();
    let proxy = Proxy::start(ProxyConfig {
        upstream: moto.port,
        fault_rate,
        seed: scenario.len() as u64,
        garble: None,
    });
    let Ok(dir) = tempfile::tempdir() else {
        return vec!["no temp dir".into()];
    };
    aws_run::config(dir.path(), &proxy.url(), "");
    let mut child = aws_run::spawn_run(dir.path(), scenario, &[]);
    let runs = dir.path().join("runs");
    let (played, status) = aws_run::play(
        &moto,
        &runs,
        &mut child,
        std::time::Duration::from_secs(300),
    );
    let err =
        std::fs::read_to_string(dir.path().join(format!("{scenario}.err"))).unwrap_or_default();
    check(
        status.and_then(|s| s.code()) == Some(0),
        format!("exit {status:?}:\n{err}"),
    );
    let events = aws_run::events(&runs);
    check(
        events.iter().enumerate().all(|(i, e)| e["seq"] == i as u64),
        "the journal's events are numbered without a gap".into(),
    );
    let journal = aws_run::run_dirs(&runs)
        .first()
        .map(|d| d.join("journal.jsonl"))
        .and_then(|p| std::fs::read_to_string(p).ok())
        .unwrap_or_default();
    check(
        journal.ends_with('\n') && journal.lines().count() == events.len(),
        "every journal line is a whole event".into(),
    );
    let started = events.first().cloned().unwrap_or_default();
    check(
        started["target"]["kind"] == "aws" && started["target"]["account_id"] == "123456789012",
        format!("the run names its account: {}", started["target"]),
    );
    let (drills, met): (Vec<&Value>, Vec<&Value>) = events
        .iter()
        .filter(|e| e["event"] == "detection_met")
        .partition(|e| e["sample"] == true);
    let drill_ids = aws_run::drill_ids(&events);
    check(
        (!played.injected.is_empty() || !drill_ids.is_empty())
            && met.len() == played.injected.len()
            && drills.len() == drill_ids.len(),
        format!(
            "{} detections met of {} injected, {} drills of {}",
            met.len(),
            played.injected.len(),
            drills.len(),
            drill_ids.len()
        ),
    );
    // A drill's time to detect is its sample finding's createdAt minus T0.
    for m in &drills {
        let t0: Option<chrono::DateTime<chrono::Utc>> =
            m["t0"].as_str().and_then(|t| t.parse().ok());
        let created =
            aws_run::finding_created_at(&moto, m["evidence"].as_str().unwrap_or_default());
        let ttd = m["ttd_ms"].as_i64();
        println!(
            "{scenario} (faults {fault_rate}): drill {} met by sample finding {} created at \
             {created:?}, T0 {t0:?}: time to detect {ttd:?} ms",
            m["id"], m["evidence"]
        );
        check(
            matches!((t0, created, ttd), (Some(t0), Some(c), Some(ttd))
                if ttd == (c - t0).num_milliseconds() && ttd >= 0
                    && m["detected_at"].as_str().and_then(|t| t.parse().ok()) == Some(c)),
            format!(
                "drill {} measured {ttd:?} ms from T0 {t0:?} to the sample's createdAt {created:?}",
                m["id"]
            ),
        );
    }
    for m in met {
        let ttd = m["ttd_ms"].as_i64().unwrap_or(i64::MAX);
        let want = m["id"]
            .as_str()
            .and_then(|id| played.injected.get(id))
            .map_or(i64::MIN, |(t0, at)| (*at - *t0).num_milliseconds());
        println!(
            "{scenario} (faults {fault_rate}): {} measured {ttd} ms after T0, injected {want} ms",
            m["id"]
        );
        check(
            (ttd - want).abs() <= 1000,
            format!("{} measured {ttd} ms, injected {want} ms", m["id"]),
        );
    }
    let last = events.last().cloned().unwrap_or_default();
    check(
        last["event"] == "run_ended" && last["outcome"] == "passed",
        format!("the run passed: {last}"),
    );
    let cleanup = events
        .iter()
        .find(|e| e["event"] == "cleanup_finished")
        .cloned()
        .unwrap_or_default();
    check(
        cleanup["failed"] == 0 && cleanup["remaining"] == serde_json::json!([]),
        format!("clean-up: {cleanup}"),
    );
    let left = aws_run::tagged(&moto);
    check(left.is_empty(), format!("left behind: {left:?}"));
    if fault_rate > 0.0 {
        check(proxy.faults() > 0, "faults were injected".into());
    }
    let mut secrets = secrets_seen(&proxy);
    secrets.push(aws_run::SECRET.to_owned());
    let created_keys = events
        .iter()
        .any(|e| e["event"] == "step_completed" && e["outputs"].get("access_key_id").is_some());
    check(
        !created_keys || secrets.len() > 1,
        "the created access keys' secrets were seen in the answers".into(),
    );
    for (file, text) in files(dir.path()) {
        for s in &secrets {
            check(!text.contains(s.as_str()), format!("{file} holds a secret"));
        }
        // Nor anything shaped like one (stdout, stderr, the journal, every report).
        let shaped = gameday_engine::secrets::found_in(&text);
        check(shaped.is_empty(), format!("{file} holds {shaped:?}"));
    }
    problems
}

/// The library's response drill alone (the test above runs it too): `--nocapture` shows
/// its measured time to detect.
#[test]
fn the_drill_is_timed_by_its_sample_finding_on_the_emulator() {
    let problems = game_day("compromised-access-key-drill", 0.0);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The library's three-hop alert path alone (GuardDuty, Security Hub, the pager command):
/// each hop comes DELAY after the one before, and each is measured so.
#[test]
fn the_alert_path_is_timed_hop_by_hop_on_the_emulator() {
    let problems = game_day("compromised-access-key-alert-path", 0.0);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The finding routed to a log group, found by a Logs Insights query, and its event on the
/// bus, matched by a pattern through the run's own rule and queue (the target does not
/// push): the test writes the log event and sends the event DELAY after T0, and the run
/// measures that delay from the log event's @timestamp and the event's `time` (which the
/// bus keeps to the second).
#[test]
fn a_routed_finding_is_timed_by_its_log_event_and_its_event_on_the_emulator() {
    let problems = game_day("compromised-access-key-routed", 0.0);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_library_scenario_passes_on_the_emulator_with_and_without_faults() {
    let jobs: Vec<(String, f64)> = gameday_tests::library_scenarios()
        .iter()
        .filter_map(|p| p.file_stem().and_then(|s| s.to_str()).map(str::to_owned))
        .flat_map(|s| [(s.clone(), 0.0), (s, 0.2)])
        .collect();
    assert_eq!(jobs.len(), 66, "thirty-three library scenarios");
    let queue = Mutex::new(jobs);
    let problems = Mutex::new(Vec::new());
    // Four at a time: the runs mostly wait (polls, the autopilot's pauses).
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                loop {
                    let job = queue.lock().ok().and_then(|mut q| q.pop());
                    let Some((scenario, rate)) = job else { break };
                    let found = game_day(&scenario, rate);
                    if let Ok(mut p) = problems.lock() {
                        p.extend(found);
                    }
                }
            });
        }
    });
    let problems = problems.into_inner().unwrap_or_default();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
