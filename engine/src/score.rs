//! The outcome of a run and its score, computed from the journal alone.
//!
//! Default model (100 points): detection 40 (each expectation full within its deadline,
//! linear decay to zero at twice the deadline, zero if missed), containment 40 (same
//! rule, timed from the detection), runbook adherence 20 (each step's share of the points
//! when done in order, half out of order; −5 per hint; −10 per broken `must_not`).
//! Every point carries the reason it was given.

use crate::event::{Actor, Body, Event, Outcome, TimeSource};
use crate::library::Plan;
use crate::runbook::{NistPhase, Runbook};
use crate::sandbox::TargetInfo;
use crate::scenario::{Detect, Respond};
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;

/// Points of each part of the default model.
pub const DETECTION_POINTS: f64 = 40.0;
/// See [`DETECTION_POINTS`].
pub const CONTAINMENT_POINTS: f64 = 40.0;
/// See [`DETECTION_POINTS`].
pub const RUNBOOK_POINTS: f64 = 20.0;
/// Cost of a hint.
pub const HINT_COST: f64 = 5.0;
/// Cost of a broken `must_not` guard.
pub const MUST_NOT_COST: f64 = 10.0;

/// A detection expectation's result.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DetectionResult {
    /// Its id.
    pub id: String,
    /// guardduty or cloudwatch.
    pub source: String,
    /// Finding type or alarm name.
    pub name: String,
    /// Detected within the deadline.
    pub met: bool,
    /// The deadline after T0, in seconds.
    pub within_seconds: f64,
    /// When the triggering step returned.
    pub t0: Option<DateTime<Utc>>,
    /// The provider's timestamp of the detection.
    pub detected_at: Option<DateTime<Utc>>,
    /// When gameday saw it.
    pub observed_at: Option<DateTime<Utc>>,
    /// Time to detect.
    pub ttd_seconds: Option<f64>,
    /// The finding id or alarm.
    pub evidence: Option<String>,
    /// A response drill: met by a GuardDuty sample finding the run created, so the time to
    /// detect is not GuardDuty's own.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sample: bool,
    /// Why it was missed.
    pub missed_reason: Option<String>,
    /// The detection before it on the alert path, if it is a hop of one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// This hop's time: from the detection before it to this one, in seconds (both met).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hop_seconds: Option<f64>,
    /// Points earned (rounded to 0.1 in output; sums use the exact value).
    #[serde(serialize_with = "rounded")]
    pub points: f64,
    /// Points possible.
    #[serde(serialize_with = "rounded")]
    pub max_points: f64,
    /// Where the points came from.
    pub explanation: String,
}

/// Each hop's time on its alert path: from the provider's time of the detection before
/// it to its own.
fn time_hops(detections: &mut [DetectionResult]) {
    let at: BTreeMap<String, DateTime<Utc>> = detections
        .iter()
        .filter_map(|d| Some((d.id.clone(), d.detected_at?)))
        .collect();
    for d in detections.iter_mut() {
        let before = d.after.as_ref().and_then(|a| at.get(a));
        if let (Some(before), Some(now)) = (before, d.detected_at) {
            d.hop_seconds = Some(secs((now - *before).num_milliseconds()));
        }
    }
}

/// A containment expectation's result.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ContainmentResult {
    /// Its id.
    pub id: String,
    /// The check.
    pub check: String,
    /// Contained within the deadline.
    pub met: bool,
    /// The deadline after the detection, in seconds.
    pub within_seconds: f64,
    /// The detection time it is timed from.
    pub reference_at: Option<DateTime<Utc>>,
    /// When the condition first held.
    pub contained_at: Option<DateTime<Utc>>,
    /// Time to contain.
    pub ttc_seconds: Option<f64>,
    /// Where `contained_at` comes from.
    pub time_source: Option<TimeSource>,
    /// The last poll that saw the condition false.
    pub last_seen_false: Option<DateTime<Utc>>,
    /// The first poll that saw it true.
    pub first_seen_true: Option<DateTime<Utc>>,
    /// Why it was missed.
    pub missed_reason: Option<String>,
    /// Points earned (rounded to 0.1 in output; sums use the exact value).
    #[serde(serialize_with = "rounded")]
    pub points: f64,
    /// Points possible.
    #[serde(serialize_with = "rounded")]
    pub max_points: f64,
    /// Where the points came from.
    pub explanation: String,
}

