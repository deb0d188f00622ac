//! The Markdown report: GitHub-flavoured, for a ticket or a wiki.

use super::{Report, RunReport, by_name, human, time};
use crate::event::TimeSource;
use std::fmt::Write;

/// Escapes text for a Markdown table cell or a line of prose: no line breaks, no
/// table pipes, no HTML.
fn cell(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '|' => o.push_str("\\|"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '\n' | '\r' => o.push(' '),
            c if c.is_control() => {}
            c => o.push(c),
        }
    }
    o
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// Renders the report.
pub fn render(r: &Report) -> String {
    let mut o = String::new();
    if let [one] = r.runs.as_slice() {
        run(&mut o, one, "#");
        return o;
    }
    let t = &r.totals;
    let _ = writeln!(o, "# Game day report: {} runs\n", t.runs);
    let _ = writeln!(
        o,
        "- **Outcomes**: {} passed, {} failed, {} aborted, {} interrupted",
        t.passed, t.failed, t.aborted, t.interrupted
    );
    let _ = writeln!(
        o,
        "- **Expectations met**: {} of {}",
        t.expectations_met, t.expectations
    );
    let _ = writeln!(o, "- **Mean score**: {:.1} / 100\n", t.mean_score);
    let _ = writeln!(
        o,
        "| run | scenario | target | outcome | score | detections met | containments met |"
    );
    let _ = writeln!(o, "|---|---|---|---|---|---|---|");
    for run in &r.runs {
        let s = &run.summary;
        let _ = writeln!(
            o,
            "| `{}` | {} | {} ({}, {}) | {} | {:.1} ({}) | {}/{} | {}/{} |",
            s.run_id,
            cell(&s.scenario),
            cell(&s.target.name),
            s.target.account_id,
            s.target.region,
            s.outcome.as_str(),
            s.score.total,
            s.score.grade,
            s.detections.iter().filter(|d| d.met).count(),
            s.detections.len(),
            s.containments.iter().filter(|c| c.met).count(),
            s.containments.len()
        );
    }
    for run_report in &r.runs {
        let _ = writeln!(o);
        run(&mut o, run_report, "##");
    }
    o
}

