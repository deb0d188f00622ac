//! What the console shows, built from a run's events alone, so a live run and a replay of
//! its journal draw the same screens. Every text is cleaned of terminal control sequences
//! when it comes in: finding titles and step outputs come from the cloud.

use gameday_engine::event::{Actor, Body, Event, Outcome, RunClock, RunPhase};
use gameday_engine::library::Plan;
use gameday_engine::runbook::NistPhase;
use gameday_engine::sandbox::TargetInfo;
use gameday_engine::score::Summary;
use gameday_engine::team::Role;
use gameday_engine::template::{self, Reference, Scope};
use gameday_engine::text::clean;
use gameday_engine::words::{Narrator, TimelineEntry};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Where an expectation stands.
#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    /// Its clock has not started (the attack step has not run).
    Waiting,
    /// Running against its deadline.
    Pending,
    /// Reached, after `took_ms`.
    Met {
        /// Time to detect or contain.
        took_ms: i64,
        /// Within the deadline.
        in_time: bool,
    },
    /// Not reached.
    Missed(String),
}

/// A detection expectation as shown.
#[derive(Debug, Clone)]
pub struct DetectionView {
    pub id: String,
    pub source: String,
    pub name: String,
    pub within_ms: u64,
    /// The step whose completion starts its clock.
    pub trigger: Option<String>,
    /// Run time of T0.
    pub t0_ms: Option<u64>,
    /// Run time of the provider's timestamp.
    pub detected_ms: Option<u64>,
    pub status: Status,
    /// The finding's title or the alarm's, cleaned.
    pub title: String,
    pub acknowledged: bool,
}

impl DetectionView {
    /// Run time of its deadline, once its clock runs.
    pub fn deadline_ms(&self) -> Option<u64> {
        self.t0_ms.map(|t| t.saturating_add(self.within_ms))
    }
}

/// An inject as shown.
#[derive(Debug, Clone, PartialEq)]
pub struct InjectView {
    pub id: String,
    pub text: String,
    /// The role it is addressed to; none: everyone.
    pub to: Option<Role>,
    /// It asks for a note as its answer.
    pub answer: bool,
    /// Someone answered it.
    pub answered: bool,
    /// Run time it was sent.
    pub t_ms: u64,
}

/// A containment expectation as shown.
#[derive(Debug, Clone)]
pub struct ContainmentView {
    pub id: String,
    pub check: String,
    pub within_ms: u64,
    /// The detection it counts from; `None`: the first.
    pub after: Option<String>,
    /// Run time of that detection.
    pub reference_ms: Option<u64>,
    pub status: Status,
}

impl ContainmentView {
    /// Run time of its deadline, once its clock runs.
    pub fn deadline_ms(&self) -> Option<u64> {
        self.reference_ms.map(|t| t.saturating_add(self.within_ms))
    }
}

/// A runbook step as shown.
#[derive(Debug, Clone)]
pub struct StepView {
    pub id: String,
    pub phase: NistPhase,
    pub title: String,
    pub instructions: String,
    pub cli: Option<String>,
    pub action: Option<String>,
    pub with: Map<String, Value>,
    pub verify: Option<String>,
    pub hint: Option<String>,
    pub points: f64,
    /// Who did it, how, and when (run time).
    pub done: Option<(Actor, String, u64)>,
    pub hint_taken: bool,
}

/// A runbook step's action as it ran (a `responder_action` event).
#[derive(Debug, Clone)]
pub struct ActionRun {
    /// The runbook step.
    pub step: String,
    /// The action it ran.
    pub action: String,
    /// Why it failed, cleaned; `None` when it worked.
    pub error: Option<String>,
}