/// A runbook step's result.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RunbookStepResult {
    /// Its id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Its phase.
    pub phase: NistPhase,
    /// When it was done.
    pub done_at: Option<DateTime<Utc>>,
    /// Who did it.
    pub by: Option<Actor>,
    /// The participant who did it, when a team played.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub who: Option<String>,
    /// Done after every earlier step that was done.
    pub in_order: bool,
    /// The hint was taken.
    pub hint_taken: bool,
    /// Points earned (before penalties).
    #[serde(serialize_with = "rounded")]
    pub points: f64,
    /// Points possible.
    #[serde(serialize_with = "rounded")]
    pub max_points: f64,
}

/// A deduction.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Penalty {
    /// Negative points.
    pub points: f64,
    /// Why.
    pub reason: String,
}

/// The score.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Score {
    /// Points earned.
    pub total: f64,
    /// Points possible.
    pub max: f64,
    /// A to F.
    pub grade: char,
    /// Detection points.
    pub detection: f64,
    /// Containment points.
    pub containment: f64,
    /// Runbook adherence points (after penalties).
    pub runbook: f64,
}

/// What clean-up did.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct Cleanup {
    /// Reverts that succeeded.
    pub reverted: u32,
    /// Reverts that failed.
    pub failed: u32,
    /// Resources that may remain: failed reverts, what the last look at the account found
    /// of the run's, and changes never reverted.
    pub left_behind: Vec<String>,
    /// Reverts refused because what they named does not carry the run's tag: left alone,
    /// for a person to look at.
    #[serde(default)]
    pub not_ours: Vec<String>,
    /// Whether a last look at the account confirmed that nothing of the run's remains.
    #[serde(default)]
    pub verified: bool,
}

/// Everything about a run, from its journal.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Summary {
    /// The run id.
    pub run_id: String,
    /// The scenario id.
    pub scenario: String,
    /// The scenario title.
    pub title: String,
    /// Where it ran.
    pub target: TargetInfo,
    /// The seed.
    pub seed: u64,
    /// How the clock ran.
    pub clock: String,
    /// Whether the autopilot responded.
    pub autopilot: bool,
    /// How it ended.
    pub outcome: Outcome,
    /// Why.
    pub reason: String,
    /// First event.
    pub started_at: DateTime<Utc>,
    /// Last event.
    pub ended_at: DateTime<Utc>,
    /// The score.
    pub score: Score,
    /// Detections.
    pub detections: Vec<DetectionResult>,
    /// Containments.
    pub containments: Vec<ContainmentResult>,
    /// Runbook steps.
    pub runbook: Vec<RunbookStepResult>,
    /// Deductions.
    pub penalties: Vec<Penalty>,
    /// Clean-up; `None` if it never ran (the process died).
    pub cleanup: Option<Cleanup>,
    /// The journal's last line was torn (a crash mid-write).
    pub torn_journal: bool,
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn rounded<S: serde::Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(round1(*x))
}

/// Full points within the deadline, linear decay to zero at twice the deadline.
fn timeliness(elapsed_ms: i64, within_ms: u64) -> f64 {
    let w = within_ms.max(1) as f64;
    let e = elapsed_ms.max(0) as f64;
    if e <= w {
        1.0
    } else {
        (1.0 - (e - w) / w).max(0.0)
    }
}

/// Whether a time to detect or contain is within its deadline, for every value either
/// can hold.
fn in_time(elapsed_ms: i64, within_ms: u64) -> bool {
    i128::from(elapsed_ms) <= i128::from(within_ms)
}

fn secs(ms: i64) -> f64 {
    ms as f64 / 1000.0
}

impl Summary {
    /// True when every expectation was met within its deadline.
    pub fn all_met(&self) -> bool {
        self.detections.iter().all(|d| d.met) && self.containments.iter().all(|c| c.met)
    }

    /// Expectations not met within their deadline.
    pub fn missed_count(&self) -> usize {
        self.detections.iter().filter(|d| !d.met).count()
            + self.containments.iter().filter(|c| !c.met).count()
    }

    /// Computes the summary from a run's events. A journal without its `run_started`
    /// event yields a placeholder run; use [`Summary::try_from_events`] to detect that.
    pub fn from_events(events: &[Event]) -> Summary {
        Summary::try_from_events(events).unwrap_or_else(|| Summary::empty(events))
    }

