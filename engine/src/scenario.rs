//! Scenarios: one simulated attack each, with its prerequisites, the detections it must
//! raise and the containment responders must reach.

use crate::duration::Duration;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// The pattern of scenario, runbook and step ids.
pub const ID_PATTERN: &str = "^[a-z0-9][a-z0-9-]*$";

/// A scenario as written in YAML.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Unique id; equals the file name without `.yaml`.
    #[schemars(regex(pattern = "^[a-z0-9][a-z0-9-]*$"))]
    pub id: String,
    /// One line a responder reads first.
    pub title: String,
    /// What the attack is, in a few sentences.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub summary: String,
    /// MITRE ATT&CK technique ids, such as T1078.004.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mitre: Vec<String>,
    /// How bad the real thing would be.
    pub severity: Severity,
    /// Free-form labels to select scenarios by.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// The id of the runbook responders follow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runbook: Option<String>,
    /// Values a run may override with `--param NAME=VALUE`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, Param>,
    /// Prerequisites, created before the attack and reverted at clean-up.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub setup: Vec<Step>,
    /// The simulated attacker's steps.
    pub attack: Vec<Step>,
    /// Detections the attack must raise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub detect: Vec<Detect>,
    /// Containment responders must reach.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub respond: Vec<Respond>,
    /// Messages to the team during the exercise: pressure beyond the technical.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub injects: Vec<Inject>,
}

/// Severity of the real attack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// A scenario parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Param {
    /// The value when the run does not give one; may use `${run.id}`.
    pub default: Value,
    /// What the parameter is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// It names something already in the account that the attack uses as it is (a trail,
    /// a bucket): the run never creates or deletes it, and reverts only the attack's own
    /// changes to it, while they still hold.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub existing: bool,
}

/// One step of setup or attack: a step kind and its inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Unique id within the scenario; later steps reference its outputs as `${steps.ID.OUTPUT}`.
    #[schemars(regex(pattern = "^[a-z0-9][a-z0-9-]*$"))]
    pub id: String,
    /// The step kind, such as `iam.create_user` (`gameday steps` lists them).
    pub action: String,
    /// Inputs of the step kind.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub with: serde_json::Map<String, Value>,
    /// What the step stands for in the story.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// Where a detection comes from: the name of a detector of the registry
/// (`crate::detectors`), such as `guardduty` or `securityhub`. Validation refuses names
/// the registry lacks.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Source(std::borrow::Cow<'static, str>);

impl Source {
    /// GuardDuty findings.
    pub const GUARDDUTY: Source = Source::named("guardduty");
    /// CloudWatch alarms.
    pub const CLOUDWATCH: Source = Source::named("cloudwatch");

    /// The source called `name`.
    pub const fn named(name: &'static str) -> Source {
        Source(std::borrow::Cow::Borrowed(name))
    }

    /// The lowercase name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Source {
    fn from(s: &str) -> Self {
        Source(std::borrow::Cow::Owned(s.to_owned()))
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl JsonSchema for Source {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Source".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^[a-z0-9_]+$",
            "description": "A detector: guardduty, cloudwatch, securityhub, eventbridge, logs or command (`gameday detectors` lists them)."
        })
    }
}

/// A detection the attack must raise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Detect {
    /// Unique id within the scenario.
    #[schemars(regex(pattern = "^[a-z0-9][a-z0-9-]*$"))]
    pub id: String,
    /// Which detector.
    pub source: Source,
    /// GuardDuty finding type, such as `PenTest:IAMUser/KaliLinux`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finding_type: Option<String>,
    /// CloudWatch alarm name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alarm: Option<String>,
    /// Inputs of the detector, for those that take more than a finding type or an alarm
    /// (`gameday detectors` lists each one's).
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub with: serde_json::Map<String, Value>,
    /// What the detection must be about: keys the detector names (for GuardDuty
    /// `access_key_id`, `user_name`, `instance_id`, `bucket`, `trail_name`), each with a
    /// value that may reference step outputs.
    #[serde(default, rename = "match", skip_serializing_if = "BTreeMap::is_empty")]
    pub matches: BTreeMap<String, String>,
    /// The detection before this one on the alert path (for example the GuardDuty finding
    /// before its Security Hub finding): the reports show the time of each hop.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// A response drill (guardduty only): met only by a GuardDuty sample finding of the
    /// type, created by an attack step after T0 (`guardduty.create_sample_findings`),
    /// never by a real one; its time to detect is the sample's `createdAt` minus T0, and
    /// the reports say so. Without it, sample findings are never counted.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sample: bool,
    /// The attack step whose return is T0; default: the last attack step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger: Option<String>,
    /// Deadline after T0.
    pub within: Duration,
    /// What this detection proves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// Containment the responders must reach: a condition on the account's state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Respond {
    /// Unique id within the scenario.
    #[schemars(regex(pattern = "^[a-z0-9][a-z0-9-]*$"))]
    pub id: String,
    /// The containment check, such as `iam.access_key_status`.
    pub check: String,
    /// Inputs of the check.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub with: serde_json::Map<String, Value>,
    /// The value the check must report.
    pub expect: Value,
    /// The detection time to contain counts from; default: the first detection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// Deadline after that detection.
    pub within: Duration,
    /// What this containment means.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A message to the team during the exercise, such as a question from Legal or a
/// journalist's call, sent `at` after the end of the attack or, with `after`, after a
/// detection or containment is met.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Inject {
    /// Unique id within the scenario's injects.
    #[schemars(regex(pattern = "^[a-z0-9][a-z0-9-]*$"))]
    pub id: String,
    /// What the team is told.
    pub message: String,
    /// How long after the end of the attack (or after `after` is met) it is sent;
    /// default: at once.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub at: Duration,
    /// A detection or containment of this scenario: the inject waits until it is met
    /// (and is never sent when it is missed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// The role it is addressed to; default: everyone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<crate::team::Role>,
    /// It asks for an answer: a note written in reply, whose time is reported.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub answer: bool,
}

fn is_zero(d: &Duration) -> bool {
    *d == Duration::ZERO
}

impl Scenario {
    /// Setup steps then attack steps, with the phase each belongs to.
    pub fn steps(&self) -> impl Iterator<Item = (Phase, &Step)> {
        self.setup
            .iter()
            .map(|s| (Phase::Setup, s))
            .chain(self.attack.iter().map(|s| (Phase::Attack, s)))
    }

    /// The attack step whose return starts the clock of `detect`.
    pub fn trigger_of<'a>(&'a self, detect: &'a Detect) -> Option<&'a str> {
        detect
            .trigger
            .as_deref()
            .or_else(|| self.attack.last().map(|s| s.id.as_str()))
    }
}

/// Where a step sits in the scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum Phase {
    Setup,
    Attack,
}

impl Phase {
    /// The key of the list in YAML.
    pub fn key(self) -> &'static str {
        match self {
            Phase::Setup => "setup",
            Phase::Attack => "attack",
        }
    }
}
