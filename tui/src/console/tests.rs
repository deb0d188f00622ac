//! The console's screens on ratatui's TestBackend (snapshots reviewed with
//! `cargo insta review`), its keys, and its replay.

#![allow(clippy::unwrap_used, clippy::panic)]

use super::model::Model;
use super::*;
use gameday_engine::event::Body;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// Every event of a seeded, virtual-time game day of `scenario` with the autopilot: the
/// same events every time.
fn game_day(scenario: &str) -> Vec<Event> {
    crate::sim_day::game_day(scenario, 7, "c0ffee00", "2026-03-10T09:00:00Z", true).0
}

/// The events up to and including the first that `pick` chooses.
fn upto(events: &[Event], pick: impl Fn(&Body) -> bool) -> &[Event] {
    let i = events.iter().position(|e| pick(&e.body)).unwrap();
    &events[..=i]
}

fn live_ui() -> Ui {
    Ui::new(
        Mode::Live {
            paused: false,
            speed: 30.0,
            virtual_time: false,
        },
        true,
    )
}

fn screen(m: &Model, ui: &Ui, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal.draw(|f| ui::draw(f, m, ui)).unwrap();
    terminal
}

/// A live screen of the first events, at the time of the last of them.
fn live_at(events: &[Event], ui: &mut Ui) -> Model {
    let m = Model::from_events(events);
    ui.now_ms = m.last_t_ms;
    m
}

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

#[test]
fn briefing() {
    let events = game_day("compromised-access-key");
    let mut ui = live_ui();
    let m = live_at(&events[..2], &mut ui);
    insta::assert_snapshot!(screen(&m, &ui, 100, 30).backend());
}

#[test]
fn attack_under_way() {
    let events = game_day("compromised-access-key");
    let mut ui = live_ui();
    let at = upto(
        &events,
        |b| matches!(b, Body::StepCompleted { step, .. } if step == "recon"),
    );
    let m = live_at(at, &mut ui);
    insta::assert_snapshot!(screen(&m, &ui, 100, 30).backend());
}

#[test]
fn detection_arrived() {
    let events = game_day("compromised-access-key");
    let mut ui = live_ui();
    let at = upto(&events, |b| matches!(b, Body::RunbookStepDone { .. }));
    let m = live_at(at, &mut ui);
    ui.selected = 1;
    insta::assert_snapshot!(screen(&m, &ui, 100, 30).backend());
}

/// A live screen once the detection came, the step that deactivates the key chosen.
fn on_deactivate_key() -> (Model, Ui) {
    let events = game_day("compromised-access-key");
    let mut ui = live_ui();
    let at = upto(&events, |b| matches!(b, Body::RunbookStepDone { .. }));
    let m = live_at(at, &mut ui);
    ui.selected = m
        .steps
        .iter()
        .position(|s| s.id == "deactivate-key")
        .unwrap();
    (m, ui)
}

#[test]
fn step_running_asks_first_and_shows_what_will_be_called() {
    let (m, mut ui) = on_deactivate_key();
    assert!(live_key(&mut ui, &m, key('r')).is_empty());
    let Modal::ConfirmAction(p) = &ui.modal else {
        panic!("r opens the confirmation, got {:?}", ui.modal);
    };
    assert_eq!(p.action, "iam.update_access_key");
    let inputs = p.inputs.as_ref().unwrap();
    assert_eq!(inputs["status"], "Inactive");
    assert!(
        inputs["access_key_id"]
            .as_str()
            .unwrap()
            .starts_with("AKIA"),
        "the key id is resolved from the run's own steps: {inputs:?}"
    );
    let term = screen(&m, &ui, 100, 30);
    insta::assert_snapshot!(term.backend());
    let shown: String = term
        .backend()
        .buffer()
        .content()
        .iter()
        .map(|c| c.symbol())
        .collect();
    assert!(
        shown.contains("y run it"),
        "the dialog's keys are on screen"
    );
    assert_eq!(
        live_key(&mut ui, &m, key('y')),
        vec![Effect::Command(Command::RunAction {
            step: "deactivate-key".into()
        })]
    );
    assert_eq!(ui.modal, Modal::None);
}

#[test]
fn score_after_containment() {
    let events = game_day("compromised-access-key");
    let mut ui = live_ui();
    let at = upto(&events, |b| matches!(b, Body::ContainmentMet { .. }));
    let m = live_at(at, &mut ui);
    assert!(m.score.as_ref().unwrap().score.containment > 0.0);
    insta::assert_snapshot!(screen(&m, &ui, 100, 30).backend());
}

