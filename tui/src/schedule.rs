//! `gameday schedule`: plans of `gameday.yaml` listed, their next moments, an execution
//! now (or when due), a daemon that runs them on time, and entries for the scheduler an
//! organisation already has.

use crate::assembly::{self, GameDay};
use crate::cli::{ConfigArg, Library, LogFormat, ScheduleCommand};
use crate::exit::Exit;
use crate::place::{Place, SharedAccount, read_config};
use chrono::{DateTime, Utc};
use gameday_engine::autopilot::AutopilotConfig;
use gameday_engine::clock::{Clock, ClockMode};
use gameday_engine::config::{Config, Missed, PlanSpec, Responders, TargetKind};
use gameday_engine::fanout::{self, Job, Shard, StateDir};
use gameday_engine::library::{self, Checked};
use gameday_engine::poller::Pollers;
use gameday_engine::run::{Abort, abort_signal};
use gameday_engine::runs_location::RunsLocation;
use gameday_engine::schedule::{self, Schedule};
use gameday_engine::score::Summary;
use gameday_engine::sim::DetectionModel;
use gameday_engine::throttle::Accounts;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Runs a `gameday schedule` command.
pub fn run(cmd: ScheduleCommand) -> Exit {
    match cmd {
        ScheduleCommand::List { config } => list(&config),
        ScheduleCommand::Next {
            plan,
            count,
            after,
            config,
        } => next(&plan, count, after, &config),
        ScheduleCommand::Export {
            plan,
            format,
            exe,
            role_arn,
            image,
            config_in_image,
            library,
            config,
        } => export(
            &plan,
            format,
            &exe,
            (role_arn, image, config_in_image),
            &library,
            &config,
        ),
        ScheduleCommand::Run {
            plan,
            shard,
            execution,
            shard_from_env,
            if_due,
            library,
            config,
        } => match assembly::runtime() {
            Ok(rt) => rt.block_on(run_now(
                &plan,
                (shard, shard_from_env.as_deref()),
                execution,
                if_due,
                &library,
                &config,
            )),
            Err(code) => code,
        },
        ScheduleCommand::Daemon {
            plans,
            library,
            config,
            log_format,
        } => match assembly::runtime() {
            Ok(rt) => rt.block_on(daemon(&plans, &library, &config, log_format)),
            Err(code) => code,
        },
    }
}

/// Plan `name` and its compiled schedule.
fn plan<'c>(cfg: &'c Config, file: &Path, name: &str) -> Result<(&'c PlanSpec, Schedule), Exit> {
    let p = cfg.plan(name, file).map_err(|e| {
        eprintln!("error: {e}");
        Exit::BadInput
    })?;
    // Checked when the file was read: cannot fail here, but say so if it does.
    let s = Schedule::new(&p.schedule, &p.name).map_err(|e| {
        eprintln!("error: plan {name}: schedule: {e}");
        Exit::BadInput
    })?;
    Ok((p, s))
}

fn when(t: DateTime<Utc>, s: &Schedule) -> String {
    format!(
        "{} ({})",
        t.format("%Y-%m-%d %H:%M:%S UTC"),
        t.with_timezone(&s.timezone())
            .format("%a %Y-%m-%d %H:%M %Z")
    )
}

fn list(config: &ConfigArg) -> Exit {
    let (file, cfg) = match read_config(config.config.as_deref()) {
        Ok(c) => c,
        Err(code) => return code,
    };
    if cfg.plans.is_empty() {
        println!("{}: no plans", file.display());
        return Exit::Ok;
    }
    let now = Utc::now();
    for p in &cfg.plans {
        let Ok(s) = Schedule::new(&p.schedule, &p.name) else {
            continue;
        };
        let targets: Vec<String> = p
            .targets
            .iter()
            .map(|t| {
                if t.regions.is_empty() {
                    t.target.clone()
                } else {
                    format!("{} ({})", t.target, t.regions.join(", "))
                }
            })
            .collect();
        let mut what: Vec<String> = p.scenarios.clone();
        what.extend(p.tags.iter().map(|t| format!("tag:{t}")));
        println!("{}", p.name);
        println!("  when:      {}", s.describe());
        match s.next_after(now) {
            Some(t) => println!("  next:      {}", when(t, &s)),
            None => println!("  next:      never"),
        }
        println!(
            "  scenarios: {}{}",
            what.join(", "),
            p.pick.map(|n| format!(" (pick {n})")).unwrap_or_default()
        );
        println!("  targets:   {}", targets.join(", "));
        println!(
            "  runs:      {} at a time, into {}{}",
            p.concurrency,
            p.runs_dir.display(),
            p.team
                .as_deref()
                .map(|t| format!(", team {t}"))
                .unwrap_or_default()
        );
    }
    Exit::Ok
}

fn next(name: &str, count: usize, after: Option<DateTime<Utc>>, config: &ConfigArg) -> Exit {
    let (file, cfg) = match read_config(config.config.as_deref()) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let (_, s) = match plan(&cfg, &file, name) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let from = after.unwrap_or_else(Utc::now);
    let moments = s.upcoming(from, count);
    if moments.is_empty() {
        println!("{name}: no moment after {from}");
    }
    for t in moments {
        println!("{}", when(t, &s));
    }
    Exit::Ok
}

