//! ATT&CK coverage of the scenario library: the matrix of tactics × techniques (kept as
//! data in `attack.yaml`), each technique marked with the scenarios that exercise it and,
//! given runs, whether the latest run of each of those scenarios detected it. Techniques
//! no scenario exercises are the gaps; technique ids the data does not know are kept, in
//! an "other" group.
//!
//! One [`Coverage`] renders as a plain-text table ([`Coverage::to_text`]), a versioned
//! JSON document ([`Coverage::to_json`]) and a self-contained HTML page
//! ([`Coverage::to_html`]).

use crate::event::Outcome;
use crate::scenario::Scenario;
use crate::score::Summary;
use crate::text::clean;
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;

pub use crate::attack::{Attack, Moved, Tactic, Technique};

mod html;
#[cfg(test)]
mod tests;
mod text;

/// The version of the JSON coverage structure; it changes only when a field is removed or
/// changes meaning.
pub const COVERAGE_VERSION: u32 = 1;

/// What a scenario's latest run says about the techniques it exercises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunResult {
    /// Every detection expectation was met within its deadline.
    Detected,
    /// A detection was missed or late.
    Missed,
    /// The run was aborted or interrupted before every detection was met.
    Interrupted,
    /// The scenario has no run among those given.
    NotRun,
}

impl RunResult {
    /// The result of a run: detected when it has detection expectations and met every
    /// one; else interrupted when it was aborted or interrupted; else missed.
    pub fn of(s: &Summary) -> RunResult {
        if !s.detections.is_empty() && s.detections.iter().all(|d| d.met) {
            RunResult::Detected
        } else if matches!(s.outcome, Outcome::Aborted | Outcome::Interrupted) {
            RunResult::Interrupted
        } else {
            RunResult::Missed
        }
    }

    /// The snake-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            RunResult::Detected => "detected",
            RunResult::Missed => "missed",
            RunResult::Interrupted => "interrupted",
            RunResult::NotRun => "not run",
        }
    }

    /// One character for the text table.
    fn symbol(self) -> char {
        match self {
            RunResult::Detected => '✓',
            RunResult::Missed => '✗',
            RunResult::Interrupted => '!',
            RunResult::NotRun => '-',
        }
    }
}

/// The state of a technique in the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CellStatus {
    /// No scenario exercises it: a gap.
    Gap,
    /// Exercised by a scenario, but none of those scenarios has a run among those given
    /// (or no runs were given).
    Exercised,
    /// The latest run of some scenario exercising it detected it, and none missed it.
    Detected,
    /// The latest run of a scenario exercising it missed a detection.
    Missed,
    /// The only latest runs were aborted or interrupted.
    Interrupted,
}

impl CellStatus {
    /// The name people read.
    pub fn as_str(self) -> &'static str {
        match self {
            CellStatus::Gap => "gap",
            CellStatus::Exercised => "exercised",
            CellStatus::Detected => "detected",
            CellStatus::Missed => "missed",
            CellStatus::Interrupted => "interrupted",
        }
    }

    /// The name people read; "not run" for exercised when runs were given.
    pub fn label(self, with_runs: bool) -> &'static str {
        match self {
            CellStatus::Exercised if with_runs => "not run",
            other => other.as_str(),
        }
    }

    fn class(self) -> Option<&'static str> {
        match self {
            CellStatus::Gap => None,
            CellStatus::Exercised | CellStatus::Interrupted => Some("cell-exercised"),
            CellStatus::Detected => Some("cell-detected"),
            CellStatus::Missed => Some("cell-missed"),
        }
    }

    /// Missed outweighs detected, which outweighs interrupted, which outweighs not run.
    fn of(results: &[Option<RunResult>]) -> CellStatus {
        let has = |r: RunResult| results.contains(&Some(r));
        if results.is_empty() {
            CellStatus::Gap
        } else if has(RunResult::Missed) {
            CellStatus::Missed
        } else if has(RunResult::Detected) {
            CellStatus::Detected
        } else if has(RunResult::Interrupted) {
            CellStatus::Interrupted
        } else {
            CellStatus::Exercised
        }
    }
}

/// A scenario exercising a technique, with its latest run's result.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ScenarioMark {
    /// The scenario id.
    pub scenario: String,
    /// Its latest run's result; `null` when no runs were given.
    pub result: Option<RunResult>,
}

