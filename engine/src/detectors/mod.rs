//! Detection sources: where a scenario's `detect` expectations are looked for.
//!
//! Each source lives in its own file with its documentation, the inputs and `match` keys
//! it takes, the API calls it makes, its poll interval, and how it finds a detection
//! (with the provider's own timestamp) through the sandbox, which is an AWS account or
//! the simulator alike. Each is listed once in [`REGISTRY`]; validation, `gameday
//! detectors`, `plan`, the run and the reports read it from there.
//!
//! Adding a source: a file here implementing [`Detector`], its line in [`REGISTRY`], and
//! the sandbox service it reads (a trait in `crate::sandbox`, with its AWS and simulated
//! implementations). `docs/format.md` says the same.

use crate::config::Poll;
use crate::duration::Duration;
use crate::sandbox::{Sandbox, SandboxError};
use crate::scenario::Detect;
use crate::steps::Field;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

mod cloudwatch;
mod command;
mod eventbridge;
mod guardduty;
mod logs;
mod securityhub;

/// Every detection source, in the order `gameday detectors` lists them.
pub static REGISTRY: &[&dyn Detector] = &[
    &guardduty::GuardDuty,
    &cloudwatch::CloudWatch,
    &securityhub::SecurityHub,
    &command::Command,
    &logs::Logs,
    &eventbridge::EventBridge,
];

/// The source named `name`.
pub fn find(name: &str) -> Option<&'static dyn Detector> {
    REGISTRY.iter().copied().find(|d| d.spec().name == name)
}

/// The names of every source.
pub fn names() -> impl Iterator<Item = &'static str> + Clone {
    REGISTRY.iter().map(|d| d.spec().name)
}

/// What a source is.
#[derive(Debug, Serialize)]
pub struct DetectorSpec {
    /// The name scenarios use in `detect[].source`.
    pub name: &'static str,
    /// One line.
    pub summary: &'static str,
    /// What a team should know: what it detects, where its time comes from, its limits.
    pub docs: &'static str,
    /// The key of the detection that names what is detected (`finding_type`, `alarm`), for
    /// the sources that take one; the others take their inputs under `with`.
    pub names_by: Option<&'static str>,
    /// Inputs under `with`.
    pub inputs: &'static [Field],
    /// The keys `match` may use.
    pub match_keys: &'static [&'static str],
    /// The API calls it makes.
    pub calls: &'static [&'static str],
    /// Which timestamp of the provider is the detection time.
    pub time: &'static str,
    /// It has sample findings, for response drills (`sample: true`).
    pub drills: bool,
    /// Which of the target's poll intervals it looks at.
    pub poll: Every,
}

/// The target's poll interval a source is looked at by (`poll` in gameday.yaml).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Every {
    /// `poll.guardduty`.
    GuardDuty,
    /// `poll.cloudwatch`.
    CloudWatch,
    /// `poll.detectors`: every other source that polls.
    Detectors,
    /// Nothing polls: what the run's queue receives is read every second.
    Pushed,
}

impl Every {
    /// Its key in the target's configuration.
    pub fn key(self) -> &'static str {
        match self {
            Every::GuardDuty => "poll.guardduty",
            Every::CloudWatch => "poll.cloudwatch",
            Every::Detectors => "poll.detectors",
            Every::Pushed => "pushed",
        }
    }

    /// The interval, from the target's `poll`.
    pub fn of(self, poll: &Poll) -> Duration {
        match self {
            Every::GuardDuty => poll.guardduty,
            Every::CloudWatch => poll.cloudwatch,
            Every::Detectors => poll.detectors,
            Every::Pushed => Duration::from_secs(1),
        }
    }
}

impl Serialize for Every {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.key())
    }
}

/// Where a source looks, for one detection of one run.
pub struct Look<'a> {
    /// The account.
    pub sandbox: &'a dyn Sandbox,
    /// The expectation.
    pub detect: &'a Detect,
    /// Its `match`, its references resolved.
    pub matches: &'a BTreeMap<String, String>,
    /// Its `with`, its references resolved.
    pub with: &'a Map<String, Value>,
    /// When its trigger step returned.
    pub t0: DateTime<Utc>,
    /// When the run started (what the source is asked for starts there).
    pub run_start: DateTime<Utc>,
    /// The run.
    pub run_id: &'a str,
    /// The provider's time of the detection before this one on the alert path, once met.
    pub after_at: Option<DateTime<Utc>>,
}

impl Look<'_> {
    /// Input `name` of `with`, as text.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.with.get(name).and_then(Value::as_str)
    }
}