fn export(
    name: &str,
    format: schedule::export::ExportFormat,
    exe: &str,
    (role_arn, image, config_in_image): (Option<String>, String, Option<String>),
    library: &Library,
    config: &ConfigArg,
) -> Exit {
    use schedule::export::ExportFormat;
    let (file, cfg) = match read_config(config.config.as_deref()) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let (p, _) = match plan(&cfg, &file, name) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let in_cloud = matches!(format, ExportFormat::Kubernetes | ExportFormat::AwsBatch);
    let config_path = match config_in_image {
        Some(path) => path,
        None if in_cloud => "/etc/gameday/gameday.yaml".to_owned(),
        None => std::fs::canonicalize(&file)
            .unwrap_or(file)
            .display()
            .to_string(),
    };
    let actions = if format == ExportFormat::AwsBatch {
        match plan_actions(p, &cfg, library) {
            Ok(a) => a,
            Err(code) => return code,
        }
    } else {
        Default::default()
    };
    let cloud = schedule::cloud::Cloud {
        shards: p.shards,
        concurrency: p.concurrency,
        runs_dir: p.runs_dir.display().to_string(),
        role_arn,
        image,
        actions,
        assume_roles: p
            .targets
            .iter()
            .filter_map(|t| cfg.targets.iter().find(|x| x.name == t.target))
            .filter_map(|t| t.assume_role.as_ref().map(|r| r.arn.clone()))
            .collect(),
    };
    match schedule::export::export(&p.name, &p.schedule, format, exe, &config_path, &cloud) {
        Ok(text) => {
            print!("{text}");
            Exit::Ok
        }
        Err(e) => {
            eprintln!("error: --format: plan {name}: {e}");
            Exit::BadInput
        }
    }
}

/// The IAM actions of every call `gameday plan` lists for the scenarios plan `p` may run
/// (all it may pick from) on each of its targets.
fn plan_actions(
    p: &PlanSpec,
    cfg: &Config,
    library: &Library,
) -> Result<std::collections::BTreeSet<String>, Exit> {
    let index = library_index(&library.library)?;
    let tags: BTreeMap<String, Vec<String>> = index
        .iter()
        .map(|(id, c)| (id.clone(), c.scenario.value.tags.clone()))
        .collect();
    let every = PlanSpec {
        pick: None,
        ..p.clone()
    };
    let jobs = fanout::jobs(&every, cfg, &tags, "every", None).map_err(|e| {
        eprintln!("error: plan {}: {e}", p.name);
        Exit::BadInput
    })?;
    let mut actions = std::collections::BTreeSet::new();
    for job in &jobs {
        let Some(checked) = index.get(&job.scenario) else {
            continue;
        };
        let target = cfg.targets.iter().find(|t| t.name == job.target);
        let on_aws = gameday_engine::permissions::OnAws {
            push: target.is_some_and(|t| t.push),
            stop_alarms: target.is_some_and(|t| !t.stop_alarms.is_empty()),
        };
        let prefix = target.map_or(gameday_engine::library::DEFAULT_PREFIX, |t| {
            t.name_prefix.as_str()
        });
        let resolved = library::resolve_named(
            &checked.scenario.value,
            checked.runbook.as_ref().map(|r| &r.value),
            "runid000",
            prefix,
            &p.params
                .iter()
                .filter(|(k, _)| checked.scenario.value.params.contains_key(*k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        )
        .map_err(|e| {
            eprintln!("error: plan {}: {}: {e}", p.name, job.scenario);
            Exit::BadInput
        })?;
        let calls = gameday_engine::permissions::plan_calls(&resolved, on_aws);
        actions.extend(
            calls
                .iter()
                .map(|c| gameday_engine::permissions::iam_action(c)),
        );
    }
    Ok(actions)
}

/// The library's scenarios, by id, checked: exit 2 naming the first bad file.
fn library_index(dir: &Path) -> Result<BTreeMap<String, Checked>, Exit> {
    let mut index = BTreeMap::new();
    for f in library::yaml_files(&dir.join("scenarios")) {
        match library::load_checked(&f, &dir.join("runbooks")) {
            Ok(c) => {
                index.insert(c.scenario.value.id.clone(), c);
            }
            Err(d) => {
                eprintln!("{d}");
                return Err(Exit::BadInput);
            }
        }
    }
    if index.is_empty() {
        eprintln!(
            "error: --library {}: no scenarios in {} (the library is the folder holding scenarios/ and runbooks/)",
            dir.display(),
            dir.join("scenarios").display()
        );
        return Err(Exit::BadInput);
    }
    Ok(index)
}

/// What one execution of a plan did.
struct Execution {
    dir: PathBuf,
    runs: Vec<(Job, Result<Summary, String>)>,
    /// By account: the calls made, and the family nearest its limit, for the summary.
    calls: Vec<(String, u64, String)>,
    /// Runs on simulated accounts whose resources outlived their clean-up, by run id.
    leftovers: BTreeMap<String, Vec<String>>,
}

/// The JSON a webhook receives.
fn webhook_body(
    event: &str,
    p: &PlanSpec,
    slot: DateTime<Utc>,
    shard: Option<Shard>,
    jobs: &[Job],
    done: Option<&Execution>,
) -> serde_json::Value {
    let runs: Vec<serde_json::Value> = done
        .map(|e| {
            e.runs
                .iter()
                .map(|(job, r)| match r {
                    Ok(s) => serde_json::json!({
                        "scenario": job.scenario, "target": job.target, "region": job.region,
                        "run_id": s.run_id, "outcome": s.outcome.as_str(),
                        "score": s.score.total, "grade": s.score.grade,
                    }),
                    Err(e) => serde_json::json!({
                        "scenario": job.scenario, "target": job.target, "region": job.region,
                        "outcome": "not_run", "error": e,
                    }),
                })
                .collect()
        })
        .unwrap_or_default();
    serde_json::json!({
        "kind": "gameday-schedule",
        "event": event,
        "plan": p.name,
        "team": p.team,
        "moment": slot.to_rfc3339(),
        "shard": shard.map(|s| s.to_string()),
        "jobs": jobs.len(),
        "execution": done.map(|e| e.dir.display().to_string()),
        "runs": runs,
    })
}

/// Posts `body` to the plan's webhook, if it has one; a failure is a warning.
async fn notify(p: &PlanSpec, body: serde_json::Value) {
    let Some(url) = p.webhook.clone() else {
        return;
    };
    let name = p.name.clone();
    let sent = tokio::task::spawn_blocking(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(std::time::Duration::from_secs(10)))
            .build()
            .into();
        agent.post(&url).send_json(&body).map(drop)
    })
    .await;
    match sent {
        Ok(Ok(())) => {}
        Ok(Err(e)) => eprintln!(
            "warning: plan {name}: webhook: {}",
            gameday_engine::config::mask_userinfo(&e.to_string())
        ),
        Err(e) => eprintln!("warning: plan {name}: webhook: {e}"),
    }
}