#[test]
fn clean_up_in_progress_and_its_result() {
    let events = game_day("compromised-access-key");
    let mut ui = live_ui();
    let at = upto(&events, |b| matches!(b, Body::Reverted { .. }));
    let m = live_at(at, &mut ui);
    insta::assert_snapshot!("clean_up_in_progress", screen(&m, &ui, 100, 30).backend());
    let m = live_at(&events, &mut ui);
    insta::assert_snapshot!("clean_up_result", screen(&m, &ui, 100, 30).backend());
}

#[test]
fn help_lists_every_key() {
    let events = game_day("compromised-access-key");
    let mut ui = live_ui();
    let m = live_at(&events[..2], &mut ui);
    live_key(&mut ui, &m, key('?'));
    assert_eq!(ui.modal, Modal::Help);
    insta::assert_snapshot!(screen(&m, &ui, 100, 30).backend());
    live_key(&mut ui, &m, KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE));
    assert_eq!(ui.modal, Modal::None);
}

#[test]
fn fits_80_by_24() {
    let events = game_day("compromised-access-key");
    let mut ui = live_ui();
    let at = upto(&events, |b| matches!(b, Body::RunbookStepDone { .. }));
    let m = live_at(at, &mut ui);
    insta::assert_snapshot!(screen(&m, &ui, 80, 24).backend());
}

#[test]
fn uses_a_large_terminal_well() {
    let events = game_day("public-bucket");
    let mut ui = live_ui();
    let at = upto(&events, |b| matches!(b, Body::ContainmentMet { .. }));
    let m = live_at(at, &mut ui);
    insta::assert_snapshot!(screen(&m, &ui, 200, 50).backend());
}

#[test]
fn replay_shows_what_the_responder_saw_then() {
    let events = game_day("compromised-access-key");
    let mut r = Replay::new(&events, 10.0, true);
    let at = upto(&events, |b| matches!(b, Body::DetectionMet { .. })).len();
    r.seek(at);
    if let Mode::Replay(s) = &mut r.ui.mode {
        s.playing = false;
    }
    insta::assert_snapshot!(screen(&r.model, &r.ui, 100, 30).backend());
}

#[test]
fn replay_seeks_to_any_event_the_same_way_forwards_and_backwards() {
    let events = game_day("compromised-access-key");
    let mut r = Replay::new(&events, 10.0, true);
    let fingerprint = |m: &Model| {
        (
            m.timeline.len(),
            m.steps.iter().filter(|s| s.done.is_some()).count(),
            m.score.as_ref().map(|s| s.score.total.to_bits()),
            m.detections
                .iter()
                .map(|d| format!("{:?}", d.status))
                .collect::<Vec<_>>(),
        )
    };
    for n in (1..=events.len()).rev().chain(1..=events.len()) {
        r.seek(n);
        assert_eq!(
            fingerprint(&r.model),
            fingerprint(&Model::from_events(&events[..n])),
            "at event {n}"
        );
        assert_eq!(r.ui.now_ms, events[n - 1].t_ms);
    }
}

#[test]
fn replay_plays_in_game_time_and_stops_at_the_end() {
    let events = game_day("compromised-access-key");
    let mut r = Replay::new(&events, 60.0, true);
    // One real second at 60x is one game minute.
    r.advance(Duration::from_secs(1));
    let shown = r.model.events().len();
    assert!(r.model.events().iter().all(|e| e.t_ms <= 60_000));
    assert!(events[shown..].iter().all(|e| e.t_ms > 60_000));
    assert_eq!(r.ui.now_ms, 60_000);
    // Space pauses: no time passes.
    assert!(r.key(key(' ')));
    r.advance(Duration::from_secs(10));
    assert_eq!(r.ui.now_ms, 60_000);
    assert!(r.key(key(' ')));
    r.advance(Duration::from_secs(3600));
    assert_eq!(r.model.events().len(), events.len());
    assert!(matches!(&r.ui.mode, Mode::Replay(s) if !s.playing));
    assert!(!r.key(key('q')));
}