/// Input `name` of detection `d` as written (its references unresolved), or nothing.
pub(crate) fn input_text(d: &Detect, name: &str) -> String {
    d.with
        .get(name)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// A detection found: the provider's time, what proves it, and its title.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// The provider's own timestamp.
    pub at: DateTime<Utc>,
    /// The finding id, alarm or event that proves it.
    pub evidence: String,
    /// Its title.
    pub title: String,
}

/// A mistake in a detection, found before any run: where (a key of the detection, or
/// `with.KEY`), what, and a hint.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// The key it is at, relative to the detection (empty: the detection itself).
    pub at: String,
    /// What is wrong.
    pub message: String,
    /// How to put it right.
    pub hint: Option<String>,
}

impl Problem {
    /// A problem at `at`.
    pub fn new(at: &str, message: impl Into<String>, hint: Option<String>) -> Self {
        Problem {
            at: at.to_owned(),
            message: message.into(),
            hint,
        }
    }
}

/// A detection source.
#[async_trait]
pub trait Detector: Sync {
    /// What it is.
    fn spec(&self) -> &'static DetectorSpec;

    /// How often the run looks, from the target's poll intervals.
    fn interval(&self, poll: &Poll) -> Duration {
        self.spec().poll.of(poll)
    }

    /// What the detection is, in a few words (a finding type, an alarm name, a query).
    fn name(&self, d: &Detect) -> String {
        match self.spec().names_by {
            Some("finding_type") => d.finding_type.clone().unwrap_or_default(),
            Some("alarm") => d.alarm.clone().unwrap_or_default(),
            _ => Value::Object(d.with.clone()).to_string(),
        }
    }

    /// Its own checks of a detection, beside the common ones ([`check`]).
    fn check(&self, _d: &Detect) -> Vec<Problem> {
        Vec::new()
    }

    /// The first detection at or after `look.t0`, if there is one yet.
    async fn find(&self, look: &Look<'_>) -> Result<Option<Hit>, SandboxError>;
}

/// The checks every source shares: the key that names what is detected, the inputs
/// under `with` (required, known, of their type) and the `match` keys; then the source's
/// own. An unknown source is the caller's to report.
pub fn check(detector: &dyn Detector, d: &Detect) -> Vec<Problem> {
    let spec = detector.spec();
    let mut out = Vec::new();
    let naming = [
        ("finding_type", d.finding_type.is_some()),
        ("alarm", d.alarm.is_some()),
    ];
    for (key, given) in naming {
        let wanted = spec.names_by == Some(key);
        if wanted && !given {
            out.push(Problem::new(
                "",
                format!("a {} detection needs `{key}`", spec.name),
                None,
            ));
        }
        if given && !wanted {
            out.push(Problem::new(
                key,
                format!("`{key}` is not an input of {} detections", spec.name),
                Some(match spec.names_by {
                    Some(k) => format!("use `{k}`"),
                    None => format!("remove `{key}`; give its inputs under `with`"),
                }),
            ));
        }
    }
    for f in spec.inputs {
        if f.required && !d.with.contains_key(f.name) {
            out.push(Problem::new(
                "with",
                format!("missing input `{}` of {} detections", f.name, spec.name),
                Some(format!("{}: {}", f.name, f.doc)),
            ));
        }
    }
    for (k, v) in &d.with {
        match spec.inputs.iter().find(|f| f.name == k) {
            None => out.push(Problem::new(
                &format!("with.{k}"),
                format!("unknown input `{k}` of {} detections", spec.name),
                Some(crate::diag::suggest(k, spec.inputs.iter().map(|f| f.name))),
            )),
            Some(f) if !f.ty.accepts(v) => out.push(Problem::new(
                &format!("with.{k}"),
                format!("expected {}", f.ty.describe()),
                None,
            )),
            Some(_) => {}
        }
    }
    for k in d.matches.keys() {
        if !spec.match_keys.contains(&k.as_str()) {
            let hint = if spec.match_keys.is_empty() {
                format!("{} detections take no `match`", spec.name)
            } else {
                crate::diag::suggest(k, spec.match_keys.iter().copied())
            };
            out.push(Problem::new(
                &format!("match.{k}"),
                format!("unknown match key `{k}`"),
                Some(hint),
            ));
        }
    }
    if d.sample && !spec.drills {
        out.push(Problem::new(
            "sample",
            format!(
                "`sample` is for guardduty detections: {} has no sample findings",
                spec.name
            ),
            Some("remove `sample`".to_owned()),
        ));
    }
    out.extend(detector.check(d));
    out
}
