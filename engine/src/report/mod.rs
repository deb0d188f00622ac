//! Post-exercise reports, written from journals alone: no scenario files, no account.
//!
//! One or more runs become a [`Report`]; each format renders that same model:
//! Markdown for tickets and wikis, a self-contained HTML page, a versioned JSON document
//! (its JSON Schema is [`schema`]) and JUnit XML for CI.

pub mod html;
mod junit;
mod markdown;
mod svg;
pub mod team;

use crate::event::{Actor, Body};
use crate::journal::Contents;
use crate::score::Summary;
use crate::words::seconds;
pub use crate::words::{Lane, Narrator, TimelineEntry};
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::HashMap;

/// The version of the JSON report structure. It changes only when a field is removed or
/// changes meaning; new fields may appear within a version.
pub const REPORT_VERSION: u32 = 1;

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// GitHub-flavoured Markdown.
    Markdown,
    /// One self-contained HTML page.
    Html,
    /// The versioned JSON document.
    Json,
    /// JUnit XML: one test case per expectation.
    Junit,
}

impl Format {
    /// Every format.
    pub const ALL: [Format; 4] = [Format::Markdown, Format::Html, Format::Json, Format::Junit];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Format::Markdown => "md",
            Format::Html => "html",
            Format::Json => "json",
            Format::Junit => "junit",
        }
    }

    /// The file a report of this format is written to.
    pub fn file_name(self) -> &'static str {
        match self {
            Format::Markdown => "report.md",
            Format::Html => "report.html",
            Format::Json => "report.json",
            Format::Junit => "junit.xml",
        }
    }
}

/// A report: one run, or several runs of one game day combined.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Report {
    /// Always `gameday-report`.
    pub kind: String,
    /// The structure's version ([`REPORT_VERSION`]).
    pub version: u32,
    /// Totals over the runs.
    pub totals: Totals,
    /// The runs, in the order they started.
    pub runs: Vec<RunReport>,
}

/// Totals over the runs of a report.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct Totals {
    /// Runs in the report.
    pub runs: usize,
    /// Runs that met every expectation.
    pub passed: usize,
    /// Runs that missed an expectation.
    pub failed: usize,
    /// Runs ended early or whose clean-up was incomplete.
    pub aborted: usize,
    /// Runs whose journal stops before the run ended.
    pub interrupted: usize,
    /// Expectations (detections and containments) over all runs.
    pub expectations: usize,
    /// Of those, met within their deadline.
    pub expectations_met: usize,
    /// Mean score over the runs, out of 100.
    pub mean_score: f64,
}

/// Everything a report says about one run.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RunReport {
    /// Outcome, score, expectations and clean-up.
    #[serde(flatten)]
    pub summary: Summary,
    /// The version of gameday that ran it.
    pub gameday_version: String,
    /// What the scenario simulates.
    pub scenario_summary: String,
    /// The ATT&CK techniques the scenario exercises.
    pub mitre: Vec<String>,
    /// The runbook's id, if the run had one.
    pub runbook_id: Option<String>,
    /// Run time from the first to the last event, in seconds.
    pub duration_seconds: f64,
    /// Every event of the journal, in words.
    pub timeline: Vec<TimelineEntry>,
    /// Actions responders ran from the runbook.
    pub actions: Vec<ActionEntry>,
    /// Detections acknowledged by a responder.
    pub acknowledgements: Vec<Acknowledgement>,
    /// Hints taken.
    pub hints: Vec<HintEntry>,
    /// Notes written during the run.
    pub notes: Vec<NoteEntry>,
    /// Injects sent to the team, and their answers.
    pub injects: Vec<team::InjectEntry>,
    /// Who took part, when a team played: each person's actions and times.
    pub participants: Vec<team::Participant>,
}

/// A runbook action a responder ran.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ActionEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// Run time, in seconds.
    pub t_seconds: f64,
    /// Who.
    pub by: Actor,
    /// The participant, when a team played.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub who: Option<String>,
    /// The runbook step.
    pub runbook_step: String,
    /// The step kind run.
    pub action: String,
    /// Its inputs.
    pub with: Map<String, Value>,
    /// Whether it succeeded.
    pub ok: bool,
    /// The error, if it failed.
    pub error: Option<String>,
}

