//! The one wording of a run for people: events, durations, phases and actors, as the
//! progress printer, the console and every report say them.

use crate::event::{Actor, Body, Event, RunPhase};
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::HashMap;

/// How a drill's detection is said everywhere (console, progress, reports, scores): it
/// was met by a GuardDuty sample finding the run created, so its time to detect is the
/// drill's, not GuardDuty's.
pub const DRILL_DETECTED: &str = "met by a sample finding (drill)";

/// What a report says under its detections when some were drills.
pub const DRILL_NOTE: &str = "met by a GuardDuty sample finding that the run itself created \
                              (a response drill): its time to detect measures the drill, not \
                              how fast GuardDuty detects the attack";

/// A span of `ms` milliseconds as people read it, the one wording gameday uses wherever a
/// person reads a duration (progress lines, the console's tables, reports, scores):
/// `850ms`, `12.5s`, `12s`, `4m 12.5s`, `15m`, `1h 2m 3s`; a negative span gets a minus.
/// (Scenario files keep their own compact form, [`Duration`]'s, which this one is not.)
pub fn spoken(ms: i64) -> String {
    let sign = if ms < 0 { "-" } else { "" };
    let ms = ms.unsigned_abs();
    if ms < 1000 {
        return format!("{sign}{ms}ms");
    }
    // Tenths of a second, rounded; shown only under an hour, and only when not zero.
    let tenths = (ms + 50) / 100;
    let (h, m, s, t) = (
        tenths / 36_000,
        tenths / 600 % 60,
        tenths / 10 % 60,
        tenths % 10,
    );
    let secs = if h > 0 || t == 0 {
        format!("{s}s")
    } else {
        format!("{s}.{t}s")
    };
    match (h, m) {
        (0, 0) => format!("{sign}{secs}"),
        (0, _) if s == 0 && t == 0 => format!("{sign}{m}m"),
        (0, _) => format!("{sign}{m}m {secs}"),
        _ if s == 0 => format!("{sign}{h}h {m}m"),
        _ => format!("{sign}{h}h {m}m {secs}"),
    }
}

/// [`spoken`] to the whole second (`ms` less its part of a second): for countdowns, which
/// would flicker with tenths, and for the console's narrow columns.
pub fn to_the_second(ms: u64) -> String {
    spoken(i64::try_from(ms / 1000 * 1000).unwrap_or(i64::MAX))
}

/// Who did something: the participant's name when a team played, else the actor.
pub fn doer(a: Actor, who: Option<&str>) -> &str {
    who.unwrap_or(actor(a))
}

/// Who did something, for people.
pub fn actor(a: Actor) -> &'static str {
    match a {
        Actor::Autopilot => "autopilot",
        Actor::Responder => "responder",
        Actor::Engine => "engine",
    }
}

/// Run time as `h:mm:ss`, for clocks that tick (the console's, the progress lines').
pub fn run_time(ms: u64) -> String {
    let s = ms / 1000;
    format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// Run time in seconds, as reports carry it.
pub(crate) fn seconds(ms: u64) -> f64 {
    ms as f64 / 1000.0
}

/// A finished clean-up in words, as the progress printer, the console and the reports say
/// it: `3 reverted, 0 failed, 1 not the run's (left alone); nothing of the run's remains`.
/// What remains is named when `name_remaining`, else counted.
pub fn cleanup_finished(
    reverted: u32,
    failed: u32,
    not_ours: u32,
    remaining: Option<&[String]>,
    name_remaining: bool,
) -> String {
    let refused = if not_ours > 0 {
        format!(", {not_ours} not the run's (left alone)")
    } else {
        String::new()
    };
    let left = match remaining {
        Some([]) => "; nothing of the run's remains".to_owned(),
        Some(r) if name_remaining => format!("; still there: {}", r.join(", ")),
        Some(r) => format!("; {} of the run's remain", r.len()),
        None => "; the account was not looked at again".to_owned(),
    };
    format!("{reverted} reverted, {failed} failed{refused}{left}")
}

/// Where an event belongs on the timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Lane {
    /// The run's own lifecycle.
    Run,
    /// Preparing the account.
    Setup,
    /// The simulated attacker.
    Attack,
    /// Detections arriving or missed.
    Detection,
    /// Containment reached or missed.
    Containment,
    /// What responders did.
    Responder,
    /// Reverting the run's changes.
    Cleanup,
}