#[test]
fn keys_become_journaled_commands() {
    let events = game_day("compromised-access-key");
    let mut ui = live_ui();
    let at = upto(&events, |b| matches!(b, Body::RunbookStepDone { .. }));
    let m = live_at(at, &mut ui);
    assert_eq!(
        live_key(&mut ui, &m, key('a')),
        vec![Effect::Command(Command::Acknowledge {
            detection: "guardduty-pentest".into()
        })]
    );
    ui.selected = 1;
    assert_eq!(
        live_key(&mut ui, &m, key('t')),
        vec![Effect::Command(Command::TickStep {
            step: "scope-activity".into()
        })]
    );
    live_key(&mut ui, &m, key('n'));
    for c in "paged owner".chars() {
        live_key(&mut ui, &m, key(c));
    }
    assert_eq!(
        live_key(
            &mut ui,
            &m,
            KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)
        ),
        vec![Effect::Command(Command::Note {
            text: "paged owner".into(),
            answers: None,
        })]
    );
    ui.selected = 0;
    assert_eq!(live_key(&mut ui, &m, key('p')), vec![Effect::Pause]);
    assert_eq!(live_key(&mut ui, &m, key('p')), vec![Effect::Resume]);
    assert_eq!(live_key(&mut ui, &m, key('+')), vec![Effect::Speed(60.0)]);
    assert!(live_key(&mut ui, &m, key('e')).is_empty());
    assert_eq!(
        live_key(&mut ui, &m, key('y')),
        vec![Effect::Command(Command::End)]
    );
    assert_eq!(
        live_key(
            &mut ui,
            &m,
            KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)
        ),
        vec![Effect::Abort]
    );
    // Once the run is over, q quits.
    let over = Model::from_events(&events);
    assert_eq!(live_key(&mut ui, &over, key('q')), vec![Effect::Quit]);
}

#[test]
fn a_hint_costs_points_so_it_asks_first() {
    let events = game_day("malicious-ip-caller");
    let mut ui = live_ui();
    let m = live_at(&events[..2], &mut ui);
    let i = m.steps.iter().position(|s| s.hint.is_some()).unwrap();
    ui.selected = i;
    assert!(live_key(&mut ui, &m, key('h')).is_empty());
    assert_eq!(ui.modal, Modal::ConfirmHint(i));
    assert_eq!(
        live_key(&mut ui, &m, key('y')),
        vec![Effect::Command(Command::Hint {
            step: m.steps[i].id.clone()
        })]
    );
}

#[test]
fn a_finding_with_escape_sequences_is_drawn_harmlessly() {
    let mut events = game_day("compromised-access-key").to_vec();
    let i = events
        .iter()
        .position(|e| matches!(e.body, Body::DetectionMet { .. }))
        .unwrap();
    if let Body::DetectionMet { title, .. } = &mut events[i].body {
        // Would retitle the terminal, clear the screen and home the cursor.
        *title = "\u{1b}]0;owned\u{7}\u{1b}[2J\u{1b}[HKali \u{9b}31mLinux\u{7}".into();
    }
    let mut ui = live_ui();
    let m = live_at(&events[..=i + 1], &mut ui);
    let term = screen(&m, &ui, 100, 30);
    let buffer = term.backend().buffer();
    let mut text = String::new();
    for cell in buffer.content() {
        text.push_str(cell.symbol());
    }
    assert!(
        !text.chars().any(|c| c.is_control()),
        "no control character reaches the screen"
    );
    assert!(text.contains("Kali Linux"), "the readable text remains");
    assert!(!text.contains("owned"), "the OSC payload is dropped");
}

#[test]
fn no_color_draws_without_colours() {
    let events = game_day("compromised-access-key");
    let mut ui = live_ui();
    let at = upto(&events, |b| matches!(b, Body::ContainmentMet { .. }));
    let m = live_at(at, &mut ui);
    let term = screen(&m, &ui, 100, 30);
    let colored = term
        .backend()
        .buffer()
        .content()
        .iter()
        .any(|c| c.fg != ratatui::style::Color::Reset || c.bg != ratatui::style::Color::Reset);
    assert!(!colored, "NO_COLOR: no colour anywhere");
    ui.theme = ui::Theme::new(false);
    let term = screen(&m, &ui, 100, 30);
    assert!(
        term.backend()
            .buffer()
            .content()
            .iter()
            .any(|c| c.fg != ratatui::style::Color::Reset),
        "colours otherwise"
    );
}

#[test]
fn a_replay_of_a_run_time_of_2_pow_63_does_not_panic() {
    // Such a journal is refused when read; a replay folds events however they came.
    let mut events = game_day("compromised-access-key");
    let i = events
        .iter()
        .position(|e| matches!(e.body, Body::DetectionMet { .. }))
        .unwrap();
    for e in &mut events[i..] {
        e.t_ms = i64::MAX as u64;
    }
    let mut r = Replay::new(&events, 4096.0, true);
    r.advance(Duration::from_secs(3600));
    for n in [events.len(), i + 1, 1, events.len()] {
        r.seek(n);
        screen(&r.model, &r.ui, 100, 30);
        screen(&r.model, &r.ui, 80, 24);
    }
    assert_eq!(r.model.events().len(), events.len());
}