/// A detection acknowledged by a responder.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Acknowledgement {
    /// The detection expectation.
    pub detection: String,
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub by: Actor,
    /// The participant, when a team played.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub who: Option<String>,
    /// Time from gameday seeing the detection to the acknowledgement, in seconds.
    pub tta_seconds: Option<f64>,
}

/// A hint taken.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct HintEntry {
    /// The runbook step.
    pub step: String,
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub by: Actor,
    /// The participant, when a team played.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub who: Option<String>,
    /// The hint's text, from the runbook.
    pub text: String,
}

/// A note written during the run.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct NoteEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// Run time, in seconds.
    pub t_seconds: f64,
    /// Who.
    pub by: Actor,
    /// The participant, when a team played.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub who: Option<String>,
    /// The note.
    pub text: String,
    /// The inject it answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answers: Option<String>,
}

impl RunReport {
    /// Builds the report of one journal, from its [cleaned](Contents::cleaned) events: no
    /// text in any format built from it holds a control character.
    pub fn from_contents(contents: &Contents) -> RunReport {
        let contents = &contents.cleaned();
        let events = &contents.events;
        let mut summary = Summary::from_events(events);
        summary.torn_journal = contents.torn_tail;
        let plan = events.first().and_then(|e| match &e.body {
            Body::RunStarted { plan, version, .. } => Some((plan.as_ref(), version.clone())),
            _ => None,
        });
        let (scenario_summary, mitre, runbook) = match plan {
            Some((p, _)) => (
                p.scenario.summary.clone(),
                p.scenario.mitre.clone(),
                p.runbook.as_ref(),
            ),
            None => (String::new(), Vec::new(), None),
        };
        let hint_texts: HashMap<&str, &str> = runbook
            .map(|rb| {
                rb.phases
                    .iter()
                    .flat_map(|p| p.steps.iter())
                    .filter_map(|s| s.hint.as_deref().map(|h| (s.id.as_str(), h)))
                    .collect()
            })
            .unwrap_or_default();
        let observed: HashMap<&str, DateTime<Utc>> = summary
            .detections
            .iter()
            .filter_map(|d| d.observed_at.map(|o| (d.id.as_str(), o)))
            .collect();

        let mut narrator = Narrator::new();
        let mut timeline = Vec::with_capacity(events.len());
        let mut responses = team::Responses::new(&hint_texts, &observed);
        for e in events {
            responses.take(e);
            timeline.push(narrator.narrate(e));
        }
        let team::Responses {
            actions,
            acknowledgements,
            hints,
            notes,
            injects,
            ..
        } = responses;
        let participants = team::participants(events, &acknowledgements);
        let duration_seconds = events.last().map(|e| seconds(e.t_ms)).unwrap_or(0.0);
        RunReport {
            summary,
            gameday_version: plan.map(|(_, v)| v).unwrap_or_default(),
            scenario_summary,
            mitre,
            runbook_id: runbook.map(|r| r.id.clone()),
            duration_seconds,
            timeline,
            actions,
            acknowledgements,
            hints,
            notes,
            injects,
            participants,
        }
    }

    /// The run time of a UTC instant of this run, in seconds.
    pub fn t_of(&self, at: DateTime<Utc>) -> f64 {
        (at - self.summary.started_at).num_milliseconds() as f64 / 1000.0
    }
}

impl Report {
    /// A report of one or more runs, ordered by start time (then run id).
    pub fn new(mut runs: Vec<RunReport>) -> Report {
        runs.sort_by(|a, b| {
            (a.summary.started_at, &a.summary.run_id)
                .cmp(&(b.summary.started_at, &b.summary.run_id))
        });
        let mut t = Totals {
            runs: runs.len(),
            ..Totals::default()
        };
        for r in &runs {
            let s = &r.summary;
            match s.outcome {
                crate::event::Outcome::Passed => t.passed += 1,
                crate::event::Outcome::Failed => t.failed += 1,
                crate::event::Outcome::Aborted => t.aborted += 1,
                crate::event::Outcome::Interrupted => t.interrupted += 1,
            }
            t.expectations += s.detections.len() + s.containments.len();
            t.expectations_met += s.detections.iter().filter(|d| d.met).count()
                + s.containments.iter().filter(|c| c.met).count();
            t.mean_score += s.score.total;
        }
        if !runs.is_empty() {
            t.mean_score = (t.mean_score / runs.len() as f64 * 10.0).round() / 10.0;
        }
        Report {
            kind: "gameday-report".to_owned(),
            version: REPORT_VERSION,
            totals: t,
            runs,
        }
    }

