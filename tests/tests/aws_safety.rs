//! The safety model on the emulator: a run pointed at an account off the allowlist makes
//! no change at all; runs killed at random moments leave nothing that `gameday cleanup`
//! does not remove.

use gameday_tests::aws_run;
use gameday_tests::moto::Moto;
use rand::{RngExt, SeedableRng};
use std::time::Duration;

/// `gameday run SCENARIO --target moto --autopilot` from `dir`, which must be refused
/// with exit 2; what it printed on stderr.
fn run_refused(dir: &std::path::Path, scenario: &str) -> String {
    let out = aws_run::command(
        dir,
        &[
            "run",
            scenario,
            "--library",
            gameday_tests::repo().to_str().expect("utf-8"),
            "--target",
            "moto",
            "--autopilot",
        ],
    )
    .output()
    .expect("run gameday");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{err}");
    err
}

#[test]
fn a_run_on_an_account_off_the_allowlist_changes_nothing_and_exits_2() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = aws_run::config(dir.path(), &moto.url(), "");
    // The emulator's account is 123456789012; allow another one only.
    let text = std::fs::read_to_string(&config).expect("config");
    std::fs::write(&config, text.replace("123456789012", "111122223333")).expect("write");
    moto.record();
    let err = run_refused(dir.path(), "compromised-access-key");
    assert!(
        err.contains("123456789012") && err.contains("111122223333"),
        "names the account and the allowlist: {err}"
    );
    let calls = moto.recorded_actions();
    assert_eq!(
        calls,
        ["GetCallerIdentity"],
        "only the identity was asked, from the emulator's own record"
    );
    assert!(
        !dir.path().join("runs").exists(),
        "a refused run leaves no run directory"
    );
}

#[test]
fn a_run_watching_alarms_the_account_lacks_is_refused_before_any_change() {
    let moto = Moto::start();
    moto.detector();
    // The account has one of the two alarms the scenario watches.
    moto.put_alarm("cis-unauthorized-api-calls");
    let dir = tempfile::tempdir().expect("tempdir");
    aws_run::config(dir.path(), &moto.url(), "");
    let text =
        std::fs::read_to_string(gameday_tests::repo().join("scenarios/denied-call-burst.yaml"))
            .expect("scenario");
    let scenario = dir.path().join("team-alarms.yaml");
    std::fs::write(
        &scenario,
        text.replace("id: denied-call-burst", "id: team-alarms").replace(
            "respond:",
            "  - { id: team-alarm, source: cloudwatch, alarm: team-denied-calls, trigger: probe, within: 20m }\n\
             respond:",
        ),
    )
    .expect("write");
    moto.record();
    let err = run_refused(dir.path(), scenario.to_str().expect("utf-8"));
    assert!(
        err.contains(
            "error: detection `team-alarm` watches CloudWatch alarm `team-denied-calls`, which \
             the account does not have in this region: it could never be met"
        ),
        "{err}"
    );
    assert!(!err.contains("`cis-unauthorized-api-calls`,"), "{err}");
    assert!(err.contains("nothing was changed"), "{err}");
    let calls = refused_before_any_change(&moto, dir.path());
    assert!(calls.contains(&"DescribeAlarms".to_owned()), "{calls:?}");
}

/// From the emulator's side, a refused run made reads only and left no run directory in
/// `dir`; the calls it made.
fn refused_before_any_change(moto: &Moto, dir: &std::path::Path) -> Vec<String> {
    let calls = moto.recorded_actions();
    for call in &calls {
        assert!(
            ["Get", "Describe", "List", "Head"]
                .iter()
                .any(|read| call.starts_with(read) || call.contains(&format!(".{read}"))),
            "a refused run made {call}: {calls:?}"
        );
    }
    assert!(
        !dir.join("runs").exists(),
        "a refused run leaves no run directory"
    );
    calls
}