/// Which part of an execution a process runs: its shard, and the execution's id when
/// given by hand (`--execution`).
#[derive(Debug, Clone, Default)]
struct Part {
    shard: Option<Shard>,
    execution: Option<String>,
}

/// Where plan `p`'s runs go: the local folder, and for an S3 `runs_dir` its mirror and
/// uploader. A bad `s3://` URL is exit 2.
async fn plan_runs(p: &PlanSpec) -> Result<(PathBuf, Option<Arc<assembly::Mirror>>), Exit> {
    let loc = RunsLocation::of_path(&p.runs_dir).map_err(|e| {
        eprintln!("error: plan {}: runs_dir: {e}", p.name);
        Exit::BadInput
    })?;
    Ok((loc.local(), assembly::Mirror::of(&loc).await))
}

/// The local folder plan `p`'s runs are written to (an S3 `runs_dir`'s mirror).
fn plan_local_runs(p: &PlanSpec) -> PathBuf {
    RunsLocation::of_path(&p.runs_dir).map_or_else(|_| p.runs_dir.clone(), |l| l.local())
}

/// For a plan whose runs are on S3: claims `slot` (of `shard`) with a conditional write
/// beside the runs (`.schedule/PLAN[.I-of-N]/MOMENT`), true when this process won it; of
/// any number of processes on any machines, one wins. A plan with local runs: true (the
/// local state and lock claimed it). S3 unreachable is exit 3, before anything runs.
async fn claimed_on_s3(
    p: &PlanSpec,
    shard: Option<Shard>,
    slot: DateTime<Utc>,
) -> Result<bool, Exit> {
    let (_, mirror) = plan_runs(p).await?;
    let Some(m) = mirror else {
        return Ok(true);
    };
    let part = match shard {
        Some(s) => format!("{}.{}-of-{}", p.name, s.index, s.count),
        None => p.name.clone(),
    };
    let key = format!(".schedule/{part}/{}", slot.format("%Y%m%dT%H%M%SZ"));
    m.s3.put_if_absent(&key, &host_line()).await.map_err(|e| {
        eprintln!(
            "error: plan {}: cannot claim the moment on {}: {e}",
            p.name,
            m.s3.at()
        );
        Exit::Aborted
    })
}

