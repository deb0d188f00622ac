//! The AWS target from the command line, on the emulator: the plan makes no call, bad
//! flags name themselves, missing credentials say what to do, and a stop alarm going into
//! ALARM aborts the run into a complete clean-up.

use gameday_tests::aws_run;
use gameday_tests::moto::Moto;
use std::time::{Duration, Instant};

fn library() -> String {
    gameday_tests::repo().display().to_string()
}

/// An emulator, and a folder with a `gameday.yaml` for it (`extra` added to the target),
/// recording the requests it serves from now on.
fn recorded(extra: &str) -> (Moto, tempfile::TempDir) {
    let moto = Moto::start();
    let dir = tempfile::tempdir().expect("tempdir");
    aws_run::config(dir.path(), &moto.url(), extra);
    moto.record();
    (moto, dir)
}

/// `gameday plan SCENARIO --target moto` from `dir`: its output, once it exited 0.
fn plan_on_moto(dir: &std::path::Path, scenario: &str) -> String {
    let out = aws_run::command(
        dir,
        &[
            "plan",
            scenario,
            "--library",
            &library(),
            "--target",
            "moto",
        ],
    )
    .output()
    .expect("plan");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn plan_on_a_target_lists_preflight_calls_tags_and_polls_and_makes_no_call() {
    let (moto, dir) = recorded("    stop_alarms: [canary]\n");
    let text = plan_on_moto(dir.path(), "malicious-ip-caller");
    for want in [
        "on target `moto (us-east-1)`",
        "gameday:run=RUNID, gameday:scenario=malicious-ip-caller, gameday:started=START, team=blue",
        "sts:GetCallerIdentity: the account must be one of 123456789012",
        "cloudwatch:DescribeAlarms {\"AlarmNames\":[\"canary\"]}",
        "s3:PutObject",
        "guardduty:CreateThreatIntelSet {\"name\":\"gameday-RUNID-attacker-ips\"}",
        "every 1s",
        "guardduty.delete_threat_intel_set (undoes threat-list)",
    ] {
        assert!(text.contains(want), "missing {want:?} in:\n{text}");
    }
    assert!(
        !text.contains("push-delivery"),
        "no push without `push` or patterns:\n{text}"
    );
    assert!(moto.recorded_actions().is_empty(), "plan made a call");

    // A scenario with an eventbridge detection gets the run's rule and queue, push or not.
    let text = plan_on_moto(dir.path(), "compromised-access-key-routed");
    for want in [
        "  1. setup  push-delivery    sqs:CreateQueue",
        "events:PutRule",
        "events.unwatch (undoes push-delivery)",
    ] {
        assert!(text.contains(want), "missing {want:?} in:\n{text}");
    }
    assert!(moto.recorded_actions().is_empty(), "plan made a call");
}

#[test]
fn bad_target_flags_exit_2_naming_the_flag() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().expect("tempdir");
    aws_run::config(dir.path(), &moto.url(), "");
    let lib = library();
    for (args, want) in [
        (
            vec!["run", "public-bucket", "--target", "moto", "--speed", "10"],
            "--speed and --virtual are for the simulator",
        ),
        (vec!["run", "public-bucket", "--target", "mot"], "moto"),
        (
            vec![
                "run",
                "public-bucket",
                "--target",
                "moto",
                "--region",
                "eu-west-9",
            ],
            "--region eu-west-9",
        ),
        (
            vec!["run", "public-bucket", "--region", "eu-west-1"],
            "--region eu-west-1: the simulator",
        ),
        // The console plays on AWS targets too, in real time only.
        (
            vec![
                "console",
                "public-bucket",
                "--target",
                "moto",
                "--speed",
                "10",
            ],
            "--speed and --virtual are for the simulator",
        ),
        (vec!["console", "public-bucket", "--target", "mot"], "moto"),
    ] {
        let mut full = args.clone();
        full.extend(["--library", lib.as_str()]);
        let out = aws_run::command(dir.path(), &full)
            .output()
            .expect("gameday");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
}

#[test]
fn missing_credentials_say_what_to_set_and_change_nothing() {
    let (moto, dir) = recorded("");
    let out = aws_run::command(
        dir.path(),
        &[
            "run",
            "public-bucket",
            "--library",
            &library(),
            "--target",
            "moto",
        ],
    )
    .env_remove("AWS_ACCESS_KEY_ID")
    .env_remove("AWS_SECRET_ACCESS_KEY")
    .output()
    .expect("gameday");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("no AWS credentials"), "{err}");
    assert!(moto.recorded_actions().is_empty());
}

