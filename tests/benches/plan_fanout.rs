//! A plan of 50 scenarios over 20 simulated accounts, in virtual time: the API calls each
//! account sees a minute, beside the limits gameday keeps (docs/targets.md, "Rate
//! limits"), and how long the whole execution takes. Run with
//! `cargo bench -p gameday-tests --bench plan_fanout`.
//!
//! The library's 10 scenarios, 5 copies of each under new ids, make the 50; the accounts
//! are `kind: sim` targets, so every run of the plan in one account shares its simulated
//! account, detection poller and throttle, as runs on AWS do. `gameday schedule run`
//! writes each account's calls to `calls.json`, read here.
//!
//! Rows: `concurrency: 100` (a realistic limit) and `concurrency: 200` (the most a plan
//! allows, where the throttle has to hold the accounts to their limits). Options
//! (environment): `GAMEDAY_BENCH_ACCOUNTS` (20), `GAMEDAY_BENCH_COPIES` (5 copies of
//! each scenario), `GAMEDAY_BENCH_REPEAT` (3 executions a row; figures are medians).
//! Under `cargo test` it runs once, small, as a smoke test.

use serde_json::Value;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

#[path = "../../engine/benches/common/mod.rs"]
mod common;
use common::{median, setting};
use gameday_tests::scale::{library, watch_rss};

