//! Drawing the console: a pure function of the model and the console's own state, so
//! every screen can be tested on ratatui's TestBackend.

mod fit;

use super::model::{Model, Status, StepView};
use super::{Modal, Mode, Ui};
use fit::Field;
use gameday_engine::event::{Actor, Outcome, RunPhase};
use gameday_engine::words::{Lane, actor, run_time, to_the_second};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Gauge, Paragraph, Wrap};

/// Styles, in colour or (with `NO_COLOR`) in bold, dim and reverse only.
#[derive(Debug, Clone, Copy)]
pub struct Theme {
    pub ok: Style,
    pub bad: Style,
    pub warn: Style,
    pub accent: Style,
    pub dim: Style,
    pub selected: Style,
    pub title: Style,
    pub code: Style,
}

impl Theme {
    /// Colours unless `no_color`.
    pub fn new(no_color: bool) -> Theme {
        let bold = Style::default().add_modifier(Modifier::BOLD);
        if no_color {
            return Theme {
                ok: Style::default(),
                bad: bold,
                warn: bold,
                accent: bold,
                dim: Style::default().add_modifier(Modifier::DIM),
                selected: Style::default().add_modifier(Modifier::REVERSED),
                title: bold,
                code: Style::default(),
            };
        }
        Theme {
            ok: Style::default().fg(Color::Green),
            bad: Style::default().fg(Color::Red).add_modifier(Modifier::BOLD),
            warn: Style::default().fg(Color::Yellow),
            accent: Style::default().fg(Color::Cyan),
            dim: Style::default().fg(Color::DarkGray),
            selected: Style::default().add_modifier(Modifier::REVERSED),
            title: bold,
            code: Style::default().fg(Color::Magenta),
        }
    }
}

/// Draws the whole screen.
pub fn draw(frame: &mut Frame<'_>, m: &Model, ui: &Ui) {
    let t = &ui.theme;
    let [header, body, status] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(6),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    draw_header(frame, header, m, ui);
    if body.width >= 150 {
        let [runbook, details, right] = Layout::horizontal([
            Constraint::Percentage(30),
            Constraint::Percentage(34),
            Constraint::Percentage(36),
        ])
        .areas(body);
        draw_runbook(frame, runbook, m, ui);
        draw_details(frame, details, m, ui);
        draw_right(frame, right, m, ui);
    } else {
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(48), Constraint::Percentage(52)])
                .areas(body);
        let rows = (m.steps.len() + 4 + 2) as u16;
        let [runbook, details] =
            Layout::vertical([Constraint::Max(rows.max(6)), Constraint::Min(4)]).areas(left);
        draw_runbook(frame, runbook, m, ui);
        draw_details(frame, details, m, ui);
        draw_right(frame, right, m, ui);
    }
    draw_status(frame, status, ui);
    let waiting = || {
        m.awaiting_answer(ui.me.as_ref().map(|me| me.role))
            .map(|i| format!("✉ inject {}: {} (n: answer)", i.id, i.text))
    };
    if let Some(line) = ui.message_now(m).or_else(waiting) {
        let line = fit::cut(&line, usize::from(frame.area().width).saturating_sub(4));
        let w = (fit::width(&line) as u16 + 4).min(frame.area().width);
        let area = Rect {
            x: frame.area().width.saturating_sub(w) / 2,
            y: status.y.saturating_sub(1),
            width: w,
            height: 1,
        };
        frame.render_widget(Clear, area);
        frame.render_widget(
            Paragraph::new(Line::styled(format!("  {line}  "), t.selected)),
            area,
        );
    }
    if ui.modal == Modal::None
        && !ui.result_hidden
        && (m.phase == Some(RunPhase::Cleanup) || m.ended.is_some())
    {
        draw_cleanup(frame, m, ui);
    }
    draw_modal(frame, m, ui);
}

fn state_text(m: &Model, ui: &Ui) -> (String, Style) {
    let t = &ui.theme;
    if let Some((outcome, _)) = &m.ended {
        let style = match outcome {
            Outcome::Passed => t.ok,
            Outcome::Failed => t.bad,
            _ => t.warn,
        };
        return (outcome.as_str().to_uppercase(), style);
    }
    let phase = match m.phase {
        None | Some(RunPhase::Preflight) => "BRIEFING",
        Some(RunPhase::Setup) => "SETTING UP",
        Some(RunPhase::Attack) => "ATTACK",
        Some(RunPhase::Watch) => "RESPONDING",
        Some(RunPhase::Cleanup) => "CLEAN-UP",
        Some(RunPhase::Report) => "REPORT",
    };
    (phase.to_owned(), t.accent)
}

