//! Game days across an organisation, with only S3 in common: a plan of three accounts ×
//! two regions of the emulator split over three shard processes, each with a cache folder
//! of its own, whose runs directory is a prefix of the emulator's S3. Every game day runs
//! once, in its account's shard; one combined report lists them all; `trend` and `report`
//! read them from S3; and a run killed with SIGKILL is completed by `cleanup --run s3://…`
//! on a machine that never saw it, leaving nothing behind.

use gameday_tests::aws_run;
use gameday_tests::moto::Moto;
use gameday_tests::scale::quick_library;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const ACCOUNTS: [&str; 3] = ["111111111111", "222222222222", "333333333333"];
const BUCKET: &str = "gameday-org-runs";

fn config(dir: &Path, moto: &Moto) {
    let mut out = String::from("targets:\n");
    for (name, account) in ["acct-a", "acct-b", "acct-c"].iter().zip(ACCOUNTS) {
        out.push_str(&format!(
            "  - name: {name}\n    kind: aws\n    assume_role: {{ arn: \"arn:aws:iam::{account}:role/gameday\" }}\n    \
             regions: [us-east-1, eu-west-1]\n    allowed_accounts: [\"{account}\"]\n    \
             endpoint_url: {}\n    max_attempts: 10\n    \
             poll: {{ guardduty: 1s, cloudwatch: 1s, containment: 1s }}\n",
            moto.url()
        ));
    }
    out.push_str(&format!(
        "plans:\n  - name: fleet\n    schedule: {{ cron: \"0 10 * * TUE\", timezone: Europe/Berlin }}\n    \
         scenarios: [compromised-access-key]\n    \
         targets: [{{ target: acct-a }}, {{ target: acct-b }}, {{ target: acct-c }}]\n    \
         concurrency: 2\n    responders: autopilot\n    think_time: 1s\n    \
         runs_dir: s3://{BUCKET}/org/runs\n"
    ));
    std::fs::write(dir.join("gameday.yaml"), out).expect("config");
}

/// `gameday ARGS` in `dir` with its own cache folder `cache`, S3 at the emulator.
fn gameday(dir: &Path, cache: &Path, moto: &Moto, args: &[&str]) -> Command {
    let mut c = aws_run::command(dir, args);
    c.env("GAMEDAY_CACHE_DIR", cache)
        .env("AWS_ENDPOINT_URL", moto.url())
        .env("AWS_REGION", "us-east-1");
    c
}

/// The keys under `prefix` in the runs bucket, read with boto3.
fn keys(moto: &Moto, prefix: &str) -> Vec<String> {
    moto.python_output(&format!(
        "import boto3\ns3 = boto3.client('s3', config=boto3.session.Config(s3={{'addressing_style': 'path'}}))\n\
         p = s3.get_paginator('list_objects_v2')\n\
         for page in p.paginate(Bucket={BUCKET:?}, Prefix={prefix:?}):\n    \
         [print(o['Key']) for o in page.get('Contents', [])]"
    ))
    .lines()
    .map(str::to_owned)
    .collect()
}

fn object(moto: &Moto, key: &str) -> String {
    moto.python_output(&format!(
        "import boto3\ns3 = boto3.client('s3', config=boto3.session.Config(s3={{'addressing_style': 'path'}}))\n\
         print(s3.get_object(Bucket={BUCKET:?}, Key={key:?})['Body'].read().decode(), end='')"
    ))
}

fn start(moto: &Moto) {
    moto.python(&format!(
        "import boto3\ns3 = boto3.client('s3', config=boto3.session.Config(s3={{'addressing_style': 'path'}}))\n\
         s3.create_bucket(Bucket={BUCKET:?})"
    ));
}

