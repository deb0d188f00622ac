//! Reports written from a journal alone. Markdown for now; the other formats plug in
//! beside it through [`Format`].

use crate::journal::Contents;
use crate::score::Summary;
use std::fmt::Write;

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// GitHub-flavoured Markdown.
    Markdown,
    /// The summary as JSON.
    Json,
}

/// Renders a report of a journal in `format`.
pub fn render(contents: &Contents, format: Format) -> String {
    let mut summary = Summary::from_events(&contents.events);
    summary.torn_journal = contents.torn_tail;
    match format {
        Format::Markdown => markdown(&summary),
        Format::Json => serde_json::to_string_pretty(&summary).unwrap_or_default(),
    }
}

fn opt_secs(s: Option<f64>) -> String {
    s.map(|s| format!("{s:.3} s"))
        .unwrap_or_else(|| "—".to_owned())
}

fn time(t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_else(|| "—".to_owned())
}

/// Escapes text for a Markdown table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// The Markdown report.
pub fn markdown(s: &Summary) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# Game day: {} ({})\n", cell(&s.title), s.scenario);
    let _ = writeln!(o, "- **Run**: `{}`", s.run_id);
    let _ = writeln!(
        o,
        "- **Target**: {} ({}, account {}, {})",
        s.target.name, s.target.kind, s.target.account_id, s.target.region
    );
    let _ = writeln!(o, "- **Started**: {}", time(Some(s.started_at)));
    let _ = writeln!(
        o,
        "- **Clock**: {}, seed {}{}",
        s.clock,
        s.seed,
        if s.autopilot {
            ", autopilot responder"
        } else {
            ""
        }
    );
    let _ = writeln!(
        o,
        "- **Outcome**: **{}** — {}",
        s.outcome.as_str(),
        s.reason
    );
    if s.torn_journal {
        let _ = writeln!(
            o,
            "- **Journal**: its last line was cut short by a crash and was skipped"
        );
    }
    let _ = writeln!(
        o,
        "- **Score**: **{:.1} / {:.0}** (grade {})\n",
        s.score.total, s.score.max, s.score.grade
    );

    let _ = writeln!(o, "## Detection ({:.1} points)\n", s.score.detection);
    let _ = writeln!(
        o,
        "| id | source | met | T0 | detected at | observed at | TTD | points |"
    );
    let _ = writeln!(o, "|---|---|---|---|---|---|---|---|");
    for d in &s.detections {
        let _ = writeln!(
            o,
            "| {} | {} `{}` | {} | {} | {} | {} | {} | {:.1} / {:.1} |",
            d.id,
            d.source,
            cell(&d.name),
            if d.met { "yes" } else { "no" },
            time(d.t0),
            time(d.detected_at),
            time(d.observed_at),
            opt_secs(d.ttd_seconds),
            d.points,
            d.max_points
        );
    }
    let _ = writeln!(o, "\n## Containment ({:.1} points)\n", s.score.containment);
    let _ = writeln!(
        o,
        "| id | check | met | contained at | TTC | timed by | points |"
    );
    let _ = writeln!(o, "|---|---|---|---|---|---|---|");
    for c in &s.containments {
        let source = match c.time_source {
            Some(crate::event::TimeSource::Audit) => "audit log".to_owned(),
            Some(crate::event::TimeSource::Poll) => format!(
                "poll (between {} and {})",
                time(c.last_seen_false),
                time(c.first_seen_true)
            ),
            None => "—".to_owned(),
        };
        let _ = writeln!(
            o,
            "| {} | `{}` | {} | {} | {} | {} | {:.1} / {:.1} |",
            c.id,
            c.check,
            if c.met { "yes" } else { "no" },
            time(c.contained_at),
            opt_secs(c.ttc_seconds),
            source,
            c.points,
            c.max_points
        );
    }
    if !s.runbook.is_empty() {
        let _ = writeln!(
            o,
            "\n## Runbook adherence ({:.1} points)\n",
            s.score.runbook
        );
        let _ = writeln!(o, "| step | phase | done at | by | in order | points |");
        let _ = writeln!(o, "|---|---|---|---|---|---|");
        for r in &s.runbook {
            let by =
                r.by.map(|b| format!("{b:?}").to_lowercase())
                    .unwrap_or_else(|| "—".to_owned());
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} | {:.1} / {:.1} |",
                cell(&r.title),
                r.phase.title(),
                time(r.done_at),
                by,
                if r.in_order { "yes" } else { "no" },
                r.points,
                r.max_points
            );
        }
    }
    let _ = writeln!(o, "\n## Where the points came from\n");
    for d in &s.detections {
        let _ = writeln!(o, "- detection `{}`: {}", d.id, d.explanation);
    }
    for c in &s.containments {
        let _ = writeln!(o, "- containment `{}`: {}", c.id, c.explanation);
    }
    if !s.runbook.is_empty() {
        let done = s.runbook.iter().filter(|r| r.done_at.is_some()).count();
        let _ = writeln!(o, "- runbook: {done} of {} steps done", s.runbook.len());
    }
    for p in &s.penalties {
        let _ = writeln!(o, "- penalty {:.0}: {}", p.points, p.reason);
    }
    let _ = writeln!(o, "\n## Clean-up\n");
    match &s.cleanup {
        Some(c) if c.left_behind.is_empty() => {
            let _ = writeln!(o, "{} change(s) reverted; nothing left behind.", c.reverted);
        }
        Some(c) => {
            let _ = writeln!(
                o,
                "{} reverted, {} failed. May remain in the account:\n",
                c.reverted, c.failed
            );
            for r in &c.left_behind {
                let _ = writeln!(o, "- {}", cell(r));
            }
        }
        None => {
            let _ = writeln!(o, "Nothing was created.");
        }
    }
    o
}