    fn empty(events: &[Event]) -> Summary {
        let at = events.first().map(|e| e.at).unwrap_or_default();
        Summary {
            run_id: String::new(),
            scenario: String::new(),
            title: String::new(),
            target: TargetInfo {
                name: String::new(),
                // A placeholder, as every field here: the journal does not say.
                kind: crate::sandbox::TargetKind::Sim,
                account_id: String::new(),
                region: String::new(),
            },
            seed: 0,
            clock: String::new(),
            autopilot: false,
            outcome: Outcome::Interrupted,
            reason: "the journal has no run_started event".to_owned(),
            started_at: at,
            ended_at: at,
            score: Score {
                total: 0.0,
                max: 0.0,
                grade: 'F',
                detection: 0.0,
                containment: 0.0,
                runbook: 0.0,
            },
            detections: Vec::new(),
            containments: Vec::new(),
            runbook: Vec::new(),
            penalties: Vec::new(),
            cleanup: None,
            torn_journal: false,
        }
    }

    /// The summary of a journal, for analyses of many runs: built from its
    /// [cleaned](crate::journal::Contents::cleaned) events, so that no text in it holds a
    /// control character, and saying whether its last line was torn. `None` when it is
    /// not a run's journal.
    pub fn of_journal(contents: &crate::journal::Contents) -> Option<Summary> {
        let mut s = Summary::try_from_events(&contents.cleaned().events)?;
        s.torn_journal = contents.torn_tail;
        Some(s)
    }

    /// Computes the summary; `None` when the events do not start with `run_started`.
    pub fn try_from_events(events: &[Event]) -> Option<Summary> {
        let first = events.first()?;
        let Body::RunStarted {
            run_id,
            target,
            seed,
            clock,
            autopilot,
            plan,
            ..
        } = &first.body
        else {
            return None;
        };
        let plan: &Plan = plan;
        let sc = &plan.scenario;
        let last = events.last().unwrap_or(first);
        let (outcome, reason) = ending(events);
        let n_det = sc.detect.len().max(1) as f64;
        let mut detections: Vec<DetectionResult> = sc
            .detect
            .iter()
            .map(|d| DetectionResult::from_journal(d, DETECTION_POINTS / n_det, events))
            .collect();
        time_hops(&mut detections);
        let n_con = sc.respond.len().max(1) as f64;
        let containments: Vec<ContainmentResult> = sc
            .respond
            .iter()
            .map(|c| {
                ContainmentResult::from_journal(c, CONTAINMENT_POINTS / n_con, events, &detections)
            })
            .collect();
        let (runbook, penalties) = match &plan.runbook {
            Some(rb) => runbook_results(rb, events),
            None => (Vec::new(), Vec::new()),
        };
        let score = Score::of(plan, &detections, &containments, &runbook, &penalties);
        Some(Summary {
            run_id: run_id.clone(),
            scenario: sc.id.clone(),
            title: sc.title.clone(),
            target: target.clone(),
            seed: *seed,
            clock: clock.to_string(),
            autopilot: *autopilot,
            outcome,
            reason,
            started_at: first.at,
            ended_at: last.at,
            score,
            detections,
            containments,
            runbook,
            penalties,
            cleanup: Cleanup::finished(events).or_else(|| Cleanup::interrupted(events)),
            torn_journal: false,
        })
    }
}

/// How the run ended and why, from its last `run_ended` event; a journal without one
/// ends before the run did.
fn ending(events: &[Event]) -> (Outcome, String) {
    events
        .iter()
        .rev()
        .find_map(|e| match &e.body {
            Body::RunEnded { outcome, reason } => Some((*outcome, reason.clone())),
            _ => None,
        })
        .unwrap_or((
            Outcome::Interrupted,
            "the journal ends before the run did: the process was interrupted".to_owned(),
        ))
}

