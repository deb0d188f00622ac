//! Runbooks: what responders do, by NIST SP 800-61 phase, with steps the engine can verify.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A runbook as written in YAML.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Runbook {
    /// Unique id; equals the file name without `.yaml`.
    #[schemars(regex(pattern = "^[a-z0-9][a-z0-9-]*$"))]
    pub id: String,
    /// Title.
    pub title: String,
    /// What the runbook is for.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub summary: String,
    /// The phases, in NIST order.
    pub phases: Vec<PhaseSteps>,
}

/// NIST SP 800-61 incident-response phases.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum NistPhase {
    /// Detection and analysis.
    DetectAnalyse,
    /// Containment.
    Contain,
    /// Eradication.
    Eradicate,
    /// Recovery.
    Recover,
    /// Post-incident activity.
    PostIncident,
}

impl NistPhase {
    /// A heading for people.
    pub fn title(self) -> &'static str {
        match self {
            NistPhase::DetectAnalyse => "Detect & analyse",
            NistPhase::Contain => "Contain",
            NistPhase::Eradicate => "Eradicate",
            NistPhase::Recover => "Recover",
            NistPhase::PostIncident => "Post-incident",
        }
    }
}

/// The steps of one phase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PhaseSteps {
    /// Which phase.
    pub phase: NistPhase,
    /// Its steps, in order.
    pub steps: Vec<RunbookStep>,
}

/// One thing a responder does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunbookStep {
    /// Unique id within the runbook.
    #[schemars(regex(pattern = "^[a-z0-9][a-z0-9-]*$"))]
    pub id: String,
    /// What to do, in a few words.
    pub title: String,
    /// How to do it, in Markdown.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub instructions: String,
    /// The CLI command, to copy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cli: Option<String>,
    /// A step kind the console can run on the responder's behalf after confirmation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// Inputs of `action`; may reference the scenario's steps.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub with: serde_json::Map<String, Value>,
    /// A detect or respond id of the scenario: the step ticks itself when the engine sees it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify: Option<String>,
    /// Weight in the runbook adherence score.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub points: u32,
    /// A hint; asking for it costs points.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// Actions that must not happen before this step is done.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub must_not: Vec<MustNot>,
}

fn one() -> u32 {
    1
}

fn is_one(n: &u32) -> bool {
    *n == 1
}

/// A guard: an action that breaks the runbook if it happens too early.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MustNot {
    /// The step kind that must not run before the step is done.
    pub action: String,
    /// Why, shown when it is broken.
    pub reason: String,
}

impl Runbook {
    /// Every step in order, with its phase and its key path in the file.
    pub fn steps(&self) -> impl Iterator<Item = (NistPhase, &RunbookStep, String)> {
        self.phases.iter().enumerate().flat_map(|(pi, p)| {
            p.steps
                .iter()
                .enumerate()
                .map(move |(si, s)| (p.phase, s, format!("phases[{pi}].steps[{si}]")))
        })
    }

    /// The step with id `id`.
    pub fn step(&self, id: &str) -> Option<&RunbookStep> {
        self.steps().map(|(_, s, _)| s).find(|s| s.id == id)
    }
}