/// Everything the console shows about a run.
#[derive(Debug, Default)]
pub struct Model {
    pub run_id: String,
    pub scenario: String,
    pub title: String,
    pub summary: String,
    pub target: Option<TargetInfo>,
    pub seed: u64,
    pub clock: String,
    pub phase: Option<RunPhase>,
    pub timeline: Vec<TimelineEntry>,
    pub detections: Vec<DetectionView>,
    pub containments: Vec<ContainmentView>,
    pub steps: Vec<StepView>,
    pub notes: Vec<(u64, String)>,
    /// Every step's action run so far, in order.
    pub actions: Vec<ActionRun>,
    /// Changes made that clean-up must revert.
    pub created: usize,
    pub reverted: usize,
    pub revert_failed: usize,
    /// Set when clean-up finished: (reverted, failed).
    pub cleanup: Option<(u32, u32)>,
    pub ended: Option<(Outcome, String)>,
    /// Run time of the last event.
    pub last_t_ms: u64,
    /// The score so far; refreshed by [`Model::refresh`].
    pub score: Option<Summary>,
    /// The participant this console is (a team's game day): their acknowledgements are
    /// theirs alone.
    pub me: Option<String>,
    /// The injects sent so far, newest last.
    pub injects: Vec<InjectView>,
    events: Vec<Event>,
    plan: Option<Plan>,
    outputs: BTreeMap<String, Map<String, Value>>,
    narrator: Narrator,
    dirty: bool,
}

impl Model {
    /// The model of these events.
    pub fn from_events(events: &[Event]) -> Model {
        let mut m = Model::default();
        for e in events {
            m.apply(e);
        }
        m.refresh();
        m
    }

    /// Events seen so far.
    #[cfg(test)]
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Takes the next event.
    pub fn apply(&mut self, e: &Event) {
        self.last_t_ms = e.t_ms;
        let mut entry = self.narrator.narrate(e);
        entry.text = match &entry.who {
            // A team's game day: who did it, first.
            Some(who) => clean(&format!("{who}: {}", entry.text), false),
            None => clean(&entry.text, false),
        };
        self.timeline.push(entry);
        match &e.body {
            Body::RunStarted {
                run_id,
                target,
                seed,
                clock,
                plan,
                ..
            } => self.start(run_id, target, *seed, clock, plan),
            Body::PhaseStarted { phase } => self.phase = Some(*phase),
            Body::StepCompleted { step, outputs } => {
                self.outputs.insert(step.clone(), outputs.clone());
                for d in &mut self.detections {
                    if d.t0_ms.is_none() && d.trigger.as_deref() == Some(step) {
                        d.t0_ms = Some(e.t_ms);
                        d.status = Status::Pending;
                    }
                }
            }
            Body::ResourceCreated { .. } => self.created += 1,
            Body::DetectionMet { .. } => self.detection_met(e),
            Body::DetectionMissed { id, reason, .. } => {
                if let Some(d) = self.detections.iter_mut().find(|d| &d.id == id) {
                    d.status = Status::Missed(clean(reason, false));
                }
            }
            Body::ContainmentMet { id, ttc_ms, .. } => {
                if let Some(c) = self.containments.iter_mut().find(|c| &c.id == id) {
                    c.status = Status::Met {
                        took_ms: *ttc_ms,
                        in_time: i128::from(*ttc_ms) <= i128::from(c.within_ms),
                    };
                }
            }
            Body::ContainmentMissed { id, reason } => {
                if let Some(c) = self.containments.iter_mut().find(|c| &c.id == id) {
                    c.status = Status::Missed(clean(reason, false));
                }
            }
            Body::RunbookStepDone { step, by, how, .. } => {
                if let Some(s) = self.steps.iter_mut().find(|s| &s.id == step) {
                    s.done
                        .get_or_insert((*by, clean(&how.to_string(), false), e.t_ms));
                }
            }
            Body::HintTaken { step, .. } => {
                if let Some(s) = self.steps.iter_mut().find(|s| &s.id == step) {
                    s.hint_taken = true;
                }
            }
            Body::DetectionAcknowledged { .. }
            | Body::InjectSent { .. }
            | Body::NoteAdded { .. } => self.team_event(e),
            Body::Reverted { ok, .. } => {
                if *ok {
                    self.reverted += 1;
                } else {
                    self.revert_failed += 1;
                }
            }
            Body::CleanupFinished {
                reverted,
                failed,
                not_ours,
                remaining,
            } => {
                let left = remaining.as_ref().map_or(0, |r| r.len() as u32);
                self.cleanup = Some((*reverted, *failed + *not_ours + left));
            }
            Body::RunEnded { outcome, reason } => {
                self.ended = Some((*outcome, clean(reason, false)));
            }
            Body::ResponderAction {
                runbook_step,
                action,
                ok,
                error,
                ..
            } => self.actions.push(ActionRun {
                step: runbook_step.clone(),
                action: clean(action, false),
                error: (!ok).then(|| clean(error.as_deref().unwrap_or("failed"), false)),
            }),
            Body::StepStarted { .. }
            | Body::StepFailed { .. }
            | Body::MustNotBroken { .. }
            | Body::SimTruth { .. }
            | Body::ParticipantJoined { .. }
            | Body::ParticipantLeft { .. }
            | Body::JoinRefused { .. } => {}
        }
        self.events.push(e.clone());
        self.dirty = true;
    }