fn draw_header(frame: &mut Frame<'_>, area: Rect, m: &Model, ui: &Ui) {
    let t = &ui.theme;
    let (state, style) = state_text(m, ui);
    let width = usize::from(area.width);
    // Row 1: what is played, and where the run stands.
    let title = [
        Field::new(" gameday ", t.selected, 9),
        Field::new(m.title.clone(), t.title, 5)
            .after(" ")
            .elastic(12)
            .droppable(),
        Field::new(format!("({})", m.scenario), t.dim, 1)
            .after(" ")
            .droppable(),
    ];
    let state = [Field::new(
        format!(" {state} "),
        style.add_modifier(Modifier::BOLD),
        8,
    )];
    let row1 = fit::row(&title, &state, t.dim, width.saturating_sub(1));
    // Row 2: where it is played, and its clock.
    let row2 = fit::row(
        &target_fields(m, t),
        &clock_fields(ui),
        t.dim,
        width.saturating_sub(2),
    );
    let mut row2_spans = vec![Span::raw(" ")];
    row2_spans.extend(row2.spans);
    frame.render_widget(Paragraph::new(vec![row1, Line::from(row2_spans)]), area);
}

/// The run and its target: the account id whole or visibly elided (`1111…3333`), never
/// cut into another account's.
fn target_fields(m: &Model, t: &Theme) -> Vec<Field> {
    let mut fields = vec![Field::new(format!("run {}", m.run_id), t.dim, 1).droppable()];
    if let Some(tg) = &m.target {
        let mut target = Field::new(format!("target {}", tg.name), Style::default(), 3);
        if tg.kind.as_str() != tg.name {
            target = Field::new(
                format!("target {} ({})", tg.name, tg.kind),
                Style::default(),
                3,
            )
            .or(format!("target {}", tg.name));
        }
        let elided = fit::elide_middle(&tg.account_id, 4, 4);
        fields.extend([
            target.or(tg.name.clone()).droppable(),
            Field::new(format!("account {}", tg.account_id), Style::default(), 6)
                .or(format!("account {elided}"))
                .or(elided)
                .droppable(),
            Field::new(tg.region.clone(), Style::default(), 2).droppable(),
        ]);
    }
    fields
}

/// The game clock: its time, speed and whether it is paused, or where a replay stands.
fn clock_fields(ui: &Ui) -> Vec<Field> {
    let t = &ui.theme;
    let time = Field::new(format!("⏱ {}", run_time(ui.now_ms)), t.accent, 9);
    match &ui.mode {
        Mode::Live {
            paused,
            speed,
            virtual_time,
        } => {
            let speed = if *virtual_time {
                "virtual".to_owned()
            } else {
                format!("x{speed}")
            };
            let mut fields = vec![time, Field::new(speed, t.accent, 4).after(" ").droppable()];
            if *paused {
                fields
                    .push(Field::new("PAUSED", t.warn.add_modifier(Modifier::BOLD), 7).after(" "));
            }
            fields
        }
        Mode::Replay(r) => vec![
            time,
            Field::new("REPLAY", t.accent, 8).after(" "),
            Field::new(if r.playing { "▶" } else { "⏸" }, t.accent, 7)
                .after(" ")
                .droppable(),
            Field::new(format!("x{}", r.speed), t.accent, 3)
                .after(" ")
                .droppable(),
            Field::new(format!("event {}/{}", r.cursor, r.total), t.accent, 5)
                .after(" ")
                .droppable(),
        ],
    }
}

/// A box around `area` titled `title` (cut to fit).
fn block(title: &str, area: Rect, ui: &Ui) -> Block<'static> {
    // The corners, and a space either side of the title.
    let room = usize::from(area.width).saturating_sub(4);
    Block::default().borders(Borders::ALL).title(Span::styled(
        format!(" {} ", fit::cut(title, room)),
        ui.theme.title,
    ))
}

/// Lines in a box, each cut to the box's width: for panels whose lines do not wrap.
fn boxed<'a>(lines: Vec<Line<'a>>, title: &str, area: Rect, ui: &Ui) -> Paragraph<'a> {
    let inner = usize::from(area.width).saturating_sub(2);
    Paragraph::new(fit::lines(lines, inner)).block(block(title, area, ui))
}

fn step_mark(s: &StepView) -> (&'static str, bool) {
    match &s.done {
        Some((Actor::Engine, _, _)) => ("✓", true),
        Some(_) => ("✓", true),
        None if s.action.is_some() => ("▸", false),
        None => ("·", false),
    }
}