#[test]
fn a_replay_with_a_deadline_past_any_clock_does_not_panic() {
    let mut events = game_day("compromised-access-key");
    let recon = events
        .iter()
        .position(|e| matches!(&e.body, Body::StepCompleted { step, .. } if step == "recon"))
        .unwrap();
    if let Body::RunStarted { plan, .. } = &mut events[0].body {
        plan.scenario.detect[0].within = gameday_engine::duration::Duration::from_millis(1 << 63);
    }
    // Past T0, the detection pending, at the end of every clock.
    for e in &mut events[recon + 1..] {
        e.t_ms = u64::MAX;
    }
    let mut r = Replay::new(&events, 1.0, true);
    r.seek(recon + 2);
    screen(&r.model, &r.ui, 100, 30);
}

/// Everything on a screen, row after row.
fn shown(term: &Terminal<TestBackend>) -> String {
    let buffer = term.backend().buffer();
    let w = usize::from(buffer.area.width);
    let cells: Vec<&str> = buffer.content().iter().map(|c| c.symbol()).collect();
    cells.chunks(w).map(|row| row.concat() + "\n").collect()
}

#[test]
fn a_dialog_taller_than_the_screen_keeps_its_keys() {
    let (m, mut ui) = on_deactivate_key();
    live_key(&mut ui, &m, key('r'));
    let text = shown(&screen(&m, &ui, 60, 10));
    assert!(text.contains("y run it"), "{text}");
    assert!(text.contains("│…"), "what gave way says so: {text}");
}

#[test]
fn a_narrow_status_line_keeps_the_help_key() {
    let events = game_day("compromised-access-key");
    let mut ui = live_ui();
    let m = live_at(&events[..2], &mut ui);
    let text = shown(&screen(&m, &ui, 50, 24));
    let status = text.lines().last().unwrap();
    assert!(status.contains(" … ? help"), "{status}");
}

/// A live screen once the detection came, the clock paused at x60.
fn paused_after_the_detection() -> (Model, Ui) {
    let events = game_day("compromised-access-key");
    let mut ui = live_ui();
    ui.mode = Mode::Live {
        paused: true,
        speed: 60.0,
        virtual_time: false,
    };
    let at = upto(&events, |b| matches!(b, Body::RunbookStepDone { .. }));
    let m = live_at(at, &mut ui);
    (m, ui)
}

#[test]
fn the_header_at_80_by_24_while_paused() {
    let (m, mut ui) = paused_after_the_detection();
    ui.now_ms = 13 * 60_000 + 27_000;
    assert_eq!(m.target.as_ref().unwrap().account_id.len(), 12);
    let term = screen(&m, &ui, 80, 24);
    let text = shown(&term);
    let header = text.lines().nth(1).unwrap();
    assert!(header.contains("account 111122223333"), "{header}");
    assert!(
        header.contains("us-east-1  "),
        "apart from the clock: {header}"
    );
    insta::assert_snapshot!(term.backend());
}

#[test]
fn the_header_drops_or_elides_fields_but_never_runs_them_together() {
    let (m, ui) = paused_after_the_detection();
    for w in 20..=160 {
        let term = screen(&m, &ui, w, 24);
        let text = shown(&term);
        let header: String = text.lines().take(2).collect::<Vec<_>>().join("\n");
        // The account whole, elided visibly, or not at all.
        let digits: Vec<&str> = header
            .split(|c: char| !c.is_ascii_digit())
            .filter(|d| d.starts_with("1111") || d.ends_with("3333"))
            .collect();
        assert!(
            header.contains("111122223333") || header.contains("1111…3333") || digits.is_empty(),
            "{w} columns: {header}"
        );
        for glued in ["us-east-1⏱", "1⏱", "3333⏱", ")⏱"] {
            assert!(!header.contains(glued), "{w} columns: {header}");
        }
        assert!(header.contains("PAUSED"), "{w} columns: {header}");
        // Whatever was cut says so.
        let title = &m.title;
        if !header.contains(title.as_str()) && header.contains(&title[..12]) {
            assert!(header.contains('…'), "{w} columns: {header}");
        }
    }
}

/// A malicious-ip-caller game day in its watch phase, the responder on its first step,
/// whose command is long and whose hint was just taken.
fn hint_taken() -> (Model, Ui) {
    let events = game_day("malicious-ip-caller");
    let at = upto(
        &events,
        |b| matches!(b, Body::PhaseStarted { phase } if *phase == RunPhase::Watch),
    );
    let mut events = at.to_vec();
    let mut taken = events.last().unwrap().clone();
    taken.seq += 1;
    taken.body = Body::HintTaken {
        step: "confirm-finding".into(),
        by: gameday_engine::event::Actor::Responder,
        who: None,
    };
    events.push(taken);
    let mut ui = live_ui();
    let m = live_at(&events, &mut ui);
    ui.browsed = true;
    assert!(m.steps[0].hint_taken && m.steps[0].cli.is_some());
    (m, ui)
}

