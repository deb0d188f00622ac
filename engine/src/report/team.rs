//! What the responders did, and who: actions, acknowledgements, hints, notes, the
//! injects and their answers, and, when a team played, each participant's share.

use super::{Acknowledgement, ActionEntry, HintEntry, NoteEntry};
use crate::event::{Body, Event};
use crate::team::Role;
use crate::words::seconds;
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::HashMap;

/// An inject sent to the team.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct InjectEntry {
    /// Its id: the scenario's, or `live-N` for one the facilitator typed.
    pub id: String,
    /// The message.
    pub text: String,
    /// The role it was addressed to; none: everyone.
    pub to: Option<Role>,
    /// The facilitator who typed it; none: the scenario.
    pub from: Option<String>,
    /// When it was sent.
    pub at: DateTime<Utc>,
    /// Run time, in seconds.
    pub t_seconds: f64,
    /// It asked for a note as its answer.
    pub answer_asked: bool,
    /// The first note answering it.
    pub answer: Option<Answer>,
}

/// The first note that answered an inject.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Answer {
    /// Who answered (the participant, or the actor when one person played).
    pub by: String,
    /// When.
    pub at: DateTime<Utc>,
    /// From the inject to the answer, in seconds.
    pub after_seconds: f64,
    /// The note.
    pub text: String,
}

/// A person who took part in the game day.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Participant {
    /// Their name.
    pub name: String,
    /// Their role.
    pub role: Role,
    /// How they joined: `host`, `socket`, or the address they came from.
    pub via: String,
    /// When they joined.
    pub joined_at: DateTime<Utc>,
    /// When they left, if before the end.
    pub left_at: Option<DateTime<Utc>>,
    /// Runbook actions they ran.
    pub actions: usize,
    /// Steps they ticked or completed by an action.
    pub steps_done: usize,
    /// Hints they took.
    pub hints: usize,
    /// Notes they wrote.
    pub notes: usize,
    /// Each detection they acknowledged, with their time to acknowledge.
    pub acknowledgements: Vec<PersonalAck>,
}

/// One person's acknowledgement of a detection.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PersonalAck {
    /// The detection.
    pub detection: String,
    /// From gameday seeing the detection to their acknowledgement, in seconds.
    pub tta_seconds: Option<f64>,
}

/// The responders' doings, gathered from a run's events in order.
pub(crate) struct Responses<'a> {
    hint_texts: &'a HashMap<&'a str, &'a str>,
    observed: &'a HashMap<&'a str, DateTime<Utc>>,
    pub actions: Vec<ActionEntry>,
    pub acknowledgements: Vec<Acknowledgement>,
    pub hints: Vec<HintEntry>,
    pub notes: Vec<NoteEntry>,
    pub injects: Vec<InjectEntry>,
}

impl<'a> Responses<'a> {
    /// Nothing yet; hints are worded from `hint_texts`, and times to acknowledge count
    /// from when each detection was `observed`.
    pub fn new(
        hint_texts: &'a HashMap<&'a str, &'a str>,
        observed: &'a HashMap<&'a str, DateTime<Utc>>,
    ) -> Self {
        Responses {
            hint_texts,
            observed,
            actions: Vec::new(),
            acknowledgements: Vec::new(),
            hints: Vec::new(),
            notes: Vec::new(),
            injects: Vec::new(),
        }
    }