fn draw_runbook(frame: &mut Frame<'_>, area: Rect, m: &Model, ui: &Ui) {
    let t = &ui.theme;
    let width = usize::from(area.width).saturating_sub(2);
    let mut lines: Vec<Line<'_>> = Vec::new();
    let mut selected_line = 0;
    let mut phase = None;
    for (i, s) in m.steps.iter().enumerate() {
        if phase != Some(s.phase) {
            phase = Some(s.phase);
            lines.push(Line::styled(s.phase.title().to_owned(), t.accent));
        }
        let (mark, done) = step_mark(s);
        let mut marks = Vec::new();
        if s.verify.is_some() && !done {
            marks.push(Span::styled(" ◎", t.dim));
        }
        if s.hint_taken {
            marks.push(Span::styled(" ?", t.warn));
        }
        // The title gives way to the marks after it: they say how the step gets done.
        let room = width.saturating_sub(3 + Line::from(marks.clone()).width());
        let mut spans = vec![
            Span::raw(if i == ui.selected { "›" } else { " " }),
            Span::styled(format!("{mark} "), if done { t.ok } else { t.dim }),
            Span::raw(fit::cut(&s.title, room)),
        ];
        spans.extend(marks);
        let mut line = Line::from(spans);
        if i == ui.selected {
            line = line.style(t.selected);
            selected_line = lines.len();
        }
        lines.push(line);
    }
    if m.steps.is_empty() {
        lines.push(Line::styled("This scenario has no runbook.", t.dim));
    }
    let inner = area.height.saturating_sub(2) as usize;
    let scroll = selected_line.saturating_sub(inner.saturating_sub(1)) as u16;
    let done = m.steps.iter().filter(|s| s.done.is_some()).count();
    let title = format!("Runbook {done}/{}", m.steps.len());
    frame.render_widget(boxed(lines, &title, area, ui).scroll((scroll, 0)), area);
}

/// Markdown for a terminal: paragraphs flowed, headings bold, bullets as •, fenced code
/// kept as it is, `code` and **strong** styled.
fn markdown(text: &str, t: &Theme) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let mut para: Option<(String, String)> = None; // (prefix, text)
    let flush = |para: &mut Option<(String, String)>, out: &mut Vec<Line<'static>>| {
        if let Some((prefix, text)) = para.take() {
            let mut spans = vec![Span::raw(prefix)];
            spans.extend(inline(&text, t));
            out.push(Line::from(spans));
        }
    };
    let mut fenced = false;
    for raw in text.lines() {
        let trimmed = raw.trim_start();
        if trimmed.starts_with("```") {
            flush(&mut para, &mut out);
            fenced = !fenced;
            continue;
        }
        if fenced {
            out.push(Line::styled(format!("  {raw}"), t.code));
            continue;
        }
        if trimmed.is_empty() {
            flush(&mut para, &mut out);
            out.push(Line::raw(""));
            continue;
        }
        if let Some(h) = trimmed.strip_prefix('#') {
            flush(&mut para, &mut out);
            out.push(Line::styled(
                h.trim_start_matches('#').trim().to_owned(),
                t.title,
            ));
            continue;
        }
        let bullet = trimmed
            .strip_prefix("- ")
            .or_else(|| trimmed.strip_prefix("* "));
        let numbered = trimmed
            .split_once(". ")
            .filter(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
        if let Some(rest) = bullet {
            flush(&mut para, &mut out);
            para = Some(("• ".to_owned(), rest.to_owned()));
        } else if let Some((n, rest)) = numbered {
            flush(&mut para, &mut out);
            para = Some((format!("{n}. "), rest.to_owned()));
        } else if let Some((_, text)) = para.as_mut() {
            // A continuation line flows into its paragraph or list item.
            text.push(' ');
            text.push_str(trimmed);
        } else {
            para = Some((String::new(), trimmed.to_owned()));
        }
    }
    flush(&mut para, &mut out);
    while out.last().is_some_and(|l| l.width() == 0) {
        out.pop();
    }
    out
}

