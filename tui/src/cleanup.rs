//! `gameday cleanup`: what game days left behind on AWS, removed. `--run` after a crash,
//! from the run's journal and its tags; `--orphans` for everything tagged by gameday that
//! no live run owns.

use crate::assembly;
use crate::cli::CleanupArgs;
use crate::exit::Exit;
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
pub fn run(args: CleanupArgs) -> Exit {
    let runtime = match assembly::runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    match &args.run {
        Some(dir) => runtime.block_on(run_on_s3_or_disk(dir, &args)),
        None => runtime.block_on(orphans(&args)),
    }
}

/// Clean-up of the run `dir`: for a run on S3 (`s3://bucket/prefix/RUN`), from this
/// machine's copy where it has one (a journal written further than its last upload),
/// else from what S3 holds, with the journal uploaded again afterwards.
async fn run_on_s3_or_disk(dir: &Path, args: &CleanupArgs) -> Exit {
    let loc = match gameday_engine::runs_location::RunsLocation::of_path(dir) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: --run: {e}");
            return Exit::BadInput;
        }
    };
    let Some(mirror) = assembly::Mirror::of(&loc).await else {
        return run_dir(dir, args).await;
    };
    let local = match assembly::fetch(dir).await {
        Ok(l) => l,
        Err(code) => return code,
    };
    let code = run_dir(&local, args).await;
    if !args.dry_run {
        mirror.upload(&local).await;
    }
    code
}

/// Connects to `target` in `region` for clean-up `id`, preflight included.
async fn connect(target: &Target, region: &str, id: &str) -> Result<AwsSandbox, Exit> {
    place::connect(target, region, id, &Pollers::new())
        .await
        .map(|(sandbox, _)| sandbox)
}

async fn run_dir(dir: &Path, args: &CleanupArgs) -> Exit {
    // Read only: a dry run writes nothing into the run directory, and a run still in
    // progress must not have its journal touched.
    let contents = match journal::read(dir) {
        Ok(c) if c.is_run() => c,
        Ok(_) => {
            eprintln!("error: --run {}: not a run's journal", dir.display());
            return Exit::BadInput;
        }
        Err(e) => {
            eprintln!("error: --run {e}");
            return Exit::BadInput;
        }
    };
    let Some(Body::RunStarted {
        run_id,
        target,
        host,
        ..
    }) = contents.events.first().map(|e| &e.body)
    else {
        return Exit::BadInput;
    };
    if let Err(why) = not_live(dir, run_id, host.as_deref(), &contents, args) {
        eprintln!("error: --run {}: {why}", dir.display());
        return Exit::BadInput;
    }
    // The console that hosted it has gone (the journal is not live): so goes its socket.
    if !args.dry_run {
        let _ = std::fs::remove_file(dir.join(crate::team::SOCKET));
    }
    if target.kind == gameday_engine::config::TargetKind::Sim {
        println!(
            "run {run_id} ran on the simulator: its account lived and ended with the process, nothing to clean up"
        );
        return Exit::Ok;
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
        return Exit::BadInput;
    }
    if args.dry_run {
        return dry_run(&contents, &sandbox).await;
    }
    let (mut journal, contents) = match Journal::resume(dir) {
        Ok(j) => j,
        Err(e) => {
            eprintln!("error: --run {e}");
            return Exit::BadInput;
        }
    };
    // One clean-up of a run at a time, and none while it runs, wherever its folder is.
    if let Err(e) = journal.claim(run_id) {
        eprintln!("error: --run {}: {e}", dir.display());
        return Exit::BadInput;
    }
    let run_id = run_id.clone();
    let done = match recover::recover(&contents, &mut journal, &sandbox).await {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: cannot write the journal in {}: {e}", dir.display());
            return Exit::Aborted;
        }
    };
    drop(journal);
    let Some(done) = done else {
        println!("run {run_id}: ended, and nothing of it remains in the account: nothing to do");
        return Exit::Ok;
    };
    if let Ok(back) = journal::read(dir) {
        assembly::write_run_reports(dir, back.events);
    }
    println!(
        "run {run_id}: {} reverted or removed, {} failed, {} not the run's (left alone)",
        done.reverted,
        done.failed.len(),
        done.not_ours.len()
    );
    for f in &done.failed {
        eprintln!("  failed: {f}");
    }
    for f in &done.not_ours {
        eprintln!("  not the run's, left alone: {f}");
    }
    match &done.remaining {
        Some(r) if r.is_empty() => println!("  nothing of the run's remains in the account"),
        Some(r) => {
            for x in r {
                eprintln!("  still there: {x}");
            }
        }
        None => eprintln!("  what remains could not be checked"),
    }
    if done.complete() {
        Exit::Ok
    } else {
        Exit::Aborted
    }
}

