//! The lifecycle of a run: `preflight → setup → attack → watch → cleanup → report`.
//!
//! One task drives a run. The watch phase is a single loop that polls each detection
//! and containment check when it is due, lets the responders (console or autopilot) act,
//! and sleeps on the run's clock until the next thing is due, so a virtual clock runs a
//! whole game day without waiting and a real one without busy-looping. Clean-up always
//! runs: on success, failure, deadline, a failed step, or an abort (Ctrl-C, SIGTERM).

use crate::autopilot::{Autopilot, AutopilotConfig, Command, Status, View};
use crate::checks;
use crate::clock::Clock;
use crate::detectors;
use crate::duration::Duration;
use crate::event::{Actor, Body, Completion, Event, Outcome, RunPhase, TimeSource};
use crate::injects::Injects;
use crate::journal::Journal;
use crate::library::Plan;
use crate::sandbox::{
    AlarmState, ErrorKind, RUN_TAG, SCENARIO_TAG, STARTED_TAG, Sandbox, SandboxError, Secret, Tags,
};
use crate::scenario::{Detect, Respond};
use crate::steps::{self, Applied, Args, StepContext};
use crate::team::{Order, Roster};
use crate::template::{self, Reference, Scope};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use tokio::sync::mpsc;

/// The outputs of the steps that ran, by step id: public values and secrets apart.
type StepOutputs = HashMap<String, (Map<String, Value>, Vec<(String, Secret)>)>;

/// How often each source is polled, in run time.
pub type PollIntervals = crate::config::Poll;

/// How to run.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// The seed of the run (the simulator's and the autopilot's draws).
    pub seed: u64,
    /// The autopilot responder, if any.
    pub autopilot: Option<AutopilotConfig>,
    /// Poll intervals.
    pub poll: PollIntervals,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            seed: 1,
            autopilot: None,
            poll: PollIntervals::default(),
        }
    }
}

pub use crate::abort::{Abort, AbortHandle, abort_signal};

/// What a finished run hands back; everything in it is also in the journal.
#[derive(Debug, Clone)]
pub struct Finished {
    /// How it ended.
    pub outcome: Outcome,
    /// Every event, as journaled.
    pub events: Vec<Event>,
}

/// Why a run could not be carried out at all.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The journal could not be written: nothing can be trusted without it.
    #[error("cannot write the journal: {0}")]
    Journal(#[from] std::io::Error),
}

/// Everything a run needs.
pub struct Run<'a> {
    plan: &'a Plan,
    sandbox: &'a dyn Sandbox,
    clock: &'a Clock,
    journal: &'a mut Journal,
    config: RunConfig,
    observer: Option<mpsc::UnboundedSender<Event>>,
    commands: Option<mpsc::UnboundedReceiver<Order>>,
    abort: Option<Abort>,
    /// Who has joined, and as what.
    team: Roster,
    /// The scenario's injects not sent yet.
    injects: Injects<'a>,
    events: Vec<Event>,
    tags: Tags,
    outputs: StepOutputs,
    t0: HashMap<String, DateTime<Utc>>,
    runbook_done: BTreeMap<String, Actor>,
    /// When the stop alarms are next looked at.
    next_stop_check: Duration,
}

struct DetectState<'p> {
    spec: &'p Detect,
    t0: DateTime<Utc>,
    next_poll: Duration,
    status: Status,
    detected_at: Option<DateTime<Utc>>,
}

struct ContainState<'p> {
    spec: &'p Respond,
    args: Option<Args>,
    next_poll: Duration,
    last_false: Option<DateTime<Utc>>,
    seen: Option<(DateTime<Utc>, TimeSource, DateTime<Utc>)>,
    status: Status,
}

struct Watch<'p> {
    detections: Vec<DetectState<'p>>,
    containments: Vec<ContainState<'p>>,
    done: BTreeMap<String, Actor>,
}

impl View for Watch<'_> {
    fn expectation(&self, id: &str) -> Option<Status> {
        self.detections
            .iter()
            .find(|d| d.spec.id == id)
            .map(|d| d.status)
            .or_else(|| {
                self.containments
                    .iter()
                    .find(|c| c.spec.id == id)
                    .map(|c| c.status)
            })
    }

    fn step_done(&self, step: &str) -> bool {
        self.done.contains_key(step)
    }

    fn is_detection(&self, id: &str) -> bool {
        self.detections.iter().any(|d| d.spec.id == id)
    }
}

/// Resolves `${steps…}` against the outputs so far, collecting the secrets a whole-step
/// reference carries.
struct RunScope<'a> {
    outputs: &'a StepOutputs,
    secrets: RefCell<Vec<(String, Secret)>>,
}

impl Scope for RunScope<'_> {
    fn lookup(&self, reference: &Reference) -> Result<Value, String> {
        match reference {
            Reference::Step { step, output } => {
                let (values, secrets) = self
                    .outputs
                    .get(step)
                    .ok_or_else(|| format!("step `{step}` has not run"))?;
                match output {
                    Some(o) => values
                        .get(o)
                        .cloned()
                        .ok_or_else(|| format!("step `{step}` has no output `{o}`")),
                    None => {
                        self.secrets.borrow_mut().extend(secrets.iter().cloned());
                        Ok(Value::Object(values.clone()))
                    }
                }
            }
            other => Err(format!("{other} should have been resolved before the run")),
        }
    }
}

fn ms_between(from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
    (to - from).num_milliseconds()
}