#[test]
fn three_shards_with_only_s3_in_common_run_each_game_day_once_and_report_once() {
    let moto = Moto::start();
    start(&moto);
    let dir = tempfile::tempdir().expect("tempdir");
    let lib = quick_library(dir.path());
    config(dir.path(), &moto);
    let lib = lib.to_str().expect("utf-8").to_owned();
    let shards: Vec<_> = (1..=3)
        .map(|i| {
            let cache = dir.path().join(format!("cache-{i}"));
            let shard = format!("{i}/3");
            gameday(
                dir.path(),
                &cache,
                &moto,
                &[
                    "schedule",
                    "run",
                    "fleet",
                    "--shard",
                    &shard,
                    "--execution",
                    "fleet-e2e",
                    "--library",
                    &lib,
                ],
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("a shard")
        })
        .collect();
    let mut printed = String::new();
    for child in shards {
        let out = child.wait_with_output().expect("shard");
        let (o, e) = (
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        // Nothing detects in the emulator: the runs fail, as they should, and clean up.
        assert_eq!(out.status.code(), Some(1), "{o}\n{e}");
        assert!(
            o.contains("plan fleet: 2 runs"),
            "two game days a shard: {o}"
        );
        printed.push_str(&o);
    }
    // No shard saw another's folder: each cache holds its own runs only.
    for i in 1..=3 {
        let mine = dir
            .path()
            .join(format!("cache-{i}/s3/{BUCKET}/org/runs/fleet-e2e"));
        let runs = aws_run::run_dirs(&mine)
            .into_iter()
            .filter(|p| {
                !p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            })
            .count();
        assert!(runs == 2 || runs == 6, "shard {i} had {runs} runs locally");
    }
    let all = keys(&moto, "org/runs/fleet-e2e/");
    let journals: Vec<&String> = all
        .iter()
        .filter(|k| k.ends_with("/journal.jsonl"))
        .collect();
    assert_eq!(journals.len(), 6, "six runs on S3: {all:?}");
    let marks: Vec<&String> = all.iter().filter(|k| k.contains("/.shards/")).collect();
    assert_eq!(marks.len(), 3, "{marks:?}");
    assert_eq!(
        all.iter().filter(|k| k.ends_with("/.combined")).count(),
        1,
        "one shard won the combined report"
    );
    let report: Value =
        serde_json::from_str(&object(&moto, "org/runs/fleet-e2e/report.json")).expect("json");
    assert_eq!(report["runs"].as_array().map(Vec::len), Some(6), "{report}");
    // Each account's game days ran in one shard only.
    let mut places = Vec::new();
    for j in &journals {
        let first: Value =
            serde_json::from_str(object(&moto, j).lines().next().unwrap_or_default())
                .expect("first event");
        places.push(format!(
            "{} {}",
            first["target"]["account_id"], first["target"]["region"]
        ));
    }
    places.sort();
    places.dedup();
    assert_eq!(places.len(), 6, "each account and region once: {places:?}");
    for account in ACCOUNTS {
        for region in ["us-east-1", "eu-west-1"] {
            let left = aws_run::tagged_as(&moto, Some(account), region);
            assert!(left.is_empty(), "{account} {region}: {left:?}");
        }
    }
    // A reader with nothing local reads them from S3.
    let reader = dir.path().join("cache-reader");
    let trend = gameday(
        dir.path(),
        &reader,
        &moto,
        &[
            "trend",
            &format!("s3://{BUCKET}/org/runs/fleet-e2e"),
            "--format",
            "json",
        ],
    )
    .output()
    .expect("trend");
    let text = String::from_utf8_lossy(&trend.stdout);
    assert_eq!(
        trend.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&trend.stderr)
    );
    let trend: Value = serde_json::from_str(&text).expect("trend json");
    assert!(
        trend.to_string().contains("compromised-access-key"),
        "{trend}"
    );
    let run = journals[0].trim_end_matches("/journal.jsonl");
    let report = gameday(
        dir.path(),
        &reader,
        &moto,
        &["report", &format!("s3://{BUCKET}/{run}")],
    )
    .output()
    .expect("report");
    assert_eq!(
        report.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&report.stderr)
    );
    assert!(
        String::from_utf8_lossy(&report.stdout).contains("compromised-access-key"),
        "{}",
        String::from_utf8_lossy(&report.stdout)
    );
}