impl DetectionResult {
    /// The result of detection `d`, worth `max` points, from what the journal says of it.
    fn from_journal(d: &Detect, max: f64, events: &[Event]) -> DetectionResult {
        let within_ms = d.within.as_millis();
        let mut r = DetectionResult {
            id: d.id.clone(),
            source: d.source.as_str().to_owned(),
            name: crate::detectors::find(d.source.as_str())
                .map(|x| x.name(d))
                .unwrap_or_default(),
            met: false,
            within_seconds: within_ms as f64 / 1000.0,
            t0: None,
            detected_at: None,
            observed_at: None,
            ttd_seconds: None,
            evidence: None,
            sample: d.sample,
            missed_reason: None,
            after: d.after.clone(),
            hop_seconds: None,
            points: 0.0,
            max_points: max,
            explanation: "no detection recorded".to_owned(),
        };
        for e in events {
            match &e.body {
                Body::DetectionMet {
                    id,
                    t0,
                    detected_at,
                    observed_at,
                    ttd_ms,
                    evidence,
                    sample,
                    ..
                } if id == &d.id => {
                    let f = timeliness(*ttd_ms, within_ms);
                    r.met = in_time(*ttd_ms, within_ms);
                    r.t0 = Some(*t0);
                    r.detected_at = Some(*detected_at);
                    r.observed_at = Some(*observed_at);
                    r.ttd_seconds = Some(secs(*ttd_ms));
                    r.evidence = Some(evidence.clone());
                    r.sample |= *sample;
                    r.points = max * f;
                    let how = if r.sample {
                        crate::words::DRILL_DETECTED
                    } else {
                        "detected"
                    };
                    r.explanation = if r.met {
                        format!(
                            "{how} in {} (deadline {}): full {:.1}",
                            crate::words::spoken(*ttd_ms),
                            d.within,
                            max
                        )
                    } else {
                        format!(
                            "{how} late, in {} (deadline {}): {} of {:.1}",
                            crate::words::spoken(*ttd_ms),
                            d.within,
                            crate::share::percent(f),
                            max
                        )
                    };
                }
                Body::DetectionMissed { id, t0, reason, .. } if id == &d.id => {
                    r.t0 = *t0;
                    r.missed_reason = Some(reason.clone());
                    r.explanation = format!("missed ({reason}): 0 of {max:.1}");
                }
                _ => {}
            }
        }
        r
    }
}

impl ContainmentResult {
    /// The result of containment `c`, worth `max` points, from what the journal says of
    /// it; timed from its detection among `detections`.
    fn from_journal(
        c: &Respond,
        max: f64,
        events: &[Event],
        detections: &[DetectionResult],
    ) -> ContainmentResult {
        let within_ms = c.within.as_millis();
        let mut r = ContainmentResult {
            id: c.id.clone(),
            check: c.check.clone(),
            met: false,
            within_seconds: within_ms as f64 / 1000.0,
            reference_at: None,
            contained_at: None,
            ttc_seconds: None,
            time_source: None,
            last_seen_false: None,
            first_seen_true: None,
            missed_reason: None,
            points: 0.0,
            max_points: max,
            explanation: "no containment recorded".to_owned(),
        };
        for e in events {
            match &e.body {
                Body::ContainmentMet {
                    id,
                    reference_at,
                    contained_at,
                    time_source,
                    last_seen_false,
                    first_seen_true,
                    ttc_ms,
                } if id == &c.id => {
                    let f = timeliness(*ttc_ms, within_ms);
                    r.met = in_time(*ttc_ms, within_ms);
                    r.reference_at = Some(*reference_at);
                    r.contained_at = Some(*contained_at);
                    r.ttc_seconds = Some(secs(*ttc_ms));
                    r.time_source = Some(*time_source);
                    r.last_seen_false = *last_seen_false;
                    r.first_seen_true = Some(*first_seen_true);
                    r.points = max * f;
                    let took = crate::words::spoken(*ttc_ms);
                    r.explanation = if r.met {
                        format!(
                            "contained in {took} after detection (deadline {}): full {max:.1}",
                            c.within
                        )
                    } else {
                        format!(
                            "contained late, in {took} (deadline {}): {} of {max:.1}",
                            c.within,
                            crate::share::percent(f)
                        )
                    };
                }
                Body::ContainmentMissed { id, reason } if id == &c.id => {
                    r.missed_reason = Some(reason.clone());
                    r.explanation = format!("missed ({reason}): 0 of {max:.1}");
                }
                _ => {}
            }
        }
        if r.reference_at.is_none() {
            // Missed or undecided: the clock ran from the detection it counts from.
            r.reference_at = match &c.after {
                Some(after) => detections
                    .iter()
                    .find(|d| &d.id == after)
                    .and_then(|d| d.detected_at),
                None => detections.iter().filter_map(|d| d.detected_at).min(),
            };
        }
        r
    }
}