impl<'a> Run<'a> {
    /// A run of `plan` in `sandbox`, timed by `clock`, journaled to `journal`.
    pub fn new(
        plan: &'a Plan,
        sandbox: &'a dyn Sandbox,
        clock: &'a Clock,
        journal: &'a mut Journal,
        config: RunConfig,
    ) -> Self {
        // The target's own tags first: gameday's cannot be overridden.
        let mut tags = sandbox.policy().extra_tags();
        tags.extend([
            (RUN_TAG.to_owned(), plan.run_id.clone()),
            (SCENARIO_TAG.to_owned(), plan.scenario.id.clone()),
            (
                STARTED_TAG.to_owned(),
                clock
                    .start_utc()
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            ),
        ]);
        Run {
            plan,
            sandbox,
            clock,
            journal,
            config,
            observer: None,
            commands: None,
            abort: None,
            team: Roster::default(),
            injects: Injects::none(),
            events: Vec::new(),
            tags,
            outputs: HashMap::new(),
            t0: HashMap::new(),
            runbook_done: BTreeMap::new(),
            next_stop_check: Duration::ZERO,
        }
    }

    /// Sends every event to `tx` as well (progress display, console).
    pub fn observe(mut self, tx: mpsc::UnboundedSender<Event>) -> Self {
        self.observer = Some(tx);
        self
    }

    /// Takes responders' orders from `rx` (the consoles). The watch phase then lasts,
    /// for the rest of the runbook, until a [`Command::End`] or until the sender is dropped.
    pub fn commands(mut self, rx: mpsc::UnboundedReceiver<Order>) -> Self {
        self.commands = Some(rx);
        self
    }

    /// Ends early when `abort` fires.
    pub fn abort_on(mut self, abort: Abort) -> Self {
        self.abort = Some(abort);
        self
    }

    fn emit(&mut self, body: Body) -> Result<(), RunError> {
        let t = self.clock.elapsed();
        let event = Event {
            seq: self.events.len() as u64,
            at: self.clock.utc_at(t),
            t_ms: t.as_millis(),
            body,
        };
        self.journal.append(&event)?;
        if let Some(tx) = &self.observer {
            // A display that went away does not stop the run.
            let _ = tx.send(event.clone());
        }
        self.events.push(event);
        Ok(())
    }

    fn aborted(&self) -> Option<String> {
        self.abort.as_ref().and_then(Abort::reason)
    }