#[test]
fn a_long_step_says_more_is_below_and_scrolls_to_its_hint() {
    let (m, mut ui) = hint_taken();
    let term = screen(&m, &ui, 80, 24);
    let text = shown(&term);
    assert!(text.contains("J ↓ more"), "{text}");
    assert!(!text.contains("Hint:"), "{text}");
    insta::assert_snapshot!("a_long_step_unscrolled", term.backend());

    // Taking the hint shows it, once it comes.
    ui.details_to_hint = true;
    let term = screen(&m, &ui, 80, 24);
    let text = shown(&term);
    assert!(text.contains("│Hint:"), "{text}");
    assert!(text.contains("resource.accessKeyDetails."), "{text}");
    insta::assert_snapshot!("a_long_step_scrolled_to_its_hint", term.backend());
}

#[test]
fn j_and_k_scroll_the_step_through_its_command_to_its_end() {
    let (m, mut ui) = hint_taken();
    let mut seen = String::new();
    let mut last = None;
    // Down to the end, reading every screen.
    for _ in 0..20 {
        let text = shown(&screen(&m, &ui, 80, 24));
        seen.push_str(&text);
        if last == Some(ui.details_view.get().0) {
            break;
        }
        last = Some(ui.details_view.get().0);
        assert!(live_key(&mut ui, &m, key('J')).is_empty());
    }
    let (at, most, rows) = ui.details_view.get();
    assert!(most > 0 && at == most, "at the end: {:?}", ui.details_view);
    assert!(rows > 0);
    for what in ["Command to copy:", "aws guardduty list-findings", "Hint:"] {
        assert!(seen.contains(what), "`{what}` never showed");
    }
    assert!(shown(&screen(&m, &ui, 80, 24)).contains("K ↑"));
    // Back up with shift+↑, and a step of its own starts at its top.
    live_key(&mut ui, &m, KeyEvent::new(KeyCode::Up, KeyModifiers::SHIFT));
    assert!(ui.details_scroll < most);
    assert_eq!(ui.selected, 0, "shift+↑ scrolls, it does not choose a step");
    live_key(&mut ui, &m, key('j'));
    assert_eq!((ui.selected, ui.details_scroll), (1, 0));
    // The help lists the keys.
    live_key(&mut ui, &m, key('?'));
    assert!(shown(&screen(&m, &ui, 80, 24)).contains("J/K"));
}

#[test]
fn a_message_gives_way_when_the_event_that_answers_it_comes() {
    let events = game_day("compromised-access-key");
    let answered = |b: &Body| matches!(b, Body::ResponderAction { runbook_step, .. } if runbook_step == "deny-user");
    let i = events.iter().position(|e| answered(&e.body)).unwrap();
    let mut ui = live_ui();
    let before = live_at(&events[..i], &mut ui);
    ui.selected = before
        .steps
        .iter()
        .position(|s| s.id == "deny-user")
        .unwrap();
    live_key(&mut ui, &before, key('r'));
    live_key(&mut ui, &before, key('y'));
    let running = "running iam.put_user_policy…";
    assert_eq!(ui.message_now(&before).as_deref(), Some(running));
    assert!(shown(&screen(&before, &ui, 80, 24)).contains(running));
    // Its responder_action arrives: the message says how it went.
    let after = live_at(&events[..=i], &mut ui);
    assert_eq!(
        ui.message_now(&after).as_deref(),
        Some("iam.put_user_policy: done")
    );
    assert!(!shown(&screen(&after, &ui, 80, 24)).contains(running));

    // Ending: the message lasts while clean-up runs, and goes when it has ended.
    let m = live_at(&events[..i], &mut ui);
    live_key(&mut ui, &m, key('e'));
    live_key(&mut ui, &m, key('y'));
    let ending = "ending the exercise: clean-up runs";
    let cleaning = live_at(
        upto(&events, |b| matches!(b, Body::Reverted { .. })),
        &mut ui,
    );
    assert_eq!(ui.message_now(&cleaning).as_deref(), Some(ending));
    let ended = live_at(&events, &mut ui);
    assert_eq!(ui.message_now(&ended), None);
    ui.result_hidden = true;
    assert!(!shown(&screen(&ended, &ui, 80, 24)).contains(ending));
}
