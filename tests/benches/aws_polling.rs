//! API calls per minute in one account while game days watch, on the emulator: one run,
//! ten concurrent runs of the same scenario, the same for the three-hop alert path
//! (GuardDuty, then Security Hub) and for a finding routed to a Logs Insights query, and
//! every library scenario at once, all in one process sharing one detection poller. Run with
//! `cargo bench -p gameday-tests --bench aws_polling` (it starts the emulator itself).
//!
//! Every call goes through a counting proxy; only calls made while every run is in its
//! watch phase are counted. Options (environment): `GAMEDAY_BENCH_WINDOW` in seconds
//! (default 120), with the default poll intervals (GuardDuty 30 s, CloudWatch 15 s,
//! Security Hub, Logs Insights and the other detectors 30 s, containment 10 s).

use gameday_engine::aws::sandbox::AwsSandbox;
use gameday_engine::clock::Clock;
use gameday_engine::config::{Poll, RetryMode, Target, TargetKind};
use gameday_engine::event::{Body, RunPhase};
use gameday_engine::journal::Journal;
use gameday_engine::library::{self, Plan};
use gameday_engine::poller::Pollers;
use gameday_engine::run::{Run, RunConfig, abort_signal};
use gameday_engine::sandbox::Sandbox;
use gameday_tests::aws_run;
use gameday_tests::proxy::{Exchange, Proxy, ProxyConfig};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

#[path = "../../engine/benches/common/mod.rs"]
mod common;
use common::setting;

fn plan(id: &str, run_id: &str) -> Plan {
    let root = gameday_tests::repo();
    let c = library::load_checked(
        &root.join("scenarios").join(format!("{id}.yaml")),
        &root.join("runbooks"),
    )
    .expect("the library is valid");
    let mut params = BTreeMap::new();
    if id == "malicious-ip-caller" {
        params.insert("list_settle".to_owned(), "1s".to_owned());
    }
    let mut plan = library::resolve(
        &c.scenario.value,
        c.runbook.as_ref().map(|r| &r.value),
        run_id,
        &params,
    )
    .expect("resolves");
    // A hop is looked for once the hop before it is met, and nothing is met here: the
    // alert path's hops are measured as if each were the first, so that each polls.
    for d in &mut plan.scenario.detect {
        d.after = None;
    }
    plan
}

fn target(endpoint: String) -> Target {
    Target {
        name: "moto".into(),
        kind: TargetKind::Aws,
        profile: None,
        assume_role: None,
        regions: vec!["us-east-1".into()],
        allowed_accounts: vec!["123456789012".into()],
        endpoint_url: Some(endpoint),
        stop_alarms: Vec::new(),
        name_prefix: "gameday".into(),
        tags: Default::default(),
        attacker_ip: Some("198.51.100.7".into()),
        retry_mode: RetryMode::Standard,
        max_attempts: 5,
        poll: Poll::default(),
        push: false,
        push_wait: gameday_engine::duration::Duration::from_secs(20),
        commands: Default::default(),
    }
}

/// Calls counted in the window, by kind.
struct Counted {
    detection: usize,
    containment: usize,
    other: usize,
    /// The calls counted as other, by service and action.
    others: BTreeMap<String, usize>,
    minutes: f64,
}

fn classify(x: &Exchange) -> usize {
    match (x.service.as_str(), x.action.as_str()) {
        ("guardduty", a) if a.contains("/findings") => 0,
        ("securityhub", _) => 0,
        ("monitoring", "DescribeAlarms" | "DescribeAlarmHistory") => 0,
        ("logs", "StartQuery" | "GetQueryResults" | "StopQuery") => 0,
        ("guardduty", a) if a.starts_with("GET /detector") => 0,
        ("iam", "ListAccessKeys" | "ListUserPolicies" | "GetUserPolicy")
        | ("iam", "GetAccountPasswordPolicy")
        | (
            "ec2",
            "DescribeInstances" | "DescribeSecurityGroupRules" | "DescribeSnapshotAttribute",
        )
        | ("cloudtrail", "GetTrailStatus" | "LookupEvents") => 1,
        ("s3", a) if a.starts_with("GET") => 1,
        _ => 2,
    }
}

