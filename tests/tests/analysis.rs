//! `gameday trend` and `gameday coverage`, run as a user would, on runs made by
//! `gameday run --autopilot --virtual`.

use gameday_tests::{repo, run, stderr, stdout};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

fn utf8(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 path")
}

/// Runs `scenario` `repeat` times into `runs`; returns the `--json` summaries.
fn make_runs(runs: &Path, scenario: &str, repeat: u32) -> Vec<Value> {
    let repeat = repeat.to_string();
    let out = run(&[
        "run",
        scenario,
        "--autopilot",
        "--virtual",
        "--repeat",
        &repeat,
        "--runs-dir",
        utf8(runs),
        "-q",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let summaries: Vec<Value> = stdout(&out)
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).expect("a JSON summary"))
        .collect();
    assert_eq!(summaries.len().to_string(), repeat);
    summaries
}

/// Nearest-rank median.
fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let rank = (0.5 * v.len() as f64).ceil().max(1.0) as usize;
    v[rank - 1]
}

/// Seconds the way gameday writes them for people.
fn human(s: f64) -> String {
    gameday_engine::report::human(Some(s))
}

/// Per (scenario, "TTD"/"TTC" id): the measured times of the runs.
fn times(summaries: &[Value]) -> BTreeMap<(String, String), Vec<f64>> {
    let mut m: BTreeMap<(String, String), Vec<f64>> = BTreeMap::new();
    for s in summaries {
        let sc = s["scenario"].as_str().expect("scenario").to_owned();
        for (list, key, abbr) in [
            ("detections", "ttd_seconds", "TTD"),
            ("containments", "ttc_seconds", "TTC"),
        ] {
            for x in s[list].as_array().expect("a list") {
                let id = format!("{abbr} {}", x["id"].as_str().expect("id"));
                m.entry((sc.clone(), id))
                    .or_default()
                    .extend(x[key].as_f64());
            }
        }
    }
    m
}

fn json_of(args: &[&str]) -> Value {
    let out = run(args);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
    serde_json::from_str(&stdout(&out)).expect("a JSON document")
}

