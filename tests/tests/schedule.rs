//! Scheduled game days from the command line: plans listed and exported, one plan fanned
//! out over three accounts and two regions of the emulator (each account reached through
//! its own assumed role), shards that split an execution, and two daemons on one plan
//! that run each moment once.

use gameday_tests::aws_run;
use gameday_tests::moto::Moto;
use gameday_tests::scale::quick_library;
use std::path::Path;
use std::time::Duration;

const ACCOUNTS: [&str; 3] = ["111111111111", "222222222222", "333333333333"];

fn targets(endpoint: &str) -> String {
    let mut out = String::from("targets:\n");
    for (name, account) in ["acct-a", "acct-b", "acct-c"].iter().zip(ACCOUNTS) {
        out.push_str(&format!(
            "  - name: {name}\n    kind: aws\n    assume_role: {{ arn: \"arn:aws:iam::{account}:role/gameday\" }}\n    \
             regions: [us-east-1, eu-west-1]\n    allowed_accounts: [\"{account}\"]\n    \
             endpoint_url: {endpoint}\n    max_attempts: 10\n    \
             poll: {{ guardduty: 1s, cloudwatch: 1s, containment: 1s }}\n"
        ));
    }
    out
}

fn gameday(dir: &Path, args: &[&str]) -> std::process::Output {
    aws_run::command(dir, args).output().expect("gameday")
}

#[test]
fn a_plan_fans_out_over_three_accounts_and_two_regions_and_cleans_up_every_run() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let lib = quick_library(dir.path());
    let config = format!(
        "{}plans:\n  - name: fleet\n    schedule: {{ cron: \"0 10 * * TUE\", timezone: Europe/Berlin }}\n    \
         scenarios: [compromised-access-key]\n    \
         targets: [{{ target: acct-a }}, {{ target: acct-b }}, {{ target: acct-c }}]\n    \
         concurrency: 6\n    responders: autopilot\n    think_time: 1s\n    team: blue\n",
        // Credentials in the endpoint, which the emulator ignores and nothing may print.
        targets(&moto.url().replacen("://", "://gameday:s3cr3t@", 1))
    );
    std::fs::write(dir.path().join("gameday.yaml"), config).expect("config");
    let out = gameday(
        dir.path(),
        &[
            "schedule",
            "run",
            "fleet",
            "--library",
            lib.to_str().expect("utf-8"),
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    // Nothing detects in the emulator unless a test says so: the runs fail, as they
    // should, and clean up.
    assert_eq!(out.status.code(), Some(1), "{text}\n{err}");
    assert!(text.contains("plan fleet: 6 runs"), "{text}");
    let execution = std::fs::read_dir(dir.path().join("runs"))
        .expect("runs")
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("fleet-"))
        })
        .expect("the execution folder");
    let mut places = Vec::new();
    for run in aws_run::run_dirs(&execution) {
        let journal = std::fs::read_to_string(run.join("journal.jsonl")).expect("journal");
        let events: Vec<serde_json::Value> = journal
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        let target = &events[0]["target"];
        places.push(format!("{} {}", target["account_id"], target["region"]));
        let cleanup = events
            .iter()
            .find(|e| e["event"] == "cleanup_finished")
            .cloned()
            .unwrap_or_default();
        assert_eq!(cleanup["failed"], 0, "{}: {cleanup}", run.display());
        assert!(cleanup["reverted"].as_u64().unwrap_or(0) >= 3);
    }
    places.sort();
    let mut want: Vec<String> = ACCOUNTS
        .iter()
        .flat_map(|a| {
            [
                format!("\"{a}\" \"eu-west-1\""),
                format!("\"{a}\" \"us-east-1\""),
            ]
        })
        .collect();
    want.sort();
    assert_eq!(places, want, "one run in each account and region");
    for account in ACCOUNTS {
        for region in ["us-east-1", "eu-west-1"] {
            let left = aws_run::tagged_as(&moto, Some(account), region);
            assert!(left.is_empty(), "{account} {region}: {left:?}");
        }
    }
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(execution.join("report.json")).expect("combined report"),
    )
    .expect("json");
    assert_eq!(
        report["runs"].as_array().map(Vec::len),
        Some(6),
        "one report of all"
    );
    let calls = std::fs::read_to_string(execution.join("calls.json")).expect("calls.json");
    assert!(text.contains("calls in "), "{text}");
    for written in [&*text, &*err, &calls] {
        assert!(!written.contains("s3cr3t"), "{written}");
    }
}