#[test]
fn a_run_naming_a_detector_command_the_target_lacks_is_refused_before_any_change() {
    let moto = Moto::start();
    moto.detector();
    let dir = tempfile::tempdir().expect("tempdir");
    // The target defines `pager` only (see aws_run::config).
    aws_run::config(dir.path(), &moto.url(), "");
    let text = std::fs::read_to_string(
        gameday_tests::repo().join("scenarios/compromised-access-key-alert-path.yaml"),
    )
    .expect("scenario");
    let scenario = dir.path().join("siem-path.yaml");
    let renamed = text
        .replace("id: compromised-access-key-alert-path", "id: siem-path")
        .replace("command: pager", "command: splunk");
    assert!(
        renamed.contains("command: splunk"),
        "the command was renamed"
    );
    std::fs::write(&scenario, renamed).expect("write");
    moto.record();
    let err = run_refused(dir.path(), scenario.to_str().expect("utf-8"));
    assert!(
        err.contains(
            "error: detection `page-acknowledged` asks detector command `splunk`, which the \
             target does not define under `commands` (it defines: pager): it could never be met"
        ),
        "{err}"
    );
    assert!(err.contains("nothing was changed"), "{err}");
    refused_before_any_change(&moto, dir.path());
}

#[test]
fn runs_killed_at_random_moments_leave_nothing_after_cleanup() {
    let moto = aws_run::library_emulator();
    let dir = tempfile::tempdir().expect("tempdir");
    // With push delivery on: each run's rule and queue must go too.
    aws_run::config(
        dir.path(),
        &moto.url(),
        "    push: true\n    push_wait: 1s\n",
    );
    let scenarios: Vec<String> = gameday_tests::library_scenarios()
        .iter()
        .filter_map(|p| p.file_stem().and_then(|s| s.to_str()).map(str::to_owned))
        .collect();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(20);
    let mut killed_mid_run = 0;
    // Twenty runs, four at a time, each killed (SIGKILL) between 0.3 and 4 seconds in:
    // preflight, setup, attack or watch.
    for batch in 0..5 {
        let mut children = Vec::new();
        for i in 0..4 {
            let scenario = &scenarios[(batch * 4 + i) % scenarios.len()];
            let sub = dir.path().join(format!("b{batch}-{i}"));
            std::fs::create_dir_all(&sub).expect("dir");
            std::fs::copy(dir.path().join("gameday.yaml"), sub.join("gameday.yaml"))
                .expect("config");
            let after = Duration::from_millis(rng.random_range(300..4000));
            children.push((aws_run::spawn_run(&sub, scenario, &[]), after, sub));
        }
        let start = std::time::Instant::now();
        for (child, after, _) in &mut children {
            std::thread::sleep(after.saturating_sub(start.elapsed()));
            if child.try_wait().ok().flatten().is_none() {
                killed_mid_run += 1;
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        for (_, _, sub) in &children {
            for run in aws_run::run_dirs(&sub.join("runs")) {
                let out =
                    aws_run::command(sub, &["cleanup", "--run", run.to_str().expect("utf-8")])
                        .output()
                        .expect("cleanup");
                assert_eq!(
                    out.status.code(),
                    Some(0),
                    "cleanup --run {}: {}{}",
                    run.display(),
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                );
                let events = aws_run::events(&sub.join("runs"));
                assert!(
                    events.iter().any(|e| e["event"] == "run_ended"),
                    "the journal of {} is closed",
                    run.display()
                );
            }
        }
    }
    assert!(killed_mid_run >= 15, "most runs were killed while running");
    let left = aws_run::tagged(&moto);
    assert!(left.is_empty(), "left behind: {left:?}");
    // And the sweep agrees: nothing orphaned.
    let out = aws_run::command(
        dir.path(),
        &[
            "cleanup",
            "--orphans",
            "--target",
            "moto",
            "--older-than",
            "0s",
            "--dry-run",
        ],
    )
    .output()
    .expect("cleanup --orphans");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("0 orphaned"), "{text}");
}

#[test]
fn orphans_are_removed_but_live_and_recent_runs_are_left_alone() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().expect("tempdir");
    aws_run::config(dir.path(), &moto.url(), "");
    // Three users tagged by runs: one long dead, one started a minute ago elsewhere,
    // and one whose run is live here (its journal locked by this test).
    let old = "2026-01-01T00:00:00Z";
    let recent = chrono::Utc::now() - chrono::Duration::minutes(1);
    moto.python(&format!(
        r#"
import boto3
iam = boto3.client("iam")
for name, run, started in [("gameday-dead-u", "dead0001", "{old}"),
                           ("gameday-else-u", "else0001", "{recent}"),
                           ("gameday-live-u", "live0001", "{old}")]:
    iam.create_user(UserName=name, Tags=[{{"Key": "gameday:run", "Value": run}},
                                          {{"Key": "gameday:started", "Value": started}}])
    iam.create_access_key(UserName=name)
iam.create_user(UserName="someone-else")
"#,
        recent = recent.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    ));
    let _live = gameday_engine::journal::Journal::create(&dir.path().join("runs/live0001"))
        .expect("journal");
    let dry = aws_run::command(
        dir.path(),
        &["cleanup", "--orphans", "--target", "moto", "--dry-run"],
    )
    .output()
    .expect("dry run");
    let text = String::from_utf8_lossy(&dry.stdout);
    assert!(
        text.contains("would remove iam user gameday-dead-u"),
        "{text}"
    );
    assert!(text.contains("1 orphaned, 2 kept"), "{text}");
    assert_eq!(aws_run::tagged(&moto).len(), 3, "a dry run changes nothing");
    let out = aws_run::command(dir.path(), &["cleanup", "--orphans", "--target", "moto"])
        .output()
        .expect("cleanup");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let left = aws_run::tagged(&moto);
    assert_eq!(left.len(), 2, "{left:?}");
    assert!(
        left.iter().all(|l| !l.contains("gameday-dead-u")),
        "{left:?}"
    );
    let users = moto.python_output(
        "import boto3\nprint(sorted(u['UserName'] for u in boto3.client('iam').list_users()['Users']))",
    );
    assert!(
        users.contains("someone-else"),
        "untagged users are never touched: {users}"
    );
}

