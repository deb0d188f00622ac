//! The Markdown report: GitHub-flavoured, for a ticket or a wiki.

use super::{Report, RunReport, by_name, human, time};
use crate::event::TimeSource;
use crate::score::Summary;
use std::fmt::Write;

/// Text from data (a title, an id, a reason, a note, an error) as inline Markdown that
/// reads as it was written: on one line, and with every character Markdown or HTML would
/// act on escaped, so that nothing in it becomes a link, an image, markup, emphasis or a
/// table cell of its own. The report's own structure is written around it, never by it.
fn text(s: &str) -> String {
    escape(s, false)
}

/// [`text`] that starts a block (a paragraph, a list item), where a leading `#`, `-`,
/// `+`, `=` or `1.` would also make a heading or a list of its own.
fn block(s: &str) -> String {
    escape(s, true)
}

fn escape(s: &str, starts_block: bool) -> String {
    let s = crate::text::clean(s, false);
    let chars: Vec<char> = s.trim().chars().collect();
    let mut o = String::with_capacity(chars.len() + 8);
    // Digits at the start, then `.` or `)`, would make an ordered list.
    let digits = chars.iter().take_while(|c| c.is_ascii_digit()).count();
    let alnum = |i: Option<usize>| {
        i.and_then(|i| chars.get(i))
            .is_some_and(|c| c.is_alphanumeric())
    };
    for (i, &c) in chars.iter().enumerate() {
        let escaped = match c {
            '<' => {
                o.push_str("&lt;");
                continue;
            }
            '>' => {
                o.push_str("&gt;");
                continue;
            }
            '&' => {
                o.push_str("&amp;");
                continue;
            }
            '\\' | '`' | '*' | '[' | ']' | '|' | '~' => true,
            // Between two letters or digits (`create_user`) an underscore cannot start or
            // end emphasis; elsewhere it can.
            '_' => !(alnum(i.checked_sub(1)) && alnum(Some(i + 1))),
            '#' | '-' | '+' | '=' => starts_block && i == 0,
            '.' | ')' => starts_block && i == digits && i > 0,
            _ => false,
        };
        if escaped {
            o.push('\\');
        }
        o.push(c);
    }
    o
}

/// Text from data as a code span: on one line, fenced with one backtick more than the
/// longest run of them in it, so that it cannot close early. Inside a code span nothing
/// is Markdown.
fn code(s: &str) -> String {
    let s = crate::text::clean(s, false);
    if s.is_empty() {
        return String::new();
    }
    let mut longest = 0;
    let mut run = 0;
    for c in s.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    // A backtick at either end would join the fence: a space keeps them apart, and
    // Markdown takes one off each end.
    let pad = if s.starts_with('`') || s.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{s}{pad}{fence}")
}

/// [`code`] in a table cell, where a pipe ends the cell even inside a code span unless
/// it is escaped.
fn code_cell(s: &str) -> String {
    code(s).replace('|', "\\|")
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
            "| {} | {} | {} ({}, {}) | {} | {:.1} ({}) | {}/{} | {}/{} |",
            code_cell(&s.run_id),
            text(&s.scenario),
            text(&s.target.name),
            text(&s.target.account_id),
            text(&s.target.region),
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
    overview(o, r, h);
    detections(o, s, h);
    containments(o, s, h);
    runbook(o, r, h);
    explanations(o, s, h);
    actions(o, r, h);
    acknowledgements(o, r, h);
    hints(o, r, h);
    notes(o, r, h);
    team(o, r, h);
    timeline(o, r, h);
    cleanup(o, s, h);
}