fn sim_plan(dir: &Path, cron: &str) {
    let config = format!(
        "plans:\n  - name: drill\n    schedule: {{ cron: \"{cron}\" }}\n    \
         scenarios: [compromised-access-key, public-bucket, snapshot-shared, ssh-open-to-world]\n    \
         targets: [{{ target: sim }}]\n    responders: autopilot\n    virtual_time: true\n"
    );
    std::fs::write(dir.join("gameday.yaml"), config).expect("config");
}

#[test]
fn shards_split_an_execution_and_share_its_combined_report() {
    let dir = tempfile::tempdir().expect("tempdir");
    sim_plan(dir.path(), "0 10 * * *");
    let lib = gameday_tests::repo();
    let mut seen = Vec::new();
    for shard in ["1/3", "2/3", "3/3"] {
        let out = gameday(
            dir.path(),
            &[
                "schedule",
                "run",
                "drill",
                "--shard",
                shard,
                "--library",
                lib.to_str().expect("utf-8"),
            ],
        );
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert_eq!(out.status.code(), Some(0), "{text}");
        seen.extend(
            text.lines()
                .filter(|l| l.contains(" sim "))
                .map(|l| l.split_whitespace().next().unwrap_or_default().to_owned()),
        );
    }
    seen.sort();
    assert_eq!(
        seen,
        [
            "compromised-access-key",
            "public-bucket",
            "snapshot-shared",
            "ssh-open-to-world"
        ],
        "every game day once, across the shards"
    );
    let bad = gameday(dir.path(), &["schedule", "run", "drill", "--shard", "4/3"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--shard"));
}

#[test]
fn list_next_and_export_describe_the_plans() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("gameday.yaml"),
        "plans:\n  - name: weekly\n    schedule: { cron: \"0 10 * * TUE\", timezone: Europe/Berlin }\n    \
         scenarios: [public-bucket]\n    targets: [{ target: sim }]\n",
    )
    .expect("config");
    let out = gameday(
        dir.path(),
        &[
            "schedule",
            "next",
            "weekly",
            "--count",
            "2",
            "--after",
            "2026-10-20T00:00:00Z",
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    // Berlin is UTC+2 until the last Sunday of October, then UTC+1.
    assert_eq!(
        text.lines().collect::<Vec<_>>(),
        [
            "2026-10-20 08:00:00 UTC (Tue 2026-10-20 10:00 CEST)",
            "2026-10-27 09:00:00 UTC (Tue 2026-10-27 10:00 CET)",
        ],
        "{text}"
    );
    let out = gameday(dir.path(), &["schedule", "list"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 10 * * TUE (Europe/Berlin)"));
    let out = gameday(
        dir.path(),
        &["schedule", "export", "weekly", "--format", "systemd"],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(" Europe/Berlin\n"), "{text}");
    // Pods share no disk: the plan's local runs directory is refused.
    let k8s = [
        "schedule",
        "export",
        "weekly",
        "--format",
        "kubernetes",
        "--role-arn",
        "arn:aws:iam::123456789012:role/gameday",
    ];
    let out = gameday(dir.path(), &k8s);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not on S3"));
    std::fs::write(
        dir.path().join("gameday.yaml"),
        "plans:\n  - name: weekly\n    schedule: { cron: \"0 10 * * TUE\", timezone: Europe/Berlin }\n    \
         scenarios: [public-bucket]\n    targets: [{ target: sim }]\n    shards: 2\n    \
         runs_dir: s3://gameday-runs/weekly\n",
    )
    .expect("config");
    let out = gameday(dir.path(), &k8s);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("timeZone: Europe/Berlin"), "{text}");
    assert!(text.contains("concurrencyPolicy: Forbid"), "{text}");
    assert!(text.contains("completions: 2"), "{text}");
    let out = gameday(
        dir.path(),
        &["schedule", "export", "weekly", "--format", "cronjob"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("crontab, systemd, kubernetes or aws-batch")
    );
    let out = gameday(dir.path(), &["schedule", "next", "weekley"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("did you mean `weekly`"));
}

#[test]
fn a_bad_plan_is_reported_with_its_line_and_column() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("gameday.yaml"),
        "plans:\n  - name: p\n    schedule: { cron: \"0 10 * * TUE\", timezone: Mars/Olympus }\n    \
         scenarios: [public-bucket]\n    targets: [{ target: nowhere }]\n",
    )
    .expect("config");
    let out = gameday(dir.path(), &["schedule", "list"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("gameday.yaml:3:"), "{err}");
    assert!(err.contains("Mars/Olympus"), "{err}");
    assert!(
        err.contains("gameday.yaml:5:") && err.contains("nowhere"),
        "{err}"
    );
}

#[test]
fn two_daemons_on_one_plan_run_each_moment_once_and_stop_on_sigterm() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Every five seconds, on the simulator in virtual time.
    sim_plan(dir.path(), "*/5 * * * * *");
    let lib = gameday_tests::repo();
    let spawn = |name: &str| {
        let log = std::fs::File::create(dir.path().join(name)).expect("log");
        aws_run::command(
            dir.path(),
            &[
                "schedule",
                "daemon",
                "--log-format",
                "json",
                "--library",
                lib.to_str().expect("utf-8"),
            ],
        )
        .stdout(std::process::Stdio::null())
        .stderr(log)
        .spawn()
        .expect("daemon")
    };
    let mut a = spawn("a.log");
    let mut b = spawn("b.log");
    std::thread::sleep(Duration::from_secs(12));
    for d in [&a, &b] {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &d.id().to_string()])
            .status();
    }
    for d in [&mut a, &mut b] {
        let status = d.wait().expect("wait");
        assert_eq!(status.code(), Some(0), "a daemon stops cleanly on SIGTERM");
    }
    let executions: Vec<String> = std::fs::read_dir(dir.path().join("runs"))
        .expect("runs")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("drill-"))
        .collect();
    assert!(
        (2..=3).contains(&executions.len()),
        "one execution a moment in 12 s: {executions:?}"
    );
    let mut starts = 0;
    for log in ["a.log", "b.log"] {
        let text = std::fs::read_to_string(dir.path().join(log)).expect("log");
        for line in text.lines() {
            let v: serde_json::Value = serde_json::from_str(line).expect("a JSON log line");
            if v["message"]
                .as_str()
                .is_some_and(|m| m.ends_with(": starting"))
            {
                starts += 1;
            }
        }
    }
    assert_eq!(
        starts,
        executions.len(),
        "each moment started by one daemon only"
    );
    for e in &executions {
        let runs = aws_run::run_dirs(&dir.path().join("runs").join(e));
        assert_eq!(runs.len(), 4, "{e}: the plan's four scenarios, once");
    }
}