    /// Takes the next event.
    pub fn take(&mut self, e: &Event) {
        let t_seconds = seconds(e.t_ms);
        match &e.body {
            Body::ResponderAction {
                by,
                who,
                runbook_step,
                action,
                with,
                ok,
                error,
            } => self.actions.push(ActionEntry {
                at: e.at,
                t_seconds,
                by: *by,
                who: who.clone(),
                runbook_step: runbook_step.clone(),
                action: action.clone(),
                with: with.clone(),
                ok: *ok,
                error: error.clone(),
            }),
            Body::HintTaken { step, by, who } => self.hints.push(HintEntry {
                step: step.clone(),
                at: e.at,
                by: *by,
                who: who.clone(),
                text: self
                    .hint_texts
                    .get(step.as_str())
                    .copied()
                    .unwrap_or("")
                    .to_owned(),
            }),
            Body::DetectionAcknowledged { id, by, who } => {
                self.acknowledgements.push(Acknowledgement {
                    detection: id.clone(),
                    at: e.at,
                    by: *by,
                    who: who.clone(),
                    tta_seconds: self.observed.get(id.as_str()).map(|o| after(*o, e.at)),
                })
            }
            Body::NoteAdded {
                text,
                by,
                who,
                answers,
            } => {
                self.answer(
                    e,
                    answers.as_deref(),
                    crate::words::doer(*by, who.as_deref()),
                    text,
                );
                self.notes.push(NoteEntry {
                    at: e.at,
                    t_seconds,
                    by: *by,
                    who: who.clone(),
                    text: text.clone(),
                    answers: answers.clone(),
                });
            }
            Body::InjectSent {
                id,
                text,
                to,
                answer,
                who,
            } => self.injects.push(InjectEntry {
                id: id.clone(),
                text: text.clone(),
                to: *to,
                from: who.clone(),
                at: e.at,
                t_seconds,
                answer_asked: *answer,
                answer: None,
            }),
            _ => {}
        }
    }

    /// A note answering inject `id` (the first answer counts).
    fn answer(&mut self, e: &Event, id: Option<&str>, by: &str, text: &str) {
        let Some(inject) = id.and_then(|id| self.injects.iter_mut().find(|i| i.id == id)) else {
            return;
        };
        if inject.answer.is_none() {
            inject.answer = Some(Answer {
                by: by.to_owned(),
                at: e.at,
                after_seconds: after(inject.at, e.at),
                text: text.to_owned(),
            });
        }
    }
}

/// Seconds from `from` to `to`, never negative.
fn after(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    (to - from).num_milliseconds().max(0) as f64 / 1000.0
}

/// Everyone who joined, in the order they joined, with what each of them did (their
/// times to acknowledge from `acknowledgements`).
pub(crate) fn participants(
    events: &[Event],
    acknowledgements: &[Acknowledgement],
) -> Vec<Participant> {
    let mut people: Vec<Participant> = Vec::new();
    for e in events {
        match &e.body {
            Body::ParticipantJoined { name, role, via }
                if !people.iter().any(|p| &p.name == name) =>
            {
                people.push(Participant {
                    name: name.clone(),
                    role: *role,
                    via: via.clone(),
                    joined_at: e.at,
                    left_at: None,
                    actions: 0,
                    steps_done: 0,
                    hints: 0,
                    notes: 0,
                    acknowledgements: Vec::new(),
                });
            }
            Body::ParticipantLeft { name, .. } => count(&mut people, name, |p| {
                p.left_at = Some(e.at);
            }),
            Body::ResponderAction { who: Some(w), .. } => count(&mut people, w, |p| p.actions += 1),
            Body::RunbookStepDone { who: Some(w), .. } => {
                count(&mut people, w, |p| p.steps_done += 1)
            }
            Body::HintTaken { who: Some(w), .. } => count(&mut people, w, |p| p.hints += 1),
            Body::NoteAdded { who: Some(w), .. } => count(&mut people, w, |p| p.notes += 1),
            _ => {}
        }
    }
    for a in acknowledgements {
        if let Some(w) = &a.who {
            count(&mut people, w, |p| {
                p.acknowledgements.push(PersonalAck {
                    detection: a.detection.clone(),
                    tta_seconds: a.tta_seconds,
                })
            });
        }
    }
    people
}

fn count(people: &mut [Participant], who: &str, f: impl FnOnce(&mut Participant)) {
    if let Some(p) = people.iter_mut().find(|p| p.name == who) {
        f(p);
    }
}