/// The run's title, what the scenario is about, and a list of what it was and how it went.
fn overview(o: &mut String, r: &RunReport, h: &str) {
    let s = &r.summary;
    let _ = writeln!(
        o,
        "{h} Game day: {} ({})\n",
        text(&s.title),
        text(&s.scenario)
    );
    if !r.scenario_summary.is_empty() {
        let _ = writeln!(o, "{}\n", block(&r.scenario_summary));
    }
    let _ = writeln!(o, "- **Run**: {}", code(&s.run_id));
    let _ = writeln!(
        o,
        "- **Target**: {} ({}, account {}, {})",
        text(&s.target.name),
        text(s.target.kind.as_str()),
        text(&s.target.account_id),
        text(&s.target.region)
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
        text(&s.clock),
        s.seed,
        if s.autopilot {
            ", autopilot responder"
        } else {
            ""
        },
        text(&r.gameday_version)
    );
    if !r.mitre.is_empty() {
        let mitre: Vec<String> = r.mitre.iter().map(|m| text(m)).collect();
        let _ = writeln!(o, "- **ATT&CK**: {}", mitre.join(", "));
    }
    let _ = writeln!(
        o,
        "- **Outcome**: **{}** — {}",
        s.outcome.as_str(),
        text(&s.reason)
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
}

/// The detection table: each expectation, its deadline, times and points.
fn detections(o: &mut String, s: &Summary, h: &str) {
    let _ = writeln!(o, "{h}# Detection\n");
    let _ = writeln!(
        o,
        "| id | source | met | deadline | T0 | detected at | observed at | TTD | points |"
    );
    let _ = writeln!(o, "|---|---|---|---|---|---|---|---|---|");
    for d in &s.detections {
        let _ = writeln!(
            o,
            "| {} | {} {} | {} | {} | {} | {} | {} | {} | {:.1} / {:.1} |",
            text(&d.id),
            text(&d.source),
            code_cell(&d.name),
            yes(d.met),
            human(Some(d.within_seconds)),
            time(d.t0),
            time(d.detected_at),
            time(d.observed_at),
            match d.hop_text() {
                Some(hop) => format!("{} ({})", d.ttd_text(), text(&hop)),
                None => d.ttd_text(),
            },
            d.points,
            d.max_points
        );
    }
    if let Some((ids, note)) = super::drill_note(s) {
        let ids: Vec<String> = ids.into_iter().map(code).collect();
        let _ = writeln!(o, "\n> **Drill:** {} {note}.", ids.join(", "));
    }
}

/// The containment table: each expectation, its deadline, time, how it was timed and
/// points.
fn containments(o: &mut String, s: &Summary, h: &str) {
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
            "| {} | {} | {} | {} | {} | {} | {} | {:.1} / {:.1} |",
            text(&c.id),
            code_cell(&c.check),
            yes(c.met),
            human(Some(c.within_seconds)),
            time(c.contained_at),
            human(c.ttc_seconds),
            source,
            c.points,
            c.max_points
        );
    }
}

/// The runbook table, when the scenario has a runbook: each step, when and by whom it
/// was done, and points.
fn runbook(o: &mut String, r: &RunReport, h: &str) {
    let s = &r.summary;
    if !s.runbook.is_empty() {
        let _ = writeln!(
            o,
            "\n{h}# Runbook{}\n",
            r.runbook_id
                .as_deref()
                .map(|id| format!(" {}", code(id)))
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
                text(&st.title),
                st.phase.title(),
                time(st.done_at),
                text(by_name(st.by, st.who.as_deref())),
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
}

/// Where the points came from: each expectation's reason, the runbook, the deductions.
fn explanations(o: &mut String, s: &Summary, h: &str) {
    let _ = writeln!(o, "\n{h}# Where the points came from\n");
    for d in &s.detections {
        let _ = writeln!(o, "- detection {}: {}", code(&d.id), text(&d.explanation));
    }
    for c in &s.containments {
        let _ = writeln!(o, "- containment {}: {}", code(&c.id), text(&c.explanation));
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
        let _ = writeln!(o, "- deduction {:.0}: {}", p.points, text(&p.reason));
    }
}

/// The responders' actions, when there were any.
fn actions(o: &mut String, r: &RunReport, h: &str) {
    if !r.actions.is_empty() {
        let _ = writeln!(o, "\n{h}# Responder actions\n");
        let _ = writeln!(o, "| at | by | runbook step | action | result |");
        let _ = writeln!(o, "|---|---|---|---|---|");
        for a in &r.actions {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} |",
                time(Some(a.at)),
                text(by_name(Some(a.by), a.who.as_deref())),
                text(&a.runbook_step),
                code_cell(&a.action),
                match &a.error {
                    None => "ok".to_owned(),
                    Some(e) => format!("failed: {}", text(e)),
                }
            );
        }
    }
}