/// The runbook's steps as the journal saw them done, and the deductions: the hints
/// taken, in step order, then every broken `must_not` guard.
fn runbook_results(rb: &Runbook, events: &[Event]) -> (Vec<RunbookStepResult>, Vec<Penalty>) {
    let mut runbook = Vec::new();
    let mut penalties = Vec::new();
    let total_weight: f64 = rb
        .steps()
        .map(|(_, s, _)| f64::from(s.points))
        .sum::<f64>()
        .max(1.0);
    type Done = (String, u64, DateTime<Utc>, Actor, Option<String>);
    let done: Vec<Done> = events
        .iter()
        .filter_map(|e| match &e.body {
            Body::RunbookStepDone { step, by, who, .. } => {
                Some((step.clone(), e.seq, e.at, *by, who.clone()))
            }
            _ => None,
        })
        .collect();
    let order: Vec<&str> = rb.steps().map(|(_, s, _)| s.id.as_str()).collect();
    for (i, (phase, s, _)) in rb.steps().enumerate() {
        let max = RUNBOOK_POINTS * f64::from(s.points) / total_weight;
        let mine = done.iter().find(|d| d.0 == s.id);
        let in_order = mine.is_some_and(|m| {
            order[..i].iter().all(|earlier| {
                done.iter()
                    .find(|d| d.0 == *earlier)
                    .is_none_or(|d| d.1 < m.1)
            })
        });
        let hint_taken = events
            .iter()
            .any(|e| matches!(&e.body, Body::HintTaken { step, .. } if step == &s.id));
        let points = match (mine, in_order) {
            (Some(_), true) => max,
            (Some(_), false) => max / 2.0,
            (None, _) => 0.0,
        };
        if hint_taken {
            penalties.push(Penalty {
                points: -HINT_COST,
                reason: format!("hint taken on `{}`", s.id),
            });
        }
        runbook.push(RunbookStepResult {
            id: s.id.clone(),
            title: s.title.clone(),
            phase,
            done_at: mine.map(|m| m.2),
            by: mine.map(|m| m.3),
            who: mine.and_then(|m| m.4.clone()),
            in_order,
            hint_taken,
            points,
            max_points: max,
        });
    }
    for e in events {
        if let Body::MustNotBroken {
            step,
            action,
            reason,
        } = &e.body
        {
            penalties.push(Penalty {
                points: -MUST_NOT_COST,
                reason: format!("`{action}` before `{step}` was done: {reason}"),
            });
        }
    }
    (runbook, penalties)
}

impl Score {
    /// The points of each part and the total, out of what `plan` makes possible, with
    /// its grade.
    fn of(
        plan: &Plan,
        detections: &[DetectionResult],
        containments: &[ContainmentResult],
        runbook: &[RunbookStepResult],
        penalties: &[Penalty],
    ) -> Score {
        let sc = &plan.scenario;
        let detection: f64 = detections.iter().map(|d| d.points).sum();
        let containment: f64 = containments.iter().map(|c| c.points).sum();
        let runbook_raw: f64 = runbook.iter().map(|r| r.points).sum();
        let penalty: f64 = penalties.iter().map(|p| p.points).sum();
        let runbook_points = (runbook_raw + penalty).max(0.0);
        let max = if sc.detect.is_empty() {
            0.0
        } else {
            DETECTION_POINTS
        } + if sc.respond.is_empty() {
            0.0
        } else {
            CONTAINMENT_POINTS
        } + if plan.runbook.is_some() {
            RUNBOOK_POINTS
        } else {
            0.0
        };
        let total = round1(detection + containment + runbook_points);
        let pct = if max > 0.0 { total / max * 100.0 } else { 0.0 };
        let grade = match pct {
            p if p >= 90.0 => 'A',
            p if p >= 80.0 => 'B',
            p if p >= 70.0 => 'C',
            p if p >= 60.0 => 'D',
            _ => 'F',
        };
        Score {
            total,
            max,
            grade,
            detection: round1(detection),
            containment: round1(containment),
            runbook: round1(runbook_points),
        }
    }
}

