//! The HTML report: one self-contained page (inline CSS and SVG, no script, no fetches;
//! a Content-Security-Policy forbids any), readable in print and in a dark-mode browser.
//! maud escapes every piece of text, so nothing from a journal can become markup.

use super::{Report, RunReport, by_name, human, time};
use crate::event::{Outcome, TimeSource};
use crate::score::Summary;
use maud::{DOCTYPE, Markup, PreEscaped, html};

/// The page's style sheet, shared by every HTML page gameday writes.
pub const CSS: &str = r#"
:root { color-scheme: light dark; --fg: #1b1f24; --bg: #ffffff; --muted: #57606a;
  --line: #d0d7de; --head: #f6f8fa; --ok: #1a7f37; --bad: #cf222e; --late: #9a6700;
  --info: #0969da; --band: #eaeef2; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e6edf3; --bg: #0d1117; --muted: #9198a1; --line: #3d444d; --head: #161b22;
    --ok: #3fb950; --bad: #f85149; --late: #d29922; --info: #4493f8; --band: #21262d; }
}
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg);
  background: var(--bg); margin: 0; }
main { max-width: 1100px; margin: 0 auto; padding: 1.5rem; }
h1 { font-size: 1.6rem; margin: 0 0 .5rem; }
h2 { font-size: 1.3rem; margin: 2rem 0 .5rem; border-bottom: 1px solid var(--line); }
h3 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
code { font: .9em ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: .9rem; }
caption { text-align: left; font-weight: 600; padding: .25rem 0; }
th, td { border: 1px solid var(--line); padding: .3rem .5rem; text-align: left;
  vertical-align: top; }
td { overflow-wrap: break-word; }
th { background: var(--head); }
td.t, .timeline td:nth-child(-n+2) { white-space: nowrap; }
.timeline td:first-child { text-align: right; font-variant-numeric: tabular-nums; }
table.wide { width: 100%; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
.ok { color: var(--ok); } .bad { color: var(--bad); } .late { color: var(--late); }
.badge { display: inline-block; padding: 0 .5rem; border-radius: 1rem; font-weight: 600;
  border: 1px solid currentColor; }
.score { font-size: 2rem; font-weight: 700; }
.muted { color: var(--muted); }
figure { margin: 1rem 0; }
figcaption { color: var(--muted); font-size: .85rem; }
svg { max-width: 100%; height: auto; font: 11px system-ui, sans-serif; }
svg text { fill: var(--fg); }
svg .axis { stroke: var(--line); }
svg .grid { stroke: var(--line); stroke-dasharray: 2 3; }
svg .band { fill: var(--band); }
svg .span-ok { fill: var(--ok); } svg .span-late { fill: var(--late); }
svg .span-bad { fill: var(--bad); opacity: .35; } svg .span-open { fill: var(--muted); opacity: .35; }
svg .deadline { stroke: var(--bad); stroke-width: 1.5; stroke-dasharray: 4 2; }
svg .mark { fill: var(--info); } svg .mark-bad { fill: var(--bad); }
svg .line { fill: none; stroke: var(--info); stroke-width: 2; }
svg .line2 { fill: none; stroke: var(--late); stroke-width: 2; }
.scroll { overflow-x: auto; }
.matrix td { min-width: 9rem; }
.cell-detected { background: color-mix(in srgb, var(--ok) 25%, transparent); }
.cell-missed { background: color-mix(in srgb, var(--bad) 25%, transparent); }
.cell-exercised { background: color-mix(in srgb, var(--info) 18%, transparent); }
@media print {
  :root { --fg: #000; --bg: #fff; --head: #eee; --muted: #444; }
  main { max-width: none; padding: 0; }
  h2 { break-after: avoid; } tr, figure { break-inside: avoid; }
}
"#;

/// A whole page around `body`, with the shared style sheet and a policy that forbids
/// every fetch.
pub fn page(title: &str, body: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta http-equiv="Content-Security-Policy"
                    content="default-src 'none'; style-src 'unsafe-inline'; img-src data:";
                meta name="generator" content=(concat!("gameday ", env!("CARGO_PKG_VERSION")));
                link rel="icon" href="data:,";
                title { (title) }
                style { (PreEscaped(CSS)) }
            }
            body { main { (body) } }
        }
    }
    .into_string()
}

/// The class that colours an outcome.
pub fn outcome_class(o: Outcome) -> &'static str {
    match o {
        Outcome::Passed => "ok",
        Outcome::Failed => "bad",
        Outcome::Aborted | Outcome::Interrupted => "late",
    }
}