/// Writes the combined report of the execution in `dir` once. Alone, this process writes
/// it. As one of N shards, each leaves a mark that it finished; the shard that sees all N
/// marks and then wins one exclusive creation (an S3 conditional write beside the runs on
/// S3, a new file beside them on disk) writes the report of every shard's runs.
async fn combine(dir: &Path, shard: Option<Shard>, mirror: Option<&assembly::Mirror>) {
    let Some(s) = shard.filter(|s| s.count > 1) else {
        assembly::write_combined_report(dir);
        if let Some(m) = mirror {
            m.upload(dir).await;
        }
        return;
    };
    let marks = dir.join(".shards");
    let mark = format!("{}-of-{}", s.index, s.count);
    let written = std::fs::create_dir_all(&marks)
        .and_then(|()| gameday_engine::file::replace(&marks.join(&mark), host_line()));
    if let Err(e) = written {
        eprintln!(
            "warning: {}: {e}; the combined report is left to the other shards",
            marks.display()
        );
        return;
    }
    let suffix = format!("-of-{}", s.count);
    let won = match mirror {
        None => {
            let done = std::fs::read_dir(&marks)
                .into_iter()
                .flatten()
                .flatten()
                .filter(|e| e.file_name().to_string_lossy().ends_with(&suffix))
                .count();
            done == s.count as usize
                && std::fs::File::options()
                    .write(true)
                    .create_new(true)
                    .open(dir.join(".combined"))
                    .is_ok()
        }
        Some(m) => {
            m.upload(dir).await;
            let rel = m.rel(dir);
            let done = match m.s3.list(&format!("{rel}/.shards")).await {
                Ok(keys) => keys.iter().filter(|k| k.ends_with(&suffix)).count(),
                Err(e) => {
                    eprintln!("warning: cannot list the shards' marks: {e}");
                    0
                }
            };
            let won = done == s.count as usize
                && m.s3
                    .put_if_absent(&format!("{rel}/.combined"), &host_line())
                    .await
                    .unwrap_or_else(|e| {
                        eprintln!("warning: cannot claim the combined report: {e}");
                        false
                    });
            if won && let Err(e) = m.s3.download(&m.root, &rel).await {
                eprintln!("warning: cannot read the other shards' runs: {e}");
            }
            won
        }
    };
    if won {
        assembly::write_combined_report(dir);
        if let Some(m) = mirror {
            m.upload(dir).await;
        }
    }
}

/// Who wrote a mark: the host and the time.
fn host_line() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "unknown".to_owned());
    format!(
        "{{\"host\": {host:?}, \"at\": {:?}}}\n",
        Utc::now().to_rfc3339()
    )
}

/// Runs plan `p` for moment `slot`: its jobs (or this shard's), `concurrency` at a time,
/// one poller per account and region for them all, then the combined report.
async fn execute(
    p: &PlanSpec,
    cfg: &Config,
    index: &BTreeMap<String, Checked>,
    slot: DateTime<Utc>,
    part: &Part,
    abort: &Abort,
    accounts: &Arc<Accounts>,
) -> Result<Execution, Exit> {
    let shard = part.shard;
    let tags: BTreeMap<String, Vec<String>> = index
        .iter()
        .map(|(id, c)| (id.clone(), c.scenario.value.tags.clone()))
        .collect();
    // Every shard of the execution draws the same: from the id given by hand, or the moment.
    let draw = part.execution.clone().unwrap_or_else(|| slot.to_rfc3339());
    let jobs = fanout::jobs(p, cfg, &tags, &draw, shard).map_err(|e| {
        eprintln!("error: plan {}: {e}", p.name);
        Exit::BadInput
    })?;
    if let Some(note) = shard.and_then(|s| fanout::idle_shards(p, s.count)) {
        eprintln!("note: {note}");
    }
    let (runs_root, mirror) = plan_runs(p).await?;
    let execution = part
        .execution
        .clone()
        .unwrap_or_else(|| fanout::execution_id(&p.name, slot));
    let dir = runs_root.join(execution);
    notify(p, webhook_body("started", p, slot, shard, &jobs, None)).await;
    let batch = Batch {
        p,
        slot,
        index,
        abort,
        dir,
        mirror: mirror.clone(),
        model: Arc::new(DetectionModel::builtin()),
        pollers: Pollers::sharing(accounts.clone()),
        // The execution's time: every run's clock, and the simulated accounts', start
        // from it. In virtual time it starts at the moment itself.
        epoch: Arc::new(Clock::new(
            ClockMode::Real { speed: 1.0 },
            if p.virtual_time { slot } else { Utc::now() },
        )),
    };
    // Places first: a bad target or region stops the execution before anything runs.
    let places = batch.places(cfg, &jobs)?;
    let runs = batch.run(&jobs, &places).await;
    let leftovers = leftovers(p, &runs, &places);
    // Computed once from every call's log: for the summary and for calls.json.
    let stats = batch.pollers.call_stats();
    let done = Execution {
        dir: batch.dir,
        runs,
        calls: busiest(&stats),
        leftovers,
    };
    // The combined report of every run of the execution: with shards, written once, by
    // whichever finishes last.
    if done.dir.is_dir() {
        write_calls(&done.dir, &stats, shard);
        combine(&done.dir, shard, mirror.as_deref()).await;
    }
    notify(p, webhook_body("ended", p, slot, shard, &jobs, Some(&done))).await;
    Ok(done)
}

/// The runs of one execution of plan `p` at moment `slot`, and what they share: the
/// library, the stop signal, the execution folder, the detection model, one poller per
/// account and region, and the execution's clock.
struct Batch<'e> {
    p: &'e PlanSpec,
    slot: DateTime<Utc>,
    index: &'e BTreeMap<String, Checked>,
    abort: &'e Abort,
    dir: PathBuf,
    /// The plan's runs directory on S3, when it is there.
    mirror: Option<Arc<assembly::Mirror>>,
    model: Arc<DetectionModel>,
    pollers: Pollers,
    epoch: Arc<Clock>,
}

