//! Trends over many runs, from their journals alone: per scenario, the runs in start
//! order with outcome and score, the pass rate, and per expectation the time to detect or
//! to contain of every run against its deadline, with median, 95th percentile, last value
//! and the change between the earlier and the later half of the runs.
//!
//! One [`Trend`] renders as a plain-text table ([`Trend::to_text`]), a versioned JSON
//! document ([`Trend::to_json`]) and a self-contained HTML page with SVG charts
//! ([`Trend::to_html`]).

use crate::event::Outcome;
use crate::report::html::{outcome_class, page};
use crate::report::human;
use crate::score::Summary;
use crate::share::percent;
use chrono::{DateTime, NaiveDate, Utc};
use maud::{Markup, html};
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::HashSet;
use std::fmt::Write as _;

/// The version of the JSON trend structure; it changes only when a field is removed or
/// changes meaning.
pub const TREND_VERSION: u32 = 1;

/// Terminal width the text table is made to fit.
pub const TEXT_WIDTH: usize = 100;

/// Runs listed per scenario in the text table (the latest ones).
const TEXT_RUNS: usize = 10;

/// Runs drawn in a text sparkline (the latest ones).
const SPARK_RUNS: usize = 16;

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

/// The values as unicode blocks, scaled from zero to the largest; `×` for a miss, `·` for
/// a run that says nothing.
pub fn sparkline(values: &[(Option<f64>, Status)]) -> String {
    const BLOCKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = values
        .iter()
        .filter_map(|(v, _)| *v)
        .fold(0.0_f64, f64::max);
    values
        .iter()
        .map(|(v, s)| match (v, s) {
            (Some(v), _) => {
                let i = if max > 0.0 {
                    ((v / max) * 7.0).round().clamp(0.0, 7.0) as usize
                } else {
                    0
                };
                BLOCKS[i]
            }
            (None, Status::Undecided) => '·',
            (None, _) => '×',
        })
        .collect()
}

