//! What happens during a run, as timestamped events: the journal records them, the
//! console and the progress display show them, and scores and reports are computed from
//! them alone.

use crate::library::Plan;
use crate::sandbox::TargetInfo;
use crate::scenario::Source;
use crate::steps::Undo;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One event: when it happened (UTC, and run time since the start) and what.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Position in the run, from 0.
    pub seq: u64,
    /// UTC instant.
    pub at: DateTime<Utc>,
    /// Run time since the start, in milliseconds (monotonic).
    pub t_ms: u64,
    /// What happened.
    #[serde(flatten)]
    pub body: Body,
}

impl Event {
    /// The event with every string in it — ids, titles, reasons, notes, step outputs, the
    /// embedded scenario and runbook, object keys too — cleaned by
    /// [`text::clean`](crate::text::clean), line breaks kept. Reports are built from
    /// cleaned events, so that nothing a journal holds puts a control character into one.
    pub fn cleaned(&self) -> Event {
        // Written as the journal writes it; read back only when something needs cleaning.
        let cleaned = serde_json::to_string(self).and_then(|json| {
            if !crate::text::json_needs_cleaning(&json) {
                return Ok(None);
            }
            let mut v: Value = serde_json::from_str(&json)?;
            crate::text::clean_json(&mut v);
            serde_json::from_value(v).map(Some)
        });
        match cleaned {
            Ok(Some(e)) => e,
            Ok(None) => self.clone(),
            // Only a field whose reader refuses its cleaned text can fail, and the
            // journal's own fields take any text; keep the event rather than lose it.
            Err(e) => {
                tracing::warn!("event {} left as it is: {e}", self.seq);
                self.clone()
            }
        }
    }
}

/// The lifecycle phases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum RunPhase {
    Preflight,
    Setup,
    Attack,
    Watch,
    Cleanup,
    Report,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Every expectation met.
    Passed,
    /// An expectation missed.
    Failed,
    /// Ended early (Ctrl-C, a failed step, a stop condition) or clean-up incomplete.
    Aborted,
    /// The journal stops before the run ended (the process died).
    Interrupted,
}

impl Outcome {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Failed => "failed",
            Outcome::Aborted => "aborted",
            Outcome::Interrupted => "interrupted",
        }
    }

    /// The process exit code for this outcome.
    pub fn exit_code(self) -> i32 {
        match self {
            Outcome::Passed => 0,
            Outcome::Failed => 1,
            Outcome::Aborted | Outcome::Interrupted => 3,
        }
    }
}

/// Who did something in response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    /// The `--autopilot` responder.
    Autopilot,
    /// A person in the console.
    Responder,
    /// The engine, on seeing the account's state.
    Engine,
}

/// How a containment time was established.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TimeSource {
    /// The provider's audit record (CloudTrail) of the change.
    Audit,
    /// The poll that first saw the condition hold; the bound is recorded beside it.
    Poll,
}

/// The clock a run kept: virtual time, or real time at a speed. Journaled as `virtual` or
/// `real x30`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum RunClock {
    /// Virtual time: the run waits for nothing.
    Virtual,
    /// Real time, `speed` times faster (1: wall-clock time).
    Real {
        /// The speed.
        speed: f64,
    },
}

impl From<crate::clock::ClockMode> for RunClock {
    fn from(mode: crate::clock::ClockMode) -> Self {
        match mode {
            crate::clock::ClockMode::Virtual => RunClock::Virtual,
            crate::clock::ClockMode::Real { speed } => RunClock::Real { speed },
        }
    }
}

impl std::fmt::Display for RunClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunClock::Virtual => f.write_str("virtual"),
            RunClock::Real { speed } => write!(f, "real x{speed}"),
        }
    }
}

impl From<RunClock> for String {
    fn from(c: RunClock) -> String {
        c.to_string()
    }
}