impl Batch<'_> {
    /// Where each job runs: the simulator, an AWS account, or a simulated account its
    /// runs share (one per target and region). A target `cfg` does not have is exit 2.
    fn places(&self, cfg: &Config, jobs: &[Job]) -> Result<Vec<Place>, Exit> {
        let p = self.p;
        let mut places = Vec::new();
        let mut shared: BTreeMap<(String, String), Arc<SharedAccount>> = BTreeMap::new();
        for job in jobs {
            let place = if job.target == "sim" {
                Place::Sim
            } else {
                let Some(t) = cfg.targets.iter().find(|t| t.name == job.target) else {
                    eprintln!("error: plan {}: no target `{}`", p.name, job.target);
                    return Err(Exit::BadInput);
                };
                if t.kind == TargetKind::Sim {
                    let moment = self.slot.to_rfc3339();
                    let account = shared
                        .entry((t.name.clone(), job.region.clone()))
                        .or_insert_with(|| {
                            let seed =
                                fanout::stable_hash(&[&p.name, &moment, &t.name, &job.region]);
                            Arc::new(SharedAccount::new(
                                t,
                                &job.region,
                                seed,
                                &self.model,
                                self.epoch.clone(),
                                &self.pollers,
                            ))
                        });
                    Place::Shared(account.clone())
                } else {
                    Place::Aws {
                        target: Box::new(t.clone()),
                        region: job.region.clone(),
                    }
                }
            };
            places.push(place);
        }
        Ok(places)
    }

    /// Runs every job in its place, `concurrency` at a time; a job not started before the
    /// execution was stopped, or whose scenario the library lacks, says so instead.
    async fn run(&self, jobs: &[Job], places: &[Place]) -> Vec<(Job, Result<Summary, String>)> {
        let p = self.p;
        let limit = Arc::new(tokio::sync::Semaphore::new(p.concurrency.max(1) as usize));
        let overrides = p.params.clone();
        let autopilot = (p.responders == Responders::Autopilot).then(|| AutopilotConfig {
            think_median: p.think_time,
            think_p95: gameday_engine::duration::Duration::from_millis(
                p.think_time.as_millis() * 10 / 3,
            ),
        });
        // Virtual time is tokio's paused clock (see `run_now`): every run's clock is real
        // time at speed 1 on it.
        let mode = ClockMode::Real { speed: 1.0 };
        let runs = jobs
            .iter()
            .zip(places)
            .enumerate()
            .map(|(i, (job, place))| {
                let limit = limit.clone();
                let overrides = &overrides;
                async move {
                    let _permit = limit.acquire().await;
                    if self.abort.reason().is_some() {
                        return (
                            job.clone(),
                            Err("not started: the execution was stopped".to_owned()),
                        );
                    }
                    let Some(checked) = self.index.get(&job.scenario) else {
                        return (job.clone(), Err(format!("no scenario `{}`", job.scenario)));
                    };
                    let run_id = assembly::new_run_id(i as u64 + 1);
                    let day = GameDay {
                        place,
                        checked,
                        overrides,
                        runs_dir: &self.dir,
                        run_id: &run_id,
                        seed: i as u64 + 1,
                        mode,
                        autopilot,
                        model: &self.model,
                        pollers: &self.pollers,
                        abort: self.abort,
                        epoch: Some(self.epoch.as_ref()),
                        mirror: self.mirror.as_ref(),
                    };
                    let result = day
                        .run(|_, _| assembly::Attach::default())
                        .await
                        .map(|(summary, _)| summary)
                        .map_err(|not_run| {
                            let code = not_run.say();
                            format!("did not run (exit {code}); see the messages above")
                        });
                    (job.clone(), result)
                }
            });
        futures_util::future::join_all(runs).await
    }
}

/// What the runs on simulated accounts left with their tag, by run id, each warned of: a
/// simulated account is the one place gameday can see everything, so each run's clean-up
/// is checked to have left nothing.
fn leftovers(
    p: &PlanSpec,
    runs: &[(Job, Result<Summary, String>)],
    places: &[Place],
) -> BTreeMap<String, Vec<String>> {
    let mut leftovers = BTreeMap::new();
    for ((job, r), place) in runs.iter().zip(places) {
        if let (Ok(s), Place::Shared(a)) = (r, place) {
            let left = a.tagged_resources(&s.run_id);
            if !left.is_empty() {
                eprintln!(
                    "warning: plan {}: run {} ({} in {}) left {}",
                    p.name,
                    s.run_id,
                    job.scenario,
                    job.target,
                    left.join(", ")
                );
                leftovers.insert(s.run_id.clone(), left);
            }
        }
    }
    leftovers
}