impl Cleanup {
    /// What the last clean-up of the journal did, if one finished: each resource's last
    /// word, so that a failed revert made good later (the sweep) is not left behind.
    fn finished(events: &[Event]) -> Option<Cleanup> {
        let (mut c, remaining) = events.iter().rev().find_map(|e| match &e.body {
            Body::CleanupFinished {
                reverted,
                failed,
                remaining,
                ..
            } => Some((
                Cleanup {
                    reverted: *reverted,
                    failed: *failed,
                    ..Cleanup::default()
                },
                remaining.clone(),
            )),
            _ => None,
        })?;
        let mut last: Vec<(&str, bool, bool, String)> = Vec::new();
        for e in events {
            if let Body::Reverted {
                resource,
                ok,
                error,
                not_ours,
                ..
            } = &e.body
            {
                last.retain(|(r, ..)| *r != resource.as_str());
                let why = format!("{resource}: {}", error.clone().unwrap_or_default());
                last.push((resource, *ok, *not_ours, why));
            }
        }
        for (_, ok, not_ours, why) in last {
            match (ok, not_ours) {
                (true, _) => {}
                (false, true) => c.not_ours.push(why),
                (false, false) => c.left_behind.push(why),
            }
        }
        c.verified = remaining.as_ref().is_some_and(Vec::is_empty);
        for r in remaining.into_iter().flatten() {
            if !c.left_behind.iter().any(|l| l.starts_with(&r)) {
                c.left_behind
                    .push(format!("{r}: still there after clean-up"));
            }
        }
        Some(c)
    }

    /// A run interrupted before clean-up: every change journaled and not reverted
    /// remains; `None` when there is none.
    fn interrupted(events: &[Event]) -> Option<Cleanup> {
        let reverted: Vec<&str> = events
            .iter()
            .filter_map(|e| match &e.body {
                Body::Reverted {
                    resource, ok: true, ..
                } => Some(resource.as_str()),
                _ => None,
            })
            .collect();
        let created: Vec<String> = events
            .iter()
            .filter_map(|e| match &e.body {
                Body::ResourceCreated { undo, .. }
                    if !reverted.contains(&undo.resource.as_str()) =>
                {
                    Some(undo.resource.clone())
                }
                _ => None,
            })
            .fold(Vec::new(), |mut v, r| {
                // Two changes to one resource leave one thing behind.
                if !v.contains(&r) {
                    v.push(r);
                }
                v
            });
        (!created.is_empty()).then_some(Cleanup {
            left_behind: created,
            ..Cleanup::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{Summary, timeliness};
    use crate::event::{Body, Event};

    #[test]
    fn a_deadline_beyond_what_a_signed_time_holds_is_still_a_deadline() {
        let mut events: Vec<Event> = include_str!("../tests/journals/passed/journal.jsonl")
            .lines()
            .map(|l| serde_json::from_str(l).expect("an event"))
            .collect();
        if let Body::RunStarted { plan, .. } = &mut events[0].body {
            plan.scenario.detect[0].within = crate::duration::Duration::from_millis(u64::MAX);
            plan.scenario.respond[0].within = crate::duration::Duration::from_millis(u64::MAX);
        }
        let s = Summary::from_events(&events);
        assert!(s.detections[0].met && s.containments[0].met);
    }

    #[test]
    fn late_credit_is_never_rounded_to_full_or_to_none() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/journals/passed");
        let mut events = crate::journal::read(&dir).expect("the journal").events;
        let s = Summary::from_events(&events);
        let (within_d, within_c) = (
            s.detections[0].within_seconds as i64 * 1000,
            s.containments[0].within_seconds as i64 * 1000,
        );
        // A millisecond past the deadline keeps nearly every point, and a millisecond
        // short of twice the deadline nearly none: neither is all, nor nothing.
        for (late, credit) in [(1, "99%"), (-1, "1%")] {
            for e in &mut events {
                match &mut e.body {
                    Body::DetectionMet { ttd_ms, .. } => {
                        *ttd_ms = if late > 0 {
                            within_d + 1
                        } else {
                            2 * within_d - 1
                        }
                    }
                    Body::ContainmentMet { ttc_ms, .. } => {
                        *ttc_ms = if late > 0 {
                            within_c + 1
                        } else {
                            2 * within_c - 1
                        }
                    }
                    _ => {}
                }
            }
            let s = Summary::from_events(&events);
            let d = &s.detections[0].explanation;
            let c = &s.containments[0].explanation;
            assert!(
                d.starts_with("detected late") && d.contains(&format!(": {credit} of ")),
                "{d}"
            );
            assert!(
                c.starts_with("contained late") && c.contains(&format!(": {credit} of ")),
                "{c}"
            );
        }
    }

    #[test]
    fn points_decay_linearly_to_twice_the_deadline() {
        assert_eq!(timeliness(0, 1000), 1.0);
        assert_eq!(timeliness(1000, 1000), 1.0);
        assert_eq!(timeliness(1500, 1000), 0.5);
        assert_eq!(timeliness(2000, 1000), 0.0);
        assert_eq!(timeliness(9000, 1000), 0.0);
    }
}