/// A UTC time of day (the date is in the run's facts), machine-readable in full.
fn clock(t: Option<chrono::DateTime<chrono::Utc>>) -> Markup {
    match t {
        Some(t) => html! {
            time datetime=(time(Some(t))) { (t.format("%H:%M:%S%.3f").to_string()) }
        },
        None => html! { "—" },
    }
}

fn met(b: bool) -> Markup {
    html! {
        @if b { span.ok { "✓ met" } } @else { span.bad { "✗ missed" } }
    }
}

/// Renders the report.
pub fn render(r: &Report) -> String {
    let title = match r.runs.as_slice() {
        [one] => format!("Game day: {} ({})", one.summary.title, one.summary.run_id),
        runs => format!("Game day report: {} runs", runs.len()),
    };
    let body = html! {
        @if let [one] = r.runs.as_slice() {
            (run(one, 0, true))
        } @else {
            h1 { (title) }
            (overview(r))
            @for (i, one) in r.runs.iter().enumerate() {
                (run(one, i, false))
            }
        }
    };
    page(&title, body)
}

fn overview(r: &Report) -> Markup {
    let t = &r.totals;
    html! {
        p {
            (t.passed) " passed, " (t.failed) " failed, " (t.aborted) " aborted, "
            (t.interrupted) " interrupted; " (t.expectations_met) " of " (t.expectations)
            " expectations met; mean score " (format!("{:.1}", t.mean_score)) " / 100."
        }
        table {
            caption { "Runs" }
            thead { tr {
                th scope="col" { "Run" } th scope="col" { "Scenario" }
                th scope="col" { "Target" } th scope="col" { "Outcome" }
                th scope="col" { "Score" } th scope="col" { "Detections met" }
                th scope="col" { "Containments met" }
            } }
            tbody {
                @for (i, one) in r.runs.iter().enumerate() {
                    @let s = &one.summary;
                    tr {
                        th scope="row" { a href=(format!("#run-{i}")) { code { (s.run_id) } } }
                        td { (s.title) " " span.muted { "(" (s.scenario) ")" } }
                        td { (s.target.name) " " span.muted { (s.target.account_id) ", " (s.target.region) } }
                        td { span class=(outcome_class(s.outcome)) { (s.outcome.as_str()) } }
                        td.num { (format!("{:.1}", s.score.total)) " (" (s.score.grade) ")" }
                        td.num { (s.detections.iter().filter(|d| d.met).count()) " / " (s.detections.len()) }
                        td.num { (s.containments.iter().filter(|c| c.met).count()) " / " (s.containments.len()) }
                    }
                }
            }
        }
    }
}

fn run(r: &RunReport, i: usize, alone: bool) -> Markup {
    let s = &r.summary;
    html! {
        section id=(format!("run-{i}")) aria-labelledby=(format!("run-{i}-title")) {
            @if alone {
                h1 id=(format!("run-{i}-title")) { "Game day: " (s.title) }
            } @else {
                h2 id=(format!("run-{i}-title")) { (s.title) " — " code { (s.run_id) } }
            }
            @if !r.scenario_summary.is_empty() { p { (r.scenario_summary) } }
            (facts(r))
            (score(s, alone))
            (crate::report::svg::timeline(r, i))
            (detections(s, alone))
            (containments(s, alone))
            (runbook(r, alone))
            (points(s, alone))
            (responders(r, alone))
            (team(r, alone))
            (cleanup(s, alone))
            (timeline_table(r, alone))
        }
    }
}

/// A section heading one level below the run's.
fn h(alone: bool, text: &str) -> Markup {
    html! { @if alone { h2 { (text) } } @else { h3 { (text) } } }
}

fn facts(r: &RunReport) -> Markup {
    let s = &r.summary;
    html! {
        dl.facts {
            dt { "Outcome" }
            dd { span class=(format!("badge {}", outcome_class(s.outcome))) { (s.outcome.as_str()) } " " (s.reason) }
            dt { "Scenario" } dd { code { (s.scenario) } }
            dt { "Run" } dd { code { (s.run_id) } }
            dt { "Target" } dd { (s.target.name) " (" (s.target.kind) ", account " (s.target.account_id) ", " (s.target.region) ")" }
            dt { "Started" } dd { (time(Some(s.started_at))) " (UTC)" ", ran " (human(Some(r.duration_seconds))) }
            dt { "Clock" } dd { (s.clock) ", seed " (s.seed) @if s.autopilot { ", autopilot responder" } }
            @if !r.mitre.is_empty() {
                dt { "ATT&CK" } dd { @for (k, m) in r.mitre.iter().enumerate() { @if k > 0 { ", " } code { (m) } } }
            }
            dt { "gameday" } dd { (r.gameday_version) }
            @if s.torn_journal {
                dt { "Journal" } dd.late { "its last line was cut short by a crash and was skipped" }
            }
        }
    }
}