#[test]
fn a_run_killed_on_s3_is_completed_by_cleanup_from_what_s3_holds() {
    let moto = Moto::start();
    start(&moto);
    let dir = tempfile::tempdir().expect("tempdir");
    config(dir.path(), &moto);
    // The real scenario: its detections wait minutes, so the run is killed while watching.
    let runs = format!("s3://{BUCKET}/solo");
    let lib = gameday_tests::repo();
    let err = std::fs::File::create(dir.path().join("run.err")).expect("stderr file");
    let mut child = gameday(
        dir.path(),
        &dir.path().join("cache-runner"),
        &moto,
        &[
            "run",
            "compromised-access-key",
            "--target",
            "acct-a",
            "--runs-dir",
            &runs,
            "--run-id",
            "killed-1",
            "--library",
            lib.to_str().expect("utf-8"),
        ],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::from(err))
    .spawn()
    .expect("run");
    // The watch phase's start is uploaded: the attack is done and nothing is cleaned up.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let keys = keys(&moto, "solo/killed-1/");
        if keys.iter().any(|k| k.ends_with("journal.jsonl"))
            && object(&moto, "solo/killed-1/journal.jsonl").contains("\"phase\":\"watch\"")
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the run never reached its watch phase on S3: {}",
            std::fs::read_to_string(dir.path().join("run.err")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    assert!(
        !aws_run::tagged_as(&moto, Some(ACCOUNTS[0]), "us-east-1").is_empty(),
        "the killed run left its resources"
    );
    // Another machine: no local copy, only what S3 holds.
    let out = gameday(
        dir.path(),
        &dir.path().join("cache-elsewhere"),
        &moto,
        &["cleanup", "--run", &format!("{runs}/killed-1")],
    )
    .output()
    .expect("cleanup");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let left = aws_run::tagged_as(&moto, Some(ACCOUNTS[0]), "us-east-1");
    assert!(left.is_empty(), "left behind: {left:?}");
    // The completed journal is back on S3.
    let journal = object(&moto, "solo/killed-1/journal.jsonl");
    assert!(journal.contains("cleanup_finished"), "{journal}");
}

/// What an exported CronJob does every minute of a window: `schedule run --if-due` in a
/// fresh pod, with nothing local. Two such processes for one due moment (two firings, or
/// a retried pod) with only S3 in common: one runs it, the other finds it claimed.
#[test]
fn a_due_moment_on_s3_runs_once_however_many_fresh_processes_ask() {
    let moto = Moto::start();
    start(&moto);
    let dir = tempfile::tempdir().expect("tempdir");
    let lib = quick_library(dir.path());
    config(dir.path(), &moto);
    // Due every minute, on one account: the game days end in seconds.
    let text = std::fs::read_to_string(dir.path().join("gameday.yaml"))
        .expect("config")
        .replace(
            "cron: \"0 10 * * TUE\", timezone: Europe/Berlin",
            "cron: \"* * * * *\"",
        )
        .replace(
            "targets: [{ target: acct-a }, { target: acct-b }, { target: acct-c }]",
            "targets: [{ target: acct-a, regions: [us-east-1] }]",
        );
    std::fs::write(dir.path().join("gameday.yaml"), text).expect("config");
    // Both in one minute: start early in it.
    while chrono::Utc::now().timestamp() % 60 > 40 {
        std::thread::sleep(Duration::from_millis(500));
    }
    let lib = lib.to_str().expect("utf-8").to_owned();
    let both: Vec<_> = (1..=2)
        .map(|i| {
            gameday(
                dir.path(),
                &dir.path().join(format!("pod-{i}")),
                &moto,
                &["schedule", "run", "fleet", "--if-due", "--library", &lib],
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("a pod")
        })
        .collect();
    let outs: Vec<String> = both
        .into_iter()
        .map(|c| {
            let out = c.wait_with_output().expect("pod");
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        })
        .collect();
    let ran = outs
        .iter()
        .filter(|o| o.contains("plan fleet: 1 runs"))
        .count();
    let refused = outs
        .iter()
        .filter(|o| o.contains("has run already"))
        .count();
    assert_eq!((ran, refused), (1, 1), "{outs:#?}");
    let claims: Vec<String> = keys(&moto, "org/runs/.schedule/");
    assert_eq!(claims.len(), 1, "{claims:?}");
}