/// Runs `scenarios` concurrently in one account; counts the calls made while all watch.
fn measure(scenarios: &[&str], window: Duration) -> Counted {
    let moto = aws_run::library_emulator();
    let proxy = Proxy::start(ProxyConfig {
        upstream: moto.port,
        fault_rate: 0.0,
        seed: 1,
        garble: None,
    });
    let target = target(proxy.url());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (watching, ended) = rt.block_on(async {
        let pollers = Pollers::new();
        let mut plans = Vec::new();
        let mut sandboxes: Vec<Box<dyn Sandbox>> = Vec::new();
        for (i, id) in scenarios.iter().enumerate() {
            let run_id = format!("bench{i:03}");
            let (sandbox, _) = AwsSandbox::connect(&target, "us-east-1", &run_id, &pollers)
                .await
                .expect("preflight");
            sandboxes.push(Box::new(sandbox));
            plans.push(plan(id, &run_id));
        }
        assert_eq!(pollers.len(), 1, "one poller for the account");
        let clocks: Vec<Clock> = scenarios
            .iter()
            .map(|_| {
                Clock::new(
                    gameday_engine::clock::ClockMode::Real { speed: 1.0 },
                    chrono::Utc::now(),
                )
            })
            .collect();
        let mut journals: Vec<Journal> = scenarios.iter().map(|_| Journal::memory()).collect();
        let (handle, abort) = abort_signal();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let runs = plans
            .iter()
            .zip(&sandboxes)
            .zip(&clocks)
            .zip(journals.iter_mut())
            .map(|(((plan, sandbox), clock), journal)| {
                Run::new(
                    plan,
                    sandbox.as_ref(),
                    clock,
                    journal,
                    RunConfig {
                        poll: target.poll.for_runs(),
                        ..RunConfig::default()
                    },
                )
                .observe(tx.clone())
                .abort_on(abort.clone())
                .execute()
            })
            .collect::<Vec<_>>();
        drop(tx);
        let n = scenarios.len();
        let timer = async {
            let mut in_watch = 0;
            while let Some(e) = rx.recv().await {
                if matches!(
                    e.body,
                    Body::PhaseStarted {
                        phase: RunPhase::Watch
                    }
                ) {
                    in_watch += 1;
                    if in_watch == n {
                        break;
                    }
                }
            }
            let from = Instant::now();
            tokio::time::sleep(window).await;
            let to = Instant::now();
            handle.abort("the measuring window ended");
            // Keep draining so no run waits on a full display channel.
            tokio::spawn(async move { while rx.recv().await.is_some() {} });
            (from, to)
        };
        let (window, finished) = tokio::join!(timer, futures_util::future::join_all(runs));
        for f in finished {
            f.expect("the journal is writable");
        }
        (window.0, window.1)
    });
    let mut counts = [0usize; 3];
    let mut others = BTreeMap::new();
    for x in proxy.requests() {
        if x.at >= watching && x.at <= ended {
            let class = classify(&x);
            counts[class] += 1;
            if class == 2 {
                *others
                    .entry(format!("{} {}", x.service, x.action))
                    .or_insert(0) += 1;
            }
        }
    }
    let left = aws_run::tagged(&moto);
    assert!(left.is_empty(), "clean-up left {left:?}");
    Counted {
        detection: counts[0],
        containment: counts[1],
        other: counts[2],
        others,
        minutes: (ended - watching).as_secs_f64() / 60.0,
    }
}

fn main() {
    // The SDK reads the emulator's test credentials from the environment: set them for a
    // child copy of this benchmark, as the process environment cannot change safely.
    if std::env::var_os("GAMEDAY_BENCH_CHILD").is_none() {
        let status = std::process::Command::new(std::env::current_exe().expect("exe"))
            .args(std::env::args().skip(1))
            .env("GAMEDAY_BENCH_CHILD", "1")
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .status()
            .expect("run the benchmark");
        std::process::exit(status.code().unwrap_or(1));
    }
    let window = Duration::from_secs(setting("GAMEDAY_BENCH_WINDOW", 120, 5));
    let library: Vec<String> = gameday_tests::library_scenarios()
        .iter()
        .filter_map(|p| p.file_stem().and_then(|s| s.to_str()).map(str::to_owned))
        .collect();
    let library: Vec<&str> = library.iter().map(String::as_str).collect();
    let one = ["compromised-access-key"];
    let ten_same = ["compromised-access-key"; 10];
    // The alert path adds Security Hub's GetFindings to GuardDuty's: pooled the same way.
    let path_one = ["compromised-access-key-alert-path"];
    let path_ten = ["compromised-access-key-alert-path"; 10];
    // GuardDuty and a Logs Insights query on the log group the finding is routed to.
    let one_logs = ["compromised-access-key-routed"];
    let ten_logs = ["compromised-access-key-routed"; 10];
    println!(
        "API calls per minute in one account while watching ({} s window, polls 30 s / 15 s / 30 s / 10 s)",
        window.as_secs()
    );
    println!(
        "{:<38} {:>10} {:>12} {:>7}",
        "runs", "detection", "containment", "other"
    );
    let mut detection = Vec::new();
    for (name, set) in [
        ("1 run (compromised-access-key)", &one[..]),
        ("10 runs of compromised-access-key", &ten_same[..]),
        ("1 run of the alert path", &path_one[..]),
        ("10 runs of the alert path", &path_ten[..]),
        ("1 run (compromised-access-key-routed)", &one_logs[..]),
        ("10 runs of compromised-access-key-routed", &ten_logs[..]),
        ("10+ runs: every library scenario once", &library[..]),
    ] {
        let c = measure(set, window);
        let per_min = |n: usize| n as f64 / c.minutes;
        println!(
            "{name:<38} {:>10.1} {:>12.1} {:>7.1}",
            per_min(c.detection),
            per_min(c.containment),
            per_min(c.other)
        );
        detection.push(per_min(c.detection));
        if !c.others.is_empty() {
            println!("  other: {:?}", c.others);
        }
    }
    println!(
        "detection calls, 10 runs of one scenario / 1 run: {:.2}",
        detection[1] / detection[0].max(f64::MIN_POSITIVE)
    );
    println!(
        "detection calls, 10 runs of the alert path / 1 run: {:.2}",
        detection[3] / detection[2].max(f64::MIN_POSITIVE)
    );
    println!(
        "detection calls with a logs query, 10 runs / 1 run: {:.2}",
        detection[5] / detection[4].max(f64::MIN_POSITIVE)
    );
}