/// Inline `code` and **strong**.
fn inline(s: &str, t: &Theme) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    let mut rest = s;
    while !rest.is_empty() {
        let code = rest.find('`');
        let strong = rest.find("**");
        match (code, strong) {
            (Some(c), s2) if s2.is_none_or(|s2| c < s2) => {
                spans.push(Span::raw(rest[..c].to_owned()));
                let after = &rest[c + 1..];
                match after.find('`') {
                    Some(end) => {
                        spans.push(Span::styled(after[..end].to_owned(), t.code));
                        rest = &after[end + 1..];
                    }
                    None => {
                        spans.push(Span::raw(after.to_owned()));
                        rest = "";
                    }
                }
            }
            (_, Some(b)) => {
                spans.push(Span::raw(rest[..b].to_owned()));
                let after = &rest[b + 2..];
                match after.find("**") {
                    Some(end) => {
                        spans.push(Span::styled(after[..end].to_owned(), t.title));
                        rest = &after[end + 2..];
                    }
                    None => {
                        spans.push(Span::raw(after.to_owned()));
                        rest = "";
                    }
                }
            }
            _ => {
                spans.push(Span::raw(rest.to_owned()));
                rest = "";
            }
        }
    }
    spans
}

fn draw_details(frame: &mut Frame<'_>, area: Rect, m: &Model, ui: &Ui) {
    let briefing =
        !ui.browsed && matches!(m.phase, None | Some(RunPhase::Preflight | RunPhase::Setup));
    match m.steps.get(ui.selected).filter(|_| !briefing) {
        Some(s) => {
            let (lines, hint_at) = step_lines(s, &ui.theme);
            draw_scrolled(frame, area, "Step", lines, hint_at, ui);
        }
        None => draw_scrolled(frame, area, "Briefing", briefing_lines(m, ui), None, ui),
    }
}

/// The scenario's summary and what the run expects.
fn briefing_lines(m: &Model, ui: &Ui) -> Vec<Line<'static>> {
    let t = &ui.theme;
    let mut brief = markdown(&m.summary, t);
    brief.push(Line::raw(""));
    brief.push(Line::styled("What the run expects:", t.dim));
    for d in &m.detections {
        brief.push(Line::raw(format!(
            "• {} {} within {}",
            d.source,
            d.name,
            to_the_second(d.within_ms)
        )));
    }
    for c in &m.containments {
        brief.push(Line::raw(format!(
            "• contained ({}) within {} of the detection",
            c.check,
            to_the_second(c.within_ms)
        )));
    }
    brief
}

/// A step's details: its title, state, instructions, the command to copy, its action and
/// its hint; and the line where the hint begins, once taken.
fn step_lines(s: &StepView, t: &Theme) -> (Vec<Line<'static>>, Option<usize>) {
    let mut lines = vec![Line::from(vec![
        Span::styled(s.title.clone(), t.title),
        Span::styled(format!("  {} · {} pt", s.phase.title(), s.points), t.dim),
    ])];
    match &s.done {
        Some((by, how, at)) => lines.push(Line::styled(
            format!("✓ done at {} by {} ({how})", run_time(*at), actor(*by)),
            t.ok,
        )),
        None => {
            if let Some(v) = &s.verify {
                lines.push(Line::styled(
                    format!("◎ ticks itself when the engine sees `{v}`"),
                    t.dim,
                ));
            }
        }
    }
    lines.push(Line::raw(""));
    lines.extend(markdown(&s.instructions, t));
    if let Some(cli) = &s.cli {
        lines.push(Line::raw(""));
        lines.push(Line::styled("Command to copy:", t.dim));
        for l in cli.lines() {
            lines.push(Line::styled(format!("  {l}"), t.code));
        }
    }
    if let Some(a) = &s.action {
        lines.push(Line::raw(""));
        lines.push(Line::from(vec![
            Span::styled("r", t.accent),
            Span::raw(format!(" runs {a} for you, after you confirm")),
        ]));
    }
    let mut hint_at = None;
    match (&s.hint, s.hint_taken) {
        (Some(h), true) => {
            lines.push(Line::raw(""));
            hint_at = Some(lines.len());
            lines.push(Line::styled("Hint:", t.warn));
            lines.extend(markdown(h, t));
        }
        (Some(_), false) => lines.push(Line::from(vec![
            Span::styled("h", t.accent),
            Span::raw(" shows a hint (costs 5 points)"),
        ])),
        _ => {}
    }
    (lines, hint_at)
}