/// `gameday.yaml` with `accounts` simulated targets and the plan `bench` over them.
fn config(dir: &Path, ids: &[String], accounts: usize, concurrency: usize, runs: &str) -> String {
    let mut y = String::from("targets:\n");
    for a in 0..accounts {
        let _ = write!(
            y,
            "  - name: sandbox-{a:02}\n    kind: sim\n    regions: [us-east-1]\n    \
             allowed_accounts: [\"2100000000{a:02}\"]\n"
        );
    }
    let _ = write!(
        y,
        "plans:\n  - name: bench\n    schedule: {{ cron: \"0 10 * * TUE\", timezone: UTC }}\n    \
         scenarios: [{}]\n    targets: [{}]\n    concurrency: {concurrency}\n    \
         responders: autopilot\n    virtual_time: true\n    runs_dir: {runs}\n",
        ids.join(", "),
        (0..accounts)
            .map(|a| format!("{{ target: sandbox-{a:02} }}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let file = dir.join(format!("{runs}.yaml"));
    std::fs::write(&file, y).expect("config");
    file.to_string_lossy().into_owned()
}

/// What one execution measured.
struct Measured {
    seconds: f64,
    rss_mib: f64,
    runs: usize,
    passed: usize,
    /// Per account: median calls a minute, peak calls in a 60 s window, in a 1 s window.
    median_per_minute: Vec<f64>,
    peak_per_minute: Vec<f64>,
    peak_per_second: Vec<f64>,
    /// The longest span of calls in an account, in virtual minutes.
    minutes: u64,
    /// The family that came nearest its limit: (share of the limit, description).
    nearest: (f64, String),
}

fn execute(dir: &Path, config: &str) -> Measured {
    let started = Instant::now();
    let mut child = Command::new(gameday_tests::binary())
        .current_dir(dir)
        .args([
            "schedule",
            "run",
            "bench",
            "--library",
            ".",
            "--config",
            config,
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("gameday runs");
    // Drain the pipes while it runs.
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut out, &mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut err, &mut s);
        s
    });
    let (status, rss_mib) = watch_rss(&mut child);
    let seconds = started.elapsed().as_secs_f64();
    let (out, err) = (out.join().expect("stdout"), err.join().expect("stderr"));
    // 0: every run passed; 1: some missed an expectation, which the detection model's
    // draws make happen. Anything else (a run aborted or not run, a leftover) is a failure.
    assert!(
        matches!(status.code(), Some(0 | 1)),
        "exit {status}\n{out}\n{err}"
    );
    let ran = |word: &str| out.lines().filter(|l| l.contains(word)).count();
    let (runs, passed) = (ran(" passed ") + ran(" failed "), ran(" passed "));
    let calls_file = std::fs::read_dir(dir.join(config_runs(config)))
        .expect("runs dir")
        .map(|e| e.expect("entry").path().join("calls.json"))
        .find(|p| p.is_file())
        .expect("calls.json");
    let calls: Value =
        serde_json::from_str(&std::fs::read_to_string(calls_file).expect("read")).expect("json");
    let mut m = Measured {
        seconds,
        rss_mib,
        runs,
        passed,
        median_per_minute: Vec::new(),
        peak_per_minute: Vec::new(),
        peak_per_second: Vec::new(),
        minutes: 0,
        nearest: (0.0, String::new()),
    };
    let accounts = calls["accounts"].as_array().expect("accounts");
    for a in accounts {
        let all = &a["all"];
        let n = |v: &Value| v.as_u64().expect("a number");
        m.median_per_minute
            .push(n(&all["median_per_minute"]) as f64);
        m.peak_per_minute.push(n(&all["peak_per_minute"]) as f64);
        m.peak_per_second.push(n(&all["peak_per_second"]) as f64);
        m.minutes = m.minutes.max(n(&all["minutes"]));
        for f in a["families"].as_array().expect("families") {
            let (peak_s, allowed_s) = (n(&f["peak_per_second"]), n(&f["allowed_per_second"]));
            let (peak_m, allowed_m) = (n(&f["peak_per_minute"]), n(&f["allowed_per_minute"]));
            assert!(
                peak_s <= allowed_s && peak_m <= allowed_m,
                "{} over its limit in {}: {f}",
                f["family"],
                a["account"]
            );
            let share = (peak_s as f64 / allowed_s as f64).max(peak_m as f64 / allowed_m as f64);
            if share > m.nearest.0 {
                m.nearest = (
                    share,
                    format!(
                        "{} {peak_s}/s of {allowed_s}, {peak_m}/min of {allowed_m}",
                        f["family"].as_str().unwrap_or("?")
                    ),
                );
            }
        }
    }
    m
}

/// The runs directory a config file names (its stem).
fn config_runs(config: &str) -> String {
    Path::new(config)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn main() {
    let accounts: usize = setting("GAMEDAY_BENCH_ACCOUNTS", 20, 3);
    let copies: usize = setting("GAMEDAY_BENCH_COPIES", 5, 1);
    let repeat: usize = setting("GAMEDAY_BENCH_REPEAT", 3, 1);
    let dir = tempfile::tempdir().expect("tempdir");
    let ids = library(dir.path(), copies, &[]);
    let jobs = ids.len() * accounts;
    println!(
        "plan of {} scenarios over {accounts} simulated accounts: {jobs} game days, virtual time",
        ids.len()
    );
    println!(
        "{:<12} {:>9} {:>9} {:>8} {:>10} {:>10} {:>10} {:>10}  nearest its limit",
        "concurrency", "wall s", "virt min", "RSS MiB", "med/min", "peak/min", "peak/s", "passed"
    );
    // 200 is the most a plan allows at once.
    for concurrency in [100, 200] {
        let mut rows = Vec::new();
        for i in 0..repeat {
            let runs = format!("runs-{concurrency}-{i}");
            let cfg = config(dir.path(), &ids, accounts, concurrency, &runs);
            rows.push(execute(dir.path(), &cfg));
        }
        let all = |f: &dyn Fn(&Measured) -> f64| median(rows.iter().map(f).collect());
        let across = |f: &dyn Fn(&Measured) -> &Vec<f64>, pick: fn(Vec<f64>) -> f64| {
            median(rows.iter().map(|m| pick(f(m).clone())).collect())
        };
        let max = |v: Vec<f64>| v.into_iter().fold(0.0, f64::max);
        let last = rows.last().expect("a row");
        assert_eq!(last.runs, jobs, "every game day of the plan ran to its end");
        println!(
            "{:<12} {:>9.1} {:>9} {:>8.0} {:>10.0} {:>10.0} {:>10.0} {:>10}  {}",
            concurrency,
            all(&|m| m.seconds),
            last.minutes,
            all(&|m| m.rss_mib),
            across(&|m| &m.median_per_minute, median),
            across(&|m| &m.peak_per_minute, max),
            across(&|m| &m.peak_per_second, max),
            format!("{}/{}", last.passed, last.runs),
            last.nearest.1
        );
    }
    println!(
        "med/min: the median over accounts of each account's median calls a minute; peak/min and \
         peak/s: the busiest account's most calls in any 60 s and 1 s window. Medians of {repeat} \
         executions."
    );
}