/// By account: the calls made, and the family nearest its limit, in words, for the
/// summary.
fn busiest(stats: &[CallStats]) -> Vec<(String, u64, String)> {
    stats
        .iter()
        .map(|(account, totals, families)| {
            let total = totals.calls;
            let busiest = families
                .iter()
                .max_by(|a, b| {
                    let share = |f: &gameday_engine::throttle::FamilyStats| {
                        f.rates.peak_per_minute as f64 / f.allowed_per_minute.max(1) as f64
                    };
                    share(a).total_cmp(&share(b))
                })
                .map(|f| {
                    format!(
                        "{}{} at {}/min (allowed {}), median {}/min",
                        f.family,
                        if f.region.is_empty() {
                            String::new()
                        } else {
                            format!(" in {}", f.region)
                        },
                        f.rates.peak_per_minute,
                        f.allowed_per_minute,
                        f.rates.median_per_minute
                    )
                })
                .unwrap_or_default();
            (account.clone(), total, busiest)
        })
        .collect()
}

/// The calls made in one account: all of them, and by family and region.
type CallStats = (
    String,
    gameday_engine::throttle::Rates,
    Vec<gameday_engine::throttle::FamilyStats>,
);

/// `calls.json` (`calls-I-of-N.json` for a shard) in the execution folder: the calls made
/// in each account, by API family and region, with their peaks beside the family's limit.
/// A failure is a warning.
fn write_calls(dir: &Path, stats: &[CallStats], shard: Option<Shard>) {
    let accounts: Vec<serde_json::Value> = stats
        .iter()
        .map(|(account, totals, families)| {
            serde_json::json!({ "account": account, "all": totals, "families": families })
        })
        .collect();
    let name = match shard {
        Some(s) => format!("calls-{}-of-{}.json", s.index, s.count),
        None => "calls.json".to_owned(),
    };
    let body = serde_json::json!({ "accounts": accounts });
    let text = serde_json::to_string_pretty(&body).unwrap_or_default();
    if let Err(e) = gameday_engine::file::replace(&dir.join(&name), text + "\n") {
        eprintln!("warning: {}: {e}", dir.join(name).display());
    }
}

fn print_execution(p: &PlanSpec, e: &Execution) {
    for (job, r) in &e.runs {
        match r {
            Ok(s) => println!(
                "  {:<28} {:<12} {:<12} {:<8} {:>5.1} {}",
                job.scenario,
                job.target,
                job.region,
                s.outcome.as_str(),
                s.score.total,
                s.score.grade
            ),
            Err(err) => println!(
                "  {:<28} {:<12} {:<12} not run: {err}",
                job.scenario, job.target, job.region
            ),
        }
    }
    println!(
        "plan {}: {} runs; reports in {}",
        p.name,
        e.runs.len(),
        e.dir.display()
    );
    for (account, calls, busiest) in &e.calls {
        println!("  calls in {account}: {calls}; busiest: {busiest}");
    }
}

fn exit_of(e: &Execution, aborted: bool) -> Exit {
    let worst = e
        .runs
        .iter()
        .map(|(_, r)| match r {
            Ok(s) => Exit::of(s.outcome),
            Err(_) => Exit::Aborted,
        })
        .max()
        .unwrap_or(Exit::Ok);
    if aborted || !e.leftovers.is_empty() {
        Exit::Aborted
    } else {
        worst
    }
}

/// How late `--if-due` may start a moment and still run it.
const GRACE: chrono::TimeDelta = chrono::TimeDelta::minutes(2);

async fn run_now(
    name: &str,
    shard: (Option<Shard>, Option<&str>),
    execution: Option<String>,
    if_due: bool,
    library: &Library,
    config: &ConfigArg,
) -> Exit {
    let (file, cfg) = match read_config(config.config.as_deref()) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let (p, s) = match plan(&cfg, &file, name) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let shard = match shard_of(p, shard) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let index = match library_index(&library.library) {
        Ok(i) => i,
        Err(code) => return code,
    };
    let now = Utc::now();
    let state = StateDir::new(&plan_local_runs(p));
    let (slot, _lock) = if if_due {
        let Some(slot) = s.last_at_or_before(now).filter(|t| now - *t <= GRACE) else {
            println!("plan {name}: nothing due");
            return Exit::Ok;
        };
        // The moment, once: whoever holds the plan's lock and finds it not yet run.
        let Some(lock) = state.lock(&p.name, shard) else {
            println!("plan {name}: another process is running it");
            return Exit::Ok;
        };
        if state.last(&p.name, shard).is_some_and(|l| l >= slot) {
            println!("plan {name}: the moment {slot} has run already");
            return Exit::Ok;
        }
        if let Err(e) = state.record(&p.name, shard, slot) {
            eprintln!("error: plan {name}: {e}");
            return Exit::Aborted;
        }
        // On S3, the claim is shared too: pods and array children start with an empty
        // local state, and each firing within the grace would otherwise run the moment.
        match claimed_on_s3(p, shard, slot).await {
            Ok(true) => {}
            Ok(false) => {
                println!("plan {name}: the moment {slot} has run already");
                return Exit::Ok;
            }
            Err(code) => return code,
        }
        (slot, Some(lock))
    } else {
        (fanout::minute(now), None)
    };
    let (handle, abort) = abort_signal();
    assembly::install_signal_handlers(Arc::new(handle), false);
    let (p, cfg, index) = (Arc::new(p.clone()), Arc::new(cfg), Arc::new(index));
    let accounts = Arc::default();
    if shard.is_some_and(|s| s.count > 1) && !if_due && execution.is_none() {
        eprintln!(
            "note: plan {name}: shards started by hand agree on their execution only within \
             the same minute; give each the same --execution ID"
        );
    }
    let part = Part { shard, execution };
    match execute_in_time(p.clone(), cfg, index, slot, part, abort.clone(), accounts).await {
        Ok(e) => {
            print_execution(&p, &e);
            exit_of(&e, abort.reason().is_some())
        }
        Err(code) => code,
    }
}