/// Wrapped lines in a box that scrolls (`ui.details_scroll`, or to the line `hint_at` when
/// `ui.details_to_hint`), saying at its foot when there is more above or below.
fn draw_scrolled(
    frame: &mut Frame<'_>,
    area: Rect,
    title: &str,
    lines: Vec<Line<'static>>,
    hint_at: Option<usize>,
    ui: &Ui,
) {
    let t = &ui.theme;
    let outer = block(title, area, ui);
    let inner = outer.inner(area);
    let rows_of = |lines: Vec<Line<'static>>| {
        let rows = Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .line_count(inner.width);
        u16::try_from(rows).unwrap_or(u16::MAX)
    };
    let most = rows_of(lines.clone()).saturating_sub(inner.height);
    let wanted = match hint_at {
        Some(i) if ui.details_to_hint => rows_of(lines[..i].to_vec()),
        _ => ui.details_scroll,
    };
    let scroll = wanted.min(most);
    ui.details_view.set((scroll, most, inner.height));
    let more = match (scroll > 0, scroll < most) {
        (true, true) => " K ↑ · J ↓ more ",
        (false, true) => " J ↓ more ",
        (true, false) => " K ↑ ",
        (false, false) => "",
    };
    let outer = outer.title_bottom(Line::styled(more, t.accent).right_aligned());
    frame.render_widget(
        Paragraph::new(lines)
            .block(outer)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        area,
    );
}

fn deadline_span(deadline: Option<u64>, within_ms: u64, now: u64, t: &Theme) -> Span<'static> {
    match deadline {
        None => Span::styled("waiting", t.dim),
        Some(d) if now <= d => Span::styled(format!("due in {}", to_the_second(d - now)), t.accent),
        Some(d) if now <= d.saturating_add(within_ms) => {
            Span::styled(format!("late {}", to_the_second(now - d)), t.warn)
        }
        Some(_) => Span::styled("overdue", t.bad),
    }
}

fn status_span(
    waiting_for: &'static str,
    status: &Status,
    deadline: Option<u64>,
    within_ms: u64,
    now: u64,
    t: &Theme,
) -> Span<'static> {
    match status {
        Status::Waiting => Span::styled(waiting_for, t.dim),
        Status::Pending => deadline_span(deadline, within_ms, now, t),
        Status::Met {
            took_ms,
            in_time: true,
        } => Span::styled(
            format!("✓ {}", to_the_second(took_ms.max(&0).unsigned_abs())),
            t.ok,
        ),
        Status::Met { took_ms, .. } => Span::styled(
            format!("✓ late {}", to_the_second(took_ms.max(&0).unsigned_abs())),
            t.warn,
        ),
        Status::Missed(_) => Span::styled("✗ missed", t.bad),
    }
}

fn draw_right(frame: &mut Frame<'_>, area: Rect, m: &Model, ui: &Ui) {
    let n = (m.detections.len() + m.containments.len()) as u16;
    let [expect, score, timeline] = Layout::vertical([
        Constraint::Length(n * 2 + 2),
        Constraint::Length(5),
        Constraint::Min(3),
    ])
    .areas(area);
    draw_expectations(frame, expect, m, ui);
    draw_score(frame, score, m, ui);
    draw_timeline(frame, timeline, m, ui);
}

fn draw_expectations(frame: &mut Frame<'_>, area: Rect, m: &Model, ui: &Ui) {
    let t = &ui.theme;
    let now = ui.now_ms;
    let mut lines = Vec::new();
    for d in &m.detections {
        let mut first = vec![
            Span::styled("detect  ", t.dim),
            Span::raw(d.id.clone()),
            Span::raw("  "),
            status_span(
                "waiting for the attack",
                &d.status,
                d.deadline_ms(),
                d.within_ms,
                now,
                t,
            ),
        ];
        if matches!(d.status, Status::Met { .. }) && m.ended.is_none() {
            first.push(if d.acknowledged {
                Span::styled(" ack", t.dim)
            } else {
                Span::styled(" a: acknowledge", t.warn)
            });
        }
        lines.push(Line::from(first));
        let detail = if d.title.is_empty() {
            format!("        {} {}", d.source, d.name)
        } else {
            format!("        {}", d.title)
        };
        lines.push(Line::styled(detail, t.dim));
    }
    for c in &m.containments {
        lines.push(Line::from(vec![
            Span::styled("contain ", t.dim),
            Span::raw(c.id.clone()),
            Span::raw("  "),
            status_span(
                "waiting for the detection",
                &c.status,
                c.deadline_ms(),
                c.within_ms,
                now,
                t,
            ),
        ]));
        lines.push(Line::styled(format!("        {}", c.check), t.dim));
    }
    frame.render_widget(boxed(lines, "Expectations", area, ui), area);
}

