//! The SVG timeline of a run: the attack steps, each detection and containment as a span
//! from its start to when it was reached with its deadline marked, the responders'
//! actions, and clean-up. Dense lanes are binned so the drawing stays small however long
//! the journal is.

use super::{Lane, RunReport, Verdict, human};
use crate::event::RunPhase;
use maud::{Markup, html};

const WIDTH: f64 = 960.0;
const LABEL: f64 = 180.0;
/// Longest lane label drawn; longer ones are cut, whole in their tooltip.
const LABEL_CHARS: usize = 26;
const RIGHT: f64 = 16.0;
const ROW: f64 = 26.0;
const TOP: f64 = 8.0;
/// At most this many marks per lane; beyond it marks are grouped.
const MAX_MARKS: usize = 240;

struct Scale {
    duration: f64,
}

impl Scale {
    fn x(&self, t: f64) -> f64 {
        let t = t.clamp(0.0, self.duration);
        LABEL + t / self.duration * (WIDTH - LABEL - RIGHT)
    }
}

fn f(v: f64) -> String {
    format!("{v:.1}")
}

/// A tick step for the axis: about six ticks, on round durations.
fn tick_step(duration: f64) -> f64 {
    const STEPS: [f64; 14] = [
        1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0,
    ];
    STEPS
        .into_iter()
        .find(|s| duration / s <= 8.0)
        .unwrap_or(duration / 6.0)
}

/// Marks (time, label) on a lane, grouped into bins when there are too many.
fn marks(items: &[(f64, String)], scale: &Scale, y: f64, class: &str) -> Markup {
    if items.len() <= MAX_MARKS {
        return html! {
            @for (t, label) in items {
                circle class=(class) cx=(f(scale.x(*t))) cy=(f(y)) r="4" {
                    title { (human(Some(*t))) ": " (label) }
                }
            }
        };
    }
    let bin = scale.duration / MAX_MARKS as f64;
    let mut bins = vec![0usize; MAX_MARKS + 1];
    for (t, _) in items {
        let i = ((t / bin) as usize).min(MAX_MARKS);
        bins[i] += 1;
    }
    html! {
        @for (i, n) in bins.iter().enumerate().filter(|(_, n)| **n > 0) {
            @let t = i as f64 * bin;
            rect class=(class) x=(f(scale.x(t))) y=(f(y - 6.0)) width="2.5" height="12" {
                title { (n) " events from " (human(Some(t))) }
            }
        }
    }
}

