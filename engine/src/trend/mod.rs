//! Trends over many runs, from their journals alone: per scenario, the runs in start
//! order with outcome and score, the pass rate, and per expectation the time to detect or
//! to contain of every run against its deadline, with median, 95th percentile, last value
//! and the change between the earlier and the later half of the runs.
//!
//! One [`Trend`] renders as a plain-text table ([`Trend::to_text`]), a versioned JSON
//! document ([`Trend::to_json`]) and a self-contained HTML page with SVG charts
//! ([`Trend::to_html`]).

use crate::event::Outcome;
use crate::report::human;
use crate::score::Summary;
use chrono::{DateTime, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::HashSet;
use std::fmt::Write as _;

mod html;
#[cfg(test)]
mod tests;
mod text;

pub(crate) use crate::text::wrap;
pub(crate) use text::fit;
pub use text::{TEXT_WIDTH, sparkline};

/// The version of the JSON trend structure; it changes only when a field is removed or
/// changes meaning.
pub const TREND_VERSION: u32 = 1;

/// Parses a `--since` value: `YYYY-MM-DD` (midnight UTC) or an RFC 3339 time.
pub fn parse_since(s: &str) -> Result<DateTime<Utc>, String> {
    let t = s.trim();
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d")
        && let Some(midnight) = d.and_hms_opt(0, 0, 0)
    {
        return Ok(midnight.and_utc());
    }
    DateTime::parse_from_rfc3339(t)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|_| {
            format!(
                "`{s}` is not a date: give YYYY-MM-DD (midnight UTC) or an RFC 3339 time such as 2025-06-01T09:30:00Z"
            )
        })
}

/// Which runs a trend covers.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only this scenario.
    pub scenario: Option<String>,
    /// Only runs started at or after this instant.
    pub since: Option<DateTime<Utc>>,
}

impl Filter {
    /// True when the run passes the filter.
    pub fn keeps(&self, s: &Summary) -> bool {
        self.scenario.as_ref().is_none_or(|id| &s.scenario == id)
            && self.since.is_none_or(|t| s.started_at >= t)
    }
}

/// Nearest-rank percentile `p` (0–100) of sorted values.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted.get(rank.min(sorted.len()) - 1).copied()
}

/// Nearest-rank percentile of values in any order.
fn percentile_of(values: impl IntoIterator<Item = f64>, p: f64) -> Option<f64> {
    let mut v: Vec<f64> = values.into_iter().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    percentile(&v, p)
}

/// The change between the earlier and the later half of a series.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Halves {
    /// Runs in each half: the first and the last ⌊n/2⌋ runs (the middle run of an odd
    /// count is in neither).
    pub runs_per_half: usize,
    /// Median (nearest rank) of the values of the earlier half that have a value.
    pub earlier_median: f64,
    /// Median of the values of the later half that have a value.
    pub later_median: f64,
    /// `later_median − earlier_median`: negative is faster (or a lower score).
    pub change: f64,
}

/// The change between the halves of `values` (in run order; `None` where a run has no
/// value), or `None` with fewer than two runs or a half without any value.
pub fn halves(values: &[Option<f64>]) -> Option<Halves> {
    let half = values.len() / 2;
    if half == 0 {
        return None;
    }
    let earlier = percentile_of(values[..half].iter().flatten().copied(), 50.0)?;
    let later = percentile_of(
        values[values.len() - half..].iter().flatten().copied(),
        50.0,
    )?;
    Some(Halves {
        runs_per_half: half,
        earlier_median: earlier,
        later_median: later,
        change: later - earlier,
    })
}

/// Detection or containment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Timed from T0 to the provider's detection (time to detect).
    Detection,
    /// Timed from the detection to containment (time to contain).
    Containment,
}

