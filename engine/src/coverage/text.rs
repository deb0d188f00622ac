//! The coverage as plain text for a terminal: a block per tactic, a line per technique.

use super::{CellStatus, Coverage, TechniqueCoverage};
use crate::trend::{TEXT_WIDTH, fit, wrap};
use std::fmt::Write as _;

impl Coverage {
    /// The matrix as plain text for a terminal, fitting [`TEXT_WIDTH`] columns: one block
    /// per tactic, one line per technique.
    pub fn to_text(&self) -> String {
        let mut o = String::new();
        o.push_str(&wrap(
            &format!("ATT&CK coverage: {}.", self.summary()),
            TEXT_WIDTH,
        ));
        if self.with_runs {
            let _ = writeln!(
                o,
                "Scenario marks: ✓ detected by its latest run, ✗ missed, ! interrupted, - not run."
            );
            if self.runs_of_other_scenarios > 0 {
                let _ = writeln!(
                    o,
                    "{} run(s) of scenarios outside the library were left out.",
                    self.runs_of_other_scenarios
                );
            }
        }
        for ta in &self.tactics {
            let exercised = ta
                .techniques
                .iter()
                .filter(|c| c.status != CellStatus::Gap)
                .count();
            let _ = writeln!(
                o,
                "\n{} ({}): {} of {} exercised",
                ta.name.to_uppercase(),
                ta.id,
                exercised,
                ta.techniques.len()
            );
            for c in &ta.techniques {
                text_row(&mut o, c, self.with_runs);
            }
        }
        if !self.other.is_empty() {
            let _ = writeln!(
                o,
                "\nOTHER: technique ids the ATT&CK data (v{}) does not list",
                self.attack_version
            );
            for c in &self.other {
                text_row(&mut o, c, self.with_runs);
            }
        }
        o
    }
}

fn text_row(o: &mut String, c: &TechniqueCoverage, with_runs: bool) {
    const ID: usize = 10;
    const STATUS: usize = 11;
    const NAME: usize = 46;
    let label = if c.sub_technique {
        format!("  {}", c.name.rsplit(": ").next().unwrap_or(&c.name))
    } else {
        c.name.clone()
    };
    let status = if c.status == CellStatus::Gap {
        "—"
    } else {
        c.status.label(with_runs)
    };
    let head = format!(
        "  {:<ID$} {:<NAME$} {:<STATUS$}",
        c.id,
        fit(&label, NAME),
        status
    );
    let marks: Vec<String> = c
        .scenarios
        .iter()
        .map(|m| match (with_runs, m.result) {
            (true, Some(r)) => format!("{} {}", m.scenario, r.symbol()),
            _ => m.scenario.clone(),
        })
        .collect();
    // Scenarios after the status, wrapped under themselves.
    let indent = head.chars().count() + 1;
    let room = TEXT_WIDTH.saturating_sub(indent).max(20);
    let mut lines: Vec<String> = vec![String::new()];
    for (k, m) in marks.iter().enumerate() {
        let piece = if k + 1 < marks.len() {
            format!("{m},")
        } else {
            m.clone()
        };
        let cur = lines.last().map_or(0, |l| l.chars().count());
        if cur > 0 && cur + 1 + piece.chars().count() > room {
            lines.push(String::new());
        }
        if let Some(l) = lines.last_mut() {
            if !l.is_empty() {
                l.push(' ');
            }
            l.push_str(&fit(&piece, room));
        }
    }
    let first = format!("{head} {}", lines[0]);
    let _ = writeln!(o, "{}", first.trim_end());
    for l in &lines[1..] {
        let _ = writeln!(o, "{}{}", " ".repeat(indent), l);
    }
}
