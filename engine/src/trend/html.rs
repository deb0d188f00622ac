//! The trend as one self-contained HTML page: per scenario a score chart and, per
//! expectation, a chart of its times against the deadline, each with its data table.

use super::{
    ExpectationTrend, ScenarioTrend, Status, Trend, minute, second, signed_duration, signed_points,
};
use crate::event::Outcome;
use crate::report::html::{outcome_class, page};
use crate::report::human;
use crate::share::percent;
use chrono::{DateTime, Utc};
use maud::{Markup, html};
use std::fmt::Write as _;

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