/// One run's section; `h` is the heading level of its title.
fn run(o: &mut String, r: &RunReport, h: &str) {
    let s = &r.summary;
    let _ = writeln!(o, "{h} Game day: {} ({})\n", cell(&s.title), s.scenario);
    if !r.scenario_summary.is_empty() {
        let _ = writeln!(o, "{}\n", cell(&r.scenario_summary));
    }
    let _ = writeln!(o, "- **Run**: `{}`", s.run_id);
    let _ = writeln!(
        o,
        "- **Target**: {} ({}, account {}, {})",
        cell(&s.target.name),
        s.target.kind,
        s.target.account_id,
        s.target.region
    );
    let _ = writeln!(
        o,
        "- **Started**: {}, ran {}",
        time(Some(s.started_at)),
        human(Some(r.duration_seconds))
    );
    let _ = writeln!(
        o,
        "- **Clock**: {}, seed {}{}; gameday {}",
        s.clock,
        s.seed,
        if s.autopilot {
            ", autopilot responder"
        } else {
            ""
        },
        r.gameday_version
    );
    if !r.mitre.is_empty() {
        let _ = writeln!(o, "- **ATT&CK**: {}", r.mitre.join(", "));
    }
    let _ = writeln!(
        o,
        "- **Outcome**: **{}** — {}",
        s.outcome.as_str(),
        cell(&s.reason)
    );
    if s.torn_journal {
        let _ = writeln!(
            o,
            "- **Journal**: its last line was cut short by a crash and was skipped"
        );
    }
    let _ = writeln!(
        o,
        "- **Score**: **{:.1} / {:.0}** (grade {}): detection {:.1}, containment {:.1}, runbook {:.1}\n",
        s.score.total,
        s.score.max,
        s.score.grade,
        s.score.detection,
        s.score.containment,
        s.score.runbook
    );

    let _ = writeln!(o, "{h}# Detection\n");
    let _ = writeln!(
        o,
        "| id | source | met | deadline | T0 | detected at | observed at | TTD | points |"
    );
    let _ = writeln!(o, "|---|---|---|---|---|---|---|---|---|");
    for d in &s.detections {
        let _ = writeln!(
            o,
            "| {} | {} `{}` | {} | {} | {} | {} | {} | {} | {:.1} / {:.1} |",
            d.id,
            d.source,
            cell(&d.name),
            yes(d.met),
            human(Some(d.within_seconds)),
            time(d.t0),
            time(d.detected_at),
            time(d.observed_at),
            human(d.ttd_seconds),
            d.points,
            d.max_points
        );
    }
    let _ = writeln!(o, "\n{h}# Containment\n");
    let _ = writeln!(
        o,
        "| id | check | met | deadline | contained at | TTC | timed by | points |"
    );
    let _ = writeln!(o, "|---|---|---|---|---|---|---|---|");
    for c in &s.containments {
        let source = match c.time_source {
            Some(TimeSource::Audit) => "audit log".to_owned(),
            Some(TimeSource::Poll) => format!(
                "poll (between {} and {})",
                time(c.last_seen_false),
                time(c.first_seen_true)
            ),
            None => "—".to_owned(),
        };
        let _ = writeln!(
            o,
            "| {} | `{}` | {} | {} | {} | {} | {} | {:.1} / {:.1} |",
            c.id,
            c.check,
            yes(c.met),
            human(Some(c.within_seconds)),
            time(c.contained_at),
            human(c.ttc_seconds),
            source,
            c.points,
            c.max_points
        );
    }
    if !s.runbook.is_empty() {
        let _ = writeln!(
            o,
            "\n{h}# Runbook{}\n",
            r.runbook_id
                .as_deref()
                .map(|id| format!(" `{id}`"))
                .unwrap_or_default()
        );
        let _ = writeln!(
            o,
            "| step | phase | done at | by | in order | hint | points |"
        );
        let _ = writeln!(o, "|---|---|---|---|---|---|---|");
        for st in &s.runbook {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} | {} | {:.1} / {:.1} |",
                cell(&st.title),
                st.phase.title(),
                time(st.done_at),
                by_name(st.by),
                if st.done_at.is_some() {
                    yes(st.in_order)
                } else {
                    "—"
                },
                if st.hint_taken { "taken" } else { "—" },
                st.points,
                st.max_points
            );
        }
    }
    let _ = writeln!(o, "\n{h}# Where the points came from\n");
    for d in &s.detections {
        let _ = writeln!(o, "- detection `{}`: {}", d.id, cell(&d.explanation));
    }
    for c in &s.containments {
        let _ = writeln!(o, "- containment `{}`: {}", c.id, cell(&c.explanation));
    }
    if !s.runbook.is_empty() {
        let done = s.runbook.iter().filter(|r| r.done_at.is_some()).count();
        let _ = writeln!(
            o,
            "- runbook: {done} of {} steps done, {:.1} points before deductions",
            s.runbook.len(),
            s.runbook.iter().map(|r| r.points).sum::<f64>()
        );
    }
    for p in &s.penalties {
        let _ = writeln!(o, "- deduction {:.0}: {}", p.points, cell(&p.reason));
    }

    if !r.actions.is_empty() {
        let _ = writeln!(o, "\n{h}# Responder actions\n");
        let _ = writeln!(o, "| at | by | runbook step | action | result |");
        let _ = writeln!(o, "|---|---|---|---|---|");
        for a in &r.actions {
            let _ = writeln!(
                o,
                "| {} | {} | {} | `{}` | {} |",
                time(Some(a.at)),
                by_name(Some(a.by)),
                a.runbook_step,
                a.action,
                match &a.error {
                    None => "ok".to_owned(),
                    Some(e) => format!("failed: {}", cell(e)),
                }
            );
        }
    }
    if !r.acknowledgements.is_empty() {
        let _ = writeln!(o, "\n{h}# Acknowledgements\n");
        for a in &r.acknowledgements {
            let _ = writeln!(
                o,
                "- `{}` acknowledged by {} at {}, {} after it was seen",
                a.detection,
                by_name(Some(a.by)),
                time(Some(a.at)),
                human(a.tta_seconds)
            );
        }
    }
    if !r.hints.is_empty() {
        let _ = writeln!(o, "\n{h}# Hints\n");
        for x in &r.hints {
            let _ = writeln!(
                o,
                "- `{}` at {} by {}: {}",
                x.step,
                time(Some(x.at)),
                by_name(Some(x.by)),
                cell(&x.text)
            );
        }
    }
    if !r.notes.is_empty() {
        let _ = writeln!(o, "\n{h}# Notes\n");
        for n in &r.notes {
            let _ = writeln!(
                o,
                "- {} ({}): {}",
                time(Some(n.at)),
                by_name(Some(n.by)),
                cell(&n.text)
            );
        }
    }

    let _ = writeln!(o, "\n{h}# Timeline\n");
    let _ = writeln!(o, "| run time | at | lane | by | what |");
    let _ = writeln!(o, "|---|---|---|---|---|");
    for e in &r.timeline {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {}{} |",
            human(Some(e.t_seconds)),
            time(Some(e.at)),
            e.lane.title(),
            by_name(e.by),
            if e.ok { "" } else { "**✗** " },
            cell(&e.text)
        );
    }

    let _ = writeln!(o, "\n{h}# Clean-up\n");
    match &s.cleanup {
        Some(c) if c.left_behind.is_empty() => {
            let _ = writeln!(
                o,
                "{} change(s) reverted; {}.",
                c.reverted,
                super::verified(c)
            );
        }
        Some(c) => {
            let _ = writeln!(
                o,
                "{} reverted, {} failed. **May remain in the account**:\n",
                c.reverted, c.failed
            );
            for x in &c.left_behind {
                let _ = writeln!(o, "- {}", cell(x));
            }
        }
        None => {
            let _ = writeln!(o, "Nothing was created.");
        }
    }
    if let Some(c) = s.cleanup.as_ref().filter(|c| !c.not_ours.is_empty()) {
        let _ = writeln!(
            o,
            "\n**Refused, not the run's** (left alone; a person should look):\n"
        );
        for x in &c.not_ours {
            let _ = writeln!(o, "- {}", cell(x));
        }
    }
}