fn score(s: &Summary, alone: bool) -> Markup {
    html! {
        (h(alone, "Score"))
        p {
            span.score { (format!("{:.1}", s.score.total)) } " / " (format!("{:.0}", s.score.max))
            " — grade " strong { (s.score.grade) }
        }
        table {
            caption { "Score by part" }
            thead { tr { th scope="col" { "Part" } th scope="col" { "Points" } } }
            tbody {
                tr { th scope="row" { "Detection" } td.num { (format!("{:.1}", s.score.detection)) } }
                tr { th scope="row" { "Containment" } td.num { (format!("{:.1}", s.score.containment)) } }
                tr { th scope="row" { "Runbook adherence" } td.num { (format!("{:.1}", s.score.runbook)) } }
            }
        }
    }
}

fn detections(s: &Summary, alone: bool) -> Markup {
    html! {
        (h(alone, "Detection"))
        table {
            caption { "Detection expectations: time to detect (TTD) from the attack step (T0) to the provider's timestamp" }
            thead { tr {
                th scope="col" { "Id" } th scope="col" { "Source" } th scope="col" { "Result" }
                th scope="col" { "Deadline" } th scope="col" { "T0" } th scope="col" { "Detected at" }
                th scope="col" { "Observed at" } th scope="col" { "TTD" } th scope="col" { "Points" }
            } }
            tbody {
                @for d in &s.detections {
                    tr {
                        th scope="row" { code { (d.id) } }
                        td { (d.source) " " code { (d.name) } }
                        td { (met(d.met)) @if let Some(why) = &d.missed_reason { br; span.muted { (why) } } }
                        td.num { (human(Some(d.within_seconds))) }
                        td.t { (clock(d.t0)) } td.t { (clock(d.detected_at)) } td.t { (clock(d.observed_at)) }
                        td.num { (d.ttd_text()) @if let Some(hop) = d.hop_text() { br; span.muted { (hop) } } }
                        td.num { (format!("{:.1} / {:.1}", d.points, d.max_points)) }
                    }
                }
            }
        }
        @if let Some((ids, note)) = super::drill_note(s) {
            p.drill {
                strong { "Drill:" } " "
                @for (i, id) in ids.iter().enumerate() { @if i > 0 { ", " } code { (id) } }
                " " (note) "."
            }
        }
    }
}

fn containments(s: &Summary, alone: bool) -> Markup {
    html! {
        (h(alone, "Containment"))
        table {
            caption { "Containment expectations: time to contain (TTC) from the detection" }
            thead { tr {
                th scope="col" { "Id" } th scope="col" { "Check" } th scope="col" { "Result" }
                th scope="col" { "Deadline" } th scope="col" { "Contained at" } th scope="col" { "TTC" }
                th scope="col" { "Timed by" } th scope="col" { "Points" }
            } }
            tbody {
                @for c in &s.containments {
                    tr {
                        th scope="row" { code { (c.id) } }
                        td { code { (c.check) } }
                        td { (met(c.met)) @if let Some(why) = &c.missed_reason { br; span.muted { (why) } } }
                        td.num { (human(Some(c.within_seconds))) }
                        td.t { (clock(c.contained_at)) }
                        td.num { (human(c.ttc_seconds)) }
                        td {
                            @match c.time_source {
                                Some(TimeSource::Audit) => "the audit log",
                                Some(TimeSource::Poll) => {
                                    "a poll, between " (clock(c.last_seen_false)) " and " (clock(c.first_seen_true))
                                }
                                None => "—",
                            }
                        }
                        td.num { (format!("{:.1} / {:.1}", c.points, c.max_points)) }
                    }
                }
            }
        }
    }
}