/// Accepts `n` HTTP requests on `listener`, answers each 204, and returns their bodies.
fn receive(listener: std::net::TcpListener, n: usize) -> Vec<serde_json::Value> {
    use std::io::{BufRead, BufReader, Read, Write};
    let mut bodies = Vec::new();
    for stream in listener.incoming().take(n) {
        let mut stream = stream.expect("connection");
        let mut reader = BufReader::new(stream.try_clone().expect("clone"));
        let mut length = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).expect("header");
            if line.trim().is_empty() {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().expect("length");
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).expect("body");
        let _ = stream.write_all(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n");
        bodies.push(serde_json::from_slice(&body).expect("a JSON body"));
    }
    bodies
}

#[test]
fn the_webhook_hears_when_an_execution_starts_and_ends() {
    let dir = tempfile::tempdir().expect("tempdir");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::fs::write(
        dir.path().join("gameday.yaml"),
        format!(
            "plans:\n  - name: hooked\n    schedule: {{ cron: \"0 10 * * *\" }}\n    \
             scenarios: [public-bucket]\n    targets: [{{ target: sim }}]\n    \
             responders: autopilot\n    virtual_time: true\n    team: blue\n    \
             webhook: http://127.0.0.1:{port}/hook\n"
        ),
    )
    .expect("config");
    let server = std::thread::spawn(move || receive(listener, 2));
    let lib = gameday_tests::repo();
    let out = gameday(
        dir.path(),
        &[
            "schedule",
            "run",
            "hooked",
            "--library",
            lib.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bodies = server.join().expect("server");
    assert_eq!(bodies[0]["event"], "started");
    assert_eq!(bodies[0]["plan"], "hooked");
    assert_eq!(bodies[0]["team"], "blue");
    assert_eq!(bodies[0]["jobs"], 1);
    assert_eq!(bodies[1]["event"], "ended");
    assert_eq!(bodies[1]["runs"][0]["scenario"], "public-bucket");
    assert_eq!(bodies[1]["runs"][0]["outcome"], "passed");
}

/// Three simulated accounts (`kind: sim`), one of them in two regions.
const SIM_TARGETS: &str = concat!(
    "targets:\n",
    "  - name: sandbox-a\n    kind: sim\n    regions: [us-east-1, eu-west-1]\n",
    "    allowed_accounts: [\"210000000001\"]\n",
    "  - name: sandbox-b\n    kind: sim\n    regions: [us-east-1]\n",
    "    allowed_accounts: [\"210000000002\"]\n",
    "  - name: sandbox-c\n    kind: sim\n    regions: [us-east-1]\n",
    "    allowed_accounts: [\"210000000003\"]\n",
);

#[test]
fn a_plan_over_simulated_accounts_shares_each_account_and_keeps_its_limits() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("gameday.yaml"),
        format!(
            "{SIM_TARGETS}plans:\n  - name: rehearsal\n    schedule: {{ cron: \"0 10 * * TUE\" }}\n    \
             scenarios: [compromised-access-key, cloudtrail-stopped, ssh-open-to-world]\n    \
             targets: [{{ target: sandbox-a }}, {{ target: sandbox-b }}, {{ target: sandbox-c }}]\n    \
             concurrency: 12\n    responders: autopilot\n    virtual_time: true\n"
        ),
    )
    .expect("config");
    let lib = gameday_tests::repo();
    let out = gameday(
        dir.path(),
        &[
            "schedule",
            "run",
            "rehearsal",
            "--library",
            lib.to_str().expect("utf-8"),
        ],
    );
    let (text, err) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    // 0 or 1: the detection model may miss; 3 would be a run that did not end cleanly or
    // left something behind.
    assert!(matches!(out.status.code(), Some(0 | 1)), "{text}\n{err}");
    assert!(!err.contains(" left "), "every run cleaned up: {err}");
    let rows: Vec<&str> = text.lines().filter(|l| l.contains(" sandbox-")).collect();
    assert_eq!(rows.len(), 12, "3 scenarios in 4 account-regions: {text}");
    let exec = std::fs::read_dir(dir.path().join("runs"))
        .expect("runs")
        .map(|e| e.expect("entry").path())
        .find(|p| p.is_dir() && !p.ends_with(".schedule"))
        .expect("the execution folder");
    // Every run knows its account and region, and ran in virtual time: its run time
    // spans minutes of the detectors' delays.
    let reports = exec.join("report.json");
    let combined: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&reports).expect("combined report"))
            .expect("json");
    let runs = combined["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 12);
    let mut seen: Vec<String> = runs
        .iter()
        .map(|r| {
            let t = &r["target"];
            format!(
                "{} {}",
                t["account_id"].as_str().unwrap_or("?"),
                t["region"].as_str().unwrap_or("?")
            )
        })
        .collect();
    seen.sort();
    seen.dedup();
    assert_eq!(
        seen,
        [
            "210000000001 eu-west-1",
            "210000000001 us-east-1",
            "210000000002 us-east-1",
            "210000000003 us-east-1"
        ]
    );
    // The calls each account saw: within every limit, and detection polls shared, so
    // ListFindings stays near one per 30 s interval in each region however many runs
    // watch there.
    let calls: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(exec.join("calls.json")).expect("calls.json"),
    )
    .expect("json");
    let accounts = calls["accounts"].as_array().expect("accounts");
    assert_eq!(accounts.len(), 3, "one throttle per account: {calls}");
    for a in accounts {
        for f in a["families"].as_array().expect("families") {
            let n = |k: &str| f[k].as_u64().expect(k);
            assert!(
                n("peak_per_second") <= n("allowed_per_second")
                    && n("peak_per_minute") <= n("allowed_per_minute"),
                "{f}"
            );
            if f["family"] == "guardduty" {
                let list = f["operations"]["guardduty:ListFindings"]
                    .as_u64()
                    .unwrap_or(0);
                let minutes = n("minutes");
                assert!(
                    list > 0 && list <= 2 * minutes + 2,
                    "{list} ListFindings over {minutes} minutes: {f}"
                );
            }
        }
        assert!(a["all"]["calls"].as_u64().unwrap_or(0) > 0);
    }
}

#[test]
fn simulated_targets_are_checked_and_kept_to_plans() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("gameday.yaml"),
        "targets:\n  - name: fake\n    kind: sim\n    profile: prod\n    regions: [us-east-1]\n    \
         allowed_accounts: [\"210000000001\", \"210000000002\"]\n",
    )
    .expect("config");
    let out = gameday(dir.path(), &["schedule", "list"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("gameday.yaml:4:") && err.contains("no `profile`"),
        "{err}"
    );
    assert!(
        err.contains("gameday.yaml:6:") && err.contains("one account"),
        "{err}"
    );
    std::fs::write(dir.path().join("gameday.yaml"), SIM_TARGETS).expect("config");
    let out = gameday(
        dir.path(),
        &["run", "compromised-access-key", "--target", "sandbox-b"],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--target sandbox-b") && err.contains("for plans"),
        "{err}"
    );
}