/// Truncates to `width` characters, ending in `…` when cut.
pub(crate) fn fit(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Text wrapped at blanks into lines of at most `width` characters (a longer word stays
/// whole), each ending in a newline.
pub(crate) fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// A plain-text table: columns two spaces apart, `flex` the column shortened so a line
/// fits in `max_width` (with `indent` before it); every other column as wide as its
/// widest cell. Columns listed in `right` are right-aligned.
pub(crate) fn text_table(
    indent: &str,
    header: &[&str],
    rows: &[Vec<String>],
    flex: usize,
    right: &[usize],
    max_width: usize,
) -> String {
    let n = header.len();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate().take(n) {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let others: usize = widths
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != flex)
        .map(|(_, w)| *w)
        .sum();
    let room = max_width
        .saturating_sub(indent.chars().count() + others + 2 * n.saturating_sub(1))
        .max(header.get(flex).map_or(4, |h| h.chars().count()));
    if let Some(w) = widths.get_mut(flex) {
        *w = (*w).min(room);
    }
    let mut out = String::new();
    let mut line = |cells: Vec<String>| {
        let mut s = indent.to_owned();
        for (i, c) in cells.iter().enumerate() {
            let c = fit(c, widths[i]);
            let pad = widths[i].saturating_sub(c.chars().count());
            if right.contains(&i) {
                s.push_str(&" ".repeat(pad));
                s.push_str(&c);
            } else {
                s.push_str(&c);
                if i + 1 < cells.len() {
                    s.push_str(&" ".repeat(pad));
                }
            }
            if i + 1 < cells.len() {
                s.push_str("  ");
            }
        }
        out.push_str(s.trim_end());
        out.push('\n');
    };
    line(header.iter().map(|h| (*h).to_owned()).collect());
    for r in rows {
        line(r.clone());
    }
    out
}

impl Trend {
    /// The trend as plain text for a terminal, fitting [`TEXT_WIDTH`] columns.
    pub fn to_text(&self) -> String {
        let mut o = String::new();
        o.push_str(&wrap(&format!("Trend of {}", self.scope()), TEXT_WIDTH));
        if self.scenarios.is_empty() {
            let _ = writeln!(o, "\nNo runs to show.");
            return o;
        }
        for sc in &self.scenarios {
            o.push('\n');
            o.push_str(&wrap(&format!("{}: {}", sc.id, sc.title), TEXT_WIDTH));
            let scores: Vec<(Option<f64>, Status)> = sc
                .runs
                .iter()
                .map(|r| {
                    (
                        Some(r.score),
                        if r.outcome == Outcome::Passed {
                            Status::Met
                        } else {
                            Status::Missed
                        },
                    )
                })
                .collect();
            let _ = writeln!(
                o,
                "  {} run(s), {} passed ({}); score median {:.1}, last {:.1} of {:.0}, change {}  {}",
                sc.runs.len(),
                sc.passed,
                percent(sc.pass_rate),
                sc.score.median,
                sc.score.last,
                sc.score.max,
                sc.score
                    .halves
                    .as_ref()
                    .map_or("—".to_owned(), |h| signed_points(h.change)),
                sparkline(last_n(&scores, SPARK_RUNS)),
            );
            let rows: Vec<Vec<String>> = sc
                .expectations
                .iter()
                .map(|e| {
                    let series: Vec<(Option<f64>, Status)> =
                        e.points.iter().map(|p| (p.seconds, p.status)).collect();
                    vec![
                        format!("{} {}", e.kind.abbreviation(), e.id),
                        human(Some(e.deadline_seconds)),
                        format!("{}/{}", e.met, e.runs),
                        human(e.median_seconds),
                        human(e.p95_seconds),
                        match e.last_seconds {
                            Some(s) => human(Some(s)),
                            None => e.last_status.as_str().to_owned(),
                        },
                        e.halves
                            .as_ref()
                            .map_or("—".to_owned(), |h| signed_duration(h.change)),
                        sparkline(last_n(&series, SPARK_RUNS)),
                    ]
                })
                .collect();
            o.push('\n');
            o.push_str(&text_table(
                "  ",
                &[
                    "EXPECTATION",
                    "DEADLINE",
                    "MET",
                    "MEDIAN",
                    "P95",
                    "LAST",
                    "CHANGE",
                    "RUNS",
                ],
                &rows,
                0,
                &[1, 2, 3, 4, 5, 6],
                TEXT_WIDTH,
            ));
            let shown = last_n(&sc.runs, TEXT_RUNS);
            let rows: Vec<Vec<String>> = shown
                .iter()
                .map(|r| {
                    vec![
                        r.run_id.clone(),
                        minute(r.started_at),
                        r.outcome.as_str().to_owned(),
                        format!("{:.1} {}", r.score, r.grade),
                    ]
                })
                .collect();
            o.push('\n');
            o.push_str(&text_table(
                "  ",
                &["RUN", "STARTED (UTC)", "OUTCOME", "SCORE"],
                &rows,
                0,
                &[3],
                TEXT_WIDTH,
            ));
            if sc.runs.len() > shown.len() {
                let _ = writeln!(o, "  … and {} earlier run(s)", sc.runs.len() - shown.len());
            }
        }
        let _ = writeln!(
            o,
            "\nTTD: time to detect, from the attack step to the provider's detection. TTC: time to\n\
             contain, from the detection. MEDIAN and P95 (nearest rank) are over the runs that reached\n\
             the expectation; CHANGE is the later half's median minus the earlier half's (negative\n\
             is faster); RUNS is the latest {SPARK_RUNS} runs, × a miss, · undecided."
        );
        o
    }
}

fn last_n<T>(v: &[T], n: usize) -> &[T] {
    &v[v.len().saturating_sub(n)..]
}

// ---------------------------------------------------------------------------------------
// HTML

const CHART_W: f64 = 640.0;
const CHART_H: f64 = 220.0;
const PAD_L: f64 = 72.0;
const PAD_R: f64 = 16.0;
const PAD_T: f64 = 14.0;
const PAD_B: f64 = 34.0;

fn f1(v: f64) -> String {
    format!("{v:.1}")
}

/// How a chart shows its values.
#[derive(Clone, Copy)]
enum Unit {
    Seconds,
    Points,
}

impl Unit {
    fn show(self, v: f64) -> String {
        match self {
            Unit::Seconds if v == 0.0 => "0".to_owned(),
            Unit::Seconds => human(Some(v)),
            Unit::Points => format!("{v:.1}"),
        }
    }
}

/// A point of a chart: when, the value (none for a miss), and whether it is good.
struct Mark {
    at: DateTime<Utc>,
    value: Option<f64>,
    good: bool,
    label: String,
}

struct Chart<'a> {
    id: String,
    title: String,
    desc: String,
    marks: &'a [Mark],
    deadline: Option<f64>,
    /// The y axis reaches at least this far.
    y_floor: f64,
    unit: Unit,
    line_class: &'static str,
}

/// A step for about five round ticks up to `max`.
fn y_step(max: f64, unit: Unit) -> f64 {
    const SECONDS: [f64; 16] = [
        0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0,
        3600.0,
    ];
    const POINTS: [f64; 6] = [1.0, 2.0, 5.0, 10.0, 20.0, 25.0];
    let steps: &[f64] = match unit {
        Unit::Seconds => &SECONDS,
        Unit::Points => &POINTS,
    };
    steps
        .iter()
        .copied()
        .find(|s| max / s <= 5.0)
        .unwrap_or_else(|| (max / 5.0).ceil().max(1.0))
}

fn chart(c: &Chart) -> Markup {
    let plot_w = CHART_W - PAD_L - PAD_R;
    let plot_h = CHART_H - PAD_T - PAD_B;
    let data_max = c
        .marks
        .iter()
        .filter_map(|m| m.value)
        .chain(c.deadline)
        .fold(c.y_floor, f64::max);
    // Seconds get headroom above the highest value; points stop at the most possible.
    let headroom = match c.unit {
        Unit::Seconds => 1.1,
        Unit::Points => 1.0,
    };
    let step = y_step(data_max.max(f64::MIN_POSITIVE) * headroom, c.unit);
    let y_max = ((data_max * headroom) / step).ceil().max(1.0) * step;
    let y = |v: f64| PAD_T + plot_h - (v / y_max).clamp(0.0, 1.0) * plot_h;
    let (t0, t1) = match (c.marks.first(), c.marks.last()) {
        (Some(a), Some(b)) => (a.at, b.at),
        _ => (DateTime::<Utc>::default(), DateTime::<Utc>::default()),
    };
    let span = (t1 - t0).num_milliseconds() as f64;
    let x = |t: DateTime<Utc>| {
        if span <= 0.0 {
            PAD_L + plot_w / 2.0
        } else {
            PAD_L + (t - t0).num_milliseconds() as f64 / span * plot_w
        }
    };
    let ticks: Vec<f64> = (0..)
        .map(|k| f64::from(k) * step)
        .take_while(|v| *v <= y_max + 1e-9)
        .collect();
    // The line joins consecutive measured points; a run without a value breaks it.
    let mut path = String::new();
    let mut pen_down = false;
    for m in c.marks {
        match m.value {
            Some(v) => {
                let _ = write!(
                    path,
                    "{}{},{} ",
                    if pen_down { "L" } else { "M" },
                    f1(x(m.at)),
                    f1(y(v))
                );
                pen_down = true;
            }
            None => pen_down = false,
        }
    }
    let bottom = PAD_T + plot_h;
    html! {
        svg xmlns="http://www.w3.org/2000/svg" viewBox=(format!("0 0 {CHART_W} {CHART_H}"))
            width=(CHART_W) height=(CHART_H) role="img"
            aria-labelledby=(format!("{0}-title {0}-desc", c.id)) {
            title id=(format!("{}-title", c.id)) { (c.title) }
            desc id=(format!("{}-desc", c.id)) { (c.desc) }
            @for v in &ticks {
                line.grid x1=(f1(PAD_L)) x2=(f1(CHART_W - PAD_R)) y1=(f1(y(*v))) y2=(f1(y(*v))) {}
                text x=(f1(PAD_L - 6.0)) y=(f1(y(*v) + 4.0)) text-anchor="end" { (c.unit.show(*v)) }
            }
            line.axis x1=(f1(PAD_L)) x2=(f1(CHART_W - PAD_R)) y1=(f1(bottom)) y2=(f1(bottom)) {}
            line.axis x1=(f1(PAD_L)) x2=(f1(PAD_L)) y1=(f1(PAD_T)) y2=(f1(bottom)) {}
            text x=(f1(PAD_L)) y=(f1(CHART_H - 10.0)) text-anchor="start" { (minute(t0)) }
            @if span > 0.0 {
                text x=(f1(CHART_W - PAD_R)) y=(f1(CHART_H - 10.0)) text-anchor="end" { (minute(t1)) }
            }
            @if let Some(d) = c.deadline {
                line.deadline x1=(f1(PAD_L)) x2=(f1(CHART_W - PAD_R)) y1=(f1(y(d))) y2=(f1(y(d))) {
                    title { "deadline " (c.unit.show(d)) }
                }
                text x=(f1(CHART_W - PAD_R - 4.0)) y=(f1(y(d) - 4.0)) text-anchor="end" {
                    "deadline " (c.unit.show(d))
                }
            }
            @if !path.is_empty() {
                path class=(c.line_class) d=(path.trim_end()) {}
            }
            @for m in c.marks {
                @match m.value {
                    Some(v) => {
                        circle class=(if m.good { "mark" } else { "mark-bad" })
                            cx=(f1(x(m.at))) cy=(f1(y(v))) r=(if m.good { "4" } else { "5" }) {
                            title { (m.label) }
                        }
                    }
                    None => {
                        // A miss has no value: a downward triangle on the top edge.
                        @let (mx, my) = (x(m.at), PAD_T + 2.0);
                        polygon.mark-bad points=(format!("{},{} {},{} {},{}",
                            f1(mx - 6.0), f1(my), f1(mx + 6.0), f1(my), f1(mx), f1(my + 9.0))) {
                            title { (m.label) }
                        }
                    }
                }
            }
        }
    }
}

impl Trend {
    /// The trend as one self-contained HTML page: per scenario a score chart and, per
    /// expectation, a chart of its times against the deadline, each with its data table.
    pub fn to_html(&self) -> String {
        let title = match &self.scenario_filter {
            Some(id) => format!("Game day trend: {id}"),
            None => "Game day trend".to_owned(),
        };
        let body = html! {
            h1 { (title) }
            p { (self.scope()) "." }
            @if self.scenarios.is_empty() {
                p.muted { "No runs to show." }
            } @else {
                (self.overview_html())
                @for (i, sc) in self.scenarios.iter().enumerate() {
                    (scenario_html(sc, i))
                }
            }
        };
        page(&title, body)
    }

    fn overview_html(&self) -> Markup {
        html! {
            table {
                caption { "Scenarios" }
                thead { tr {
                    th scope="col" { "Scenario" } th scope="col" { "Runs" }
                    th scope="col" { "Passed" } th scope="col" { "Median score" }
                    th scope="col" { "Last score" } th scope="col" { "Score change" }
                } }
                tbody {
                    @for (i, sc) in self.scenarios.iter().enumerate() {
                        tr {
                            th scope="row" { a href=(format!("#scenario-{i}")) { code { (sc.id) } } " " span.muted { (sc.title) } }
                            td.num { (sc.runs.len()) }
                            td.num { (sc.passed) " (" (percent(sc.pass_rate)) ")" }
                            td.num { (format!("{:.1}", sc.score.median)) }
                            td.num { (format!("{:.1}", sc.score.last)) " / " (format!("{:.0}", sc.score.max)) }
                            td.num { (sc.score.halves.as_ref().map_or("—".to_owned(), |h| signed_points(h.change))) }
                        }
                    }
                }
            }
        }
    }
}

fn scenario_html(sc: &ScenarioTrend, i: usize) -> Markup {
    let score_marks: Vec<Mark> = sc
        .runs
        .iter()
        .map(|r| Mark {
            at: r.started_at,
            value: Some(r.score),
            good: r.outcome == Outcome::Passed,
            label: format!(
                "{} at {}: {} {:.1} ({})",
                r.run_id,
                minute(r.started_at),
                r.outcome.as_str(),
                r.score,
                r.grade
            ),
        })
        .collect();
    let score_desc = format!(
        "Score of {} runs of {} from {} to {}: median {:.1}, lowest {:.1}, last {:.1} of {:.0}; {} of {} runs passed.",
        sc.runs.len(),
        sc.id,
        sc.runs
            .first()
            .map(|r| minute(r.started_at))
            .unwrap_or_default(),
        sc.runs
            .last()
            .map(|r| minute(r.started_at))
            .unwrap_or_default(),
        sc.score.median,
        sc.score.min,
        sc.score.last,
        sc.score.max,
        sc.passed,
        sc.runs.len()
    );
    let max_score = sc.runs.iter().map(|r| r.max_score).fold(0.0, f64::max);
    html! {
        section id=(format!("scenario-{i}")) aria-labelledby=(format!("scenario-{i}-title")) {
            h2 id=(format!("scenario-{i}-title")) { (sc.title) " — " code { (sc.id) } }
            p {
                (sc.runs.len()) " run(s); " (sc.passed) " passed (" (percent(sc.pass_rate)) "); score median "
                (format!("{:.1}", sc.score.median)) ", last " (format!("{:.1}", sc.score.last))
                " of " (format!("{:.0}", sc.score.max))
                @if let Some(h) = &sc.score.halves {
                    ", change between the earlier and the later half of the runs "
                    (signed_points(h.change))
                }
                "."
            }
            h3 { "Score" }
            figure {
                (chart(&Chart {
                    id: format!("score-{i}"),
                    title: format!("Score of {} over time", sc.id),
                    desc: score_desc,
                    marks: &score_marks,
                    deadline: None,
                    y_floor: max_score.max(1.0),
                    unit: Unit::Points,
                    line_class: "line2",
                }))
                figcaption { "Score per run by start time; red marks runs that did not pass." }
            }
            table {
                caption { "Runs of " code { (sc.id) } }
                thead { tr {
                    th scope="col" { "Run" } th scope="col" { "Started (UTC)" } th scope="col" { "Seed" }
                    th scope="col" { "Clock" } th scope="col" { "Outcome" } th scope="col" { "Score" }
                } }
                tbody {
                    @for r in &sc.runs {
                        tr {
                            th scope="row" { code { (r.run_id) } }
                            td { (second(r.started_at)) }
                            td.num { (r.seed) }
                            td { (r.clock) }
                            td { span class=(outcome_class(r.outcome)) { (r.outcome.as_str()) } }
                            td.num { (format!("{:.1} / {:.0}", r.score, r.max_score)) " (" (r.grade) ")" }
                        }
                    }
                }
            }
            h3 { "Expectations" }
            table {
                caption { "Times per expectation over the runs" }
                thead { tr {
                    th scope="col" { "Expectation" } th scope="col" { "Deadline" } th scope="col" { "Met" }
                    th scope="col" { "Median" } th scope="col" { "95th percentile" } th scope="col" { "Last" }
                    th scope="col" { "Change" }
                } }
                tbody {
                    @for (k, e) in sc.expectations.iter().enumerate() {
                        tr {
                            th scope="row" { a href=(format!("#scenario-{i}-exp-{k}")) { (e.kind.abbreviation()) " " code { (e.id) } } }
                            td.num { (human(Some(e.deadline_seconds))) }
                            td.num { (e.met) " / " (e.runs) " (" (percent(e.pass_rate)) ")" }
                            td.num { (human(e.median_seconds)) }
                            td.num { (human(e.p95_seconds)) }
                            td.num {
                                @match e.last_seconds {
                                    Some(s) => { (human(Some(s))) }
                                    None => { span.bad { (e.last_status.as_str()) } }
                                }
                            }
                            td.num { (e.halves.as_ref().map_or("—".to_owned(), |h| signed_duration(h.change))) }
                        }
                    }
                }
            }
            @for (k, e) in sc.expectations.iter().enumerate() {
                (expectation_html(sc, e, i, k))
            }
        }
    }
}

fn expectation_html(sc: &ScenarioTrend, e: &ExpectationTrend, i: usize, k: usize) -> Markup {
    let marks: Vec<Mark> = e
        .points
        .iter()
        .map(|p| Mark {
            at: p.started_at,
            value: p.seconds,
            good: p.status == Status::Met,
            label: format!(
                "{} at {}: {} ({})",
                p.run_id,
                minute(p.started_at),
                human(p.seconds),
                p.status.as_str()
            ),
        })
        .collect();
    let missed = e
        .points
        .iter()
        .filter(|p| matches!(p.status, Status::Missed | Status::Late))
        .count();
    let desc = format!(
        "{} of {} ({}) in {} runs of {}: median {}, 95th percentile {}, last {}; deadline {}; {} met, {} missed or late.",
        e.kind.title(),
        e.id,
        e.what,
        e.runs,
        sc.id,
        human(e.median_seconds),
        human(e.p95_seconds),
        e.last_seconds
            .map_or(e.last_status.as_str().to_owned(), |s| human(Some(s))),
        human(Some(e.deadline_seconds)),
        e.met,
        missed
    );
    let id = format!("scenario-{i}-exp-{k}");
    html! {
        section id=(id) aria-labelledby=(format!("{id}-title")) {
            h3 id=(format!("{id}-title")) { (e.kind.title()) ": " code { (e.id) } }
            p.muted { (e.what) }
            figure {
                (chart(&Chart {
                    id: format!("{id}-chart"),
                    title: format!("{} of {} over time", e.kind.title(), e.id),
                    desc,
                    marks: &marks,
                    deadline: Some(e.deadline_seconds),
                    y_floor: e.deadline_seconds,
                    unit: Unit::Seconds,
                    line_class: "line",
                }))
                figcaption {
                    "Seconds per run by start time. Blue: met within the deadline (dashed line); "
                    "red circles: reached late; red triangles on the top edge: missed."
                }
            }
            table {
                caption { (e.kind.title()) " of " code { (e.id) } " per run" }
                thead { tr {
                    th scope="col" { "Run" } th scope="col" { "Started (UTC)" }
                    th scope="col" { (e.kind.abbreviation()) } th scope="col" { "Deadline" }
                    th scope="col" { "Result" }
                } }
                tbody {
                    @for p in &e.points {
                        tr {
                            th scope="row" { code { (p.run_id) } }
                            td { (second(p.started_at)) }
                            td.num { (human(p.seconds)) }
                            td.num { (human(Some(p.deadline_seconds))) }
                            td {
                                @match p.status {
                                    Status::Met => span.ok { "met" },
                                    Status::Late => span.late { "late" },
                                    Status::Missed => span.bad { "missed" },
                                    Status::Undecided => span.muted { "undecided" },
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::TargetInfo;
    use crate::score::{ContainmentResult, DetectionResult, Score};
    use chrono::TimeZone;

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 3, day, 9, 0, 0)
            .single()
            .unwrap_or_default()
    }

    fn detection(id: &str, ttd: Option<f64>, within: f64) -> DetectionResult {
        DetectionResult {
            id: id.to_owned(),
            source: "guardduty".to_owned(),
            name: "PenTest:IAMUser/KaliLinux".to_owned(),
            met: ttd.is_some_and(|t| t <= within),
            within_seconds: within,
            t0: None,
            detected_at: None,
            observed_at: None,
            ttd_seconds: ttd,
            evidence: None,
            missed_reason: ttd.is_none().then(|| "not detected".to_owned()),
            points: 0.0,
            max_points: 40.0,
            explanation: String::new(),
        }
    }

    fn containment(id: &str, ttc: Option<f64>, within: f64) -> ContainmentResult {
        ContainmentResult {
            id: id.to_owned(),
            check: "iam.access_key_status".to_owned(),
            met: ttc.is_some_and(|t| t <= within),
            within_seconds: within,
            reference_at: None,
            contained_at: None,
            ttc_seconds: ttc,
            time_source: None,
            last_seen_false: None,
            first_seen_true: None,
            missed_reason: ttc.is_none().then(|| "not contained".to_owned()),
            points: 0.0,
            max_points: 40.0,
            explanation: String::new(),
        }
    }

    fn run(
        id: &str,
        scenario: &str,
        day: u32,
        ttd: Option<f64>,
        ttc: Option<f64>,
        score: f64,
    ) -> Summary {
        let d = detection("finding", ttd, 900.0);
        let c = containment("key-off", ttc, 1800.0);
        let outcome = if d.met && c.met {
            Outcome::Passed
        } else {
            Outcome::Failed
        };
        Summary {
            run_id: id.to_owned(),
            scenario: scenario.to_owned(),
            title: format!("{scenario} title"),
            target: TargetInfo {
                name: "sim".to_owned(),
                kind: "sim".to_owned(),
                account_id: "111122223333".to_owned(),
                region: "us-east-1".to_owned(),
            },
            seed: u64::from(day),
            clock: "virtual".to_owned(),
            autopilot: true,
            outcome,
            reason: String::new(),
            started_at: at(day),
            ended_at: at(day),
            score: Score {
                total: score,
                max: 100.0,
                grade: 'A',
                detection: 0.0,
                containment: 0.0,
                runbook: 0.0,
            },
            detections: vec![d],
            containments: vec![c],
            runbook: Vec::new(),
            penalties: Vec::new(),
            cleanup: None,
            torn_journal: false,
        }
    }

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), Some(50.0));
        assert_eq!(percentile(&v, 95.0), Some(95.0));
        assert_eq!(percentile(&[3.0], 95.0), Some(3.0));
        assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0], 50.0), Some(2.0));
        assert_eq!(percentile(&[], 50.0), None);
        assert_eq!(percentile_of([9.0, 1.0, 5.0], 50.0), Some(5.0));
    }

    #[test]
    fn halves_compare_the_medians_of_the_first_and_last_half() {
        // Five runs: the middle one is in neither half.
        let h = halves(&[
            Some(100.0),
            Some(300.0),
            Some(999.0),
            Some(50.0),
            Some(70.0),
        ])
        .expect("two halves");
        assert_eq!(h.runs_per_half, 2);
        assert_eq!(h.earlier_median, 100.0);
        assert_eq!(h.later_median, 50.0);
        assert_eq!(h.change, -50.0);
        // A miss has no value and is left out of its half's median.
        let h = halves(&[None, Some(200.0), Some(80.0), None]).expect("two halves");
        assert_eq!(
            (h.earlier_median, h.later_median, h.change),
            (200.0, 80.0, -120.0)
        );
        assert_eq!(halves(&[Some(1.0)]), None, "one run has no halves");
        assert_eq!(halves(&[None, None, Some(3.0), Some(4.0)]), None);
    }

    #[test]
    fn since_takes_a_date_at_utc_midnight_or_rfc3339() {
        assert_eq!(
            parse_since("2025-03-02").map(|t| t.to_rfc3339()),
            Ok("2025-03-02T00:00:00+00:00".to_owned())
        );
        assert_eq!(
            parse_since("2025-03-02T10:30:00+02:00").map(|t| t.to_rfc3339()),
            Ok("2025-03-02T08:30:00+00:00".to_owned())
        );
        let err = parse_since("yesterday").expect_err("not a date");
        assert!(
            err.contains("`yesterday`") && err.contains("YYYY-MM-DD"),
            "{err}"
        );
        assert!(parse_since("2025-02-30").is_err());
    }

    #[test]
    fn the_since_filter_keeps_runs_started_at_or_after_it() {
        let runs = vec![
            run("a", "s", 1, Some(100.0), Some(60.0), 100.0),
            run("b", "s", 2, Some(200.0), Some(60.0), 100.0),
            run("c", "s", 3, Some(300.0), Some(60.0), 100.0),
        ];
        let f = Filter {
            scenario: None,
            since: Some(parse_since("2025-03-02").expect("date")),
        };
        let t = Trend::new(&runs, &f);
        assert_eq!((t.runs_read, t.runs), (3, 2));
        let ids: Vec<&str> = t.scenarios[0]
            .runs
            .iter()
            .map(|r| r.run_id.as_str())
            .collect();
        assert_eq!(ids, ["b", "c"]);
        let later = Filter {
            scenario: None,
            since: Some(parse_since("2999-01-01").expect("date")),
        };
        let t = Trend::new(&runs, &later);
        assert_eq!((t.runs, t.scenarios.len()), (0, 0));
        assert!(t.to_text().contains("No runs to show."));
        assert!(t.to_html().contains("No runs to show."));
    }

    #[test]
    fn pass_rates_never_round_a_shortfall_to_all_or_a_few_to_none() {
        // 996 of 1000 runs pass, and 1 of 1000 misses its detection (of the other
        // scenario's runs, all but one fail).
        let mut runs = Vec::new();
        for i in 0..1000u32 {
            let ok = i >= 4;
            let (ttd, ttc) = if ok {
                (Some(60.0), Some(60.0))
            } else {
                (None, None)
            };
            runs.push(run(&format!("a{i}"), "almost", 1, ttd, ttc, 90.0));
            let ok = i == 0;
            let (ttd, ttc) = if ok {
                (Some(60.0), Some(60.0))
            } else {
                (None, None)
            };
            runs.push(run(&format!("b{i}"), "barely", 1, ttd, ttc, 10.0));
        }
        // And 2499 of 2500: a rate of 0.9996, which three decimals would make 1.
        for i in 0..2500u32 {
            let ttd = (i > 0).then_some(60.0);
            runs.push(run(&format!("c{i}"), "closer", 1, ttd, Some(60.0), 90.0));
        }
        let t = Trend::new(&runs, &Filter::default());
        let text = t.to_text();
        let html = t.to_html();
        for shown in [&text, &html] {
            assert!(shown.contains("996 passed (99%)"), "{shown}");
            assert!(shown.contains("1 passed (1%)"), "{shown}");
            assert!(shown.contains("2499 passed (99%)"), "{shown}");
        }
        assert!(html.contains("996 / 1000 (99%)"), "{html}");
        assert!(html.contains("2499 / 2500 (99%)"), "{html}");
        let closer = &t.scenarios[2];
        assert_eq!(closer.id, "closer");
        assert_eq!(closer.pass_rate, 0.999);
        assert_eq!(closer.expectations[0].pass_rate, 0.999);
        assert_eq!(t.scenarios[1].pass_rate, 0.001);
    }

    #[test]
    fn per_scenario_and_expectation_statistics_in_start_order() {
        // Given out of order, with one duplicate and another scenario.
        let runs = vec![
            run("r3", "key", 3, None, None, 20.0),
            run("r1", "key", 1, Some(600.0), Some(120.0), 100.0),
            run("r2", "key", 2, Some(1000.0), Some(100.0), 80.0),
            run("r4", "key", 4, Some(300.0), Some(90.0), 100.0),
            run("r1", "key", 1, Some(600.0), Some(120.0), 100.0),
            run("x1", "bucket", 2, Some(10.0), Some(10.0), 100.0),
        ];
        let t = Trend::new(&runs, &Filter::default());
        assert_eq!(t.runs, 5);
        let ids: Vec<&str> = t.scenarios.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["bucket", "key"], "sorted by id");
        let key = &t.scenarios[1];
        let order: Vec<&str> = key.runs.iter().map(|r| r.run_id.as_str()).collect();
        assert_eq!(order, ["r1", "r2", "r3", "r4"]);
        assert_eq!(key.passed, 2);
        assert_eq!(key.pass_rate, 0.5);
        assert_eq!(key.score.median, 80.0);
        assert_eq!(key.score.min, 20.0);
        assert_eq!(key.score.last, 100.0);

        let d = &key.expectations[0];
        assert_eq!((d.kind, d.id.as_str()), (Kind::Detection, "finding"));
        assert_eq!((d.runs, d.met), (4, 2));
        let statuses: Vec<Status> = d.points.iter().map(|p| p.status).collect();
        assert_eq!(
            statuses,
            [Status::Met, Status::Late, Status::Missed, Status::Met]
        );
        assert_eq!(d.median_seconds, Some(600.0));
        assert_eq!(d.p95_seconds, Some(1000.0));
        assert_eq!(d.last_seconds, Some(300.0));
        assert_eq!(d.deadline_seconds, 900.0);
        let h = d.halves.as_ref().expect("halves");
        assert_eq!((h.earlier_median, h.later_median), (600.0, 300.0));

        let c = &key.expectations[1];
        assert_eq!((c.kind, c.id.as_str()), (Kind::Containment, "key-off"));
        assert_eq!(c.median_seconds, Some(100.0));

        let text = t.to_text();
        assert!(text.contains("TTD finding"), "{text}");
        assert!(text.contains("10m"), "the median of finding: {text}");
        for l in text.lines() {
            assert!(l.chars().count() <= TEXT_WIDTH, "too wide: {l}");
        }
        let json: serde_json::Value = serde_json::from_str(&t.to_json()).expect("json");
        assert_eq!(json["kind"], "gameday-trend");
        assert_eq!(
            json["scenarios"][1]["expectations"][0]["points"][2]["status"],
            "missed"
        );
        let page = t.to_html();
        assert!(page.contains("<svg") && !page.contains("<script"));
        assert!(page.contains("role=\"img\""));
        assert!(page.contains("class=\"deadline\""));
        assert!(
            page.contains("<polygon class=\"mark-bad\""),
            "a miss is drawn"
        );
    }

    #[test]
    fn sparklines_scale_from_zero_and_mark_misses() {
        let s = sparkline(&[
            (Some(0.0), Status::Met),
            (Some(50.0), Status::Met),
            (Some(100.0), Status::Late),
            (None, Status::Missed),
            (None, Status::Undecided),
        ]);
        assert_eq!(s, "▁▅█×·");
    }

    #[test]
    fn tables_shorten_the_flexible_column_to_fit() {
        let rows = vec![vec!["x".repeat(200), "12".to_owned()]];
        let t = text_table("  ", &["NAME", "N"], &rows, 0, &[1], 40);
        for l in t.lines() {
            assert!(l.chars().count() <= 40, "{l}");
        }
        assert!(t.contains('…'));
    }
}