impl Lane {
    /// A label for people.
    pub fn title(self) -> &'static str {
        match self {
            Lane::Run => "Run",
            Lane::Setup => "Setup",
            Lane::Attack => "Attack",
            Lane::Detection => "Detection",
            Lane::Containment => "Containment",
            Lane::Responder => "Responder",
            Lane::Cleanup => "Clean-up",
        }
    }
}

/// One event of the journal, in words.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TimelineEntry {
    /// Its position in the journal.
    pub seq: u64,
    /// When (UTC).
    pub at: DateTime<Utc>,
    /// Run time since the start, in seconds.
    pub t_seconds: f64,
    /// The lifecycle phase the run was in.
    pub phase: RunPhase,
    /// Where it belongs.
    pub lane: Lane,
    /// The journal's event name.
    pub event: String,
    /// Who did it, for responder events.
    pub by: Option<Actor>,
    /// The participant who did it, when a team played.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub who: Option<String>,
    /// What happened.
    pub text: String,
    /// False for failures and misses.
    pub ok: bool,
}

/// Turns a run's events, one at a time and in order, into timeline entries in words: the
/// reports' timeline and the console's.
#[derive(Debug)]
pub struct Narrator {
    phase: RunPhase,
    step_titles: HashMap<String, String>,
    step_actions: HashMap<String, String>,
}

impl Default for Narrator {
    fn default() -> Self {
        Narrator::new()
    }
}

impl Narrator {
    /// A narrator before the first event.
    pub fn new() -> Self {
        Narrator {
            phase: RunPhase::Preflight,
            step_titles: HashMap::new(),
            step_actions: HashMap::new(),
        }
    }

    /// The next event in words.
    pub fn narrate(&mut self, e: &Event) -> TimelineEntry {
        self.learn(&e.body);
        let step = step_lane(self.phase);
        let title = |id: &str| {
            let t = self.step_titles.get(id).map_or(id, String::as_str);
            format!("“{t}”")
        };
        let said = match &e.body {
            Body::RunStarted {
                target,
                seed,
                clock,
                ..
            } => Said::ok(
                Lane::Run,
                format!(
                    "run started on {} ({}, account {}, {}), seed {seed}, {clock} clock",
                    target.name, target.kind, target.account_id, target.region
                ),
            ),
            Body::PhaseStarted { phase: p } => Said::ok(Lane::Run, format!("{} phase", phase(*p))),
            Body::StepStarted {
                step: id, action, ..
            } => Said::ok(step, format!("step {id} ({action}) starts")),
            Body::ResourceCreated { step: id, undo } => {
                Said::ok(step, format!("step {id} changed {}", undo.resource))
            }
            Body::StepCompleted { step: id, .. } => match self.step_actions.get(id.as_str()) {
                Some(a) => Said::ok(step, format!("step {id} ({a}) done")),
                None => Said::ok(step, format!("step {id} done")),
            },
            Body::StepFailed { step: id, error } => {
                Said::failed(step, format!("step {id} failed: {error}"))
            }
            Body::DetectionMet { .. }
            | Body::DetectionMissed { .. }
            | Body::ContainmentMet { .. }
            | Body::ContainmentMissed { .. } => expectation_said(&e.body),
            Body::ResponderAction {
                by,
                who,
                runbook_step,
                action,
                ok,
                error,
                ..
            } => {
                let ran = format!("ran {action} for {}", title(runbook_step));
                let text = match error {
                    None => ran,
                    Some(err) => format!("{ran}: {err}"),
                };
                Said::by(*by, who, text, *ok)
            }
            Body::RunbookStepDone {
                step: id,
                by,
                who,
                how,
            } => Said::by(*by, who, format!("{} done ({how})", title(id)), true),
            Body::HintTaken { step: id, by, who } => {
                Said::by(*by, who, format!("hint taken on {}", title(id)), true)
            }
            Body::MustNotBroken {
                step: id,
                action,
                reason,
            } => Said::failed(
                Lane::Responder,
                format!("{action} ran before {}: {reason}", title(id)),
            ),
            Body::DetectionAcknowledged { id, by, who } => {
                Said::by(*by, who, format!("{id} acknowledged"), true)
            }
            Body::NoteAdded {
                text,
                by,
                who,
                answers,
            } => {
                let text = match answers {
                    Some(inject) => format!("note, answering {inject}: {text}"),
                    None => format!("note: {text}"),
                };
                Said::by(*by, who, text, true)
            }
            Body::InjectSent { .. }
            | Body::ParticipantJoined { .. }
            | Body::ParticipantLeft { .. }
            | Body::JoinRefused { .. } => team_said(&e.body),
            Body::Reverted { .. } | Body::CleanupFinished { .. } => clean_up_said(&e.body),
            Body::SimTruth { detections } => Said::ok(
                Lane::Run,
                format!(
                    "the simulator's ground truth: {} detection(s) scheduled",
                    detections.len()
                ),
            ),
            Body::RunEnded { outcome, reason } => Said {
                lane: Lane::Run,
                by: None,
                who: None,
                text: format!("run {}: {reason}", outcome.as_str()),
                ok: matches!(outcome, crate::event::Outcome::Passed),
            },
        };
        TimelineEntry {
            seq: e.seq,
            at: e.at,
            t_seconds: seconds(e.t_ms),
            phase: self.phase,
            lane: said.lane,
            event: event_name(&e.body).to_owned(),
            by: said.by,
            who: said.who,
            text: said.text,
            ok: said.ok,
        }
    }

