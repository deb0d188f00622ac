//! One game day, assembled: the scenario loaded and its plan resolved, the target
//! opened (preflight on AWS), the existence checks, the journal claimed, signals wired to
//! the run's abort, the run executed on its runtime, and its reports written. `run`,
//! `console`, `schedule` and `cleanup` assemble their game days here; `commands`
//! only dispatches.

use crate::exit::Exit;
use crate::place::{Opened, Place};
use gameday_engine::autopilot::AutopilotConfig;
use gameday_engine::clock::ClockMode;
use gameday_engine::journal::{self, Journal};
use gameday_engine::library::{self, Checked, Plan};
use gameday_engine::poller::Pollers;
use gameday_engine::report;
use gameday_engine::run::{AbortHandle, Run, RunConfig};
use gameday_engine::runs_location::RunsLocation;
use gameday_engine::score::Summary;
use gameday_engine::sim::DetectionModel;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Finds a scenario by path or by id in the library.
fn scenario_path(arg: &str, library: &Path) -> PathBuf {
    let p = PathBuf::from(arg);
    if p.exists() || arg.contains('/') || arg.ends_with(".yaml") {
        p
    } else {
        library.join("scenarios").join(format!("{arg}.yaml"))
    }
}

pub(crate) fn load(arg: &str, library: &Path) -> Result<Checked, Exit> {
    let path = scenario_path(arg, library);
    if path.is_dir() {
        eprintln!(
            "error: {}: is a folder; give a scenario file, or the ids of the scenarios to run (`gameday list` shows them)",
            path.display()
        );
        return Err(Exit::BadInput);
    }
    if !path.is_file() {
        let scenarios = library.join("scenarios");
        let ids: Vec<String> = library::yaml_files(&scenarios)
            .iter()
            .filter_map(|f| f.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .collect();
        let closest = gameday_engine::diag::closest(arg, ids.iter().map(String::as_str))
            .map(|id| format!("; did you mean `{id}`?"))
            .unwrap_or_default();
        eprintln!(
            "error: {}: no such scenario file (give a path, or an id of a scenario in {}){closest}",
            path.display(),
            scenarios.display()
        );
        return Err(Exit::BadInput);
    }
    library::load_checked(&path, &library::runbooks_dir_for(&path, library)).map_err(|d| {
        eprintln!("{d}");
        Exit::BadInput
    })
}

/// The plan of a run of `checked`, its resources named with `prefix`: exit 2 when a parameter override does not fit.
pub(crate) fn plan_for(
    checked: &Checked,
    run_id: &str,
    prefix: &str,
    overrides: &BTreeMap<String, String>,
) -> Result<Plan, Exit> {
    library::resolve_named(
        &checked.scenario.value,
        checked.runbook.as_ref().map(|r| &r.value),
        run_id,
        prefix,
        overrides,
    )
    .map_err(|e| {
        eprintln!("error: {e}");
        Exit::BadInput
    })
}

/// The run directory of `run_id` and its new journal: exit 3 when it cannot be made.
pub(crate) fn open_journal(runs_dir: &Path, run_id: &str) -> Result<(PathBuf, Journal), Exit> {
    let run_dir = runs_dir.join(run_id);
    match Journal::create(&run_dir).and_then(|mut j| j.claim(run_id).map(|()| j)) {
        Ok(j) => Ok((run_dir, j)),
        Err(e) => {
            // Nothing has been changed yet: a runs directory that cannot be written is
            // bad input.
            eprintln!(
                "error: --runs-dir {}: cannot create the journal in {}: {e}",
                runs_dir.display(),
                run_dir.display()
            );
            Err(Exit::BadInput)
        }
    }
}

/// The single-threaded runtime a run lives on: exit 3 when it cannot start.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, Exit> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            eprintln!("error: cannot start the runtime: {e}");
            Exit::Aborted
        })
}

pub(crate) fn new_run_id(n: u64) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let mut x = (nanos as u64)
        ^ (u64::from(std::process::id()) << 32)
        ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    // splitmix64 finaliser: well-spread bits from a counter and the time.
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^= x >> 31;
    format!("{:08x}", x as u32)
}

