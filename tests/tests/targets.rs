//! AWS targets against a real AWS-API server on loopback (moto): `gameday target list`
//! and the preflight `gameday target check` runs before a game day may start.

#![allow(clippy::unwrap_used, clippy::panic)]

use gameday_tests::moto::Moto;
use gameday_tests::{gameday, stderr, stdout};
use std::path::Path;
use std::process::Output;

/// moto's default account.
const ACCOUNT: &str = "123456789012";

fn config(dir: &Path, moto: &Moto) -> std::path::PathBuf {
    let path = dir.join("gameday.yaml");
    std::fs::write(
        &path,
        format!(
            r#"targets:
  - name: sandbox
    kind: aws
    regions: [us-east-1, eu-west-1]
    allowed_accounts: ["{ACCOUNT}"]
    endpoint_url: {url}
    stop_alarms: [canary]
    max_attempts: 2
  - name: production
    kind: aws
    regions: [us-east-1]
    allowed_accounts: ["111111111111", "222222222222"]
    endpoint_url: {url}
    max_attempts: 2
"#,
            url = moto.url()
        ),
    )
    .unwrap();
    path
}

fn target(args: &[&str], config: &Path) -> Output {
    gameday()
        .arg("target")
        .args(args)
        .arg("--config")
        .arg(config)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .output()
        .unwrap()
}

const CANARY: &str = r#"
import boto3
boto3.client("cloudwatch").put_metric_alarm(
    AlarmName="canary", MetricName="Errors", Namespace="App", Statistic="Sum",
    Period=60, EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold")
"#;

#[test]
fn an_account_off_the_allowlist_is_refused_before_any_other_call() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &moto);
    moto.record();
    let o = target(&["check", "production"], &cfg);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains(&format!("account {ACCOUNT}")), "{err}");
    assert!(
        err.contains("111111111111, 222222222222"),
        "names the allowlist: {err}"
    );
    // From the emulator's side: one identity call, nothing else.
    assert_eq!(
        moto.recorded_actions(),
        vec!["GetCallerIdentity".to_owned()]
    );
}

#[test]
fn an_allowed_account_passes_with_its_identity_skew_and_stop_alarms() {
    let moto = Moto::start();
    moto.python(CANARY);
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &moto);
    moto.record();
    let o = target(&["check", "sandbox"], &cfg);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains(&format!("account:  {ACCOUNT}")), "{out}");
    // The emulator runs on this machine's clock: under the `Date` header's second.
    assert!(
        out.contains("clock:    within a second of AWS's"),
        "the skew is measured: {out}"
    );
    assert!(out.contains("stop alarm canary: OK"), "{out}");
    let actions = moto.recorded_actions();
    assert_eq!(
        actions,
        vec!["GetCallerIdentity", "DescribeAlarms"],
        "read-only calls only"
    );
}

#[test]
fn a_stop_alarm_in_alarm_or_missing_refuses_the_start() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &moto);
    let o = target(&["check", "sandbox"], &cfg);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("stop alarm `canary` does not exist"),
        "{}",
        stderr(&o)
    );
    moto.python(CANARY);
    moto.python(
        r#"
import boto3
boto3.client("cloudwatch").set_alarm_state(AlarmName="canary", StateValue="ALARM", StateReason="drill")
"#,
    );
    let o = target(&["check", "sandbox"], &cfg);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("`canary` is in ALARM"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn the_user_agent_carries_gameday() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &moto);
    moto.request("POST", "/moto-api/recorder/reset-recording");
    moto.request("POST", "/moto-api/recorder/start-recording");
    let o = target(&["check", "production"], &cfg);
    assert_eq!(o.status.code(), Some(2));
    moto.request("POST", "/moto-api/recorder/stop-recording");
    let log = moto
        .request("GET", "/moto-api/recorder/download-recording")
        .unwrap();
    assert!(log.contains("app/gameday"), "{log}");
}

#[test]
fn bad_configuration_and_unknown_targets_are_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("gameday.yaml");
    std::fs::write(
        &cfg,
        "targets:\n  - name: sandbox\n    kind: aws\n    regions: [us-east-1]\n    allowed_accounts: [123456789012]\n",
    )
    .unwrap();
    let o = target(&["list"], &cfg);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("gameday.yaml:5:24"), "{}", stderr(&o));
    let o = target(&["check", "sandbox"], &dir.path().join("missing.yaml"));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no such configuration file"),
        "{}",
        stderr(&o)
    );
    let moto = Moto::start();
    let cfg = config(dir.path(), &moto);
    let o = target(&["check", "sandbx"], &cfg);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("did you mean `sandbox`"),
        "{}",
        stderr(&o)
    );
    let o = target(&["check", "sandbox", "--region", "ap-south-1"], &cfg);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--region ap-south-1"), "{}", stderr(&o));
}