    /// A detection arrived: its expectation is met, and the containments timed from it
    /// start their clocks.
    fn detection_met(&mut self, e: &Event) {
        let Body::DetectionMet {
            id,
            t0,
            detected_at,
            ttd_ms,
            title,
            ..
        } = &e.body
        else {
            return;
        };
        let start = self.start_utc(e);
        let detected_ms = (*detected_at - start).num_milliseconds().max(0) as u64;
        if let Some(d) = self.detections.iter_mut().find(|d| &d.id == id) {
            d.t0_ms = Some((*t0 - start).num_milliseconds().max(0) as u64);
            d.detected_ms = Some(detected_ms);
            d.status = Status::Met {
                took_ms: *ttd_ms,
                in_time: i128::from(*ttd_ms) <= i128::from(d.within_ms),
            };
            d.title = clean(title, false);
        }
        let first = self.detections.iter().filter_map(|d| d.detected_ms).min();
        for c in &mut self.containments {
            if c.reference_ms.is_none() {
                c.reference_ms = match &c.after {
                    Some(a) if a == id => Some(detected_ms),
                    Some(_) => None,
                    None => first,
                };
                if c.reference_ms.is_some() {
                    c.status = Status::Pending;
                }
            }
        }
    }

    /// Recomputes the score if events came in since the last time.
    pub fn refresh(&mut self) {
        if self.dirty {
            self.score = Summary::try_from_events(&self.events);
            self.dirty = false;
        }
    }

    /// The run's start: the first event's instant, or else this one's less its run time
    /// (itself where that is no instant).
    fn start_utc(&self, e: &Event) -> chrono::DateTime<chrono::Utc> {
        match self.events.first() {
            Some(first) => first.at,
            None => i64::try_from(e.t_ms)
                .ok()
                .and_then(chrono::TimeDelta::try_milliseconds)
                .and_then(|t| e.at.checked_sub_signed(t))
                .unwrap_or(e.at),
        }
    }

    fn start(
        &mut self,
        run_id: &str,
        target: &TargetInfo,
        seed: u64,
        clock: &RunClock,
        plan: &Plan,
    ) {
        let sc = &plan.scenario;
        self.run_id = clean(run_id, false);
        self.scenario = clean(&sc.id, false);
        self.title = clean(&sc.title, false);
        self.summary = clean(&sc.summary, true);
        self.target = Some(target.clone());
        self.seed = seed;
        self.clock = clock.to_string();
        self.detections = sc
            .detect
            .iter()
            .map(|d| DetectionView {
                id: d.id.clone(),
                source: d.source.as_str().to_owned(),
                name: clean(
                    d.finding_type
                        .as_deref()
                        .or(d.alarm.as_deref())
                        .unwrap_or(""),
                    false,
                ),
                within_ms: d.within.as_millis(),
                trigger: sc.trigger_of(d).map(str::to_owned),
                t0_ms: None,
                detected_ms: None,
                status: Status::Waiting,
                title: String::new(),
                acknowledged: false,
            })
            .collect();
        self.containments = sc
            .respond
            .iter()
            .map(|c| ContainmentView {
                id: c.id.clone(),
                check: c.check.clone(),
                within_ms: c.within.as_millis(),
                after: c.after.clone(),
                reference_ms: None,
                status: Status::Waiting,
            })
            .collect();
        self.steps = plan
            .runbook
            .iter()
            .flat_map(|rb| rb.steps())
            .map(|(phase, s, _)| StepView {
                id: s.id.clone(),
                phase,
                title: clean(&s.title, false),
                instructions: clean(&s.instructions, true),
                cli: s.cli.as_deref().map(|c| clean(c, true)),
                action: s.action.clone(),
                with: s.with.clone(),
                verify: s.verify.clone(),
                hint: s.hint.as_deref().map(|h| clean(h, true)),
                points: f64::from(s.points),
                done: None,
                hint_taken: false,
            })
            .collect();
        self.plan = Some(plan.clone());
    }