impl TryFrom<String> for RunClock {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        if s == "virtual" {
            return Ok(RunClock::Virtual);
        }
        s.strip_prefix("real x")
            .and_then(|n| n.parse::<f64>().ok())
            .filter(|speed| speed.is_finite() && *speed > 0.0)
            .map(|speed| RunClock::Real { speed })
            .ok_or_else(|| format!("`{s}` is not a clock: `virtual` or `real xN`"))
    }
}

/// How a runbook step got done. Journaled as `ticked`, `action` or `verified: ID`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Completion {
    /// A responder ticked it off.
    Ticked,
    /// Its action ran and succeeded.
    Action,
    /// The engine saw the expectation it verifies met.
    Verified(String),
}

impl std::fmt::Display for Completion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Completion::Ticked => f.write_str("ticked"),
            Completion::Action => f.write_str("action"),
            Completion::Verified(id) => write!(f, "verified: {id}"),
        }
    }
}

impl From<Completion> for String {
    fn from(c: Completion) -> String {
        c.to_string()
    }
}

impl TryFrom<String> for Completion {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        match s.as_str() {
            "ticked" => Ok(Completion::Ticked),
            "action" => Ok(Completion::Action),
            _ => s
                .strip_prefix("verified: ")
                .map(|id| Completion::Verified(id.to_owned()))
                .ok_or_else(|| {
                    format!(
                        "`{s}` is not how a step gets done: `ticked`, `action` or `verified: ID`"
                    )
                }),
        }
    }
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// The kinds of events. Field names are the JSON keys of the journal and say what they
/// hold; each variant's doc says when it is written.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Body {
    /// The run began; embeds the resolved scenario and runbook.
    RunStarted {
        run_id: String,
        version: String,
        target: TargetInfo,
        seed: u64,
        clock: RunClock,
        autopilot: bool,
        plan: Box<Plan>,
        /// The machine the run's process ran on (absent in older journals).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        host: Option<String>,
    },
    /// A lifecycle phase began.
    PhaseStarted { phase: RunPhase },
    /// A step is about to run (the intent, written before any call).
    StepStarted {
        phase: RunPhase,
        step: String,
        action: String,
        with: Map<String, Value>,
    },
    /// A step changed something that clean-up must undo.
    ResourceCreated { step: String, undo: Undo },
    /// A step returned; for an attack step this instant is T0.
    StepCompleted {
        step: String,
        outputs: Map<String, Value>,
    },
    /// A step failed.
    StepFailed { step: String, error: String },
    /// A detection arrived. `detected_at` is the provider's own timestamp.
    DetectionMet {
        id: String,
        source: Source,
        name: String,
        t0: DateTime<Utc>,
        detected_at: DateTime<Utc>,
        observed_at: DateTime<Utc>,
        ttd_ms: i64,
        evidence: String,
        title: String,
        /// A response drill's detection: a GuardDuty sample finding the run created, so
        /// `ttd_ms` is not GuardDuty's time to detect (absent in older journals).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        sample: bool,
    },
    /// A detection did not arrive by twice its deadline (or the run ended first).
    DetectionMissed {
        id: String,
        source: Source,
        t0: Option<DateTime<Utc>>,
        reason: String,
    },
    /// Containment reached.
    ContainmentMet {
        id: String,
        reference_at: DateTime<Utc>,
        contained_at: DateTime<Utc>,
        time_source: TimeSource,
        last_seen_false: Option<DateTime<Utc>>,
        first_seen_true: DateTime<Utc>,
        ttc_ms: i64,
    },
    /// Containment not reached.
    ContainmentMissed { id: String, reason: String },
    /// A responder (or the autopilot) ran a runbook step's action.
    ResponderAction {
        by: Actor,
        runbook_step: String,
        action: String,
        with: Map<String, Value>,
        ok: bool,
        error: Option<String>,
        /// The participant, when a team plays (absent when one person plays alone).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        who: Option<String>,
    },
    /// A runbook step is done.
    RunbookStepDone {
        step: String,
        by: Actor,
        how: Completion,
        /// The participant, when a team plays (absent when one person plays alone).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        who: Option<String>,
    },
    /// A responder asked for a hint.
    HintTaken {
        step: String,
        by: Actor,
        /// The participant, when a team plays (absent when one person plays alone).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        who: Option<String>,
    },
    /// An action ran before the step that guards against it was done.
    MustNotBroken {
        step: String,
        action: String,
        reason: String,
    },
    /// A responder acknowledged a detection.
    DetectionAcknowledged {
        id: String,
        by: Actor,
        /// The participant, when a team plays (absent when one person plays alone).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        who: Option<String>,
    },
    /// A responder's note.
    NoteAdded {
        text: String,
        by: Actor,
        /// The participant, when a team plays (absent when one person plays alone).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        who: Option<String>,
        /// The inject this note answers.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        answers: Option<String>,
    },
    /// A message to the team: pressure beyond the technical, from the scenario or typed
    /// by the facilitator (`who`). `to`: the role it is addressed to (none: everyone);
    /// `answer`: it asks for a note as its answer.
    InjectSent {
        id: String,
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<crate::team::Role>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        answer: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        who: Option<String>,
    },
    /// A participant joined the game day: `via` is `host`, `socket` or the peer's address.
    ParticipantJoined {
        name: String,
        role: crate::team::Role,
        via: String,
    },
    /// A participant left (or their connection was lost); the game day goes on.
    ParticipantLeft { name: String, reason: String },
    /// An attempt to join was refused (a wrong token, a name taken…).
    JoinRefused { from: String, reason: String },
    /// One undo at clean-up. `not_ours`: refused, because what it would delete or change
    /// does not carry the run's tag (`error` says why); left alone.
    Reverted {
        resource: String,
        action: String,
        ok: bool,
        error: Option<String>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        not_ours: bool,
    },
    /// Clean-up ended. `remaining`: what the last look found of the run's still in the
    /// account (absent when it could not look, and in journals older than that look).
    CleanupFinished {
        reverted: u32,
        failed: u32,
        #[serde(default, skip_serializing_if = "is_zero")]
        not_ours: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        remaining: Option<Vec<String>>,
    },
    /// The simulator's ground truth: what it scheduled, for checking the measurements.
    SimTruth {
        detections: Vec<crate::sandbox::TruthEvent>,
    },
    /// The run ended.
    RunEnded { outcome: Outcome, reason: String },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_fields_keep_the_journals_text() {
        for (clock, text) in [
            (RunClock::Virtual, "virtual"),
            (RunClock::Real { speed: 30.0 }, "real x30"),
            (RunClock::Real { speed: 0.5 }, "real x0.5"),
        ] {
            let json = serde_json::to_string(&clock).expect("serialises");
            assert_eq!(json, format!("\"{text}\""));
            assert_eq!(serde_json::from_str::<RunClock>(&json).ok(), Some(clock));
        }
        for (how, text) in [
            (Completion::Ticked, "ticked"),
            (Completion::Action, "action"),
            (Completion::Verified("key-off".into()), "verified: key-off"),
        ] {
            let json = serde_json::to_string(&how).expect("serialises");
            assert_eq!(json, format!("\"{text}\""));
            assert_eq!(serde_json::from_str::<Completion>(&json).ok(), Some(how));
        }
    }

    #[test]
    fn a_field_the_journal_never_wrote_is_refused_with_what_it_may_hold() {
        let e = serde_json::from_str::<RunClock>("\"real x0\"").expect_err("no speed 0");
        assert!(e.to_string().contains("`virtual` or `real xN`"), "{e}");
        let e = serde_json::from_str::<Completion>("\"guessed\"").expect_err("not a way");
        assert!(
            e.to_string()
                .contains("`ticked`, `action` or `verified: ID`"),
            "{e}"
        );
    }
}