/// The colour of an expectation's span.
fn span_class(v: Verdict<'_>) -> &'static str {
    match v {
        Verdict::Met => "span-ok",
        Verdict::Late => "span-late",
        Verdict::Missed(_) => "span-bad",
        Verdict::Undecided => "span-open",
    }
}

struct Span {
    label: String,
    start: Option<f64>,
    end: Option<f64>,
    deadline: Option<f64>,
    class: &'static str,
    what: String,
}

/// What the run's events put on the fixed lanes: the setup and clean-up bands (run time
/// from, to), the attack steps, the responders' actions, and what failed.
#[derive(Default)]
struct Lanes {
    setup: Option<(f64, f64)>,
    cleanup: Option<(f64, f64)>,
    attack: Vec<(f64, String)>,
    responder: Vec<(f64, String)>,
    problems: Vec<(f64, String)>,
}

impl Lanes {
    /// The lanes of a run, from its timeline.
    fn of(r: &RunReport) -> Lanes {
        let mut lanes = Lanes::default();
        for e in &r.timeline {
            match e.phase {
                RunPhase::Setup => {
                    let start = lanes.setup.map_or(e.t_seconds, |(a, _)| a);
                    lanes.setup = Some((start, e.t_seconds));
                }
                RunPhase::Cleanup => {
                    let start = lanes.cleanup.map_or(e.t_seconds, |(a, _)| a);
                    lanes.cleanup = Some((start, e.t_seconds));
                }
                _ => {}
            }
            match e.lane {
                Lane::Attack if e.event == "step_completed" => {
                    lanes.attack.push((e.t_seconds, e.text.clone()))
                }
                Lane::Responder => lanes.responder.push((e.t_seconds, e.text.clone())),
                _ => {}
            }
            if !e.ok && matches!(e.lane, Lane::Attack | Lane::Setup | Lane::Cleanup) {
                lanes.problems.push((e.t_seconds, e.text.clone()));
            }
        }
        lanes
    }
}

/// A span for each detection, then for each containment, of a run.
fn spans(r: &RunReport) -> Vec<Span> {
    let s = &r.summary;
    let mut spans = Vec::new();
    for d in &s.detections {
        let start = d.t0.map(|t| r.t_of(t));
        let end = d.detected_at.map(|t| r.t_of(t));
        let class = span_class(d.verdict());
        spans.push(Span {
            label: format!("detect {}", d.id),
            start,
            end,
            deadline: start.map(|s| s + d.within_seconds),
            class,
            what: match d.ttd_seconds {
                Some(_) if d.sample => format!(
                    "{} {}: sample finding after {}",
                    d.source,
                    d.name,
                    d.ttd_text()
                ),
                Some(t) => format!("{} {}: detected after {}", d.source, d.name, human(Some(t))),
                None => format!("{} {}: not detected", d.source, d.name),
            },
        });
    }
    for c in &s.containments {
        let start = c.reference_at.map(|t| r.t_of(t));
        let end = c.contained_at.map(|t| r.t_of(t));
        let class = span_class(c.verdict());
        spans.push(Span {
            label: format!("contain {}", c.id),
            start,
            end,
            deadline: start.map(|s| s + c.within_seconds),
            class,
            what: match c.ttc_seconds {
                Some(t) => format!("{}: contained after {}", c.check, human(Some(t))),
                None => format!("{}: not contained", c.check),
            },
        });
    }
    spans
}

/// The timeline drawing of run number `i` of a report.
pub fn timeline(r: &RunReport, i: usize) -> Markup {
    let s = &r.summary;
    let duration = r.duration_seconds.max(1.0);
    let scale = Scale { duration };
    let Lanes {
        setup,
        cleanup,
        attack,
        responder,
        problems,
    } = Lanes::of(r);
    let spans = spans(r);

    let rows = 3 + spans.len();
    let axis_y = TOP + rows as f64 * ROW + 4.0;
    let height = axis_y + 22.0;
    let row_y = |k: usize| TOP + k as f64 * ROW + ROW / 2.0;
    let id = format!("timeline-{i}");
    let desc = describe(r);
    let spans_y0 = 1;
    let responder_y = row_y(1 + spans.len());
    let cleanup_y = row_y(2 + spans.len());

    html! {
        figure {
            svg xmlns="http://www.w3.org/2000/svg" viewBox=(format!("0 0 {WIDTH} {}", f(height)))
                width=(WIDTH) height=(f(height)) role="img"
                aria-labelledby=(format!("{id}-title {id}-desc")) {
                title id=(format!("{id}-title")) { "Timeline of run " (s.run_id) }
                desc id=(format!("{id}-desc")) { (desc) }
                (axis(&scale, axis_y))

                text x="4" y=(f(row_y(0) + 4.0)) { "Attack" }
                @if let Some((a, b)) = setup {
                    rect.band x=(f(scale.x(a))) y=(f(row_y(0) - 8.0)) width=(f((scale.x(b) - scale.x(a)).max(1.0))) height="16" {
                        title { "setup: " (human(Some(a))) " to " (human(Some(b))) }
                    }
                }
                (marks(&attack, &scale, row_y(0), "mark"))
                (marks(&problems, &scale, row_y(0), "mark-bad"))

                @for (k, sp) in spans.iter().enumerate() {
                    (span_row(sp, row_y(spans_y0 + k), &scale))
                }

                text x="4" y=(f(responder_y + 4.0)) { "Responder" }
                (marks(&responder, &scale, responder_y, "mark"))

                text x="4" y=(f(cleanup_y + 4.0)) { "Clean-up" }
                @if let Some((a, b)) = cleanup {
                    rect.band x=(f(scale.x(a))) y=(f(cleanup_y - 8.0)) width=(f((scale.x(b) - scale.x(a)).max(2.0))) height="16" {
                        title { "clean-up: " (human(Some(a))) " to " (human(Some(b))) }
                    }
                }
            }
            figcaption {
                "Run time from the start. Spans run from the attack step (detections) or the detection (containment) "
                "to when it was reached: green within the deadline (dashed line), amber late, red missed, grey undecided."
            }
        }
    }
}

/// The time axis at height `axis_y`: a grid line and a label at each tick, and the axis.
fn axis(scale: &Scale, axis_y: f64) -> Markup {
    let step = tick_step(scale.duration);
    let ticks: Vec<f64> = (0..)
        .map(|k| k as f64 * step)
        .take_while(|t| *t <= scale.duration + 1e-9)
        .collect();
    html! {
        @for t in &ticks {
            line.grid x1=(f(scale.x(*t))) x2=(f(scale.x(*t))) y1=(f(TOP)) y2=(f(axis_y)) {}
            text x=(f(scale.x(*t))) y=(f(axis_y + 14.0)) text-anchor="middle" { (human(Some(*t))) }
        }
        line.axis x1=(f(LABEL)) x2=(f(WIDTH - RIGHT)) y1=(f(axis_y)) y2=(f(axis_y)) {}
    }
}

/// One expectation's row at height `y`: its label, and its span with the deadline marked,
/// or that it never started.
fn span_row(sp: &Span, y: f64, scale: &Scale) -> Markup {
    html! {
        text x="4" y=(f(y + 4.0)) {
            title { (sp.label) }
            (cut(&sp.label))
        }
        @if let Some(a) = sp.start {
            @let b = sp.end.unwrap_or(scale.duration);
            rect class=(sp.class) x=(f(scale.x(a))) y=(f(y - 7.0))
                width=(f((scale.x(b) - scale.x(a)).max(2.0))) height="14" rx="3" {
                title { (sp.what) }
            }
            @if let Some(dl) = sp.deadline {
                @if dl <= scale.duration {
                    line.deadline x1=(f(scale.x(dl))) x2=(f(scale.x(dl))) y1=(f(y - 10.0)) y2=(f(y + 10.0)) {
                        title { "deadline at " (human(Some(dl))) }
                    }
                }
            }
        } @else {
            text.muted x=(f(LABEL + 4.0)) y=(f(y + 4.0)) { "never started" }
        }
    }
}

fn cut(label: &str) -> String {
    if label.chars().count() <= LABEL_CHARS {
        return label.to_owned();
    }
    let mut s: String = label.chars().take(LABEL_CHARS - 1).collect();
    s.push('…');
    s
}

/// The drawing in words, for screen readers.
fn describe(r: &RunReport) -> String {
    let s = &r.summary;
    let mut parts = vec![format!(
        "Run of {} lasting {}.",
        s.scenario,
        human(Some(r.duration_seconds))
    )];
    for d in &s.detections {
        parts.push(match d.ttd_seconds {
            Some(_) => format!(
                "Detection {} after {} (deadline {}).",
                d.id,
                d.ttd_text(),
                human(Some(d.within_seconds))
            ),
            None => format!("Detection {} not reached.", d.id),
        });
    }
    for c in &s.containments {
        parts.push(match c.ttc_seconds {
            Some(t) => format!(
                "Containment {} after {} (deadline {}).",
                c.id,
                human(Some(t)),
                human(Some(c.within_seconds))
            ),
            None => format!("Containment {} not reached.", c.id),
        });
    }
    parts.join(" ")
}