/// One technique in the matrix.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TechniqueCoverage {
    /// `T1078.004`…
    pub id: String,
    /// The full name (`Valid Accounts: Cloud Accounts`); empty for an id the data does
    /// not know.
    pub name: String,
    /// True for a sub-technique.
    pub sub_technique: bool,
    /// Gap, exercised, detected, missed or interrupted.
    pub status: CellStatus,
    /// The library scenarios that list it under `mitre:`, by id.
    pub scenarios: Vec<ScenarioMark>,
}

/// One tactic (a column of the matrix).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TacticCoverage {
    /// `TA0001`…
    pub id: String,
    /// `initial-access`…
    pub key: String,
    /// `Initial Access`…
    pub name: String,
    /// Its techniques: each sub-technique after its parent.
    pub techniques: Vec<TechniqueCoverage>,
}

/// The latest run of a scenario.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct LatestRun {
    /// The run id.
    pub run_id: String,
    /// When it started (UTC).
    pub started_at: DateTime<Utc>,
    /// How it ended.
    pub outcome: Outcome,
    /// Detection expectations met within their deadline.
    pub detections_met: usize,
    /// Detection expectations.
    pub detections: usize,
}

/// A scenario of the library.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ScenarioCoverage {
    /// The scenario id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// The technique ids it lists under `mitre:`.
    pub techniques: Vec<String>,
    /// Its latest run among those given.
    pub latest_run: Option<LatestRun>,
    /// That run's result; `null` when no runs were given.
    pub result: Option<RunResult>,
}

/// Counts over distinct techniques.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct CoverageTotals {
    /// Techniques and sub-techniques in the ATT&CK data.
    pub techniques: usize,
    /// Of those, exercised by at least one scenario.
    pub exercised: usize,
    /// Of those, detected by the latest runs (see [`CellStatus::Detected`]).
    pub detected: usize,
    /// Of those, missed by a latest run.
    pub missed: usize,
    /// Technique ids of the library the data does not know.
    pub other: usize,
}

/// The ATT&CK coverage of a scenario library.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Coverage {
    /// Always `gameday-coverage`.
    pub kind: String,
    /// The structure's version ([`COVERAGE_VERSION`]).
    pub version: u32,
    /// The ATT&CK version of the data.
    pub attack_version: String,
    /// The platforms the techniques were chosen from.
    pub platforms: Vec<String>,
    /// True when runs were given: then each scenario mark carries a result.
    pub with_runs: bool,
    /// Runs given.
    pub runs: usize,
    /// Of those, runs of scenarios that are not in the library (ignored).
    pub runs_of_other_scenarios: usize,
    /// Counts.
    pub totals: CoverageTotals,
    /// The matrix: one entry per tactic, in matrix order.
    pub tactics: Vec<TacticCoverage>,
    /// Technique ids of the library that the ATT&CK data does not know.
    pub other: Vec<TechniqueCoverage>,
    /// The scenarios of the library, by id.
    pub scenarios: Vec<ScenarioCoverage>,
}

/// What coverage needs of a library scenario.
#[derive(Debug, Clone)]
pub struct LibraryScenario {
    /// Its id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// The technique ids under `mitre:`.
    pub mitre: Vec<String>,
}

impl From<&Scenario> for LibraryScenario {
    fn from(s: &Scenario) -> Self {
        // Scenario files are data like journals: their text is cleaned here, as
        // journals' is when their summaries are built.
        LibraryScenario {
            id: clean(&s.id, false),
            title: clean(&s.title, false),
            mitre: s.mitre.iter().map(|m| clean(m, false)).collect(),
        }
    }
}

