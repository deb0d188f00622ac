//! The coverage as one self-contained HTML page: the matrix, the techniques the data does
//! not know, and the scenarios with their latest runs.

use super::{CellStatus, Coverage, RunResult, TechniqueCoverage};
use crate::report::html::{outcome_class, page};
use maud::{Markup, html};

impl Coverage {
    /// The matrix as one self-contained HTML page.
    pub fn to_html(&self) -> String {
        let title = "ATT&CK coverage of the scenario library";
        let rows = self
            .tactics
            .iter()
            .map(|t| t.techniques.len())
            .max()
            .unwrap_or(0);
        let body = html! {
            h1 { (title) }
            p { (self.summary()) "." }
            p {
                "Legend: "
                span.cell-detected { "detected by the latest run" } ", "
                span.cell-missed { "missed by a latest run" } ", "
                span.cell-exercised { "exercised (not run, or interrupted)" } ", no colour: a gap no scenario exercises."
            }
            div.scroll { table.matrix {
                caption { "Tactics × techniques (ATT&CK v" (self.attack_version) ")" }
                thead { tr {
                    @for t in &self.tactics {
                        th scope="col" { (t.name) br; span.muted { (t.id) } }
                    }
                } }
                tbody {
                    @for r in 0..rows {
                        tr {
                            @for t in &self.tactics {
                                @match t.techniques.get(r) {
                                    Some(c) => { (cell_html(c, self.with_runs)) }
                                    None => { td {} }
                                }
                            }
                        }
                    }
                }
            } }
            @if !self.other.is_empty() {
                h2 { "Other techniques" }
                p { "Technique ids the scenarios list that the ATT&CK data (v" (self.attack_version) ") does not." }
                table {
                    thead { tr { th scope="col" { "Technique" } th scope="col" { "Status" } th scope="col" { "Scenarios" } } }
                    tbody {
                        @for c in &self.other {
                            tr {
                                th scope="row" { code { (c.id) } }
                                td class=[c.status.class()] { (c.status.label(self.with_runs)) }
                                td { (marks_html(c, self.with_runs)) }
                            }
                        }
                    }
                }
            }
            h2 { "Scenarios" }
            table {
                caption { "The library and the latest run of each scenario" }
                thead { tr {
                    th scope="col" { "Scenario" } th scope="col" { "Techniques" }
                    @if self.with_runs {
                        th scope="col" { "Latest run" } th scope="col" { "Started (UTC)" }
                        th scope="col" { "Outcome" } th scope="col" { "Detections met" } th scope="col" { "Result" }
                    }
                } }
                tbody {
                    @for s in &self.scenarios {
                        tr {
                            th scope="row" { code { (s.id) } " " span.muted { (s.title) } }
                            td { @for (k, t) in s.techniques.iter().enumerate() { @if k > 0 { ", " } code { (t) } } }
                            @if self.with_runs {
                                @match &s.latest_run {
                                    Some(r) => {
                                        td { code { (r.run_id) } }
                                        td { (r.started_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)) }
                                        td { span class=(outcome_class(r.outcome)) { (r.outcome.as_str()) } }
                                        td.num { (r.detections_met) " / " (r.detections) }
                                    }
                                    None => { td.muted { "—" } td {} td {} td {} }
                                }
                                td { (result_html(s.result)) }
                            }
                        }
                    }
                }
            }
        };
        page(title, body)
    }
}

fn result_html(r: Option<RunResult>) -> Markup {
    html! {
        @match r {
            Some(RunResult::Detected) => span.ok { "detected" },
            Some(RunResult::Missed) => span.bad { "missed" },
            Some(RunResult::Interrupted) => span.late { "interrupted" },
            Some(RunResult::NotRun) => span.muted { "not run" },
            None => span.muted { "—" },
        }
    }
}

fn marks_html(c: &TechniqueCoverage, with_runs: bool) -> Markup {
    html! {
        @if !c.scenarios.is_empty() {
            ul {
                @for m in &c.scenarios {
                    li {
                        code { (m.scenario) }
                        @if with_runs { ": " (result_html(m.result)) }
                    }
                }
            }
        }
    }
}

fn cell_html(c: &TechniqueCoverage, with_runs: bool) -> Markup {
    // A sub-technique shows its own name; the full name is its tooltip.
    let own = c.name.rsplit(": ").next().unwrap_or(&c.name);
    html! {
        td class=[c.status.class()] title=(c.name) {
            code { (c.id) } " " (own)
            br;
            @if c.status == CellStatus::Gap {
                span.muted { "gap" }
            } @else {
                strong { (c.status.label(with_runs)) }
            }
            @for m in &c.scenarios {
                br;
                code { (m.scenario) }
                @if with_runs { " " (result_html(m.result)) }
            }
        }
    }
}