/// The shard `--shard I/N` names, or the one `--shard-from-env VAR` finds in the
/// environment for plan `p`'s `shards`.
fn shard_of(
    p: &PlanSpec,
    (shard, var): (Option<Shard>, Option<&str>),
) -> Result<Option<Shard>, Exit> {
    let Some(var) = var else {
        return Ok(shard);
    };
    let value = std::env::var(var).ok();
    Shard::from_env_index(var, value.as_deref(), p.shards).map_err(|e| {
        eprintln!("error: --shard-from-env: plan {}: {e}", p.name);
        Exit::BadInput
    })
}

/// Runs an execution in its plan's time. A plan in virtual time gets a runtime of its own,
/// on its own thread, whose clock is paused: it stands still while anything can run and
/// jumps to the next timer when everything waits. Real time is left to the caller's
/// runtime, so a daemon keeps its schedule while a virtual execution runs beside it.
/// Executions in real time draw on `accounts`' rate-limit buckets, which the daemon's
/// other executions share; a virtual one's accounts are simulated and its own.
async fn execute_in_time(
    p: Arc<PlanSpec>,
    cfg: Arc<Config>,
    index: Arc<BTreeMap<String, Checked>>,
    slot: DateTime<Utc>,
    part: Part,
    abort: Abort,
    accounts: Arc<Accounts>,
) -> Result<Execution, Exit> {
    if !p.virtual_time {
        return execute(&p, &cfg, &index, slot, &part, &abort, &accounts).await;
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    let spawned = std::thread::Builder::new()
        .name(format!("plan {}", p.name))
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .start_paused(true)
                .build();
            let result = match runtime {
                Ok(rt) => rt.block_on(execute(
                    &p,
                    &cfg,
                    &index,
                    slot,
                    &part,
                    &abort,
                    &Arc::default(),
                )),
                Err(e) => {
                    eprintln!("error: plan {}: cannot start its runtime: {e}", p.name);
                    Err(Exit::Aborted)
                }
            };
            let _ = tx.send(result);
        });
    if let Err(e) = spawned {
        eprintln!("error: cannot start a thread for a plan: {e}");
        return Err(Exit::Aborted);
    }
    // A dropped sender means the thread panicked; its message is on stderr.
    rx.await.unwrap_or(Err(Exit::Aborted))
}

/// A daemon's log line, as text or JSON.
struct Log(LogFormat);

impl Log {
    fn line(&self, plan: Option<&str>, message: &str) {
        match self.0 {
            LogFormat::Text => eprintln!(
                "{} {}{message}",
                Utc::now().format("%Y-%m-%dT%H:%M:%SZ"),
                plan.map(|p| format!("plan {p}: ")).unwrap_or_default()
            ),
            LogFormat::Json => eprintln!(
                "{}",
                crate::term::json(&serde_json::json!({
                    "time": Utc::now().to_rfc3339(),
                    "plan": plan,
                    "message": message,
                }))
            ),
        }
    }
}

/// `gameday schedule daemon`: runs the plans (all, or those in `names`) on their
/// schedules until stopped, logging as `log` says.
async fn daemon(names: &[String], library: &Library, config: &ConfigArg, log: LogFormat) -> Exit {
    let log = Log(log);
    let (file, cfg) = match read_config(config.config.as_deref()) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let index = match library_index(&library.library) {
        Ok(i) => Arc::new(i),
        Err(code) => return code,
    };
    let mut chosen = Vec::new();
    for p in &cfg.plans {
        if names.is_empty() || names.contains(&p.name) {
            chosen.push(p);
        }
    }
    for n in names {
        if let Err(code) = plan(&cfg, &file, n) {
            return code;
        }
    }
    let (handle, abort) = abort_signal();
    let handle = Arc::new(handle);
    // SIGTERM and Ctrl-C: no new game day starts; running ones end and clean up.
    assembly::install_signal_handlers(handle.clone(), true);
    let (cursors, first) = schedules(chosen, Utc::now(), &log);
    if cursors.is_empty() {
        log.line(None, "no plans to run");
        return Exit::Ok;
    }
    let daemon = Daemon {
        log,
        cfg: Arc::new(cfg.clone()),
        index,
        abort,
        // One set of rate-limit buckets per AWS account for every plan the daemon runs,
        // so that plans running at once on one account keep to its limits together.
        accounts: Arc::default(),
    };
    daemon.serve(cursors, first).await;
    daemon.log.line(None, "stopped");
    Exit::Ok
}