impl Kind {
    /// `detect` or `contain`.
    pub fn verb(self) -> &'static str {
        match self {
            Kind::Detection => "detect",
            Kind::Containment => "contain",
        }
    }

    /// `TTD` or `TTC`.
    pub fn abbreviation(self) -> &'static str {
        match self {
            Kind::Detection => "TTD",
            Kind::Containment => "TTC",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Kind::Detection => "Time to detect",
            Kind::Containment => "Time to contain",
        }
    }
}

/// What became of an expectation in one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Reached within its deadline.
    Met,
    /// Reached after its deadline.
    Late,
    /// Not reached by twice its deadline, or the run ended first.
    Missed,
    /// The journal says nothing either way (the run was interrupted).
    Undecided,
}

impl Status {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Met => "met",
            Status::Late => "late",
            Status::Missed => "missed",
            Status::Undecided => "undecided",
        }
    }
}

/// One run of a scenario.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RunPoint {
    /// The run id.
    pub run_id: String,
    /// When it started (UTC).
    pub started_at: DateTime<Utc>,
    /// The seed.
    pub seed: u64,
    /// How the clock ran (`real`, `virtual`…).
    pub clock: String,
    /// How it ended.
    pub outcome: Outcome,
    /// Points earned.
    pub score: f64,
    /// Points possible.
    pub max_score: f64,
    /// A to F.
    pub grade: String,
}

/// One expectation in one run.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Point {
    /// The run id.
    pub run_id: String,
    /// When the run started (UTC).
    pub started_at: DateTime<Utc>,
    /// Time to detect or to contain, in seconds; `null` when not reached.
    pub seconds: Option<f64>,
    /// The deadline in that run, in seconds.
    pub deadline_seconds: f64,
    /// What became of it.
    pub status: Status,
}

/// One expectation over the runs of its scenario.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ExpectationTrend {
    /// Detection or containment.
    pub kind: Kind,
    /// Its id in the scenario.
    pub id: String,
    /// What it waits for: the source and finding type or alarm, or the check.
    pub what: String,
    /// The deadline in the latest run that has it, in seconds.
    pub deadline_seconds: f64,
    /// Runs that have this expectation.
    pub runs: usize,
    /// Of those, runs where it was met within its deadline.
    pub met: usize,
    /// `met / runs`, from 0 to 1.
    pub pass_rate: f64,
    /// Median (nearest rank) of the measured times, in seconds; runs that did not reach
    /// it have no time and are left out (see `met`).
    pub median_seconds: Option<f64>,
    /// 95th percentile (nearest rank) of the measured times, in seconds.
    pub p95_seconds: Option<f64>,
    /// The time of the latest run, in seconds; `null` when it did not reach it.
    pub last_seconds: Option<f64>,
    /// What became of it in the latest run.
    pub last_status: Status,
    /// Change of the median time between the earlier and the later half of the runs.
    pub halves: Option<Halves>,
    /// Every run, in start order.
    pub points: Vec<Point>,
}

/// Scores over the runs of a scenario.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ScoreTrend {
    /// Median (nearest rank) score.
    pub median: f64,
    /// The lowest score.
    pub min: f64,
    /// The score of the latest run.
    pub last: f64,
    /// Points possible in the latest run.
    pub max: f64,
    /// Change of the median score between the earlier and the later half of the runs.
    pub halves: Option<Halves>,
}

/// One scenario over its runs.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ScenarioTrend {
    /// The scenario id.
    pub id: String,
    /// Its title in the latest run.
    pub title: String,
    /// The runs, in start order.
    pub runs: Vec<RunPoint>,
    /// Runs that passed (every expectation met).
    pub passed: usize,
    /// `passed / runs`, from 0 to 1.
    pub pass_rate: f64,
    /// The score over the runs.
    pub score: ScoreTrend,
    /// Detections, then containments, each in the order the scenario lists them.
    pub expectations: Vec<ExpectationTrend>,
}