#[test]
fn trend_shows_every_expectation_with_its_median_in_text_html_and_json() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut summaries = make_runs(tmp.path(), "compromised-access-key", 3);
    summaries.extend(make_runs(tmp.path(), "public-bucket", 3));
    let expected = times(&summaries);
    assert_eq!(expected.len(), 5, "2 + 3 expectations: {expected:?}");

    let out = run(&["trend", utf8(tmp.path())]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    for ((_, id), v) in &expected {
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{id} ")))
            .unwrap_or_else(|| panic!("no line for {id} in:\n{text}"));
        let m = human(median(v.clone()));
        assert!(line.contains(&m), "{id}: median {m} not in `{line}`");
        assert!(line.contains("3/3"), "{line}");
    }
    assert!(text.contains("compromised-access-key: Compromised IAM access key"));
    for l in text.lines() {
        assert!(l.chars().count() <= 100, "wider than 100 columns: {l}");
    }

    let j = json_of(&["trend", utf8(tmp.path()), "--format", "json"]);
    assert_eq!(j["kind"], "gameday-trend");
    assert_eq!(j["runs"], 6);
    assert_eq!(j["runs_read"], 6);
    let scenarios = j["scenarios"].as_array().expect("scenarios");
    let ids: Vec<&str> = scenarios
        .iter()
        .map(|s| s["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, ["compromised-access-key", "public-bucket"]);
    for s in scenarios {
        assert_eq!(s["runs"].as_array().expect("runs").len(), 3);
        assert_eq!(s["passed"], 3);
        let starts: Vec<&str> = s["runs"]
            .as_array()
            .expect("runs")
            .iter()
            .map(|r| r["started_at"].as_str().expect("started_at"))
            .collect();
        let mut sorted = starts.clone();
        sorted.sort_unstable();
        assert_eq!(starts, sorted, "runs in start order");
        for e in s["expectations"].as_array().expect("expectations") {
            let abbr = if e["kind"] == "detection" {
                "TTD"
            } else {
                "TTC"
            };
            let key = (
                s["id"].as_str().expect("id").to_owned(),
                format!("{abbr} {}", e["id"].as_str().expect("id")),
            );
            let v = expected.get(&key).expect("a known expectation");
            assert_eq!(e["runs"], 3);
            assert_eq!(e["points"].as_array().expect("points").len(), 3);
            let got = e["median_seconds"].as_f64().expect("a median");
            assert!((got - median(v.clone())).abs() < 1e-9, "{key:?}: {got}");
        }
    }

    let out = run(&["trend", utf8(tmp.path()), "--format", "html"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let page = stdout(&out);
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("<svg"));
    assert!(!page.contains("<script"));
    // A score chart per scenario and a chart per expectation, each accessible.
    assert_eq!(page.matches("role=\"img\"").count(), 2 + 5, "charts");
    assert_eq!(page.matches("<desc ").count(), 2 + 5);
    assert!(page.contains("class=\"deadline\""));
}

#[test]
fn trend_filters_by_scenario_and_since() {
    let tmp = tempfile::tempdir().expect("tempdir");
    // A scenario whose detection the model always raises: the runs must all pass.
    let first = make_runs(tmp.path(), "password-policy-weakened", 3);
    make_runs(tmp.path(), "ssh-open-to-world", 2);
    let dir = utf8(tmp.path());

    let j = json_of(&[
        "trend",
        dir,
        "--scenario",
        "ssh-open-to-world",
        "--format",
        "json",
    ]);
    assert_eq!(
        (j["runs"].as_u64(), j["runs_read"].as_u64()),
        (Some(2), Some(5))
    );
    let s = j["scenarios"].as_array().expect("scenarios");
    assert_eq!(s.len(), 1);
    assert_eq!(s[0]["id"], "ssh-open-to-world");
    assert_eq!(j["scenario_filter"], "ssh-open-to-world");

    // Every run started today or earlier, so a date in the past keeps them all…
    let j = json_of(&["trend", dir, "--since", "2000-01-01", "--format", "json"]);
    assert_eq!(j["runs"], 5);
    // …and an RFC 3339 instant keeps the runs started at or after it.
    let time = |v: &Value| {
        chrono::DateTime::parse_from_rfc3339(v.as_str().expect("a time")).expect("RFC 3339")
    };
    let second = first[1]["started_at"].as_str().expect("started_at");
    let all = json_of(&["trend", dir, "--format", "json"]);
    let at_or_after = all["scenarios"]
        .as_array()
        .expect("scenarios")
        .iter()
        .flat_map(|s| s["runs"].as_array().expect("runs"))
        .filter(|r| time(&r["started_at"]) >= time(&first[1]["started_at"]))
        .count();
    assert!((2..5).contains(&at_or_after), "{at_or_after}");
    let j = json_of(&["trend", dir, "--since", second, "--format", "json"]);
    assert_eq!(j["runs"].as_u64(), Some(at_or_after as u64));

    // A date after every run: an empty trend, said plainly, and exit 0.
    let out = run(&["trend", dir, "--since", "2999-01-01"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("No runs to show."),
        "{}",
        stdout(&out)
    );
    assert!(
        stderr(&out).contains("no run started on or after 2999-01-01T00:00:00Z"),
        "{}",
        stderr(&out)
    );
    let j = json_of(&["trend", dir, "--since", "2999-01-01", "--format", "json"]);
    assert_eq!(j["runs"], 0);
    assert_eq!(j["runs_read"], 5);
    assert_eq!(j["scenarios"].as_array().map(Vec::len), Some(0));

    // Bad input exits 2 and names the flag and the value.
    let out = run(&["trend", dir, "--since", "yesterday"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("--since") && err.contains("yesterday"),
        "{err}"
    );
    assert!(err.contains("YYYY-MM-DD"), "{err}");

    let out = run(&["trend", dir, "--scenario", "ssh-open-to-wrld"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("--scenario ssh-open-to-wrld"), "{err}");
    assert!(err.contains("did you mean `ssh-open-to-world`?"), "{err}");
}

#[test]
fn trend_refuses_empty_folders_and_unreadable_journals() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = run(&["trend", utf8(tmp.path())]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains(utf8(tmp.path())), "{err}");
    assert!(err.contains("no journal.jsonl"), "{err}");
    assert!(stdout(&out).is_empty());

    let missing = tmp.path().join("nowhere");
    let out = run(&["trend", utf8(&missing)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("nowhere: no such file or folder"));

    make_runs(tmp.path(), "new-admin-user", 1);
    let bad = tmp.path().join("broken");
    std::fs::create_dir_all(&bad).expect("mkdir");
    std::fs::write(bad.join("journal.jsonl"), "not json\n{\"seq\":0}\n").expect("write");
    let out = run(&["trend", utf8(tmp.path())]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("{}:1:", bad.join("journal.jsonl").display())),
        "{err}"
    );
}

/// The library's scenarios that list `technique` under `mitre:`, from the files.
fn users_of(technique: &str) -> Vec<String> {
    let mut users = Vec::new();
    for e in std::fs::read_dir(repo().join("scenarios")).expect("scenarios/") {
        let path = e.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("read");
        let listed = text
            .lines()
            .find_map(|l| l.strip_prefix("mitre:"))
            .is_some_and(|l| {
                l.trim()
                    .trim_matches(|c| c == '[' || c == ']')
                    .split(',')
                    .any(|t| t.trim() == technique)
            });
        if listed {
            let stem = path.file_stem().and_then(|s| s.to_str()).expect("name");
            users.push(stem.to_owned());
        }
    }
    users.sort();
    users
}

/// The lines of a technique's row in the text matrix (its first appearance).
fn text_row(text: &str, technique: &str) -> String {
    let mut lines = text
        .lines()
        .skip_while(|l| !l.trim_start().starts_with(&format!("{technique} ")));
    let mut row = lines.next().unwrap_or_default().to_owned();
    for l in lines {
        // Continuation lines hold wrapped scenario names only.
        if l.starts_with("      ") && !l.trim_start().starts_with('T') {
            row.push(' ');
            row.push_str(l.trim());
        } else {
            break;
        }
    }
    row
}

#[test]
fn coverage_lists_each_technique_with_the_scenarios_exercising_it() {
    let users = users_of("T1078.004");
    assert!(users.len() >= 2, "{users:?}");

    let out = run(&["coverage"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let row = text_row(&text, "T1078.004");
    assert!(row.contains("Cloud Accounts"), "{row}");
    assert!(row.contains("exercised"), "{row}");
    // The table cuts a long list of scenarios to fit, visibly; the JSON has them all.
    let json = run(&["coverage", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&json)).expect("JSON");
    let none = Vec::new();
    let list = |v: &serde_json::Value, key: &str| v[key].as_array().unwrap_or(&none).clone();
    let listed: Vec<String> = list(&v, "tactics")
        .iter()
        .flat_map(|t| list(t, "techniques"))
        .filter(|t| t["id"] == "T1078.004")
        .flat_map(|t| list(&t, "scenarios"))
        .filter_map(|s| s["scenario"].as_str().map(str::to_owned))
        .collect();
    for u in &users {
        assert!(listed.contains(u), "{u} missing from {listed:?}");
    }
    assert!(
        row.contains(users[0].as_str()) || row.contains('…'),
        "{row}"
    );
    // A technique no scenario exercises is a gap.
    let row = text_row(&text, "T1648");
    assert!(row.contains("Serverless Execution"), "{row}");
    assert!(row.trim_end().ends_with('—'), "{row}");
    for l in text.lines() {
        assert!(l.chars().count() <= 100, "wider than 100 columns: {l}");
    }

    let j = json_of(&["coverage", "--format", "json"]);
    assert_eq!(j["kind"], "gameday-coverage");
    assert_eq!(j["with_runs"], false);
    // ATT&CK v19: Defense Evasion split into Stealth and Defense Impairment, and the
    // library's logging and firewall scenarios under the latter's new ids.
    assert_eq!(j["attack_version"], "19");
    assert!(text.contains("ATT&CK v19"), "{text}");
    let keys: Vec<&str> = j["tactics"]
        .as_array()
        .expect("tactics")
        .iter()
        .filter_map(|t| t["key"].as_str())
        .collect();
    assert!(
        keys.contains(&"stealth") && !keys.contains(&"defense-evasion"),
        "{keys:?}"
    );
    let impairment = j["tactics"]
        .as_array()
        .expect("tactics")
        .iter()
        .find(|t| t["key"] == "defense-impairment")
        .expect("Defense Impairment");
    assert_eq!(impairment["id"], "TA0112");
    for (id, scenario) in [
        ("T1685.002", "cloudtrail-stopped"),
        ("T1686.001", "ssh-open-to-world"),
    ] {
        let cell = impairment["techniques"]
            .as_array()
            .expect("techniques")
            .iter()
            .find(|c| c["id"] == id)
            .unwrap_or_else(|| panic!("{id} under Defense Impairment"));
        let users: Vec<&str> = cell["scenarios"]
            .as_array()
            .expect("scenarios")
            .iter()
            .filter_map(|m| m["scenario"].as_str())
            .collect();
        assert!(users.contains(&scenario), "{id}: {users:?}");
    }
    let cell = j["tactics"]
        .as_array()
        .expect("tactics")
        .iter()
        .flat_map(|t| t["techniques"].as_array().expect("techniques"))
        .find(|c| c["id"] == "T1078.004")
        .expect("T1078.004 in the matrix");
    assert_eq!(cell["name"], "Valid Accounts: Cloud Accounts");
    let listed: Vec<&str> = cell["scenarios"]
        .as_array()
        .expect("scenarios")
        .iter()
        .map(|m| m["scenario"].as_str().expect("id"))
        .collect();
    assert_eq!(listed, users);
    assert_eq!(
        j["other"].as_array().map(Vec::len),
        Some(0),
        "{}",
        j["other"]
    );
    let n = std::fs::read_dir(repo().join("scenarios"))
        .expect("scenarios/")
        .count();
    assert_eq!(j["scenarios"].as_array().map(Vec::len), Some(n));

    let out = run(&["coverage", "--format", "html"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let page = stdout(&out);
    assert!(page.contains("<table class=\"matrix\">"), "the matrix");
    assert!(
        page.contains("ATT&amp;CK v19"),
        "the version the matrix follows"
    );
    assert!(page.contains("cell-exercised"));
    assert!(!page.contains("<script"));
}

#[test]
fn coverage_with_runs_marks_what_the_latest_run_detected() {
    let tmp = tempfile::tempdir().expect("tempdir");
    make_runs(tmp.path(), "compromised-access-key", 2);
    let dir = utf8(tmp.path());

    let j = json_of(&["coverage", "--runs", dir, "--format", "json"]);
    assert_eq!(j["with_runs"], true);
    assert_eq!(j["runs"], 2);
    let status = |id: &str| -> String {
        j["tactics"]
            .as_array()
            .expect("tactics")
            .iter()
            .flat_map(|t| t["techniques"].as_array().expect("techniques"))
            .find(|c| c["id"] == id)
            .map(|c| c["status"].as_str().unwrap_or_default().to_owned())
            .unwrap_or_default()
    };
    // The scenario's techniques are detected; another scenario's are not run.
    for id in ["T1078.004", "T1087.004", "T1580", "T1619"] {
        assert_eq!(status(id), "detected", "{id}");
    }
    assert_eq!(status("T1530"), "exercised", "public-bucket did not run");
    assert_eq!(status("T1648"), "gap");
    assert_eq!(j["totals"]["detected"], 4);
    let sc = j["scenarios"]
        .as_array()
        .expect("scenarios")
        .iter()
        .find(|s| s["id"] == "compromised-access-key")
        .expect("in the library");
    assert_eq!(sc["result"], "detected");
    let latest = sc["latest_run"]["run_id"].as_str().expect("a latest run");
    assert!(tmp.path().join(latest).is_dir());

    let out = run(&["coverage", "--runs", dir]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let row = text_row(&text, "T1619");
    assert!(row.contains("detected"), "{row}");
    assert!(row.contains("compromised-access-key ✓"), "{row}");
    let row = text_row(&text, "T1530");
    assert!(
        row.contains("not run") && row.contains("public-bucket -"),
        "{row}"
    );

    let file = tmp.path().join("out").join("coverage.html");
    let out = run(&[
        "coverage",
        "--runs",
        dir,
        "--format",
        "html",
        "--out",
        utf8(&file),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let page = std::fs::read_to_string(&file).expect("written");
    assert!(page.contains("cell-detected"));
    assert!(!page.contains("<script"));

    let out = run(&["coverage", "--runs", utf8(&tmp.path().join("nowhere"))]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no such file or folder"));
}