fn draw_score(frame: &mut Frame<'_>, area: Rect, m: &Model, ui: &Ui) {
    let t = &ui.theme;
    let lines = match &m.score {
        Some(s) => vec![
            Line::from(vec![
                Span::styled(format!("{:.1}", s.score.total), t.title),
                Span::raw(format!(" / {:.0}  grade {}", s.score.max, s.score.grade)),
            ]),
            Line::from(vec![
                Span::styled("detection ", t.dim),
                Span::raw(format!("{:.1}", s.score.detection)),
                Span::styled("  containment ", t.dim),
                Span::raw(format!("{:.1}", s.score.containment)),
            ]),
            Line::from(vec![
                Span::styled("runbook ", t.dim),
                Span::raw(format!("{:.1}", s.score.runbook)),
                Span::styled(
                    format!(
                        "  deductions {:.0}",
                        s.penalties.iter().fold(0.0, |a, p| a + p.points.abs())
                    ),
                    t.dim,
                ),
            ]),
        ],
        None => vec![Line::styled("—", t.dim)],
    };
    frame.render_widget(boxed(lines, "Score", area, ui), area);
}

fn lane_style(lane: Lane, ok: bool, t: &Theme) -> Style {
    if !ok {
        return t.bad;
    }
    match lane {
        Lane::Attack => t.warn,
        Lane::Detection => t.accent,
        Lane::Containment => t.ok,
        Lane::Responder => Style::default(),
        _ => t.dim,
    }
}

fn draw_timeline(frame: &mut Frame<'_>, area: Rect, m: &Model, ui: &Ui) {
    let t = &ui.theme;
    let rows = area.height.saturating_sub(2) as usize;
    let total = m.timeline.len();
    let end = total.saturating_sub(ui.timeline_scroll.min(total));
    let start = end.saturating_sub(rows);
    // Only the visible entries are turned into lines, however long the timeline.
    let lines: Vec<Line<'_>> = m.timeline[start..end]
        .iter()
        .map(|e| {
            let ms = (e.t_seconds * 1000.0) as u64;
            Line::from(vec![
                Span::styled(format!("{} ", run_time(ms)), t.dim),
                Span::styled(
                    format!("{:<12}", e.lane.title()),
                    lane_style(e.lane, e.ok, t),
                ),
                Span::raw(e.text.as_str()),
            ])
        })
        .collect();
    let title = if ui.timeline_scroll > 0 {
        format!("Timeline {end}/{total} (End: follow)")
    } else {
        format!("Timeline {total}")
    };
    frame.render_widget(boxed(lines, &title, area, ui), area);
}

fn draw_status(frame: &mut Frame<'_>, area: Rect, ui: &Ui) {
    let t = &ui.theme;
    let keys: &[(&str, &str)] = match &ui.mode {
        Mode::Live { .. } => &[
            ("↑↓", "step"),
            ("r", "run"),
            ("t", "tick"),
            ("a", "ack"),
            ("h", "hint"),
            ("n", "note"),
            ("p", "pause"),
            ("+-", "speed"),
            ("e", "end"),
            ("?", "help"),
            ("q", "quit"),
        ],
        Mode::Replay(_) => &[
            ("space", "play"),
            ("←→", "event"),
            ("PgUp/Dn", "±10"),
            ("Home/End", ""),
            ("+-", "speed"),
            ("↑↓", "step"),
            ("?", "help"),
            ("q", "quit"),
        ],
    };
    let item = |(k, what): &(&str, &str)| {
        let mut spans = vec![Span::styled(format!(" {k}"), t.accent)];
        if !what.is_empty() {
            spans.push(Span::raw(format!(" {what}")));
        }
        spans
    };
    let width = usize::from(area.width);
    let all = Line::from(keys.iter().flat_map(item).collect::<Vec<_>>());
    if all.width() <= width {
        frame.render_widget(Paragraph::new(all), area);
        return;
    }
    // Whole keys while they fit, then `…`; the help's key, which lists them all, stays.
    let (help, rest): (Vec<_>, Vec<_>) = keys.iter().partition(|(k, _)| *k == "?");
    let help: Vec<Span<'_>> = help.into_iter().flat_map(item).collect();
    let more = Span::styled(" …", t.dim);
    let mut room = width.saturating_sub(Line::from(help.clone()).width() + more.width());
    let mut spans = Vec::new();
    for key in rest {
        let key = item(key);
        let w = Line::from(key.clone()).width();
        if w > room {
            break;
        }
        room -= w;
        spans.extend(key);
    }
    spans.push(more);
    spans.extend(help);
    frame.render_widget(Paragraph::new(fit::line(Line::from(spans), width)), area);
}

/// A rectangle of at most `w`×`h` centred in `area`.
fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