/// Trends of every scenario over a set of runs.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Trend {
    /// Always `gameday-trend`.
    pub kind: String,
    /// The structure's version ([`TREND_VERSION`]).
    pub version: u32,
    /// Only this scenario, when filtered.
    pub scenario_filter: Option<String>,
    /// Only runs started at or after this instant, when filtered.
    pub since: Option<DateTime<Utc>>,
    /// Runs read, before filtering.
    pub runs_read: usize,
    /// Runs in the trend.
    pub runs: usize,
    /// Start of the first run in the trend.
    pub first_started_at: Option<DateTime<Utc>>,
    /// Start of the latest run in the trend.
    pub last_started_at: Option<DateTime<Utc>>,
    /// One entry per scenario, sorted by id.
    pub scenarios: Vec<ScenarioTrend>,
}

fn rate(n: usize, of: usize) -> f64 {
    if of == 0 { 0.0 } else { n as f64 / of as f64 }
}

/// A pass rate to three decimals: never 1 short of every run, nor 0 above none.
fn round3(x: f64) -> f64 {
    crate::share::round_share(x, 1000.0)
}

impl Trend {
    /// The trend of the runs `filter` keeps, of `summaries` read with
    /// [`Summary::of_journal`]. A run id seen twice counts once.
    pub fn new(summaries: &[Summary], filter: &Filter) -> Trend {
        let mut seen = HashSet::new();
        let mut runs: Vec<&Summary> = summaries
            .iter()
            .filter(|s| seen.insert(s.run_id.as_str()))
            .collect();
        let runs_read = runs.len();
        runs.retain(|s| filter.keeps(s));
        runs.sort_by(|a, b| (a.started_at, &a.run_id).cmp(&(b.started_at, &b.run_id)));

        let mut ids: Vec<&str> = runs.iter().map(|s| s.scenario.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        let scenarios = ids
            .into_iter()
            .map(|id| {
                let mine: Vec<&Summary> =
                    runs.iter().copied().filter(|s| s.scenario == id).collect();
                scenario_trend(id, &mine)
            })
            .collect();
        Trend {
            kind: "gameday-trend".to_owned(),
            version: TREND_VERSION,
            // Typed on the command line, but written into documents like the rest.
            scenario_filter: filter
                .scenario
                .as_deref()
                .map(|s| crate::text::clean(s, false)),
            since: filter.since,
            runs_read,
            runs: runs.len(),
            first_started_at: runs.first().map(|s| s.started_at),
            last_started_at: runs.last().map(|s| s.started_at),
            scenarios,
        }
    }

    /// The JSON document, pretty-printed, with a final newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// What the trend covers, in words.
    pub fn scope(&self) -> String {
        let mut s = format!(
            "{} run(s) of {} scenario(s)",
            self.runs,
            self.scenarios.len()
        );
        if let (Some(a), Some(b)) = (self.first_started_at, self.last_started_at) {
            let _ = write!(s, ", {} to {} UTC", minute(a), minute(b));
        }
        let mut filters = Vec::new();
        if let Some(id) = &self.scenario_filter {
            filters.push(format!("scenario {id}"));
        }
        if let Some(t) = self.since {
            filters.push(format!("since {}", second(t)));
        }
        if !filters.is_empty() {
            let _ = write!(
                s,
                " ({}; {} run(s) read)",
                filters.join(", "),
                self.runs_read
            );
        }
        s
    }
}

fn scenario_trend(id: &str, runs: &[&Summary]) -> ScenarioTrend {
    let title = runs.last().map(|s| s.title.clone()).unwrap_or_default();
    let points: Vec<RunPoint> = runs
        .iter()
        .map(|s| RunPoint {
            run_id: s.run_id.clone(),
            started_at: s.started_at,
            seed: s.seed,
            clock: s.clock.clone(),
            outcome: s.outcome,
            score: s.score.total,
            max_score: s.score.max,
            grade: s.score.grade.to_string(),
        })
        .collect();
    let passed = runs.iter().filter(|s| s.outcome == Outcome::Passed).count();
    let scores: Vec<Option<f64>> = runs.iter().map(|s| Some(s.score.total)).collect();
    let score = ScoreTrend {
        median: percentile_of(scores.iter().flatten().copied(), 50.0).unwrap_or(0.0),
        min: percentile_of(scores.iter().flatten().copied(), 0.0).unwrap_or(0.0),
        last: runs.last().map(|s| s.score.total).unwrap_or(0.0),
        max: runs.last().map(|s| s.score.max).unwrap_or(0.0),
        halves: halves(&scores),
    };

    // Expectations in first-seen order: detections, then containments.
    let mut keys: Vec<(Kind, String)> = Vec::new();
    for kind in [Kind::Detection, Kind::Containment] {
        for s in runs {
            let ids: Vec<&String> = match kind {
                Kind::Detection => s.detections.iter().map(|d| &d.id).collect(),
                Kind::Containment => s.containments.iter().map(|c| &c.id).collect(),
            };
            for i in ids {
                if !keys.iter().any(|(k, x)| *k == kind && x == i) {
                    keys.push((kind, i.clone()));
                }
            }
        }
    }
    let expectations = keys
        .into_iter()
        .map(|(kind, eid)| expectation_trend(kind, &eid, runs))
        .collect();
    ScenarioTrend {
        id: id.to_owned(),
        title,
        passed,
        pass_rate: round3(rate(passed, points.len())),
        runs: points,
        score,
        expectations,
    }
}

fn status(met: bool, seconds: Option<f64>, missed: bool) -> Status {
    match (met, seconds, missed) {
        (true, _, _) => Status::Met,
        (false, Some(_), _) => Status::Late,
        (false, None, true) => Status::Missed,
        (false, None, false) => Status::Undecided,
    }
}

fn expectation_trend(kind: Kind, id: &str, runs: &[&Summary]) -> ExpectationTrend {
    let mut what = String::new();
    let mut points = Vec::new();
    for s in runs {
        let found = match kind {
            Kind::Detection => s.detections.iter().find(|d| d.id == id).map(|d| {
                what = format!("{} {}", d.source, d.name);
                (
                    d.ttd_seconds,
                    d.within_seconds,
                    status(d.met, d.ttd_seconds, d.missed_reason.is_some()),
                )
            }),
            Kind::Containment => s.containments.iter().find(|c| c.id == id).map(|c| {
                what = c.check.clone();
                (
                    c.ttc_seconds,
                    c.within_seconds,
                    status(c.met, c.ttc_seconds, c.missed_reason.is_some()),
                )
            }),
        };
        if let Some((seconds, deadline_seconds, status)) = found {
            points.push(Point {
                run_id: s.run_id.clone(),
                started_at: s.started_at,
                seconds,
                deadline_seconds,
                status,
            });
        }
    }
    let values: Vec<Option<f64>> = points.iter().map(|p| p.seconds).collect();
    let met = points.iter().filter(|p| p.status == Status::Met).count();
    let last = points.last();
    ExpectationTrend {
        kind,
        id: id.to_owned(),
        what,
        deadline_seconds: last.map(|p| p.deadline_seconds).unwrap_or(0.0),
        runs: points.len(),
        met,
        pass_rate: round3(rate(met, points.len())),
        median_seconds: percentile_of(values.iter().flatten().copied(), 50.0),
        p95_seconds: percentile_of(values.iter().flatten().copied(), 95.0),
        last_seconds: last.and_then(|p| p.seconds),
        last_status: last.map(|p| p.status).unwrap_or(Status::Undecided),
        halves: halves(&values),
        points,
    }
}

fn minute(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

fn second(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A signed duration: `+1m 2.0s`, `-850ms`, `±0`.
fn signed_duration(change: f64) -> String {
    if change.abs() < 0.0005 {
        return "±0".to_owned();
    }
    let sign = if change < 0.0 { '-' } else { '+' };
    format!("{sign}{}", human(Some(change.abs())))
}

/// A signed number of points: `+2.5`, `-10.0`, `±0`.
fn signed_points(change: f64) -> String {
    if change.abs() < 0.05 {
        "±0".to_owned()
    } else {
        format!("{change:+.1}")
    }
}