/// Ctrl-C and SIGTERM abort the run into clean-up; `quiet` when a console owns the
/// screen and shows it itself.
pub(crate) fn install_signal_handlers(handle: Arc<AbortHandle>, quiet: bool) {
    let h = handle.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            // Abort first; printing never panics on a closed stderr (see `term`).
            h.abort("interrupted (Ctrl-C)");
            if !quiet {
                eprintln!("\ninterrupted: ending the run and cleaning up…");
            }
        }
    });
    #[cfg(unix)]
    tokio::spawn(async move {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            term.recv().await;
            handle.abort("terminated (SIGTERM)");
            if !quiet {
                eprintln!("terminated: ending the run and cleaning up…");
            }
        }
    });
}

/// One game day: a plan resolved for its run, the sandbox opened (preflight on AWS),
/// the journal created, the run executed and its reports written.
pub(crate) struct GameDay<'a> {
    pub place: &'a Place,
    pub checked: &'a Checked,
    pub overrides: &'a BTreeMap<String, String>,
    pub runs_dir: &'a Path,
    pub run_id: &'a str,
    pub seed: u64,
    pub mode: ClockMode,
    pub autopilot: Option<AutopilotConfig>,
    pub model: &'a Arc<DetectionModel>,
    pub pollers: &'a Pollers,
    pub abort: &'a gameday_engine::run::Abort,
    /// The clock the run's own starts on (a plan execution's); the wall clock if none.
    pub epoch: Option<&'a gameday_engine::clock::Clock>,
    /// Where the runs directory is mirrored on S3, when it is an S3 prefix.
    pub mirror: Option<&'a Arc<Mirror>>,
}

/// A runs directory on S3 and the local folder mirroring it: runs are written in the
/// mirror (journals fsynced there first) and uploaded at every phase boundary and when
/// they end.
pub(crate) struct Mirror {
    pub s3: gameday_engine::aws::runs::S3Runs,
    /// The local folder the S3 prefix is mirrored in.
    pub root: PathBuf,
}

impl Mirror {
    /// The mirror of `loc`, if it is on S3 (the client from the standard chain).
    pub(crate) async fn of(loc: &RunsLocation) -> Option<Arc<Mirror>> {
        let at = loc.s3()?;
        Some(Arc::new(Mirror {
            s3: gameday_engine::aws::runs::S3Runs::new(at).await,
            root: loc.local(),
        }))
    }

    /// `dir` (inside the mirror) as a `/`-separated path relative to the prefix.
    pub(crate) fn rel(&self, dir: &Path) -> String {
        dir.strip_prefix(&self.root)
            .map(|r| r.to_string_lossy().replace('\\', "/"))
            .unwrap_or_default()
    }

    /// Uploads what changed under `dir` (inside the mirror); a failure is a warning, since
    /// the local copy is whole and the next upload (or `gameday cleanup --run`) sends it.
    pub(crate) async fn upload(&self, dir: &Path) {
        let rel = self.rel(dir);
        if let Err(e) = self.s3.upload(&self.root, &rel).await {
            eprintln!(
                "warning: cannot upload {} to {}: {e}; the local copy is whole",
                dir.display(),
                self.s3.at().url(&rel)
            );
        }
    }

    /// A channel whose events go on to `next` (if any), uploading `run_dir` whenever a
    /// phase begins and when the run ends.
    fn watch(
        self: &Arc<Self>,
        run_dir: &Path,
        next: Option<tokio::sync::mpsc::UnboundedSender<gameday_engine::event::Event>>,
    ) -> tokio::sync::mpsc::UnboundedSender<gameday_engine::event::Event> {
        use gameday_engine::event::Body;
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<gameday_engine::event::Event>();
        let (me, dir) = (self.clone(), run_dir.to_owned());
        tokio::spawn(async move {
            while let Some(e) = rx.recv().await {
                let boundary = matches!(e.body, Body::PhaseStarted { .. } | Body::RunEnded { .. });
                if let Some(n) = &next {
                    let _ = n.send(e);
                }
                if boundary {
                    me.upload(&dir).await;
                }
            }
        });
        tx
    }
}