#[test]
fn a_stop_alarm_going_into_alarm_aborts_the_run_into_clean_up() {
    let moto = Moto::start();
    moto.detector();
    moto.put_alarm("canary");
    let dir = tempfile::tempdir().expect("tempdir");
    aws_run::config(dir.path(), &moto.url(), "    stop_alarms: [canary]\n");
    let mut child = aws_run::spawn_run(dir.path(), "public-bucket", &[]);
    let runs = dir.path().join("runs");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !aws_run::events(&runs)
        .iter()
        .any(|e| e["event"] == "phase_started" && e["phase"] == "watch")
    {
        assert!(
            Instant::now() < deadline,
            "the run never reached its watch phase"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    moto.set_alarm_state("canary", "ALARM");
    let status = child.wait().expect("wait");
    let events = aws_run::events(&runs);
    let last = events.last().cloned().unwrap_or_default();
    assert_eq!(status.code(), Some(3), "{last}");
    assert_eq!(last["outcome"], "aborted");
    assert!(
        last["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("stop alarm `canary` went into ALARM"),
        "{last}"
    );
    let cleanup = events
        .iter()
        .find(|e| e["event"] == "cleanup_finished")
        .cloned()
        .unwrap_or_default();
    assert_eq!(cleanup["failed"], 0);
    assert!(cleanup["reverted"].as_u64().unwrap_or(0) > 0);
    assert!(aws_run::tagged(&moto).is_empty());
    // And a game day does not start while it fires.
    let out = aws_run::command(
        dir.path(),
        &[
            "run",
            "public-bucket",
            "--library",
            &library(),
            "--target",
            "moto",
        ],
    )
    .output()
    .expect("gameday");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("stop alarm `canary` is in ALARM"), "{err}");
}

#[test]
fn pushed_detections_arrive_through_the_runs_own_queue_which_clean_up_removes() {
    let moto = aws_run::library_emulator();
    let dir = tempfile::tempdir().expect("tempdir");
    // Polls ten minutes apart: only the push can see the finding in time.
    let config = aws_run::config(
        dir.path(),
        &moto.url(),
        "    push: true\n    push_wait: 1s\n",
    );
    let text = std::fs::read_to_string(&config).expect("config");
    std::fs::write(&config, text.replace("guardduty: 1s", "guardduty: 10m")).expect("write");
    let mut child = aws_run::spawn_run(dir.path(), "compromised-access-key", &[]);
    let runs = dir.path().join("runs");
    let deadline = Instant::now() + Duration::from_secs(60);
    let (t0, key) = loop {
        let events = aws_run::events(&runs);
        let recon = events
            .iter()
            .find(|e| e["event"] == "step_completed" && e["step"] == "recon");
        let key = events
            .iter()
            .find(|e| e["event"] == "step_completed" && e["step"] == "key");
        if let (Some(r), Some(k)) = (recon, key) {
            let t0: chrono::DateTime<chrono::Utc> =
                r["at"].as_str().and_then(|t| t.parse().ok()).expect("at");
            break (
                t0,
                k["outputs"]["access_key_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            );
        }
        assert!(Instant::now() < deadline, "no attack in 60 s");
        std::thread::sleep(Duration::from_millis(50));
    };
    let created = t0 + chrono::Duration::seconds(3);
    let stamp = created.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    moto.put_event(
        "aws.guardduty",
        "GuardDuty Finding",
        &serde_json::json!({
            "id": "pushed-1",
            "type": "PenTest:IAMUser/KaliLinux",
            "createdAt": stamp,
            "updatedAt": stamp,
            "title": "pushed",
            "severity": 5,
            "resource": {"accessKeyDetails": {"accessKeyId": key}},
        }),
    );
    let status = child.wait().expect("wait");
    let err =
        std::fs::read_to_string(dir.path().join("compromised-access-key.err")).unwrap_or_default();
    assert_eq!(status.code(), Some(0), "{err}");
    let events = aws_run::events(&runs);
    let met = events
        .iter()
        .find(|e| e["event"] == "detection_met")
        .cloned()
        .unwrap_or_default();
    assert_eq!(met["evidence"], "pushed-1", "{met}");
    // T0 is taken as the step returns, a millisecond or so after its journal line.
    let ttd = met["ttd_ms"].as_i64().unwrap_or_default();
    assert!((ttd - 3000).abs() <= 10, "{met}");
    let watch = events
        .iter()
        .find(|e| e["event"] == "step_completed" && e["step"] == "push-delivery")
        .cloned()
        .unwrap_or_default();
    let name = watch["outputs"]["name"].as_str().unwrap_or_default();
    assert!(name.ends_with("-events"), "{watch}");
    assert!(
        events.iter().any(|e| e["event"] == "reverted"
            && e["action"] == "events.unwatch"
            && e["ok"] == true),
        "clean-up removed the rule and the queue"
    );
    let left = moto.python_output(
        "import boto3\nprint(boto3.client('sqs').list_queues().get('QueueUrls', []), \
         [r['Name'] for r in boto3.client('events').list_rules()['Rules']])",
    );
    assert_eq!(left.trim(), "[] []", "{left}");
}