    /// `interval`, spread by the sandbox's jitter so that concurrent runs do not poll in
    /// step: deterministic, from the run id, the poll's index and the time.
    fn jitter(&self, interval: Duration, i: usize) -> Duration {
        let spread = self.sandbox.policy().poll_jitter();
        if spread <= 0.0 {
            return interval;
        }
        let mut x = self.clock.elapsed().as_millis() ^ (i as u64).wrapping_mul(0x9e37_79b9);
        for b in self.plan.run_id.bytes() {
            x = (x ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        // A fraction in [-1, 1).
        let u = (x >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0;
        let ms = interval.as_millis() as f64 * (1.0 + spread * u);
        Duration::from_millis(ms.max(1.0) as u64)
    }

    /// Why the run must stop: an abort, or a stop alarm in ALARM (looked at every
    /// CloudWatch poll interval; a failed look is not a reason).
    async fn stop_reason(&mut self) -> Option<String> {
        if let Some(reason) = self.aborted() {
            return Some(reason);
        }
        let names = self.sandbox.policy().stop_alarms();
        let now = self.clock.elapsed();
        if names.is_empty() || now < self.next_stop_check {
            return None;
        }
        self.next_stop_check = now.saturating_add(self.config.poll.cloudwatch);
        let alarms = self
            .sandbox
            .cloudwatch()
            .describe_alarms(names)
            .await
            .ok()?;
        alarms
            .into_iter()
            .find(|a| a.state == AlarmState::Alarm)
            .map(|a| format!("stop alarm `{}` went into ALARM", a.name))
    }

    /// The rule patterns of the scenario's eventbridge detections (JSON), as far as they
    /// are known before the run makes anything (see [`crate::pattern::for_rule`]).
    fn rule_patterns(&self) -> Vec<String> {
        self.plan
            .scenario
            .detect
            .iter()
            .filter(|d| d.source.as_str() == "eventbridge")
            .filter_map(|d| crate::pattern::for_rule(d.with.get("pattern")?))
            .map(|p| p.to_string())
            .collect()
    }

    /// Runs the whole lifecycle. Errors only when the journal cannot be written; every
    /// other failure is an outcome.
    pub async fn execute(mut self) -> Result<Finished, RunError> {
        let plan = self.plan;
        self.emit(Body::RunStarted {
            run_id: plan.run_id.clone(),
            version: crate::VERSION.to_owned(),
            target: self.sandbox.target(),
            seed: self.config.seed,
            clock: self.clock.mode().into(),
            autopilot: self.config.autopilot.is_some(),
            plan: Box::new(plan.clone()),
            host: Some(crate::live::this_host()),
        })?;
        self.emit(Body::PhaseStarted {
            phase: RunPhase::Preflight,
        })?;
        let mut stop: Option<String> = None;
        for (phase, steps) in [
            (RunPhase::Setup, &plan.scenario.setup),
            (RunPhase::Attack, &plan.scenario.attack),
        ] {
            if stop.is_some() {
                break;
            }
            self.emit(Body::PhaseStarted { phase })?;
            // Pushed detections first, so none is missed: a failure is journaled, and the
            // polls still watch.
            // An eventbridge detection needs its rule whether or not the target pushes.
            let patterns = self.rule_patterns();
            let findings = self.sandbox.push().is_some_and(|p| p.enabled());
            if phase == RunPhase::Setup
                && self.sandbox.push().is_some()
                && (findings || !patterns.is_empty())
            {
                let mut with = Map::new();
                with.insert("patterns".into(), patterns.into());
                with.insert("findings".into(), findings.into());
                let _ = self
                    .run_step(phase, "push-delivery", "events.watch", &with)
                    .await?;
            }
            for step in steps {
                if let Some(reason) = self.stop_reason().await {
                    stop = Some(reason);
                    break;
                }
                if let Err(e) = self
                    .run_step(phase, &step.id, &step.action, &step.with)
                    .await?
                {
                    // A step cut short by the signal stopped for the signal's reason.
                    stop = Some(self.aborted().unwrap_or_else(|| {
                        format!(
                            "{} step `{}` failed: {e}",
                            crate::words::phase(phase),
                            step.id
                        )
                    }));
                    break;
                }
                if phase == RunPhase::Attack {
                    // T0 is when the step returned: the instant its `step_completed` line
                    // carries, not after that line's fsync.
                    let returned = match self.events.last() {
                        Some(e) if matches!(&e.body, Body::StepCompleted { step: s, .. } if s == &step.id) => {
                            e.at
                        }
                        _ => self.clock.now(),
                    };
                    self.t0.insert(step.id.clone(), returned);
                }
            }
        }
        let mut ended_by_facilitator = false;
        if stop.is_none() {
            self.emit(Body::PhaseStarted {
                phase: RunPhase::Watch,
            })?;
            match self.watch().await? {
                WatchEnd::Complete => {}
                WatchEnd::Ended => ended_by_facilitator = true,
                WatchEnd::Aborted(reason) => stop = Some(reason),
            }
        }
        self.emit(Body::PhaseStarted {
            phase: RunPhase::Cleanup,
        })?;
        let tally = self.cleanup().await?;
        self.emit(Body::PhaseStarted {
            phase: RunPhase::Report,
        })?;
        if let Some(truth) = self.sandbox.ground_truth() {
            self.emit(Body::SimTruth { detections: truth })?;
        }
        let summary = crate::score::Summary::from_events(&self.events);
        let (outcome, reason) = match (&stop, tally.complete()) {
            (Some(reason), _) => (Outcome::Aborted, reason.clone()),
            (None, false) => (Outcome::Aborted, incomplete(&tally)),
            (None, _) if summary.all_met() => (Outcome::Passed, "every expectation met".to_owned()),
            (None, _) => (
                Outcome::Failed,
                format!(
                    "{} expectation(s) missed{}",
                    summary.missed_count(),
                    if ended_by_facilitator {
                        " (ended by the facilitator)"
                    } else {
                        ""
                    }
                ),
            ),
        };
        self.emit(Body::RunEnded { outcome, reason })?;
        Ok(Finished {
            outcome,
            events: self.events,
        })
    }

    /// Evaluates references, runs one step kind, journals intent, changes and result.
    /// The outer error is the journal's; the inner one the step's.
    async fn run_step(
        &mut self,
        phase: RunPhase,
        id: &str,
        action: &str,
        with: &Map<String, Value>,
    ) -> Result<Result<Applied, String>, RunError> {
        let Some(kind) = steps::find(action) else {
            let error = format!("unknown step kind `{action}`");
            self.emit(Body::StepFailed {
                step: id.to_owned(),
                error: error.clone(),
            })?;
            return Ok(Err(error));
        };
        let scope = RunScope {
            outputs: &self.outputs,
            secrets: RefCell::new(Vec::new()),
        };
        let evaluated = template::evaluate(&Value::Object(with.clone()), &scope);
        let secrets = scope.secrets.into_inner();
        let values = match evaluated {
            Ok(Value::Object(m)) => m,
            Ok(_) => Map::new(),
            Err(error) => {
                self.emit(Body::StepFailed {
                    step: id.to_owned(),
                    error: error.clone(),
                })?;
                return Ok(Err(error));
            }
        };
        self.emit(Body::StepStarted {
            phase,
            step: id.to_owned(),
            action: action.to_owned(),
            with: values.clone(),
        })?;
        let args = Args::new(kind.spec().name, values, secrets);
        let cx = StepContext {
            sandbox: self.sandbox,
            clock: self.clock,
            tags: &self.tags,
            run_id: &self.plan.run_id,
            prefix: &self.plan.prefix,
            abort: self.abort.as_ref(),
        };
        let result = match crate::preflight::not_there(&cx, kind, &args).await {
            Ok(()) => kind.apply(&cx, &args).await,
            Err(e) => Err(e),
        };
        match result {
            Ok(applied) => {
                for (_, s) in &applied.secrets {
                    self.journal.add_secret(s.expose());
                }
                for u in &applied.undo {
                    self.emit(Body::ResourceCreated {
                        step: id.to_owned(),
                        undo: u.clone(),
                    })?;
                }
                self.outputs.insert(
                    id.to_owned(),
                    (applied.outputs.clone(), applied.secrets.clone()),
                );
                self.emit(Body::StepCompleted {
                    step: id.to_owned(),
                    outputs: applied.outputs.clone(),
                })?;
                Ok(Ok(applied))
            }
            Err(e) => {
                let error = e.to_string();
                self.emit(Body::StepFailed {
                    step: id.to_owned(),
                    error: error.clone(),
                })?;
                Ok(Err(error))
            }
        }
    }

    /// Cleans up (see [`crate::cleanup`]): reverts every change, last first, each once its
    /// guard holds; sweeps what the run tagged and did not journal; looks again. Returns
    /// whether clean-up is complete.
    async fn cleanup(&mut self) -> Result<crate::cleanup::Tally, RunError> {
        let owed = crate::cleanup::owed(&self.events, &self.plan.run_id, &self.plan.prefix);
        let (sandbox, clock, plan) = (self.sandbox, self.clock, self.plan);
        let tags = self.tags.clone();
        let cx = StepContext {
            sandbox,
            clock,
            tags: &tags,
            run_id: &plan.run_id,
            prefix: &plan.prefix,
            abort: None,
        };
        crate::cleanup::clean_up(&cx, &owed, |body| self.emit(body)).await
    }

    fn resolve_check_args(&self, r: &Respond) -> Result<Args, String> {
        let check = checks::find(&r.check).ok_or_else(|| format!("unknown check `{}`", r.check))?;
        let scope = RunScope {
            outputs: &self.outputs,
            secrets: RefCell::new(Vec::new()),
        };
        match template::evaluate(&Value::Object(r.with.clone()), &scope)? {
            Value::Object(m) => Ok(Args::new(check.spec().name, m, Vec::new())),
            _ => Err("inputs must be a mapping".to_owned()),
        }
    }

    /// A detection's `match` and `with`, their references to step outputs resolved.
    fn resolve_match(&self, d: &Detect) -> Result<Resolved, String> {
        let scope = RunScope {
            outputs: &self.outputs,
            secrets: RefCell::new(Vec::new()),
        };
        let matches = d
            .matches
            .iter()
            .map(|(k, v)| {
                let value = template::evaluate(&Value::String(v.clone()), &scope)?;
                Ok((
                    k.clone(),
                    value
                        .as_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|| value.to_string()),
                ))
            })
            .collect::<Result<_, String>>()?;
        let with = match template::evaluate(&Value::Object(d.with.clone()), &scope)? {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        Ok((matches, with))
    }

    /// The watch phase: polls each expectation when due, lets the responders act, and
    /// sleeps until the next thing is due; until every expectation is decided and the
    /// autopilot has nothing left to do (with no console attached), the facilitator ends
    /// the exercise, or the run aborts.
    async fn watch(&mut self) -> Result<WatchEnd, RunError> {
        let plan = self.plan;
        let mut w = self.start_watch()?;
        let matches: Vec<_> = plan
            .scenario
            .detect
            .iter()
            .map(|d| self.resolve_match(d))
            .collect();
        let mut autopilot = match (&self.config.autopilot, &plan.runbook) {
            (Some(cfg), Some(rb)) => Some(Autopilot::new(rb, *cfg, self.config.seed)),
            _ => None,
        };
        let mut commands = self.commands.take();
        let mut abort = self.abort.clone();
        self.injects = Injects::new(&plan.scenario.injects, self.clock.elapsed());
        let end = loop {
            // An abort wins over whatever the loop awaits: a stop alarm's check or a poll
            // waiting on the account's rate limits or the SDK's retries. Those only read,
            // so one cut short changes nothing.
            let stop = or_abort(&mut abort, self.stop_reason()).await.flatten();
            if let Some(reason) = stop.or_else(|| self.aborted()) {
                break WatchEnd::Aborted(reason);
            }
            let now = self.clock.elapsed();
            let now_utc = self.clock.utc_at(now);
            let polled = or_abort(&mut abort, async {
                self.poll_detections(&mut w, &matches, now).await?;
                self.poll_containments(&mut w, now, now_utc).await
            })
            .await;
            match polled {
                Some(result) => result?,
                None => continue,
            }
            if self
                .respond(&mut w, commands.as_mut(), autopilot.as_mut(), now)
                .await?
            {
                self.resolve_all_pending(&mut w, "the facilitator ended the exercise")?;
                break WatchEnd::Ended;
            }
            self.send_injects(&w, now)?;
            let expectations_done = w.detections.iter().all(|d| d.status != Status::Pending)
                && w.containments.iter().all(|c| c.status != Status::Pending);
            let autopilot_done = autopilot
                .as_ref()
                .is_none_or(|a| a.finished() || a.next_due().is_none());
            // With a console attached the exercise goes on, for the rest of the runbook,
            // until the facilitator ends it or the console goes away.
            let console = commands.is_some();
            if expectations_done && autopilot_done && !console {
                break WatchEnd::Complete;
            }
            let next = self.next_wake(&w, autopilot.as_ref());
            if next.is_none() && !console {
                break WatchEnd::Complete;
            }
            match self.sleep(next, now, &mut commands, &mut abort).await {
                Wake::Due => {}
                // The console went away: go on without it.
                Wake::Command(None) => commands = None,
                Wake::Command(Some(order)) => {
                    if self.handle(&mut w, Actor::Responder, order).await? {
                        self.resolve_all_pending(&mut w, "the facilitator ended the exercise")?;
                        break WatchEnd::Ended;
                    }
                }
            }
        };
        if let WatchEnd::Aborted(reason) = &end {
            self.resolve_all_pending(&mut w, &format!("the run was aborted: {reason}"))?;
        }
        self.runbook_done = w.done;
        Ok(end)
    }

    /// What the watch starts from: every expectation pending and due at once, each
    /// detection timed from its trigger (or the end of the attack), and each containment
    /// check with its inputs resolved; a check whose inputs do not resolve is missed at
    /// once.
    fn start_watch(&mut self) -> Result<Watch<'a>, RunError> {
        let scenario = &self.plan.scenario;
        let now = self.clock.elapsed();
        let attack_end = self.clock.now();
        let mut detections = Vec::new();
        for d in &scenario.detect {
            let t0 = scenario
                .trigger_of(d)
                .and_then(|t| self.t0.get(t).copied())
                .unwrap_or(attack_end);
            detections.push(DetectState {
                spec: d,
                t0,
                next_poll: now,
                status: Status::Pending,
                detected_at: None,
            });
        }
        let mut containments = Vec::new();
        for r in &scenario.respond {
            let args = self.resolve_check_args(r);
            containments.push(ContainState {
                spec: r,
                next_poll: now,
                last_false: None,
                seen: None,
                status: Status::Pending,
                args: args.as_ref().ok().cloned(),
            });
            if let Err(e) = args {
                self.emit(Body::ContainmentMissed {
                    id: r.id.clone(),
                    reason: e,
                })?;
                if let Some(c) = containments.last_mut() {
                    c.status = Status::Missed;
                }
            }
        }
        Ok(Watch {
            detections,
            containments,
            done: self.runbook_done.clone(),
        })
    }

    /// Responders: the console's commands waiting, then the autopilot's due at `now`, each
    /// carried out. Returns true when one of them ends the exercise.
    async fn respond(
        &mut self,
        w: &mut Watch<'_>,
        commands: Option<&mut mpsc::UnboundedReceiver<Order>>,
        autopilot: Option<&mut Autopilot>,
        now: Duration,
    ) -> Result<bool, RunError> {
        let mut pending: Vec<(Actor, Order)> = Vec::new();
        if let Some(rx) = commands {
            while let Ok(order) = rx.try_recv() {
                pending.push((Actor::Responder, order));
            }
        }
        if let Some(ap) = autopilot {
            pending.extend(
                ap.poll(now, w)
                    .into_iter()
                    .map(|c| (Actor::Autopilot, Order::from(c))),
            );
        }
        let mut ended = false;
        for (by, c) in pending {
            ended |= self.handle(w, by, c).await?;
        }
        Ok(ended)
    }

    /// Sleeps until `next` (never before `now`; with nothing due, until woken), waking
    /// early for a responder's command or an abort.
    async fn sleep(
        &self,
        next: Option<Duration>,
        now: Duration,
        commands: &mut Option<mpsc::UnboundedReceiver<Order>>,
        abort: &mut Option<Abort>,
    ) -> Wake {
        let sleep = async {
            match next {
                Some(next) => self.clock.sleep_until(next.max(now)).await,
                None => std::future::pending().await,
            }
        };
        let command = async {
            match commands.as_mut() {
                Some(rx) => rx.recv().await,
                None => std::future::pending().await,
            }
        };
        let aborted = async {
            match abort.as_mut() {
                Some(a) => a.wait().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = sleep => Wake::Due,
            c = command => Wake::Command(c),
            _ = aborted => Wake::Due,
        }
    }

    fn next_wake(&self, w: &Watch<'_>, autopilot: Option<&Autopilot>) -> Option<Duration> {
        let detections = w
            .detections
            .iter()
            .filter(|d| d.status == Status::Pending)
            .map(|d| d.next_poll);
        let containments = w
            .containments
            .iter()
            .filter(|c| c.status == Status::Pending && c.seen.is_none())
            .map(|c| c.next_poll);
        let stop_check =
            (!self.sandbox.policy().stop_alarms().is_empty()).then_some(self.next_stop_check);
        detections
            .chain(containments)
            .chain(autopilot.and_then(Autopilot::next_due))
            .chain(stop_check)
            .chain(self.injects.next())
            .min()
    }

    /// Sends the scenario's injects due at run time `now`.
    fn send_injects(&mut self, w: &Watch<'_>, now: Duration) -> Result<(), RunError> {
        for spec in self.injects.due(now, |id| w.expectation(id)) {
            self.emit(Body::InjectSent {
                id: spec.id.clone(),
                text: spec.message.clone(),
                to: spec.to,
                answer: spec.answer,
                who: None,
            })?;
        }
        Ok(())
    }

    fn resolve_all_pending(&mut self, w: &mut Watch<'_>, reason: &str) -> Result<(), RunError> {
        for d in w
            .detections
            .iter_mut()
            .filter(|d| d.status == Status::Pending)
        {
            d.status = Status::Missed;
            self.emit(Body::DetectionMissed {
                id: d.spec.id.clone(),
                source: d.spec.source.clone(),
                t0: Some(d.t0),
                reason: reason.to_owned(),
            })?;
        }
        for c in w
            .containments
            .iter_mut()
            .filter(|c| c.status == Status::Pending)
        {
            c.status = Status::Missed;
            self.emit(Body::ContainmentMissed {
                id: c.spec.id.clone(),
                reason: reason.to_owned(),
            })?;
        }
        Ok(())
    }

    /// Looks for detection `d` once: with `match`/`with` resolved as `resolved`, the hop
    /// before it met at `after_at` or missed (`before_missed`).
    async fn look(
        &self,
        d: &DetectState<'_>,
        resolved: &Result<Resolved, String>,
        start: DateTime<Utc>,
        after_at: Option<DateTime<Utc>>,
        before_missed: bool,
    ) -> Result<Option<detectors::Hit>, SandboxError> {
        // A hop is looked for once the hop before it is met, and is missed with it.
        let before = d.spec.after.as_deref().unwrap_or_default();
        match resolved {
            _ if before_missed => Err(SandboxError::new(
                ErrorKind::InvalidInput,
                "after",
                format!("the hop before it, `{before}`, was missed"),
            )),
            _ if d.spec.after.is_some() && after_at.is_none() => Ok(None),
            Err(e) => Err(SandboxError::new(
                ErrorKind::InvalidInput,
                "match",
                e.clone(),
            )),
            Ok((m, with)) => match detectors::find(d.spec.source.as_str()) {
                Some(detector) => {
                    let look = detectors::Look {
                        sandbox: self.sandbox,
                        detect: d.spec,
                        matches: m,
                        with,
                        t0: d.t0,
                        run_start: start,
                        run_id: &self.plan.run_id,
                        after_at,
                    };
                    detector.find(&look).await
                }
                None => Err(SandboxError::new(
                    ErrorKind::Unsupported,
                    "detect",
                    format!("no detection source `{}`", d.spec.source),
                )),
            },
        }
    }

    async fn poll_detections(
        &mut self,
        w: &mut Watch<'_>,
        matches: &[Result<Resolved, String>],
        now: Duration,
    ) -> Result<(), RunError> {
        let start = self.clock.start_utc();
        // The hops met so far, for the detections after them on their alert path.
        let met: BTreeMap<String, DateTime<Utc>> = w
            .detections
            .iter()
            .filter_map(|d| Some((d.spec.id.clone(), d.detected_at?)))
            .collect();
        let missed: BTreeSet<String> = w
            .detections
            .iter()
            .filter(|d| d.status == Status::Missed)
            .map(|d| d.spec.id.clone())
            .collect();
        for (i, d) in w.detections.iter_mut().enumerate() {
            if d.status != Status::Pending || d.next_poll > now {
                continue;
            }
            let hard_deadline =
                d.t0 + chrono::Duration::milliseconds(2 * d.spec.within.as_millis() as i64);
            let after_at = d.spec.after.as_ref().and_then(|a| met.get(a)).copied();
            let before_missed = d.spec.after.as_ref().is_some_and(|a| missed.contains(a));
            let found = self
                .look(d, &matches[i], start, after_at, before_missed)
                .await;
            let now_utc = self.clock.now();
            match found {
                Ok(Some(hit)) if hit.at <= hard_deadline => {
                    d.status = Status::Met;
                    d.detected_at = Some(hit.at);
                    self.emit(Body::DetectionMet {
                        id: d.spec.id.clone(),
                        source: d.spec.source.clone(),
                        name: detectors::find(d.spec.source.as_str())
                            .map(|x| x.name(d.spec))
                            .unwrap_or_default(),
                        t0: d.t0,
                        detected_at: hit.at,
                        observed_at: now_utc,
                        ttd_ms: ms_between(d.t0, hit.at),
                        evidence: hit.evidence,
                        title: hit.title,
                        sample: d.spec.sample,
                    })?;
                    self.verify_steps(&mut w.done, &d.spec.id)?;
                }
                Err(e)
                    if matches!(
                        e.kind,
                        ErrorKind::Unsupported | ErrorKind::InvalidInput | ErrorKind::AccessDenied
                    ) =>
                {
                    d.status = Status::Missed;
                    self.emit(Body::DetectionMissed {
                        id: d.spec.id.clone(),
                        source: d.spec.source.clone(),
                        t0: Some(d.t0),
                        reason: e.to_string(),
                    })?;
                }
                _ if now_utc >= hard_deadline => {
                    d.status = Status::Missed;
                    self.emit(Body::DetectionMissed {
                        id: d.spec.id.clone(),
                        source: d.spec.source.clone(),
                        t0: Some(d.t0),
                        reason: format!(
                            "nothing by twice the deadline ({})",
                            Duration::from_millis(2 * d.spec.within.as_millis())
                        ),
                    })?;
                }
                // Not yet (or a transient error): poll again, but not past the hard deadline.
                _ => {
                    let interval = detectors::find(d.spec.source.as_str())
                        .map_or(self.config.poll.guardduty, |x| {
                            x.interval(&self.config.poll)
                        });
                    let interval = self.jitter(interval, i);
                    let deadline_t = self.clock.since_start(hard_deadline);
                    d.next_poll = now
                        .saturating_add(interval)
                        .min(deadline_t.max(now.saturating_add(Duration::from_millis(1))));
                }
            }
        }
        Ok(())
    }

    async fn poll_containments(
        &mut self,
        w: &mut Watch<'_>,
        now: Duration,
        now_utc: DateTime<Utc>,
    ) -> Result<(), RunError> {
        // The detection each containment is timed from.
        let first_detection = w.detections.iter().filter_map(|d| d.detected_at).min();
        let all_detections_missed =
            !w.detections.is_empty() && w.detections.iter().all(|d| d.status == Status::Missed);
        for i in 0..w.containments.len() {
            let c = &w.containments[i];
            if c.status != Status::Pending {
                continue;
            }
            let reference = match &c.spec.after {
                Some(id) => w
                    .detections
                    .iter()
                    .find(|d| &d.spec.id == id)
                    .and_then(|d| match d.status {
                        Status::Met => d.detected_at.map(Ok),
                        Status::Missed => Some(Err(format!("its detection `{id}` was missed"))),
                        Status::Pending => None,
                    }),
                None => first_detection.map(Ok).or_else(|| {
                    all_detections_missed.then(|| Err("every detection was missed".to_owned()))
                }),
            };
            // Poll for the condition until it is first seen to hold, within the account's
            // budget of probes (shared by every run there): over it, try again shortly.
            let due = c.seen.is_none() && c.next_poll <= now;
            if due && !self.sandbox.policy().try_probe() {
                let retry = Duration::from_millis(self.config.poll.containment.as_millis() / 5);
                w.containments[i].next_poll = now.saturating_add(self.jitter(retry, i));
            } else if due {
                let check = checks::find(&c.spec.check);
                let value = match (check, &c.args) {
                    (Some(check), Some(args)) => check.probe(self.sandbox, args).await,
                    _ => Err(SandboxError::new(
                        ErrorKind::InvalidInput,
                        &c.spec.check,
                        "unknown check",
                    )),
                };
                let c = &mut w.containments[i];
                match value {
                    Ok(v) if v == c.spec.expect => {
                        let check = checks::find(&c.spec.check);
                        let from = c.last_false.unwrap_or(self.clock.start_utc());
                        let audited = match check {
                            Some(check) => {
                                let spec = check.spec();
                                audit_time(self.sandbox, spec, c.args.as_ref(), from, now_utc).await
                            }
                            None => None,
                        };
                        c.seen = Some(match audited {
                            Some(at) => (at, TimeSource::Audit, now_utc),
                            None => (now_utc, TimeSource::Poll, now_utc),
                        });
                    }
                    Ok(_) => {
                        c.last_false = Some(now_utc);
                        c.next_poll =
                            now.saturating_add(self.jitter(self.config.poll.containment, i));
                    }
                    Err(_) => {
                        c.next_poll =
                            now.saturating_add(self.jitter(self.config.poll.containment, i))
                    }
                }
            }
            let c = &mut w.containments[i];
            match reference {
                Some(Err(reason)) if c.seen.is_none() => {
                    c.status = Status::Missed;
                    self.emit(Body::ContainmentMissed {
                        id: c.spec.id.clone(),
                        reason,
                    })?;
                }
                Some(Err(_)) | None => {}
                Some(Ok(reference)) => {
                    let within = chrono::Duration::milliseconds(c.spec.within.as_millis() as i64);
                    if let Some((contained_at, time_source, first_seen_true)) = c.seen {
                        c.status = Status::Met;
                        self.emit(Body::ContainmentMet {
                            id: c.spec.id.clone(),
                            reference_at: reference,
                            contained_at,
                            time_source,
                            last_seen_false: c.last_false,
                            first_seen_true,
                            // Held before the detection it is timed from (responders
                            // may act first): contained at once, not in negative time.
                            ttc_ms: ms_between(reference, contained_at).max(0),
                        })?;
                        let id = c.spec.id.clone();
                        self.verify_steps(&mut w.done, &id)?;
                    } else if now_utc >= reference + within * 2 {
                        c.status = Status::Missed;
                        self.emit(Body::ContainmentMissed {
                            id: c.spec.id.clone(),
                            reason: format!(
                                "not contained by twice the deadline ({})",
                                Duration::from_millis(2 * c.spec.within.as_millis())
                            ),
                        })?;
                    } else {
                        let deadline_t = self.clock.since_start(reference + within * 2);
                        c.next_poll = c
                            .next_poll
                            .min(deadline_t.max(now.saturating_add(Duration::from_millis(1))));
                    }
                }
            }
        }
        Ok(())
    }

    /// Ticks every runbook step that verifies `id`.
    fn verify_steps(
        &mut self,
        done: &mut BTreeMap<String, Actor>,
        id: &str,
    ) -> Result<(), RunError> {
        let Some(rb) = &self.plan.runbook else {
            return Ok(());
        };
        let ids: Vec<String> = rb
            .steps()
            .filter(|(_, s, _)| s.verify.as_deref() == Some(id) && !done.contains_key(&s.id))
            .map(|(_, s, _)| s.id.clone())
            .collect();
        for step in ids {
            self.mark_done(
                done,
                step,
                Actor::Engine,
                None,
                Completion::Verified(id.to_owned()),
            )?;
        }
        Ok(())
    }

    /// Runbook step `step` is done, by `by` (`who`) and `how`: journaled once, the first
    /// time only.
    fn mark_done(
        &mut self,
        done: &mut BTreeMap<String, Actor>,
        step: String,
        by: Actor,
        who: Option<String>,
        how: Completion,
    ) -> Result<(), RunError> {
        if done.contains_key(&step) {
            return Ok(());
        }
        done.insert(step.clone(), by);
        self.emit(Body::RunbookStepDone { step, by, who, how })
    }

    /// Carries out an order of a responder (or of the autopilot). Returns true when the
    /// exercise should end. An order from someone who has not joined, or that their role
    /// does not allow, is not carried out (their console already said why).
    async fn handle(
        &mut self,
        w: &mut Watch<'_>,
        by: Actor,
        order: Order,
    ) -> Result<bool, RunError> {
        let Order { who, command } = order;
        if let Some(name) = &who
            && !self.team.allows(name, &command)
        {
            return Ok(false);
        }
        match command {
            Command::End => return Ok(true),
            Command::Note { text, answers } => self.emit(Body::NoteAdded {
                text,
                by,
                who,
                answers,
            })?,
            Command::Acknowledge { detection } => self.emit(Body::DetectionAcknowledged {
                id: detection,
                by,
                who,
            })?,
            Command::Hint { step } => self.emit(Body::HintTaken { step, by, who })?,
            Command::TickStep { step } => {
                self.mark_done(&mut w.done, step, by, who, Completion::Ticked)?
            }
            Command::RunAction { step } => self.run_action(w, by, who, step).await?,
            Command::Inject { text, to, answer } => {
                let id = self.injects.live_id();
                self.emit(Body::InjectSent {
                    id,
                    text,
                    to,
                    answer,
                    who,
                })?;
            }
            Command::Joined { name, role, via } => {
                self.team.join(&name, role);
                self.emit(Body::ParticipantJoined { name, role, via })?;
            }
            Command::Left { name, reason } => {
                self.team.leave(&name);
                self.emit(Body::ParticipantLeft { name, reason })?;
            }
            Command::Refused { from, reason } => self.emit(Body::JoinRefused { from, reason })?,
        }
        Ok(false)
    }

    /// Runs the action of runbook step `step`, minding the steps that guard against it.
    async fn run_action(
        &mut self,
        w: &mut Watch<'_>,
        by: Actor,
        who: Option<String>,
        step: String,
    ) -> Result<(), RunError> {
        let plan = self.plan;
        let Some(rs) = plan.runbook.as_ref().and_then(|rb| rb.step(&step)) else {
            return Ok(());
        };
        let Some(action) = rs.action.clone() else {
            return Ok(());
        };
        // Guards: this action must not come before the steps that forbid it.
        if let Some(rb) = &plan.runbook {
            for (_, s, _) in rb.steps() {
                if w.done.contains_key(&s.id) {
                    continue;
                }
                for g in s.must_not.iter().filter(|g| g.action == action) {
                    self.emit(Body::MustNotBroken {
                        step: s.id.clone(),
                        action: action.clone(),
                        reason: g.reason.clone(),
                    })?;
                }
            }
        }
        let mark = self.events.len();
        let result = self
            .run_step(
                RunPhase::Watch,
                &format!("runbook.{step}"),
                &action,
                &rs.with,
            )
            .await?;
        // The inputs as evaluated; none when the step failed before it started.
        let values = self.events[mark..]
            .iter()
            .find_map(|e| match &e.body {
                Body::StepStarted { with, .. } => Some(with.clone()),
                _ => None,
            })
            .unwrap_or_default();
        self.emit(Body::ResponderAction {
            by,
            who: who.clone(),
            runbook_step: step.clone(),
            action,
            with: values,
            ok: result.is_ok(),
            error: result.as_ref().err().cloned(),
        })?;
        if result.is_ok() && rs.verify.is_none() {
            self.mark_done(&mut w.done, step, by, who, Completion::Action)?;
        }
        Ok(())
    }
}

/// What woke the watch loop.
enum Wake {
    /// Something is due (or an abort, checked at the top of the loop).
    Due,
    /// A responder's order; `None` when the consoles went away.
    Command(Option<Order>),
}

enum WatchEnd {
    Complete,
    Ended,
    Aborted(String),
}

/// Why a clean-up is incomplete, in words.
fn incomplete(t: &crate::cleanup::Tally) -> String {
    let mut why = Vec::new();
    if !t.failed.is_empty() {
        why.push(format!("{} revert(s) failed", t.failed.len()));
    }
    if !t.not_ours.is_empty() {
        why.push(format!(
            "{} refused as not the run's (left alone)",
            t.not_ours.len()
        ));
    }
    match &t.remaining {
        Some(r) if !r.is_empty() => why.push(format!("{} resource(s) of the run remain", r.len())),
        Some(_) => {}
        None => why.push("what remains could not be checked".to_owned()),
    }
    format!("clean-up incomplete: {}", why.join("; "))
}

/// A detection's `match` and `with`, resolved.
type Resolved = (BTreeMap<String, String>, Map<String, Value>);

/// The provider's record of the change that made a containment hold, if it keeps one.
async fn audit_time(
    sandbox: &dyn Sandbox,
    check: &checks::CheckSpec,
    args: Option<&Args>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    if check.audit_events.is_empty() {
        return None;
    }
    let resource = check
        .audit_resource
        .and_then(|r| args.and_then(|a| a.str(r).ok()));
    let events = sandbox
        .cloudtrail()
        .lookup_events(check.audit_events, from, to)
        .await
        .ok()?;
    events
        .into_iter()
        .filter(|e| resource.is_none_or(|r| e.resources.iter().any(|x| x == r)))
        .map(|e| e.at)
        .max()
}

/// `work`, unless `abort` fires first (then `None`, and `work` is dropped where it
/// stood). Without an abort signal, `work` runs to its end.
async fn or_abort<T>(abort: &mut Option<Abort>, work: impl Future<Output = T>) -> Option<T> {
    match abort.as_mut() {
        Some(a) => tokio::select! {
            out = work => Some(out),
            () = a.wait() => None,
        },
        None => Some(work.await),
    }
}