impl GameDay<'_> {
    /// Runs it: once the account is open and the journal claimed, `attach` gets the run's
    /// clock and directory and says where its events go and where responders' orders
    /// come from.
    pub(crate) async fn run(
        &self,
        attach: impl FnOnce(Arc<gameday_engine::clock::Clock>, &Path) -> Attach,
    ) -> Result<(Summary, PathBuf), NotRun> {
        let plan = plan_for(
            self.checked,
            self.run_id,
            self.place.prefix(),
            self.overrides,
        )
        .map_err(NotRun::Refused)?;
        // Preflight (on AWS) before the run directory exists: a refused account leaves
        // nothing behind, not even an empty run.
        let Opened { sandbox, clock } = self
            .place
            .open(
                self.run_id,
                self.seed,
                self.mode,
                self.model,
                self.pollers,
                self.epoch.map_or_else(chrono::Utc::now, |c| c.now()),
            )
            .await
            .map_err(NotRun::Refused)?;
        // Nothing the run would create may exist already: it would be adopted, changed and
        // deleted as the run's own.
        match gameday_engine::preflight::existing(&plan, sandbox.as_ref()).await {
            Ok(found) if found.is_empty() => {}
            Ok(found) => {
                for f in &found {
                    eprintln!("error: {f} (input `{}`)", f.input);
                }
                eprintln!("nothing was changed");
                return Err(NotRun::Refused(Exit::BadInput));
            }
            Err(e) => {
                eprintln!(
                    "error: run {}: cannot tell whether what it creates exists already: {e}; nothing was changed",
                    self.run_id
                );
                return Err(NotRun::Refused(Exit::Aborted));
            }
        }
        refuse_unmeetable_detections(&plan, sandbox.as_ref(), self.run_id).await?;
        let (run_dir, mut journal) =
            open_journal(self.runs_dir, self.run_id).map_err(NotRun::Refused)?;
        let config = RunConfig {
            seed: self.seed,
            autopilot: self.autopilot,
            poll: self.place.run_poll(),
        };
        let mut run = Run::new(&plan, sandbox.as_ref(), &clock, &mut journal, config)
            .abort_on(self.abort.clone());
        let Attach { events, commands } = attach(clock.clone(), &run_dir);
        let events = match self.mirror {
            Some(m) => Some(m.watch(&run_dir, events)),
            None => events,
        };
        if let Some(tx) = events {
            run = run.observe(tx);
        }
        if let Some(rx) = commands {
            run = run.commands(rx);
        }
        match run.execute().await {
            Ok(finished) => {
                drop(journal);
                let summary = write_run_reports(&run_dir, finished.events);
                if let Some(m) = self.mirror {
                    m.upload(&run_dir).await;
                }
                Ok((summary, run_dir))
            }
            Err(e) => Err(NotRun::Failed {
                run_id: self.run_id.to_owned(),
                error: e.to_string(),
            }),
        }
    }
}

/// Refuses a run of `plan` whose detections watch CloudWatch alarms the account lacks, or
/// name detector commands the target does not define: they could never be met. Lists
/// every one; exit 2 (3 when the account cannot be asked).
async fn refuse_unmeetable_detections(
    plan: &Plan,
    sandbox: &dyn gameday_engine::sandbox::Sandbox,
    run_id: &str,
) -> Result<(), NotRun> {
    let commands = gameday_engine::preflight::missing_commands(&plan.scenario, sandbox.commands());
    if !commands.is_empty() {
        for m in &commands {
            eprintln!("error: {m}");
        }
        eprintln!(
            "add it under the target's `commands` in gameday.yaml (docs/targets.md); nothing \
             was changed"
        );
        return Err(NotRun::Refused(Exit::BadInput));
    }
    match gameday_engine::preflight::missing_alarms(&plan.scenario, sandbox.cloudwatch()).await {
        Ok(missing) if missing.is_empty() => Ok(()),
        Ok(missing) => {
            for m in &missing {
                eprintln!("error: {m}");
            }
            eprintln!(
                "create them in the account (the simulator's are the `alarms` of \
                 engine/src/sim/model.yaml), or watch alarms it has; `gameday target check \
                 TARGET SCENARIO` lists what is missing; nothing was changed"
            );
            Err(NotRun::Refused(Exit::BadInput))
        }
        Err(e) => {
            eprintln!(
                "error: run {run_id}: cannot tell whether the account has the alarms the scenario watches: {e}; nothing was changed"
            );
            Err(NotRun::Refused(Exit::Aborted))
        }
    }
}

/// Where a run's events go and where responders' commands come from: a front end's
/// channels ([`GameDay::run`]).
#[derive(Default)]
pub(crate) struct Attach {
    /// Every event, as the journal gets it.
    pub events: Option<tokio::sync::mpsc::UnboundedSender<gameday_engine::event::Event>>,
    /// Responders' orders; with them the watch phase lasts for the runbook.
    pub commands: Option<tokio::sync::mpsc::UnboundedReceiver<gameday_engine::team::Order>>,
}

