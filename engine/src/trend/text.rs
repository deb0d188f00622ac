//! The trend as plain text for a terminal: a table per scenario, with sparklines.

use super::{Status, Trend, minute, signed_duration, signed_points};
use crate::event::Outcome;
use crate::report::human;
use crate::share::percent;
use crate::text::wrap;
use std::fmt::Write as _;

/// Terminal width the text table is made to fit.
pub const TEXT_WIDTH: usize = 100;

/// Runs listed per scenario in the text table (the latest ones).
const TEXT_RUNS: usize = 10;

/// Runs drawn in a text sparkline (the latest ones).
const SPARK_RUNS: usize = 16;

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