    /// A report of journals.
    pub fn from_journals(journals: &[Contents]) -> Report {
        Report::new(journals.iter().map(RunReport::from_contents).collect())
    }

    /// Renders the report in `format`.
    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Markdown => markdown::render(self),
            Format::Html => html::render(self),
            Format::Json => {
                let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
                s.push('\n');
                s
            }
            Format::Junit => junit::render(self),
        }
    }
}

/// The JSON Schema of the JSON report.
pub fn schema() -> Value {
    serde_json::to_value(schemars::schema_for!(Report)).unwrap_or_default()
}

/// Where an expectation ended up, as every report format tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict<'a> {
    /// Reached within its deadline.
    Met,
    /// Reached, after its deadline.
    Late,
    /// Not reached, for this reason.
    Missed(&'a str),
    /// The run ended before it was decided.
    Undecided,
}

impl<'a> Verdict<'a> {
    /// The verdict of an expectation that was `met` in time, `reached` at all, or
    /// `missed` for a reason.
    pub(crate) fn of(met: bool, reached: bool, missed: Option<&'a str>) -> Verdict<'a> {
        match (met, reached, missed) {
            (true, _, _) => Verdict::Met,
            (false, true, _) => Verdict::Late,
            (false, false, Some(reason)) => Verdict::Missed(reason),
            (false, false, None) => Verdict::Undecided,
        }
    }
}

impl crate::score::DetectionResult {
    /// Its verdict.
    pub(crate) fn verdict(&self) -> Verdict<'_> {
        Verdict::of(
            self.met,
            self.detected_at.is_some(),
            self.missed_reason.as_deref(),
        )
    }

    /// Its time to detect for people, marked as a drill's when it is one.
    pub fn ttd_text(&self) -> String {
        let t = human(self.ttd_seconds);
        if self.sample && self.ttd_seconds.is_some() {
            format!("{t} (drill)")
        } else {
            t
        }
    }

    /// This hop of an alert path, in words: `+1m 30s after gd-finding`.
    pub fn hop_text(&self) -> Option<String> {
        let after = self.after.as_deref()?;
        Some(match self.hop_seconds {
            Some(s) => format!("+{} after {after}", human(Some(s))),
            None => format!("after {after}"),
        })
    }
}

/// The ids of a run's drill detections, and what they mean, when it has any.
pub(crate) fn drill_note(s: &Summary) -> Option<(Vec<&str>, &'static str)> {
    let ids: Vec<&str> = s
        .detections
        .iter()
        .filter(|d| d.sample)
        .map(|d| d.id.as_str())
        .collect();
    (!ids.is_empty()).then_some((ids, crate::words::DRILL_NOTE))
}

impl crate::score::ContainmentResult {
    /// Its verdict.
    pub(crate) fn verdict(&self) -> Verdict<'_> {
        Verdict::of(
            self.met,
            self.contained_at.is_some(),
            self.missed_reason.as_deref(),
        )
    }
}

/// A time as RFC 3339 with milliseconds, or a dash.
pub(crate) fn time(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_else(|| "—".to_owned())
}

/// Seconds for people (see [`crate::words::spoken`]), or a dash.
pub fn human(s: Option<f64>) -> String {
    match s {
        Some(s) => crate::words::spoken((s * 1000.0).round() as i64),
        None => "—".to_owned(),
    }
}

/// Who did something, for people.
pub(crate) fn by_name(a: Option<Actor>, who: Option<&str>) -> &str {
    match a {
        Some(a) => crate::words::doer(a, who),
        None => "—",
    }
}

/// What a clean-up's last look said, in words.
pub(crate) fn verified(c: &crate::score::Cleanup) -> &'static str {
    if c.verified {
        "nothing of the run's remains in the account (looked again after clean-up)"
    } else {
        "nothing left behind that the journal knows of (the account was not looked at again)"
    }
}