/// The runs directory `given` as a local folder to read: itself, or for an S3 prefix its
/// mirror with everything the prefix holds downloaded into it (a journal this machine
/// wrote further than its last upload is kept). A bad URL is exit 2, S3 unreachable 3.
pub(crate) async fn fetch(given: &Path) -> Result<PathBuf, Exit> {
    let loc = RunsLocation::of_path(given).map_err(|e| {
        eprintln!("error: {e}");
        Exit::BadInput
    })?;
    let Some(at) = loc.s3() else {
        return Ok(loc.local());
    };
    let s3 = gameday_engine::aws::runs::S3Runs::new(at).await;
    let mirror = loc.local();
    match s3.download(&mirror, "").await {
        Ok(_) => Ok(mirror),
        Err(e) => {
            eprintln!("error: cannot read {at}: {e}");
            Err(Exit::Aborted)
        }
    }
}

/// [`fetch`] of each of `given`, on a runtime of its own when any is on S3 (local paths
/// are returned as they are, with no runtime).
pub(crate) fn fetch_all(given: &[PathBuf]) -> Result<Vec<PathBuf>, Exit> {
    let on_s3 = |p: &PathBuf| p.to_str().is_some_and(|t| t.starts_with("s3://"));
    if !given.iter().any(on_s3) {
        return Ok(given.to_vec());
    }
    let rt = runtime()?;
    given.iter().map(|p| rt.block_on(fetch(p))).collect()
}

/// The runs directory `given` to write runs into: the local folder, and for an S3 prefix
/// its mirror and the client that uploads it. A bad URL is exit 2.
pub(crate) async fn runs_target(given: &Path) -> Result<(PathBuf, Option<Arc<Mirror>>), Exit> {
    let loc = RunsLocation::of_path(given).map_err(|e| {
        eprintln!("error: --runs-dir: {e}");
        Exit::BadInput
    })?;
    Ok((loc.local(), Mirror::of(&loc).await))
}

/// Why a game day did not finish.
#[derive(Debug)]
pub(crate) enum NotRun {
    /// Refused before it began (bad input, a refused account, a name taken); the reason
    /// is already printed and nothing was changed.
    Refused(Exit),
    /// The run itself failed (its journal could not be written); not printed yet, so that
    /// a front end can say it once the terminal is its own again.
    Failed { run_id: String, error: String },
}

impl NotRun {
    /// Says why (where not said already); the exit code.
    pub(crate) fn say(self) -> Exit {
        match self {
            NotRun::Refused(code) => code,
            NotRun::Failed { run_id, error } => {
                eprintln!("error: run {run_id}: {error}");
                Exit::Aborted
            }
        }
    }
}

/// The combined report of every run under `dir`, in every format, written into `dir`. A
/// failure is a warning: the journals, from which `gameday report` rebuilds it, are safe.
pub(crate) fn write_combined_report(dir: &Path) {
    let journals = match crate::analysis::read_journals(&[dir.to_owned()]) {
        Ok(j) => j,
        Err(_) => return,
    };
    write_all_formats(&report::Report::from_journals(&journals), dir);
}

/// The report phase: every report format, written into the run directory; returns the
/// run's summary, computed once for them all. A failure to write is a warning: the
/// journal, from which `gameday report` rebuilds them, is safe.
pub(crate) fn write_run_reports(
    run_dir: &Path,
    events: Vec<gameday_engine::event::Event>,
) -> Summary {
    let contents = journal::Contents {
        events,
        torn_tail: false,
    };
    let run = report::RunReport::from_contents(&contents);
    let summary = run.summary.clone();
    write_all_formats(&report::Report::new(vec![run]), run_dir);
    summary
}

/// Writes `rep` into `dir` in each of `formats`: each file and how writing it went.
pub(crate) fn write_report(
    rep: &report::Report,
    dir: &Path,
    formats: &[report::Format],
) -> Vec<(PathBuf, std::io::Result<()>)> {
    formats
        .iter()
        .map(|f| {
            let path = dir.join(f.file_name());
            let written = gameday_engine::file::replace(&path, rep.render(*f));
            (path, written)
        })
        .collect()
}

/// [`write_report`] in every format, where a failure is a warning: the journals, from
/// which `gameday report` rebuilds the reports, are safe.
fn write_all_formats(rep: &report::Report, dir: &Path) {
    for (path, written) in write_report(rep, dir, &report::Format::ALL) {
        if let Err(e) = written {
            eprintln!("warning: {}: {e}", path.display());
        }
    }
}
