//! Game days across an organisation: the same plan of simulated game days run by one
//! process into a local runs folder, and by three shard processes whose only common
//! ground is a runs directory on the emulator's S3 (each shard with its own cache folder).
//! Wall time (until the last shard ends) and peak memory per process, and their ratios.
//! Run with `cargo bench -p gameday-tests --bench org_scale`.
//!
//! The plan: copies of every library scenario (but the two that change an account-wide
//! setting, see `ACCOUNT_WIDE`) over three `kind: sim` accounts in virtual time (each account's game days in one shard, as shards split by account), up to 100 at
//! once per process. Options (environment): `GAMEDAY_BENCH_DAYS` (about 1000 game days),
//! `GAMEDAY_BENCH_REPEAT` (3 executions a row; figures are medians). Under `cargo test` it
//! runs once, small, as a smoke test.

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

#[path = "../../engine/benches/common/mod.rs"]
mod common;
use common::{median, setting};
use gameday_tests::moto::Moto;
use gameday_tests::scale::{library, watch_rss};

const ACCOUNTS: usize = 3;
/// Scenarios that change a setting of the whole account: many copies at once in one
/// account refuse each other's restores (the setting changed since), which is clean-up's
/// safety working, not the throughput measured here.
const ACCOUNT_WIDE: &[&str] = &[
    "password-policy-weakened",
    "account-block-public-access-removed",
];
const BUCKET: &str = "gameday-bench-runs";

fn config(dir: &Path, ids: &[String], runs: &str, name: &str) -> String {
    let mut y = String::from("targets:\n");
    for a in 0..ACCOUNTS {
        let _ = write!(
            y,
            "  - name: sandbox-{a}\n    kind: sim\n    regions: [us-east-1]\n    \
             allowed_accounts: [\"21000000000{a}\"]\n"
        );
    }
    let _ = write!(
        y,
        "plans:\n  - name: bench\n    schedule: {{ cron: \"0 10 * * TUE\", timezone: UTC }}\n    \
         scenarios: [{}]\n    targets: [{}]\n    concurrency: 100\n    \
         responders: autopilot\n    virtual_time: true\n    runs_dir: {runs}\n",
        ids.join(", "),
        (0..ACCOUNTS)
            .map(|a| format!("{{ target: sandbox-{a} }}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let file = dir.join(format!("{name}.yaml"));
    std::fs::write(&file, y).expect("config");
    file.to_string_lossy().into_owned()
}

/// One process: `gameday schedule run bench ARGS…`, its exit status checked; its peak RSS.
fn spawn(dir: &Path, config: &str, extra: &[&str], env: &[(&str, String)]) -> std::process::Child {
    let mut c = Command::new(gameday_tests::binary());
    c.current_dir(dir)
        .args([
            "schedule",
            "run",
            "bench",
            "--library",
            ".",
            "--config",
            config,
        ])
        .args(extra)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in env {
        c.env(k, v);
    }
    c.spawn().expect("gameday runs")
}

fn finish(mut child: std::process::Child) -> f64 {
    let mut err = child.stderr.take().expect("stderr");
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut err, &mut s);
        s
    });
    let (status, rss) = watch_rss(&mut child);
    let err = err.join().expect("stderr");
    // 0: every run passed; 1: some missed an expectation (the model's draws).
    assert!(matches!(status.code(), Some(0 | 1)), "exit {status}\n{err}");
    rss
}

fn main() {
    let days: usize = setting("GAMEDAY_BENCH_DAYS", 1000, 40);
    let repeat: usize = setting("GAMEDAY_BENCH_REPEAT", 3, 1);
    let dir = tempfile::tempdir().expect("tempdir");
    let scenarios = std::fs::read_dir(gameday_tests::repo().join("scenarios"))
        .expect("scenarios")
        .count()
        - ACCOUNT_WIDE.len();
    let copies = days.div_ceil(scenarios * ACCOUNTS).max(1);
    let ids = library(dir.path(), copies, ACCOUNT_WIDE);
    let total = ids.len() * ACCOUNTS;
    let moto = Moto::start();
    moto.python(&format!(
        "import boto3\ns3 = boto3.client('s3', config=boto3.session.Config(s3={{'addressing_style': 'path'}}))\n\
         s3.create_bucket(Bucket={BUCKET:?})"
    ));
    println!("{total} simulated game days over {ACCOUNTS} accounts, virtual time");
    let (mut one_s, mut one_rss, mut three_s, mut three_rss) = (vec![], vec![], vec![], vec![]);
    for i in 0..repeat {
        let local = config(
            dir.path(),
            &ids,
            &format!("local-{i}"),
            &format!("local-{i}"),
        );
        let t = Instant::now();
        let rss = finish(spawn(dir.path(), &local, &[], &[]));
        one_s.push(t.elapsed().as_secs_f64());
        one_rss.push(rss);

        let s3 = config(
            dir.path(),
            &ids,
            &format!("s3://{BUCKET}/run-{i}"),
            &format!("s3-{i}"),
        );
        let execution = format!("bench-{i}");
        let t = Instant::now();
        let shards: Vec<_> = (1..=ACCOUNTS)
            .map(|k| {
                let env = [
                    ("AWS_ENDPOINT_URL", moto.url()),
                    ("AWS_REGION", "us-east-1".to_owned()),
                    (
                        "GAMEDAY_CACHE_DIR",
                        dir.path()
                            .join(format!("cache-{i}-{k}"))
                            .display()
                            .to_string(),
                    ),
                ];
                let shard = format!("{k}/{ACCOUNTS}");
                spawn(
                    dir.path(),
                    &s3,
                    &["--shard", &shard, "--execution", &execution],
                    &env,
                )
            })
            .collect();
        let peaks: Vec<f64> = shards.into_iter().map(finish).collect();
        three_s.push(t.elapsed().as_secs_f64());
        three_rss.push(peaks.into_iter().fold(0.0, f64::max));
    }
    let (a, b, c, d) = (
        median(one_s),
        median(one_rss),
        median(three_s),
        median(three_rss),
    );
    println!("{:<40} {:>9} {:>16}", "", "wall s", "peak RSS MiB/proc");
    println!("{:<40} {a:>9.1} {b:>16.0}", "1 process, local runs folder");
    println!("{:<40} {c:>9.1} {d:>16.0}", "3 shard processes, runs on S3");
    println!(
        "ratio (3 shards on S3 / 1 local): wall {:.2}, peak memory per process {:.2}; medians of {repeat}",
        c / a,
        d / b
    );
}
