//! `gameday cleanup`: what game days left behind on AWS, removed. `--run` after a crash,
//! from the run's journal and its tags; `--orphans` for everything tagged by gameday that
//! no live run owns.

use crate::cli::CleanupArgs;
use crate::commands::{self, BAD_INPUT};
use crate::place::{self, aws_target};
use gameday_engine::aws::sandbox::AwsSandbox;
use gameday_engine::aws::sweep::{self, Leftover};
use gameday_engine::config::Target;
use gameday_engine::event::Body;
use gameday_engine::journal::{self, Journal};
use gameday_engine::poller::Pollers;
use gameday_engine::recover;
use std::path::Path;

/// Runs `gameday cleanup`.
pub fn run(args: CleanupArgs) -> i32 {
    let runtime = match commands::runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    match &args.run {
        Some(dir) => runtime.block_on(run_dir(dir, &args)),
        None => runtime.block_on(orphans(&args)),
    }
}

/// Connects to `target` in `region` for clean-up `id`, preflight included.
async fn connect(target: &Target, region: &str, id: &str) -> Result<AwsSandbox, i32> {
    place::connect(target, region, id, &Pollers::new())
        .await
        .map(|(sandbox, _)| sandbox)
}

async fn run_dir(dir: &Path, args: &CleanupArgs) -> i32 {
    let contents = match journal::read(dir) {
        Ok(c) if c.is_run() => c,
        Ok(_) => {
            eprintln!("error: --run {}: not a run's journal", dir.display());
            return BAD_INPUT;
        }
        Err(e) => {
            eprintln!("error: --run {e}");
            return BAD_INPUT;
        }
    };
    let Some(Body::RunStarted { run_id, target, .. }) = contents.events.first().map(|e| &e.body)
    else {
        return BAD_INPUT;
    };
    if journal::is_live(dir) {
        eprintln!(
            "error: --run {}: run {run_id} is still in progress; it cleans up itself (Ctrl-C ends it)",
            dir.display()
        );
        return BAD_INPUT;
    }
    if target.kind == "sim" {
        println!(
            "run {run_id} ran on the simulator: its account lived and ended with the process, nothing to clean up"
        );
        return 0;
    }
    let name = args.target.as_deref().unwrap_or(&target.name);
    let (aws, region) = match aws_target(name, args.config.config.as_deref(), Some(&target.region))
    {
        Ok(t) => t,
        Err(code) => return code,
    };
    let sandbox = match connect(&aws, &region, run_id).await {
        Ok(s) => s,
        Err(code) => return code,
    };
    let account = gameday_engine::sandbox::Sandbox::target(&sandbox).account_id;
    if account != target.account_id {
        eprintln!(
            "error: run {run_id} ran in account {}, but target `{name}` reaches account {account}; nothing was changed",
            target.account_id
        );
        return BAD_INPUT;
    }
    let (mut journal, contents) = match Journal::resume(dir) {
        Ok(j) => j,
        Err(e) => {
            eprintln!("error: --run {e}");
            return BAD_INPUT;
        }
    };
    let run_id = run_id.clone();
    let leftovers = async || {
        sandbox
            .leftovers()
            .await
            .map(|all| all.into_iter().filter(|l| l.run == run_id).collect())
            .map_err(|e| e.to_string())
    };
    let done = match recover::recover(&contents, &mut journal, &sandbox, leftovers).await {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: cannot write the journal in {}: {e}", dir.display());
            return 3;
        }
    };
    drop(journal);
    if let Ok(back) = journal::read(dir) {
        commands::write_run_reports(dir, back.events);
    }
    println!(
        "run {run_id}: {} reverted or removed, {} failed",
        done.reverted,
        done.failed.len()
    );
    for f in &done.failed {
        eprintln!("  failed: {f}");
    }
    if done.failed.is_empty() { 0 } else { 3 }
}

async fn orphans(args: &CleanupArgs) -> i32 {
    let name = args.target.as_deref().unwrap_or_default();
    let (target, region) =
        match aws_target(name, args.config.config.as_deref(), args.region.as_deref()) {
            Ok(t) => t,
            Err(code) => return code,
        };
    let id = commands::new_run_id(0);
    let sandbox = match connect(&target, &region, &format!("cleanup-{id}")).await {
        Ok(s) => s,
        Err(code) => return code,
    };
    let found = match sandbox.leftovers().await {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: target {name}: {e}");
            return 3;
        }
    };
    let cutoff =
        chrono::Utc::now() - chrono::Duration::milliseconds(args.older_than.as_millis() as i64);
    let (orphaned, kept): (Vec<Leftover>, Vec<Leftover>) = found.into_iter().partition(|l| {
        !journal::is_live(&args.runs_dir.join(&l.run)) && l.started.is_none_or(|s| s <= cutoff)
    });
    for l in &kept {
        println!(
            "  keep    {l}: its run is live or started within {}",
            args.older_than
        );
    }
    if args.dry_run {
        for l in &orphaned {
            println!("  would remove {l}");
        }
        println!(
            "{name} ({region}): {} orphaned, {} kept; nothing was changed (--dry-run)",
            orphaned.len(),
            kept.len()
        );
        return 0;
    }
    let mut failed = 0;
    for l in &orphaned {
        match sweep::remove(&sandbox, l).await {
            Ok(()) => println!("  removed {l}"),
            Err(e) => {
                failed += 1;
                eprintln!("  failed  {l}: {e}");
            }
        }
    }
    println!(
        "{name} ({region}): {} removed, {failed} failed, {} kept",
        orphaned.len() - failed,
        kept.len()
    );
    if failed == 0 { 0 } else { 3 }
}