impl Coverage {
    /// The coverage of `scenarios`; with `runs` (read with [`Summary::of_journal`]), the
    /// latest run of each scenario (by start time, then run id) decides its result.
    pub fn new(attack: &Attack, scenarios: &[LibraryScenario], runs: Option<&[Summary]>) -> Self {
        let mut scenarios: Vec<&LibraryScenario> = scenarios.iter().collect();
        scenarios.sort_by(|a, b| a.id.cmp(&b.id));
        scenarios.dedup_by(|a, b| a.id == b.id);

        let mut latest: HashMap<&str, &Summary> = HashMap::new();
        for s in runs.unwrap_or_default() {
            let newer = latest
                .get(s.scenario.as_str())
                .is_none_or(|l| (s.started_at, &s.run_id) > (l.started_at, &l.run_id));
            if newer {
                latest.insert(s.scenario.as_str(), s);
            }
        }
        let library: HashSet<&str> = scenarios.iter().map(|s| s.id.as_str()).collect();
        let runs_of_other_scenarios = runs
            .unwrap_or_default()
            .iter()
            .filter(|s| !library.contains(s.scenario.as_str()))
            .count();
        let result_of = |id: &str| {
            runs.map(|_| {
                latest
                    .get(id)
                    .map_or(RunResult::NotRun, |s| RunResult::of(s))
            })
        };

        // Technique id → the scenarios listing it, in scenario id order.
        let mut users: BTreeMap<String, Vec<ScenarioMark>> = BTreeMap::new();
        for s in &scenarios {
            // An id an earlier version used counts for the technique that replaced it.
            let mut ids: Vec<String> = s.mitre.iter().map(|m| attack.current_id(m)).collect();
            ids.sort();
            ids.dedup();
            for id in ids {
                users.entry(id).or_default().push(ScenarioMark {
                    scenario: s.id.clone(),
                    result: result_of(&s.id),
                });
            }
        }
        let cell = |t: &Technique| {
            let marks = users.get(&t.id).cloned().unwrap_or_default();
            let results: Vec<Option<RunResult>> = marks.iter().map(|m| m.result).collect();
            TechniqueCoverage {
                id: t.id.clone(),
                name: t.full_name.clone(),
                sub_technique: t.parent.is_some(),
                status: CellStatus::of(&results),
                scenarios: marks,
            }
        };
        let tactics: Vec<TacticCoverage> = attack
            .tactics
            .iter()
            .map(|ta| TacticCoverage {
                id: ta.id.clone(),
                key: ta.key.clone(),
                name: ta.name.clone(),
                techniques: attack.of_tactic(&ta.key).into_iter().map(cell).collect(),
            })
            .collect();
        let other: Vec<TechniqueCoverage> = users
            .iter()
            .filter(|(id, _)| attack.find(id).is_none())
            .map(|(id, marks)| {
                let results: Vec<Option<RunResult>> = marks.iter().map(|m| m.result).collect();
                TechniqueCoverage {
                    id: id.clone(),
                    name: String::new(),
                    sub_technique: id.contains('.'),
                    status: CellStatus::of(&results),
                    scenarios: marks.clone(),
                }
            })
            .collect();
        let known: Vec<TechniqueCoverage> = attack.techniques.iter().map(cell).collect();
        let count = |st: CellStatus| known.iter().filter(|c| c.status == st).count();
        let totals = CoverageTotals {
            techniques: known.len(),
            exercised: known.iter().filter(|c| c.status != CellStatus::Gap).count(),
            detected: count(CellStatus::Detected),
            missed: count(CellStatus::Missed),
            other: other.len(),
        };
        let scenarios = scenarios
            .iter()
            .map(|s| ScenarioCoverage {
                id: s.id.clone(),
                title: s.title.clone(),
                techniques: s.mitre.iter().map(|m| attack.current_id(m)).collect(),
                latest_run: latest.get(s.id.as_str()).map(|r| LatestRun {
                    run_id: r.run_id.clone(),
                    started_at: r.started_at,
                    outcome: r.outcome,
                    detections_met: r.detections.iter().filter(|d| d.met).count(),
                    detections: r.detections.len(),
                }),
                result: result_of(&s.id),
            })
            .collect();
        Coverage {
            kind: "gameday-coverage".to_owned(),
            version: COVERAGE_VERSION,
            attack_version: attack.version.clone(),
            platforms: attack.platforms.clone(),
            with_runs: runs.is_some(),
            runs: runs.map_or(0, <[Summary]>::len),
            runs_of_other_scenarios,
            totals,
            tactics,
            other,
            scenarios,
        }
    }

    /// The JSON document, pretty-printed, with a final newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// The counts in words.
    pub fn summary(&self) -> String {
        let t = &self.totals;
        let mut s = format!(
            "{} scenario(s) exercise {} of {} techniques (ATT&CK v{}, {})",
            self.scenarios.len(),
            t.exercised,
            t.techniques,
            self.attack_version,
            self.platforms.join(", ")
        );
        if self.with_runs {
            let _ = write!(
                s,
                "; by the latest of {} run(s): {} detected, {} missed",
                self.runs, t.detected, t.missed
            );
        }
        if t.other > 0 {
            let _ = write!(s, "; {} other technique id(s)", t.other);
        }
        s
    }
}