fn draw_cleanup(frame: &mut Frame<'_>, m: &Model, ui: &Ui) {
    let t = &ui.theme;
    let area = centered(frame.area(), 64, 9);
    frame.render_widget(Clear, area);
    let outer = block("Clean-up", area, ui);
    let inner = outer.inner(area);
    frame.render_widget(outer, area);
    let [gauge, text] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(inner);
    let done = m.reverted + m.revert_failed;
    let ratio = if m.created == 0 {
        1.0
    } else {
        (done as f64 / m.created as f64).min(1.0)
    };
    frame.render_widget(
        Gauge::default()
            .ratio(ratio)
            .label(format!("{done} of {} change(s) reverted", m.created))
            .gauge_style(if m.revert_failed > 0 { t.bad } else { t.ok }),
        gauge,
    );
    let mut lines = Vec::new();
    match (&m.cleanup, &m.ended) {
        (_, Some((outcome, reason))) => {
            lines.push(Line::raw(""));
            lines.push(Line::from(vec![
                Span::styled(format!("Run {}", outcome.as_str()), t.title),
                Span::raw(format!(": {reason}")),
            ]));
            if let Some((r, f)) = m.cleanup {
                lines.push(Line::styled(
                    format!("Clean-up: {r} reverted, {f} failed."),
                    if f > 0 { t.bad } else { t.ok },
                ));
            }
            if let Some(s) = &m.score {
                lines.push(Line::raw(format!(
                    "Score {:.1} / {:.0}, grade {}.",
                    s.score.total, s.score.max, s.score.grade
                )));
            }
            lines.push(Line::styled(
                "q: quit   Esc: look at the screen behind",
                t.accent,
            ));
        }
        (Some((r, f)), None) => lines.push(Line::raw(format!(
            "Finished: {r} reverted, {f} failed. Writing the report…"
        ))),
        (None, None) => lines.push(Line::styled("Reverting the run's changes…", t.dim)),
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), text);
}

fn draw_modal(frame: &mut Frame<'_>, m: &Model, ui: &Ui) {
    let t = &ui.theme;
    let (title, lines, w, h): (&str, Vec<Line<'_>>, u16, u16) = match &ui.modal {
        Modal::None => return,
        Modal::Help => ("Keys", help_lines(ui), help_width(ui), 22),
        Modal::ConfirmEnd => (
            "End the exercise?",
            vec![
                Line::raw("Clean-up runs now and reverts every change the run made;"),
                Line::raw("expectations not reached yet count as missed."),
                Line::raw(""),
                Line::from(vec![
                    Span::styled("y", t.accent),
                    Span::raw(" end it   "),
                    Span::styled("n", t.accent),
                    Span::raw("/Esc go back"),
                ]),
            ],
            64,
            7,
        ),
        Modal::ConfirmHint(i) => {
            let title = m.steps.get(*i).map(|s| s.title.clone()).unwrap_or_default();
            (
                "Take a hint?",
                vec![
                    Line::raw(format!("A hint for “{title}” costs 5 points.")),
                    Line::raw(""),
                    Line::from(vec![
                        Span::styled("y", t.accent),
                        Span::raw(" show it   "),
                        Span::styled("n", t.accent),
                        Span::raw("/Esc no"),
                    ]),
                ],
                64,
                6,
            )
        }
        Modal::Note(text) | Modal::Inject(text) => (
            if matches!(ui.modal, Modal::Inject(_)) {
                "Inject for the team (asks for an answer)"
            } else {
                "Note for the journal"
            },
            vec![
                Line::from(vec![Span::raw(text.clone()), Span::styled("█", t.accent)]),
                Line::raw(""),
                Line::from(vec![
                    Span::styled("Enter", t.accent),
                    Span::raw(" save   "),
                    Span::styled("Esc", t.accent),
                    Span::raw(" cancel"),
                ]),
            ],
            70,
            6,
        ),
        Modal::ConfirmAction(p) => {
            let mut lines = vec![
                Line::from(vec![
                    Span::styled("Step: ", t.dim),
                    Span::raw(p.step_title.clone()),
                ]),
                Line::from(vec![
                    Span::styled("Runs: ", t.dim),
                    Span::styled(p.action.clone(), t.title),
                    Span::raw(format!(" — {}", p.summary)),
                ]),
                Line::from(vec![
                    Span::styled("Calls: ", t.dim),
                    Span::raw(p.calls.join(", ")),
                ]),
                Line::from(vec![
                    Span::styled("In: ", t.dim),
                    Span::raw(p.target.clone()),
                ]),
                Line::styled("With:", t.dim),
            ];
            match &p.inputs {
                Ok(map) => {
                    for (k, v) in map {
                        let v = match v {
                            serde_json::Value::String(s) => s.clone(),
                            other => other.to_string(),
                        };
                        lines.push(Line::raw(format!(
                            "  {k}: {}",
                            gameday_engine::text::clean(&v, false)
                        )));
                    }
                }
                Err(e) => lines.push(Line::styled(format!("  cannot resolve: {e}"), t.bad)),
            }
            lines.push(Line::raw(""));
            lines.push(Line::from(vec![
                Span::styled("y", t.accent),
                Span::raw(" run it   "),
                Span::styled("n", t.accent),
                Span::raw("/Esc cancel"),
            ]));
            ("Run this action?", lines, 76, 0)
        }
    };
    // Tall enough for every line once wrapped, so the keys at the bottom always show.
    let inner = w.min(frame.area().width).saturating_sub(2).max(1) as usize;
    let room = usize::from(frame.area().height).saturating_sub(2);
    let lines = dialog_lines(lines, inner, room, t);
    let h = h.max(wrapped_rows(&lines, inner) as u16 + 2);
    let area = centered(frame.area(), w, h);
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block(title, area, ui))
            .wrap(Wrap { trim: false }),
        area,
    );
}