    /// The inputs a step's action would get now, with every reference that can be
    /// resolved from what the run has done so far; the text of any that cannot.
    pub fn action_inputs(&self, step: &StepView) -> Result<Map<String, Value>, String> {
        let scope = RunScope { model: self };
        match template::evaluate(&Value::Object(step.with.clone()), &scope)? {
            Value::Object(m) => Ok(m),
            _ => Err("the inputs are not a mapping".to_owned()),
        }
    }

    /// Index of the first step not done yet.
    pub fn current_step(&self) -> Option<usize> {
        self.steps.iter().position(|s| s.done.is_none())
    }

    /// The events of the people responding: acknowledgements (each person's own), the
    /// injects sent to them and the notes that answer them.
    fn team_event(&mut self, e: &Event) {
        match &e.body {
            Body::DetectionAcknowledged { id, who, .. } => {
                let mine = self.me.is_none() || who == &self.me;
                if let Some(d) = self.detections.iter_mut().find(|d| &d.id == id)
                    && mine
                {
                    d.acknowledged = true;
                }
            }
            Body::InjectSent {
                id,
                text,
                to,
                answer,
                ..
            } => self.injects.push(InjectView {
                id: id.clone(),
                text: clean(text, false),
                to: *to,
                answer: *answer,
                answered: false,
                t_ms: e.t_ms,
            }),
            Body::NoteAdded { text, answers, .. } => {
                if let Some(i) = self
                    .injects
                    .iter_mut()
                    .find(|i| Some(&i.id) == answers.as_ref())
                {
                    i.answered = true;
                }
                self.notes.push((e.t_ms, clean(text, false)))
            }
            _ => {}
        }
    }

    /// The newest inject for `role` (everyone's, or addressed to it) that asks for an
    /// answer nobody has given yet.
    pub fn awaiting_answer(&self, role: Option<Role>) -> Option<&InjectView> {
        self.injects
            .iter()
            .rev()
            .find(|i| i.answer && !i.answered && (i.to.is_none() || i.to == role))
    }

    /// The first detection that arrived and is not acknowledged yet.
    pub fn unacknowledged(&self) -> Option<&DetectionView> {
        self.detections
            .iter()
            .filter(|d| !d.acknowledged && matches!(d.status, Status::Met { .. }))
            .min_by_key(|d| d.detected_ms)
    }
}

/// What `${…}` references mean in the console: the run's parameters, id and the outputs
/// its steps journaled.
struct RunScope<'a> {
    model: &'a Model,
}

impl Scope for RunScope<'_> {
    fn lookup(&self, r: &Reference) -> Result<Value, String> {
        let plan = self.model.plan.as_ref();
        match r {
            Reference::Param(p) => plan
                .and_then(|p2| p2.params.get(p))
                .cloned()
                .ok_or_else(|| format!("no parameter `{p}`")),
            Reference::Run(f) if f == "id" => Ok(Value::String(self.model.run_id.clone())),
            Reference::Run(f) => Err(format!("no run field `{f}`")),
            Reference::Step { step, output } => {
                let outs = self
                    .model
                    .outputs
                    .get(step)
                    .ok_or_else(|| format!("step `{step}` has not run yet"))?;
                match output {
                    None => Ok(Value::Object(outs.clone())),
                    Some(o) => outs
                        .get(o)
                        .cloned()
                        .ok_or_else(|| format!("step `{step}` has no output `{o}`")),
                }
            }
        }
    }
}