/// The detections the responders acknowledged, when they did.
fn acknowledgements(o: &mut String, r: &RunReport, h: &str) {
    if !r.acknowledgements.is_empty() {
        let _ = writeln!(o, "\n{h}# Acknowledgements\n");
        for a in &r.acknowledgements {
            let _ = writeln!(
                o,
                "- {} acknowledged by {} at {}, {} after it was seen",
                code(&a.detection),
                text(by_name(Some(a.by), a.who.as_deref())),
                time(Some(a.at)),
                human(a.tta_seconds)
            );
        }
    }
}

/// The hints taken, when there were any.
fn hints(o: &mut String, r: &RunReport, h: &str) {
    if !r.hints.is_empty() {
        let _ = writeln!(o, "\n{h}# Hints\n");
        for x in &r.hints {
            let _ = writeln!(
                o,
                "- {} at {} by {}: {}",
                code(&x.step),
                time(Some(x.at)),
                text(by_name(Some(x.by), x.who.as_deref())),
                text(&x.text)
            );
        }
    }
}

/// The responders' notes, when there are any.
fn notes(o: &mut String, r: &RunReport, h: &str) {
    if !r.notes.is_empty() {
        let _ = writeln!(o, "\n{h}# Notes\n");
        for n in &r.notes {
            let _ = writeln!(
                o,
                "- {} ({}): {}",
                time(Some(n.at)),
                text(by_name(Some(n.by), n.who.as_deref())),
                text(&n.text)
            );
        }
    }
}

/// Who took part and the injects they were sent, when a team played or injects came.
fn team(o: &mut String, r: &RunReport, h: &str) {
    if !r.participants.is_empty() {
        let _ = writeln!(o, "\n{h}# Participants\n");
        let _ = writeln!(
            o,
            "| who | role | joined | actions | steps | hints | notes | time to acknowledge |"
        );
        let _ = writeln!(o, "|---|---|---|---:|---:|---:|---:|---|");
        for p in &r.participants {
            let acks: Vec<String> = p
                .acknowledgements
                .iter()
                .map(|a| format!("`{}` {}", text(&a.detection), super::human(a.tta_seconds)))
                .collect();
            let _ = writeln!(
                o,
                "| {} | {} ({}) | {} | {} | {} | {} | {} | {} |",
                text(&p.name),
                p.role.as_str(),
                text(&p.via),
                time(Some(p.joined_at)),
                p.actions,
                p.steps_done,
                p.hints,
                p.notes,
                if acks.is_empty() {
                    "—".to_owned()
                } else {
                    acks.join(", ")
                }
            );
        }
    }
    if !r.injects.is_empty() {
        let _ = writeln!(o, "\n{h}# Injects\n");
        for i in &r.injects {
            let answer = match &i.answer {
                Some(a) => format!(
                    " — answered by {} after {}: {}",
                    text(&a.by),
                    super::human(Some(a.after_seconds)),
                    text(&a.text)
                ),
                None if i.answer_asked => " — not answered".to_owned(),
                None => String::new(),
            };
            let _ = writeln!(
                o,
                "- `{}` at {} to {} from {}: {}{answer}",
                text(&i.id),
                time(Some(i.at)),
                i.to.map_or("everyone", |r| r.as_str()),
                text(i.from.as_deref().unwrap_or("the scenario")),
                text(&i.text)
            );
        }
    }
}

/// Every event of the run, in order, as a table.
fn timeline(o: &mut String, r: &RunReport, h: &str) {
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
            text(by_name(e.by, e.who.as_deref())),
            if e.ok { "" } else { "**✗** " },
            text(&e.text)
        );
    }
}

/// What clean-up reverted, what may remain in the account, and what it refused to touch
/// as not the run's.
fn cleanup(o: &mut String, s: &Summary, h: &str) {
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
                let _ = writeln!(o, "- {}", block(x));
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
            let _ = writeln!(o, "- {}", block(x));
        }
    }
}