/// The rows `lines` take wrapped to `width` columns.
fn wrapped_rows(lines: &[Line<'_>], width: usize) -> usize {
    let wrapped: usize = lines.iter().map(|l| l.width().div_ceil(width).max(1)).sum();
    // Word wrapping can take a line more than the characters alone.
    wrapped + usize::from(wrapped > lines.len())
}

/// A dialog's lines in at most `rows` rows of `width` columns: when they take more, the
/// last two (a blank and the keys) stay and the lines before them give way to `…`.
fn dialog_lines<'a>(
    mut lines: Vec<Line<'a>>,
    width: usize,
    rows: usize,
    t: &Theme,
) -> Vec<Line<'a>> {
    if wrapped_rows(&lines, width) <= rows || lines.len() <= 2 {
        return lines;
    }
    let mut tail = lines.split_off(lines.len() - 2);
    tail.insert(0, Line::styled("…", t.dim));
    while !lines.is_empty() && wrapped_rows(&lines, width) + wrapped_rows(&tail, width) > rows {
        lines.pop();
    }
    lines.extend(tail);
    lines
}

/// The help's width: wide enough for a join command whole, token and all, as it is
/// copied from there.
fn help_width(ui: &Ui) -> u16 {
    let joining = ui.joining.iter().map(|j| j.len() + 4).max().unwrap_or(0);
    joining.clamp(60, 200) as u16
}

fn help_lines(ui: &Ui) -> Vec<Line<'static>> {
    let t = &ui.theme;
    let keys: &[(&str, &str)] = match &ui.mode {
        Mode::Live { .. } => &[
            ("↑/↓ k/j", "choose a runbook step"),
            ("r", "run the step's action (asks first)"),
            ("t", "tick the step done by hand"),
            ("h", "show the step's hint (costs 5 points)"),
            ("a", "acknowledge the oldest unacknowledged detection"),
            (
                "n",
                "write a note into the journal (it answers a waiting inject)",
            ),
            ("I", "the facilitator: send the team an inject"),
            ("p / space", "pause or resume the game clock (simulator)"),
            ("+ / -", "double or halve the game speed"),
            ("J/K", "scroll the step's details (also shift+↓/↑)"),
            ("PgUp/PgDn", "scroll the timeline; End follows it again"),
            ("e", "end the exercise: clean-up runs"),
            ("q", "quit (ends the exercise first)"),
            ("Esc", "after the run: hide or show its result"),
            ("?", "this help; Esc closes it"),
        ],
        Mode::Replay(_) => &[
            ("space", "play or pause"),
            ("→ / ←", "next or previous event"),
            ("PgDn/PgUp", "ten events on or back"),
            ("Home / End", "the first or the last event"),
            ("+ / -", "play faster or slower"),
            ("↑/↓ k/j", "choose a runbook step"),
            ("J/K", "scroll the step's details (also shift+↓/↑)"),
            ("q", "quit"),
            ("?", "this help; Esc closes it"),
        ],
    };
    let mut lines = Vec::new();
    for (k, what) in keys {
        lines.push(Line::from(vec![
            Span::styled(format!("{k:<12}"), t.accent),
            Span::raw(*what),
        ]));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "Every action, tick, hint, note and acknowledgement is journaled with its time.",
        t.dim,
    ));
    if !ui.joining.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::styled("Others join this game day with", t.dim));
        lines.extend(ui.joining.iter().map(|j| Line::raw(format!("  {j}"))));
    }
    lines
}