/// Why the run of `dir` may still be in progress, if it may: its process holds the
/// journal's lock, or the lock of its run id on this machine (a copy of its folder
/// elsewhere on the machine carries neither process); a run that ran on another machine
/// must have been silent for `--older-than`.
fn not_live(
    dir: &Path,
    run_id: &str,
    host: Option<&str>,
    contents: &journal::Contents,
    args: &CleanupArgs,
) -> Result<(), String> {
    let live = "still in progress; it cleans up itself (Ctrl-C or SIGTERM ends it)";
    if journal::is_live(dir) || gameday_engine::live::is_live(run_id) {
        return Err(format!("run {run_id} is {live}"));
    }
    let ended = contents
        .events
        .iter()
        .any(|e| matches!(e.body, Body::RunEnded { .. }));
    let here = gameday_engine::live::this_host();
    match host {
        Some(h) if h != here && !ended => {
            let last = contents.events.last().map(|e| e.at).unwrap_or_default();
            let quiet = chrono::Utc::now() - last;
            let need = chrono::Duration::milliseconds(args.older_than.as_millis() as i64);
            if quiet < need {
                return Err(format!(
                    "run {run_id} ran on {h}, not on this machine, and its journal was written {} ago: gameday cannot tell from here whether it is {live} If its process has stopped, give --older-than with less than that",
                    gameday_engine::words::spoken(quiet.num_milliseconds().max(0))
                ));
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// `--run --dry-run`: what clean-up would do, from read-only calls; writes nothing.
async fn dry_run(contents: &journal::Contents, sandbox: &AwsSandbox) -> Exit {
    let run_id = recover::identity(contents).map_or("", |(id, _)| id);
    let look = recover::preview(contents, sandbox).await;
    use gameday_engine::steps::Reverted;
    for (u, verdict) in &look.reverts {
        match verdict {
            None | Some(Reverted::Done) => {
                println!("  would revert   {} ({})", u.resource, u.action)
            }
            Some(Reverted::AlreadyDone(why)) => println!("  nothing to do  {} ({why})", u.resource),
            Some(Reverted::NotOurs(why)) => println!("  would refuse   {}: {why}", u.resource),
            Some(Reverted::Failed(why)) => println!("  cannot tell    {}: {why}", u.resource),
        }
    }
    for r in &look.sweep {
        println!("  would remove   {r} (carries the run's tag)");
    }
    for e in &look.errors {
        eprintln!("  could not look: {e}");
    }
    println!("run {run_id}: nothing was changed (--dry-run)");
    if look.errors.is_empty() {
        Exit::Ok
    } else {
        Exit::Aborted
    }
}

async fn orphans(args: &CleanupArgs) -> Exit {
    let name = args.target.as_deref().unwrap_or_default();
    let (target, region) =
        match aws_target(name, args.config.config.as_deref(), args.region.as_deref()) {
            Ok(t) => t,
            Err(code) => return code,
        };
    let id = assembly::new_run_id(0);
    let sandbox = match connect(&target, &region, &format!("cleanup-{id}")).await {
        Ok(s) => s,
        Err(code) => return code,
    };
    let found = match sandbox.leftovers().await {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: target {name}: {e}");
            return Exit::Aborted;
        }
    };
    let cutoff =
        chrono::Utc::now() - chrono::Duration::milliseconds(args.older_than.as_millis() as i64);
    let (orphaned, kept): (Vec<Leftover>, Vec<Leftover>) = found.into_iter().partition(|l| {
        !journal::is_live(&args.runs_dir.join(&l.run))
            && !gameday_engine::live::is_live(&l.run)
            && l.started.is_none_or(|s| s <= cutoff)
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
        return Exit::Ok;
    }
    let mut failed = 0;
    for l in &orphaned {
        let stem = format!("{}-{}", target.name_prefix, l.run);
        match sweep::remove(&sandbox, l, &stem).await {
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
    if failed == 0 { Exit::Ok } else { Exit::Aborted }
}