#[test]
fn sigterm_at_random_moments_ends_every_library_scenario_within_seconds_cleaned_up() {
    let moto = aws_run::library_emulator();
    let dir = tempfile::tempdir().expect("tempdir");
    aws_run::config(dir.path(), &moto.url(), "");
    let scenarios: Vec<String> = gameday_tests::library_scenarios()
        .iter()
        .filter_map(|p| p.file_stem().and_then(|s| s.to_str()).map(str::to_owned))
        .collect();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(21);
    let mut problems = Vec::new();
    let mut took_all = Vec::new();
    // Two at a time, each sent SIGTERM between 0.3 and 6 seconds in: preflight, setup
    // (the threat list's five-minute settle wait included), attack or watch.
    for pair in scenarios.chunks(2) {
        let mut children = Vec::new();
        for scenario in pair {
            let sub = dir.path().join(scenario);
            std::fs::create_dir_all(&sub).expect("dir");
            std::fs::copy(dir.path().join("gameday.yaml"), sub.join("gameday.yaml"))
                .expect("config");
            let extra: &[&str] = if scenario == "malicious-ip-caller" {
                &["--param", "list_settle=5m"]
            } else {
                &[]
            };
            let after = Duration::from_millis(rng.random_range(300..6000));
            children.push((
                scenario,
                aws_run::spawn_run(&sub, scenario, extra),
                after,
                sub,
            ));
        }
        let start = std::time::Instant::now();
        children.sort_by_key(|c| c.2);
        for (scenario, child, after, sub) in &mut children {
            std::thread::sleep(after.saturating_sub(start.elapsed()));
            aws_run::terminate(child);
            let ended = aws_run::wait_at_most(child, Duration::from_secs(60));
            let err =
                std::fs::read_to_string(sub.join(format!("{scenario}.err"))).unwrap_or_default();
            match ended {
                None => problems.push(format!("{scenario}: still running a minute after SIGTERM")),
                Some((_, took)) if took > Duration::from_secs(5) => problems.push(format!(
                    "{scenario}: ended {took:?} after SIGTERM at {after:?}: {err}"
                )),
                Some((code, _)) if !matches!(code, Some(0 | 3)) => {
                    problems.push(format!("{scenario}: exit {code:?}: {err}"));
                }
                Some(_) => {}
            }
            if let Some((_, took)) = ended {
                took_all.push(took);
            }
            let events = aws_run::events(&sub.join("runs"));
            let finished = events
                .iter()
                .find(|e| e["event"] == "cleanup_finished")
                .cloned()
                .unwrap_or_default();
            if events.is_empty() {
                continue; // ended before its journal was opened: nothing was changed
            }
            if finished["failed"] != 0 || finished["remaining"] != serde_json::json!([]) {
                problems.push(format!("{scenario}: clean-up: {finished}"));
            }
            if events.last().map(|e| &e["event"]) != Some(&serde_json::json!("run_ended")) {
                problems.push(format!("{scenario}: the journal is not closed"));
            }
        }
        let left = aws_run::tagged(&moto);
        if !left.is_empty() {
            problems.push(format!("{pair:?} left behind: {left:?}"));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
    took_all.sort();
    println!(
        "from SIGTERM to exit: median {:?}, slowest {:?}, of {} runs",
        took_all
            .get(took_all.len() / 2)
            .copied()
            .unwrap_or_default(),
        took_all.last().copied().unwrap_or_default(),
        took_all.len()
    );
}

/// A run with an eventbridge detection makes its rule and queue even without `push`;
/// killed once they exist, `cleanup --run` removes both from the journal's record.
#[test]
fn a_killed_runs_eventbridge_rule_and_queue_go_with_cleanup() {
    let moto = aws_run::library_emulator();
    let dir = tempfile::tempdir().expect("tempdir");
    aws_run::config(dir.path(), &moto.url(), "");
    let mut child = aws_run::spawn_run(dir.path(), "compromised-access-key-routed", &[]);
    let runs = dir.path().join("runs");
    aws_run::wait_for(&runs, &mut child, Duration::from_secs(60), |e| {
        e["event"] == "step_completed" && e["step"] == "push-delivery"
    });
    let _ = child.kill();
    let _ = child.wait();
    let made = aws_run::tagged(&moto);
    let names = |kind: &str| -> Vec<String> {
        made.iter()
            .filter(|l| l.starts_with(&format!("{kind} ")))
            .filter_map(|l| l.split_whitespace().nth(1).map(str::to_owned))
            .collect()
    };
    let (queues, rules) = (names("queue"), names("rule"));
    assert_eq!(queues.len(), 1, "the run's queue: {made:?}");
    assert_eq!(
        rules,
        vec![format!("{}-0", queues[0])],
        "the pattern's rule alone, without push's findings rule: {made:?}"
    );
    for run in aws_run::run_dirs(&runs) {
        let out = aws_run::command(
            dir.path(),
            &["cleanup", "--run", run.to_str().expect("utf-8")],
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
    }
    let left = aws_run::tagged(&moto);
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn a_killed_runs_vpc_goes_with_cleanup_and_the_gateway_it_holds_first() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().expect("tempdir");
    aws_run::config(dir.path(), &moto.url(), "");
    // What a run killed between its setup and its clean-up leaves: a VPC with a
    // gateway attached, both tagged; beside them an untagged VPC that is not the run's.
    moto.python(
        r#"
import boto3
ec2 = boto3.client("ec2")
tags = [{"Key": "gameday:run", "Value": "dead0002"},
        {"Key": "gameday:started", "Value": "2026-01-01T00:00:00Z"}]
vpc = ec2.create_vpc(CidrBlock="10.44.0.0/16",
    TagSpecifications=[{"ResourceType": "vpc", "Tags": tags}])["Vpc"]["VpcId"]
igw = ec2.create_internet_gateway(
    TagSpecifications=[{"ResourceType": "internet-gateway", "Tags": tags}])["InternetGateway"]["InternetGatewayId"]
ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
ec2.create_vpc(CidrBlock="10.99.0.0/16")
"#,
    );
    let dry = aws_run::command(
        dir.path(),
        &["cleanup", "--orphans", "--target", "moto", "--dry-run"],
    )
    .output()
    .expect("dry run");
    let text = String::from_utf8_lossy(&dry.stdout);
    assert!(
        text.contains("would remove ec2 internet gateway igw-"),
        "{text}"
    );
    assert!(text.contains("would remove ec2 vpc vpc-"), "{text}");
    assert!(
        text.find("ec2 internet gateway") < text.find("ec2 vpc"),
        "the gateway goes first: {text}"
    );
    let out = aws_run::command(dir.path(), &["cleanup", "--orphans", "--target", "moto"])
        .output()
        .expect("cleanup");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let left = aws_run::tagged(&moto);
    assert!(left.is_empty(), "left behind: {left:?}");
    let vpcs = moto.python_output(
        "import boto3\nprint(sorted(v['CidrBlock'] for v in boto3.client('ec2').describe_vpcs()['Vpcs']))",
    );
    assert!(
        vpcs.contains("10.99.0.0/16"),
        "untagged VPCs are never touched: {vpcs}"
    );
    assert!(!vpcs.contains("10.44.0.0/16"), "{vpcs}");
}