    /// What later events are worded with: the runbook's step titles, each step's action,
    /// the phase the run is in.
    fn learn(&mut self, body: &Body) {
        match body {
            Body::RunStarted { plan, .. } => {
                for (_, st, _) in plan.runbook.iter().flat_map(|rb| rb.steps()) {
                    self.step_titles.insert(st.id.clone(), st.title.clone());
                }
            }
            Body::PhaseStarted { phase } => self.phase = *phase,
            Body::StepStarted { step, action, .. } => {
                self.step_actions.insert(step.clone(), action.clone());
            }
            _ => {}
        }
    }
}

/// An event in words, before it is placed on the timeline.
struct Said {
    lane: Lane,
    by: Option<Actor>,
    who: Option<String>,
    text: String,
    ok: bool,
}

impl Said {
    /// What went as it should.
    fn ok(lane: Lane, text: String) -> Said {
        Said {
            lane,
            by: None,
            who: None,
            text,
            ok: true,
        }
    }

    /// A failure or a miss.
    fn failed(lane: Lane, text: String) -> Said {
        Said {
            lane,
            by: None,
            who: None,
            text,
            ok: false,
        }
    }

    /// What a responder (or the autopilot, or the engine for them) did; `who`: the
    /// participant, when a team played.
    fn by(actor: Actor, who: &Option<String>, text: String, ok: bool) -> Said {
        Said {
            lane: Lane::Responder,
            by: Some(actor),
            who: who.clone(),
            text,
            ok,
        }
    }
}

/// The team's events in words: injects, joins and leaves.
fn team_said(b: &Body) -> Said {
    match b {
        Body::InjectSent {
            id,
            text,
            to,
            answer,
            who,
        } => {
            let to = to.map_or("the team".to_owned(), |r| format!("the {r}"));
            let ask = if *answer { " (answer in a note)" } else { "" };
            let from = who
                .as_deref()
                .map_or("the scenario".to_owned(), str::to_owned);
            Said::ok(
                Lane::Run,
                format!("inject {id} to {to}, from {from}: {text}{ask}"),
            )
        }
        Body::ParticipantJoined { name, role, via } => {
            Said::ok(Lane::Run, format!("{name} joined as {role} ({via})"))
        }
        Body::ParticipantLeft { name, reason } => {
            Said::ok(Lane::Run, format!("{name} left: {reason}"))
        }
        Body::JoinRefused { from, reason } => Said::failed(
            Lane::Run,
            format!("a join from {from} was refused: {reason}"),
        ),
        _ => Said::ok(Lane::Run, event_name(b).to_owned()),
    }
}

/// The lane of a step's events in `phase`.
fn step_lane(phase: RunPhase) -> Lane {
    match phase {
        RunPhase::Setup => Lane::Setup,
        RunPhase::Attack => Lane::Attack,
        RunPhase::Cleanup => Lane::Cleanup,
        _ => Lane::Run,
    }
}

