//! Throughput and memory of whole game days in virtual time, and the cost of validating
//! the library. Run with `cargo bench -p gameday-engine --bench library`.
//!
//! Prints medians over several rounds, and ratios measured in the same run, because the
//! machines this runs on are shared and noisy. Options (environment):
//! `GAMEDAY_BENCH_SEEDS` (default 100), `GAMEDAY_BENCH_ROUNDS` (default 5).

use gameday_engine::autopilot::AutopilotConfig;
use gameday_engine::clock::Clock;
use gameday_engine::event::Outcome;
use gameday_engine::journal::Journal;
use gameday_engine::library::{self, Plan};
use gameday_engine::run::{Run, RunConfig};
use gameday_engine::sim::{DetectionModel, SimAccount};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

mod common;
use common::{median, peak_rss_mib, setting};

fn plans(root: &Path) -> Vec<Plan> {
    library::yaml_files(&root.join("scenarios"))
        .iter()
        .map(|f| {
            let c = library::load_checked(f, &root.join("runbooks")).expect("the library is valid");
            library::resolve(
                &c.scenario.value,
                c.runbook.as_ref().map(|r| &r.value),
                "bench",
                &Default::default(),
            )
            .expect("resolves")
        })
        .collect()
}

/// Runs every plan with `seeds` seeds; returns runs per second. `journal_dir` writes real
/// fsynced journals there; otherwise journals stay in memory.
fn round(
    rt: &tokio::runtime::Runtime,
    plans: &[Plan],
    seeds: u64,
    model: &Arc<DetectionModel>,
    journal_dir: Option<&Path>,
) -> f64 {
    let started = Instant::now();
    let mut runs = 0u64;
    rt.block_on(async {
        for plan in plans {
            for seed in 0..seeds {
                let clock = Arc::new(Clock::virtual_at(chrono::Utc::now()));
                let sim = SimAccount::new(seed, model.clone(), clock.clone());
                let mut journal = match journal_dir {
                    Some(d) => Journal::create(&d.join(format!("{}-{seed}", plan.scenario.id)))
                        .expect("journal"),
                    None => Journal::memory(),
                };
                let config = RunConfig {
                    seed,
                    autopilot: Some(AutopilotConfig::default()),
                    ..RunConfig::default()
                };
                let finished = Run::new(plan, &sim, &clock, &mut journal, config)
                    .execute()
                    .await
                    .expect("runs");
                assert_ne!(
                    finished.outcome,
                    Outcome::Aborted,
                    "{} seed {seed}",
                    plan.scenario.id
                );
                runs += 1;
            }
        }
    });
    runs as f64 / started.elapsed().as_secs_f64()
}

/// An alias bomb (9^9 strings once expanded) and 10,000-deep nesting.
fn hostile_documents() -> Vec<(&'static str, String)> {
    let mut bomb = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for (name, prev) in ["b", "c", "d", "e", "f", "g", "h", "i"]
        .iter()
        .zip(["a", "b", "c", "d", "e", "f", "g", "h"])
    {
        let items = vec![format!("*{prev}"); 9].join(",");
        bomb.push_str(&format!("{name}: &{name} [{items}]\n"));
    }
    let deep = format!("id: {}{}\n", "[".repeat(10_000), "]".repeat(10_000));
    vec![("alias bomb (9^9)", bomb), ("10,000-deep nesting", deep)]
}

fn main() {
    let smoke = common::smoke();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let seeds = setting("GAMEDAY_BENCH_SEEDS", 100, 2);
    let rounds = setting("GAMEDAY_BENCH_ROUNDS", 5, 1);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let model = Arc::new(DetectionModel::builtin());

    // Validating the whole library, as `gameday validate` does (schemas compiled once, as
    // in a fresh process the first call pays for them: measured apart).
    let first = Instant::now();
    let v = library::validate_paths(&[root.join("scenarios"), root.join("runbooks")], &root);
    let first_ms = first.elapsed().as_secs_f64() * 1000.0;
    assert!(v.diagnostics.is_empty(), "{}", v.diagnostics);
    let validate_ms = median(
        (0..if smoke { 1 } else { 20 })
            .map(|_| {
                let t = Instant::now();
                let v = library::validate_paths(
                    &[root.join("scenarios"), root.join("runbooks")],
                    &root,
                );
                assert!(v.diagnostics.is_empty());
                t.elapsed().as_secs_f64() * 1000.0
            })
            .collect(),
    );

    // Hostile documents must be refused, and quickly: an alias bomb and deep nesting.
    let hostile = hostile_documents()
        .into_iter()
        .map(|(name, text)| {
            let ms = median(
                (0..if smoke { 1 } else { 20 })
                    .map(|_| {
                        let t = Instant::now();
                        let parsed = library::parse_scenario(std::path::Path::new(name), &text);
                        assert!(parsed.is_err(), "{name} must be refused");
                        t.elapsed().as_secs_f64() * 1000.0
                    })
                    .collect(),
            );
            (name, ms)
        })
        .collect::<Vec<_>>();

    let plans = plans(&root);
    let n = plans.len() as u64 * seeds;
    let memory: Vec<f64> = (0..rounds)
        .map(|_| round(&rt, &plans, seeds, &model, None))
        .collect();
    let tmp = std::env::temp_dir().join(format!("gameday-bench-{}", std::process::id()));
    let on_disk: Vec<f64> = (0..rounds.min(3))
        .map(|i| {
            let dir = tmp.join(i.to_string());
            let r = round(&rt, &plans, seeds.min(20), &model, Some(&dir));
            let _ = std::fs::remove_dir_all(&dir);
            r
        })
        .collect();
    let _ = std::fs::remove_dir_all(&tmp);

    let mem = median(memory);
    let disk = median(on_disk);
    println!(
        "library: {} scenarios x {seeds} seeds = {n} runs per round, {rounds} rounds, virtual time, one thread",
        plans.len()
    );
    println!("runs/s (journal in memory):          median {mem:.0}");
    println!(
        "runs/s (journal on disk, fsynced):   median {disk:.0}  (ratio to memory {:.2})",
        disk / mem
    );
    println!(
        "validate library (warm):             median {validate_ms:.2} ms; first call in the process {first_ms:.2} ms"
    );
    for (name, ms) in hostile {
        println!("refuse {name:<30} median {ms:.2} ms");
    }
    if let Some(peak) = peak_rss_mib() {
        println!("peak resident memory of the process: {peak:.1} MiB");
    }
}