fn runbook(r: &RunReport, alone: bool) -> Markup {
    let s = &r.summary;
    html! {
        @if !s.runbook.is_empty() {
            (h(alone, "Runbook"))
            table {
                caption {
                    "Runbook steps" @if let Some(id) = &r.runbook_id { " of " code { (id) } }
                    ": when and by whom each was done"
                }
                thead { tr {
                    th scope="col" { "Step" } th scope="col" { "Phase" } th scope="col" { "Done at" }
                    th scope="col" { "By" } th scope="col" { "In order" } th scope="col" { "Hint" }
                    th scope="col" { "Points" }
                } }
                tbody {
                    @for st in &s.runbook {
                        tr {
                            th scope="row" { (st.title) }
                            td { (st.phase.title()) }
                            td.t { (clock(st.done_at)) }
                            td { (by_name(st.by, st.who.as_deref())) }
                            td { @if st.done_at.is_none() { "—" } @else if st.in_order { "yes" } @else { span.late { "no" } } }
                            td { @if st.hint_taken { span.late { "taken" } } @else { "—" } }
                            td.num { (format!("{:.1} / {:.1}", st.points, st.max_points)) }
                        }
                    }
                }
            }
        }
    }
}

fn points(s: &Summary, alone: bool) -> Markup {
    html! {
        (h(alone, "Where the points came from"))
        ul {
            @for d in &s.detections { li { "Detection " code { (d.id) } ": " (d.explanation) } }
            @for c in &s.containments { li { "Containment " code { (c.id) } ": " (c.explanation) } }
            @if !s.runbook.is_empty() {
                li {
                    "Runbook: " (s.runbook.iter().filter(|r| r.done_at.is_some()).count())
                    " of " (s.runbook.len()) " steps done, "
                    (format!("{:.1}", s.runbook.iter().map(|r| r.points).sum::<f64>()))
                    " points before deductions"
                }
            }
            @for p in &s.penalties { li.late { "Deduction " (format!("{:.0}", p.points)) ": " (p.reason) } }
        }
    }
}

fn responders(r: &RunReport, alone: bool) -> Markup {
    html! {
        @if !r.actions.is_empty() {
            (h(alone, "Responder actions"))
            table {
                caption { "Actions run from the runbook" }
                thead { tr {
                    th scope="col" { "At" } th scope="col" { "By" } th scope="col" { "Runbook step" }
                    th scope="col" { "Action" } th scope="col" { "Result" }
                } }
                tbody {
                    (elided(r.actions.len(), shown(r.actions.len(), |i| !r.actions[i].ok), 5, "actions", |i| {
                        let a = &r.actions[i];
                        html! {
                            tr {
                                td.t { (clock(Some(a.at))) } td { (by_name(Some(a.by), a.who.as_deref())) }
                                td { code { (a.runbook_step) } } td { code { (a.action) } }
                                td { @match &a.error { None => span.ok { "ok" }, Some(e) => span.bad { "failed: " (e) } } }
                            }
                        }
                    }))
                }
            }
        }
        @if !r.acknowledgements.is_empty() {
            (h(alone, "Acknowledgements"))
            table {
                caption { "Detections acknowledged, and the time to acknowledge from when the detection was seen" }
                thead { tr {
                    th scope="col" { "Detection" } th scope="col" { "By" } th scope="col" { "At" }
                    th scope="col" { "Time to acknowledge" }
                } }
                tbody {
                    (elided(r.acknowledgements.len(), shown(r.acknowledgements.len(), |_| false), 4, "acknowledgements", |i| {
                        let a = &r.acknowledgements[i];
                        html! {
                            tr {
                                th scope="row" { code { (a.detection) } } td { (by_name(Some(a.by), a.who.as_deref())) }
                                td.t { (clock(Some(a.at))) } td.num { (human(a.tta_seconds)) }
                            }
                        }
                    }))
                }
            }
        }
        @if !r.hints.is_empty() {
            (h(alone, "Hints"))
            ul {
                @for x in &r.hints {
                    li { code { (x.step) } " at " (clock(Some(x.at))) " by " (by_name(Some(x.by), x.who.as_deref())) ": " (x.text) }
                }
            }
        }
        @if !r.notes.is_empty() {
            (h(alone, "Notes"))
            ul {
                @for n in &r.notes {
                    li { (clock(Some(n.at))) " (" (by_name(Some(n.by), n.who.as_deref())) "): " (n.text) }
                }
            }
        }
    }
}