/// A detection or a containment, met or missed, in words.
fn expectation_said(body: &Body) -> Said {
    match body {
        Body::DetectionMet {
            id,
            source,
            name,
            ttd_ms,
            title: found,
            sample,
            ..
        } => {
            let after = spoken((*ttd_ms).max(0));
            Said::ok(
                Lane::Detection,
                if *sample {
                    format!(
                        "{id} {DRILL_DETECTED}: {source} {name} after {after}, not GuardDuty's \
                         detection time: {found}"
                    )
                } else {
                    format!("{id} detected by {source} {name} after {after}: {found}")
                },
            )
        }
        Body::DetectionMissed { id, reason, .. } => {
            Said::failed(Lane::Detection, format!("{id} missed: {reason}"))
        }
        Body::ContainmentMet {
            id,
            ttc_ms,
            time_source,
            ..
        } => Said::ok(
            Lane::Containment,
            format!(
                "{id} contained after {} (timed by {})",
                spoken((*ttc_ms).max(0)),
                match time_source {
                    crate::event::TimeSource::Audit => "the audit log",
                    crate::event::TimeSource::Poll => "a poll",
                }
            ),
        ),
        Body::ContainmentMissed { id, reason } => {
            Said::failed(Lane::Containment, format!("{id} not contained: {reason}"))
        }
        _ => Said::ok(Lane::Run, event_name(body).to_owned()),
    }
}

/// A revert, or the end of clean-up, in words.
fn clean_up_said(body: &Body) -> Said {
    match body {
        Body::Reverted {
            resource,
            action,
            ok,
            error,
            not_ours,
        } => {
            let text = match (error, not_ours) {
                (None, _) => format!("reverted {resource} ({action})"),
                (Some(err), true) => {
                    format!("not the run's, left alone: {resource} ({action}): {err}")
                }
                (Some(err), false) => format!("could not revert {resource} ({action}): {err}"),
            };
            Said {
                ok: *ok,
                ..Said::ok(Lane::Cleanup, text)
            }
        }
        Body::CleanupFinished {
            reverted,
            failed,
            not_ours,
            remaining,
        } => Said {
            ok: *failed == 0 && *not_ours == 0 && remaining.as_ref().is_none_or(Vec::is_empty),
            ..Said::ok(
                Lane::Cleanup,
                format!(
                    "clean-up finished: {}",
                    cleanup_finished(*reverted, *failed, *not_ours, remaining.as_deref(), false)
                ),
            )
        },
        _ => Said::ok(Lane::Cleanup, event_name(body).to_owned()),
    }
}

/// A lifecycle phase, for people.
pub fn phase(p: RunPhase) -> &'static str {
    match p {
        RunPhase::Preflight => "preflight",
        RunPhase::Setup => "setup",
        RunPhase::Attack => "attack",
        RunPhase::Watch => "watch",
        RunPhase::Cleanup => "clean-up",
        RunPhase::Report => "report",
    }
}

/// The journal's name of an event.
pub fn event_name(b: &Body) -> &'static str {
    match b {
        Body::RunStarted { .. } => "run_started",
        Body::PhaseStarted { .. } => "phase_started",
        Body::StepStarted { .. } => "step_started",
        Body::ResourceCreated { .. } => "resource_created",
        Body::StepCompleted { .. } => "step_completed",
        Body::StepFailed { .. } => "step_failed",
        Body::DetectionMet { .. } => "detection_met",
        Body::DetectionMissed { .. } => "detection_missed",
        Body::ContainmentMet { .. } => "containment_met",
        Body::ContainmentMissed { .. } => "containment_missed",
        Body::ResponderAction { .. } => "responder_action",
        Body::RunbookStepDone { .. } => "runbook_step_done",
        Body::HintTaken { .. } => "hint_taken",
        Body::MustNotBroken { .. } => "must_not_broken",
        Body::DetectionAcknowledged { .. } => "detection_acknowledged",
        Body::NoteAdded { .. } => "note_added",
        Body::Reverted { .. } => "reverted",
        Body::CleanupFinished { .. } => "cleanup_finished",
        Body::SimTruth { .. } => "sim_truth",
        Body::InjectSent { .. } => "inject_sent",
        Body::ParticipantJoined { .. } => "participant_joined",
        Body::ParticipantLeft { .. } => "participant_left",
        Body::JoinRefused { .. } => "join_refused",
        Body::RunEnded { .. } => "run_ended",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_are_spoken_one_way() {
        for (ms, said) in [
            (0, "0ms"),
            (850, "850ms"),
            (12_000, "12s"),
            (12_460, "12.5s"),
            (59_960, "1m"),
            (92_374, "1m 32.4s"),
            (260_000, "4m 20s"),
            (900_000, "15m"),
            (3_723_400, "1h 2m 3s"),
            (7_200_000, "2h 0m"),
            (-61_000, "-1m 1s"),
        ] {
            assert_eq!(super::spoken(ms), said, "{ms}");
        }
    }

    #[test]
    fn run_time_ticks_as_a_clock() {
        assert_eq!(run_time(3_725_000), "1:02:05");
        assert_eq!(run_time(999), "0:00:00");
    }
}