#[test]
fn an_unreachable_endpoint_is_said_plainly() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("gameday.yaml");
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    std::fs::write(
        &cfg,
        format!(
            "targets:\n  - name: sandbox\n    kind: aws\n    regions: [us-east-1]\n    allowed_accounts: [\"{ACCOUNT}\"]\n    endpoint_url: http://127.0.0.1:{port}\n    max_attempts: 1\n"
        ),
    )
    .unwrap();
    let o = target(&["check", "sandbox"], &cfg);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("cannot reach the endpoint for sts:GetCallerIdentity"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn the_example_configuration_is_valid() {
    let o = target(
        &["list"],
        &gameday_tests::repo().join("gameday.example.yaml"),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("sandbox"), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("simulated account 210000000001"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn the_credentials_of_an_endpoint_are_never_printed() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("gameday.yaml");
    let with_secret = moto.url().replacen("://", "://gameday:s3cr3t@", 1);
    let masked = moto.url().replacen("://", "://***@", 1);
    std::fs::write(
        &cfg,
        format!(
            "targets:\n  - name: sandbox\n    kind: aws\n    regions: [us-east-1]\n    allowed_accounts: [\"{ACCOUNT}\"]\n    endpoint_url: {with_secret}\n    max_attempts: 1\n"
        ),
    )
    .unwrap();
    let o = target(&["list"], &cfg);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains(&format!("; endpoint {masked}")),
        "{}",
        stdout(&o)
    );
    let o = target(&["check", "sandbox"], &cfg);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for o in [o, target(&["list"], &cfg)] {
        let all = format!("{}{}", stdout(&o), stderr(&o));
        assert!(!all.contains("s3cr3t"), "{all}");
    }
}

#[test]
fn what_aws_would_refuse_is_refused_in_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("gameday.yaml");
    let long = "a".repeat(65);
    std::fs::write(
        &cfg,
        format!(
            "targets:\n  - name: sandbox\n    kind: aws\n    regions: [us-east-1]\n    allowed_accounts: [\"{ACCOUNT}\"]\n    endpoint_url: file:///tmp/aws\n    assume_role:\n      arn: arn:aws:iam::{ACCOUNT}:role/gameday\n      session_name: {long}\n"
        ),
    )
    .unwrap();
    for args in [&["list"][..], &["check", "sandbox"]] {
        let o = target(args, &cfg);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains(
                "gameday.yaml:6:19: targets[0].endpoint_url: `file:///tmp/aws` is not an endpoint"
            ),
            "{err}"
        );
        assert!(
            err.contains(&format!(
                "gameday.yaml:9:21: targets[0].assume_role.session_name: `{long}` is 65 characters"
            )),
            "{err}"
        );
    }
}

/// A scenario watching the stop alarm `canary`, which the account has once [`CANARY`] ran,
/// and two alarms it never has.
fn alarm_scenario(dir: &Path) -> std::path::PathBuf {
    let text =
        std::fs::read_to_string(gameday_tests::repo().join("scenarios/denied-call-burst.yaml"))
            .unwrap();
    let (head, tail) = text.split_once("respond:").unwrap();
    let path = dir.join("alarms-watched.yaml");
    std::fs::write(
        &path,
        format!(
            "{}  - {{ id: canary-fires, source: cloudwatch, alarm: canary, trigger: probe, within: 20m }}\n  \
             - {{ id: team-alarm, source: cloudwatch, alarm: team-denied-calls, trigger: probe, within: 20m }}\n\
             respond:{tail}",
            head.replace("id: denied-call-burst", "id: alarms-watched")
        ),
    )
    .unwrap();
    path
}

#[test]
fn check_lists_the_alarms_a_scenario_watches_that_the_account_lacks() {
    let moto = Moto::start();
    moto.python(CANARY);
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &moto);
    let scenario = alarm_scenario(dir.path());
    let scenario = scenario.to_str().unwrap();
    moto.record();
    let o = target(&["check", "sandbox", scenario], &cfg);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    let out = stdout(&o);
    for line in [
        "  alarm cis-unauthorized-api-calls (scenario alarms-watched, detection cis-unauthorized-api-calls): MISSING",
        "  alarm canary (scenario alarms-watched, detection canary-fires): present",
        "  alarm team-denied-calls (scenario alarms-watched, detection team-alarm): MISSING",
    ] {
        assert!(out.lines().any(|l| l == line), "{line:?} in {out}");
    }
    assert!(!out.contains("ok: a game day may start"), "{out}");
    assert_eq!(
        stderr(&o).trim(),
        "error: target sandbox: the account lacks 2 alarm(s) the scenarios watch (listed above): create them, or watch alarms it has"
    );
    // Asked by name, read-only: the identity, the stop alarms, the scenario's alarms.
    assert_eq!(
        moto.recorded_actions(),
        vec!["GetCallerIdentity", "DescribeAlarms", "DescribeAlarms"]
    );
    // Once the account has them, the same check passes.
    moto.put_alarm("cis-unauthorized-api-calls");
    moto.put_alarm("team-denied-calls");
    let o = target(&["check", "sandbox", scenario], &cfg);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!stdout(&o).contains("MISSING"), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("ok: a game day may start"),
        "{}",
        stdout(&o)
    );
}