/// Who took part and the injects they were sent, when a team played or injects came.
fn team(r: &RunReport, alone: bool) -> Markup {
    html! {
        @if !r.participants.is_empty() {
            (h(alone, "Participants"))
            table {
                thead { tr { th { "Who" } th { "Role" } th { "Joined" } th.num { "Actions" } th.num { "Steps" } th.num { "Hints" } th.num { "Notes" } th { "Time to acknowledge" } } }
                tbody {
                    @for p in &r.participants {
                        tr {
                            th scope="row" { (p.name) } td { (p.role.as_str()) " (" (p.via) ")" }
                            td.t { (clock(Some(p.joined_at))) @if let Some(l) = p.left_at { " – left " (clock(Some(l))) } }
                            td.num { (p.actions) } td.num { (p.steps_done) } td.num { (p.hints) } td.num { (p.notes) }
                            td { @if p.acknowledgements.is_empty() { "—" } @for a in &p.acknowledgements { code { (a.detection) } " " (human(a.tta_seconds)) " " } }
                        }
                    }
                }
            }
        }
        @if !r.injects.is_empty() {
            (h(alone, "Injects"))
            ul {
                @for i in &r.injects {
                    li {
                        code { (i.id) } " at " (clock(Some(i.at))) " to " (i.to.map_or("everyone", |r| r.as_str()))
                        " from " (i.from.as_deref().unwrap_or("the scenario")) ": " (i.text)
                        @if let Some(a) = &i.answer {
                            " — answered by " (a.by) " after " (human(Some(a.after_seconds))) ": " (a.text)
                        } @else if i.answer_asked { " — " span.late { "not answered" } }
                    }
                }
            }
        }
    }
}

fn cleanup(s: &Summary, alone: bool) -> Markup {
    html! {
        (h(alone, "Clean-up"))
        @match &s.cleanup {
            Some(c) if c.left_behind.is_empty() => {
                p.ok { (c.reverted) " change(s) reverted; " (super::verified(c)) "." }
            }
            Some(c) => {
                p.bad {
                    @if s.outcome == Outcome::Interrupted {
                        "The run was interrupted before clean-up finished. "
                    } @else {
                        (c.reverted) " reverted, " (c.failed) " failed. "
                    }
                    "These may remain in the account:"
                }
                ul { @for x in &c.left_behind { li { code { (x) } } } }
            }
            None => { p { "Nothing was created." } }
        }
        @if let Some(c) = s.cleanup.as_ref().filter(|c| !c.not_ours.is_empty()) {
            p.bad { "Refused, not the run's (left alone; a person should look):" }
            ul { @for x in &c.not_ours { li { code { (x) } } } }
        }
    }
}

/// Rows a long list keeps at each end; the rows between are counted, not drawn, except
/// the ones that must show (failures). Markdown and JSON keep every row.
const KEEP: usize = 500;

/// Which rows of a list of `len` to draw: both ends, and those `must` asks for.
fn shown(len: usize, must: impl Fn(usize) -> bool) -> impl Fn(usize) -> bool {
    move |i| len <= 2 * KEEP || i < KEEP || i >= len - KEEP || must(i)
}

/// A row standing for `n` rows left out.
fn omitted(n: usize, cols: usize, what: &str) -> Markup {
    html! {
        tr { td.muted colspan=(cols) {
            "… " (n) " " (what) " left out here to keep the page small; the Markdown and JSON reports and the journal hold them all."
        } }
    }
}

/// Draws `rows` of `len`, with a note where a stretch was left out.
fn elided(
    len: usize,
    keep: impl Fn(usize) -> bool,
    cols: usize,
    what: &str,
    row: impl Fn(usize) -> Markup,
) -> Markup {
    let mut gap = 0;
    html! {
        @for i in 0..len {
            @if keep(i) {
                @if gap > 0 { (omitted(std::mem::take(&mut gap), cols, what)) }
                (row(i))
            } @else {
                ({ gap += 1; "" })
            }
        }
        @if gap > 0 { (omitted(gap, cols, what)) }
    }
}

fn timeline_table(r: &RunReport, alone: bool) -> Markup {
    let t = &r.timeline;
    html! {
        (h(alone, "Timeline"))
        table.wide.timeline {
            caption { "Every event of the journal (" (t.len()) ")" }
            thead { tr {
                th scope="col" { "Run time" } th scope="col" { "At (UTC)" } th scope="col" { "Lane" }
                th scope="col" { "By" } th scope="col" { "What" }
            } }
            tbody {
                (elided(t.len(), shown(t.len(), |i| !t[i].ok), 5, "events", |i| {
                    let e = &t[i];
                    html! {
                        tr {
                            td { (human(Some(e.t_seconds))) }
                            td { (e.at.format("%H:%M:%S%.3f").to_string()) }
                            td { (e.lane.title()) }
                            td { (by_name(e.by, e.who.as_deref())) }
                            @if e.ok { td { (e.text) } } @else { td.bad { "✗ " (e.text) } }
                        }
                    }
                }))
            }
        }
    }
}