/// A plan the daemon runs, its schedule, and the last moment it has started (or the
/// daemon's start).
type Cursor<'c> = (&'c PlanSpec, Schedule, DateTime<Utc>);

/// The schedules of the `chosen` plans from `start`, each logged, and the moments they
/// missed while the daemon was down that they want run at once.
fn schedules<'c>(
    chosen: Vec<&'c PlanSpec>,
    start: DateTime<Utc>,
    log: &Log,
) -> (Vec<Cursor<'c>>, Vec<(&'c PlanSpec, DateTime<Utc>)>) {
    let mut cursors = Vec::new();
    let mut first = Vec::new();
    for p in chosen {
        let Ok(s) = Schedule::new(&p.schedule, &p.name) else {
            continue;
        };
        let state = StateDir::new(&plan_local_runs(p));
        let missed = s
            .last_at_or_before(start)
            .filter(|m| state.last(&p.name, None).is_some_and(|l| l < *m));
        match (missed, p.missed) {
            (Some(m), Missed::RunOnce) => {
                log.line(
                    Some(&p.name),
                    &format!("missed {m} while down: running it now"),
                );
                first.push((p, m));
            }
            (Some(m), Missed::Skip) => {
                log.line(Some(&p.name), &format!("missed {m} while down: skipped"))
            }
            (None, _) => {}
        }
        log.line(
            Some(&p.name),
            &format!(
                "scheduled: {}; next {}",
                s.describe(),
                s.next_after(start)
                    .map(|t| t.to_rfc3339())
                    .unwrap_or_else(|| "never".into())
            ),
        );
        cursors.push((p, s, start));
    }
    (cursors, first)
}

/// The daemon: its log, and what its executions share: the configuration, the library,
/// the stop signal, and the accounts' rate-limit buckets.
struct Daemon {
    log: Log,
    cfg: Arc<Config>,
    index: Arc<BTreeMap<String, Checked>>,
    abort: Abort,
    accounts: Arc<Accounts>,
}

impl Daemon {
    /// Starts the `first` moments, then each plan's moments as they come due, until the
    /// daemon is stopped or no plan has a moment left; then lets the running game days
    /// end and clean up.
    async fn serve(&self, mut cursors: Vec<Cursor<'_>>, first: Vec<(&PlanSpec, DateTime<Utc>)>) {
        let mut running = tokio::task::JoinSet::new();
        let local = tokio::task::LocalSet::new();
        local
            .run_until(async {
                for (p, m) in first {
                    self.spawn(&mut running, p, m);
                }
                loop {
                    if self.abort.reason().is_some() {
                        break;
                    }
                    let now = Utc::now();
                    for (p, s, cursor) in &mut cursors {
                        while let Some(due) = s.next_after(*cursor).filter(|t| *t <= now) {
                            self.spawn(&mut running, p, due);
                            *cursor = due;
                        }
                    }
                    let wake = cursors
                        .iter()
                        .filter_map(|(_, s, c)| s.next_after(*c))
                        .min();
                    let Some(wake) = wake else { break };
                    let wait = (wake - Utc::now()).to_std().unwrap_or_default();
                    let mut stop = self.abort.clone();
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = stop.wait() => {}
                        Some(_) = running.join_next(), if !running.is_empty() => {}
                    }
                }
                self.log
                    .line(None, "stopping: letting running game days clean up");
                while running.join_next().await.is_some() {}
            })
            .await;
    }

    /// Starts plan `p`'s moment `slot` on `running`, once: not when another daemon holds
    /// the plan, nor when the moment has run already.
    fn spawn(&self, running: &mut tokio::task::JoinSet<()>, p: &PlanSpec, slot: DateTime<Utc>) {
        let log = &self.log;
        let state = StateDir::new(&plan_local_runs(p));
        let Some(lock) = state.lock(&p.name, None) else {
            log.line(Some(&p.name), &format!("{slot}: another daemon runs it"));
            return;
        };
        if state.last(&p.name, None).is_some_and(|l| l >= slot) {
            log.line(Some(&p.name), &format!("{slot}: has run already"));
            return;
        }
        if let Err(e) = state.record(&p.name, None, slot) {
            log.line(
                Some(&p.name),
                &format!("{slot}: cannot record the moment: {e}"),
            );
            return;
        }
        log.line(Some(&p.name), &format!("{slot}: starting"));
        let (p, cfg, index, abort, accounts) = (
            Arc::new(p.clone()),
            self.cfg.clone(),
            self.index.clone(),
            self.abort.clone(),
            self.accounts.clone(),
        );
        let log = Log(log.0);
        running.spawn_local(async move {
            let _lock = lock;
            match execute_in_time(
                p.clone(),
                cfg,
                index,
                slot,
                Part::default(),
                abort.clone(),
                accounts,
            )
            .await
            {
                Ok(e) => log.line(
                    Some(&p.name),
                    &format!(
                        "{slot}: ended, exit {}; reports in {}",
                        exit_of(&e, abort.reason().is_some()),
                        e.dir.display()
                    ),
                ),
                Err(code) => log.line(Some(&p.name), &format!("{slot}: failed, exit {code}")),
            }
        });
    }
}
