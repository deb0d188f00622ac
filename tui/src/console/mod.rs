//! The responder console: a live game day in the terminal (`gameday console`), and a
//! replay of a finished or interrupted run from its journal alone (`gameday replay`).
//!
//! The engine knows nothing of terminals: the console reads the run's events from a
//! channel into a [`model::Model`], and sends responders' [`Command`]s back through
//! another. Every input a responder makes becomes a journal event with its time.

pub(crate) mod join;
pub mod model;
pub(crate) mod seat;
pub mod ui;

use crate::assembly::{self, Attach, GameDay};
use crate::cli::{ConsoleArgs, ReplayArgs};
use crate::exit::Exit;
use crate::place::Place;
use crate::team::{self, host::Hub};
use gameday_engine::autopilot::Command;
use gameday_engine::clock::{Clock, ClockMode};
use gameday_engine::event::{Event, RunPhase};
use gameday_engine::journal;
use gameday_engine::poller::Pollers;
use gameday_engine::run::{AbortHandle, abort_signal};
use gameday_engine::sim::DetectionModel;
use gameday_engine::steps;
use gameday_engine::team::Role;
use model::Model;
use ratatui::crossterm::event::{
    self, Event as TermEvent, KeyCode, KeyEvent, KeyEventKind, KeyModifiers,
};
use serde_json::{Map, Value};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::sync::Arc;
use std::time::{Duration, Instant};
use ui::Theme;

/// What an action would do, shown before it runs.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionPreview {
    pub step: String,
    pub step_title: String,
    pub action: String,
    pub summary: String,
    pub calls: Vec<String>,
    pub target: String,
    pub inputs: Result<Map<String, Value>, String>,
}

/// A dialog over the screen.
#[derive(Debug, Clone, PartialEq)]
pub enum Modal {
    None,
    Help,
    ConfirmEnd,
    ConfirmHint(usize),
    Note(String),
    /// The facilitator types an inject for the team.
    Inject(String),
    ConfirmAction(ActionPreview),
}

/// What a message waits for: the event that answers it changes or clears it.
#[derive(Debug, Clone, PartialEq)]
pub enum Awaiting {
    /// A step's action, asked for when the model knew `seen` actions run.
    Action { step: String, seen: usize },
    /// The end of the exercise: clean-up, then the run's end.
    End,
}

/// Where a replay stands.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplayState {
    /// Events shown (a prefix of the journal).
    pub cursor: usize,
    pub total: usize,
    pub playing: bool,
    pub speed: f64,
}

/// Live or replay.
#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    Live {
        paused: bool,
        speed: f64,
        virtual_time: bool,
    },
    Replay(ReplayState),
}

/// The console's own state: what is selected, open, scrolled.
#[derive(Debug, Clone)]
pub struct Ui {
    pub selected: usize,
    /// Entries from the newest the timeline is scrolled back (0: follows the newest).
    pub timeline_scroll: usize,
    pub modal: Modal,
    /// A line of feedback, shown above the keys until the next key, or until what it
    /// waits for comes.
    pub message: Option<String>,
    /// What the message waits for.
    pub awaiting: Option<Awaiting>,
    pub mode: Mode,
    /// The game time shown.
    pub now_ms: u64,
    pub theme: Theme,
    /// The clean-up and result panel is put away (Esc toggles it).
    pub result_hidden: bool,
    /// The responder moved through the runbook (the briefing gives way to the step).
    pub browsed: bool,
    /// Rows the step panel (the briefing, or the selected step's details) is scrolled.
    pub details_scroll: u16,
    /// The step panel shows the step's hint once it is there (a hint was just taken).
    pub details_to_hint: bool,
    /// The step panel as last drawn: rows scrolled, the most it can scroll, rows shown; so
    /// that scrolling keys move from what the responder sees.
    pub details_view: Cell<(u16, u16, u16)>,
    /// Who sits at this console, when a team plays.
    pub me: Option<Me>,
    /// The game clock cannot pause or change speed (an AWS account's).
    pub fixed_clock: bool,
    /// How others join the game day this console hosts (the help shows them again).
    pub joining: Vec<String>,
}

/// The participant at a console.
#[derive(Debug, Clone, PartialEq)]
pub struct Me {
    pub name: String,
    pub role: Role,
    /// This console hosts the game day: leaving it ends the exercise.
    pub host: bool,
}

impl Ui {
    /// A console's state at the start.
    pub fn new(mode: Mode, no_color: bool) -> Ui {
        Ui {
            selected: 0,
            timeline_scroll: 0,
            modal: Modal::None,
            message: None,
            awaiting: None,
            mode,
            now_ms: 0,
            theme: Theme::new(no_color),
            result_hidden: false,
            browsed: false,
            details_scroll: 0,
            details_to_hint: false,
            details_view: Cell::new((0, 0, 0)),
            me: None,
            fixed_clock: false,
            joining: Vec::new(),
        }
    }

    /// A message that lasts until `awaiting` comes (or the next key).
    fn say_until(&mut self, text: String, awaiting: Awaiting) {
        self.message = Some(text);
        self.awaiting = Some(awaiting);
    }

    /// No message.
    fn quiet(&mut self) {
        self.message = None;
        self.awaiting = None;
    }

    /// The message as the run now answers it: an action's result once its
    /// `responder_action` came, and nothing once the run is past what it waited for.
    pub fn message_now(&self, m: &Model) -> Option<String> {
        let over = m.ended.is_some();
        match &self.awaiting {
            None => self.message.clone(),
            Some(Awaiting::Action { step, seen }) => {
                let ran = m.actions.iter().skip(*seen).find(|a| &a.step == step);
                match ran {
                    Some(a) => Some(match &a.error {
                        None => format!("{}: done", a.action),
                        Some(e) => format!("{} failed: {e}", a.action),
                    }),
                    // Past the watch phase, the action will not run.
                    None if over
                        || matches!(m.phase, Some(RunPhase::Cleanup | RunPhase::Report)) =>
                    {
                        None
                    }
                    None => self.message.clone(),
                }
            }
            Some(Awaiting::End) if over || m.cleanup.is_some() => None,
            Some(Awaiting::End) => self.message.clone(),
        }
    }

    /// The step panel back at its top (another step is shown).
    fn details_from_top(&mut self) {
        self.details_scroll = 0;
        self.details_to_hint = false;
    }
}

/// What a key asks of the world outside the screen.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// A responder's command for the engine.
    Command(Command),
    Pause,
    Resume,
    Speed(f64),
    /// Ctrl-C: stop now, clean up.
    Abort,
    Quit,
    /// Replay: show the first `n` events.
    Seek(usize),
}

/// `NO_COLOR` set to anything but the empty string.
pub fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// The preview of step `i`'s action.
fn preview(m: &Model, i: usize) -> Option<ActionPreview> {
    let s = m.steps.get(i)?;
    let action = s.action.clone()?;
    let spec = steps::find(&action).map(|k| k.spec());
    Some(ActionPreview {
        step: s.id.clone(),
        step_title: s.title.clone(),
        summary: spec.map(|k| k.summary.to_owned()).unwrap_or_default(),
        calls: spec
            .map(|k| k.calls.iter().map(|c| (*c).to_owned()).collect())
            .unwrap_or_default(),
        target: m
            .target
            .as_ref()
            .map(|t| {
                format!(
                    "{} ({}), account {}, {}",
                    t.name, t.kind, t.account_id, t.region
                )
            })
            .unwrap_or_default(),
        inputs: m.action_inputs(s),
        action,
    })
}

fn move_selection(ui: &mut Ui, m: &Model, down: bool) {
    ui.browsed = true;
    let n = m.steps.len();
    if n == 0 {
        return;
    }
    let next = if down {
        (ui.selected + 1).min(n - 1)
    } else {
        ui.selected.saturating_sub(1)
    };
    if next != ui.selected {
        ui.selected = next;
        ui.details_from_top();
    }
}

/// Scrolls the step panel half its height down or up, from where it is seen.
fn scroll_details(ui: &mut Ui, down: bool) {
    let (shown, most, rows) = ui.details_view.get();
    let by = (rows / 2).max(1);
    ui.details_to_hint = false;
    ui.details_scroll = if down {
        shown.saturating_add(by).min(most)
    } else {
        shown.saturating_sub(by)
    };
}

/// Keys that mean the same in both modes; true when handled.
fn common_key(ui: &mut Ui, m: &Model, k: KeyEvent) -> bool {
    let shift = k.modifiers.contains(KeyModifiers::SHIFT);
    match k.code {
        KeyCode::Char('J') => scroll_details(ui, true),
        KeyCode::Char('K') => scroll_details(ui, false),
        KeyCode::Down if shift => scroll_details(ui, true),
        KeyCode::Up if shift => scroll_details(ui, false),
        KeyCode::Up | KeyCode::Char('k') => move_selection(ui, m, false),
        KeyCode::Down | KeyCode::Char('j') => move_selection(ui, m, true),
        KeyCode::PageUp if matches!(ui.mode, Mode::Live { .. }) => {
            ui.timeline_scroll = (ui.timeline_scroll + 10).min(m.timeline.len().saturating_sub(1));
        }
        KeyCode::PageDown if matches!(ui.mode, Mode::Live { .. }) => {
            ui.timeline_scroll = ui.timeline_scroll.saturating_sub(10);
        }
        KeyCode::End if matches!(ui.mode, Mode::Live { .. }) => ui.timeline_scroll = 0,
        KeyCode::Char('?') => ui.modal = Modal::Help,
        _ => return false,
    }
    true
}

/// A key in a live game day.
pub fn live_key(ui: &mut Ui, m: &Model, k: KeyEvent) -> Vec<Effect> {
    if k.kind == KeyEventKind::Release {
        return Vec::new();
    }
    if k.modifiers.contains(KeyModifiers::CONTROL) && k.code == KeyCode::Char('c') {
        if ui.me.as_ref().is_some_and(|me| !me.host) {
            // A joiner leaves; the game day goes on for the others.
            return vec![Effect::Quit];
        }
        ui.say_until("interrupted: cleaning up…".to_owned(), Awaiting::End);
        return vec![Effect::Abort];
    }
    ui.quiet();
    if let Some(effects) = modal_key(ui, m, k) {
        return effects;
    }
    if common_key(ui, m, k) {
        return Vec::new();
    }
    match k.code {
        KeyCode::Char('p' | ' ' | '+' | '=' | '-') if clock_refused(ui) => Vec::new(),
        KeyCode::Char('p' | ' ') => pause_key(ui),
        KeyCode::Char(c @ ('+' | '=' | '-')) => speed_key(ui, c),
        _ => team_key(ui, m, k).unwrap_or_else(|| exercise_key(ui, m, k)),
    }
}

/// The pause and speed keys are not this console's to use (an AWS account's clock, or
/// a participant other than the facilitator): says why.
fn clock_refused(ui: &mut Ui) -> bool {
    let why = if ui.fixed_clock {
        Some(crate::team::host::NOT_ON_AWS.to_owned())
    } else {
        ui.me
            .as_ref()
            .filter(|me| !me.role.runs_the_clock())
            .map(|me| {
                format!(
                    "only the facilitator can pause or change the speed; you are {}",
                    me.role
                )
            })
    };
    let refused = why.is_some();
    if refused {
        ui.message = why;
    }
    refused
}

/// The keys that depend on who sits at the console: a joiner leaves with q, an
/// observer acts on nothing, the facilitator alone ends the exercise and sends injects.
fn team_key(ui: &mut Ui, m: &Model, k: KeyEvent) -> Option<Vec<Effect>> {
    let me = ui.me.clone()?;
    let over = m.ended.is_some();
    match k.code {
        KeyCode::Char('q') if !me.host && !over => Some(vec![Effect::Quit]),
        KeyCode::Char('e' | 'q') if me.role != Role::Facilitator && !over => {
            ui.message = Some("only the facilitator can end the exercise".to_owned());
            Some(Vec::new())
        }
        KeyCode::Char('I') if me.role == Role::Facilitator && !over => {
            ui.modal = Modal::Inject(String::new());
            Some(Vec::new())
        }
        KeyCode::Char('r' | 't' | 'h' | 'a' | 'n' | 'I') if me.role == Role::Observer => {
            ui.message = Some("you are an observer: you watch, and cannot act".to_owned());
            Some(Vec::new())
        }
        _ => None,
    }
}

/// A key while a dialog is open: the dialog takes it (and may close), or there is none.
fn modal_key(ui: &mut Ui, m: &Model, k: KeyEvent) -> Option<Vec<Effect>> {
    match std::mem::replace(&mut ui.modal, Modal::None) {
        Modal::None => None,
        Modal::Help => {
            if !matches!(k.code, KeyCode::Esc | KeyCode::Char('?' | 'q')) {
                ui.modal = Modal::Help;
            }
            Some(Vec::new())
        }
        Modal::ConfirmEnd => Some(match k.code {
            KeyCode::Char('y') | KeyCode::Enter => {
                ui.say_until(
                    "ending the exercise: clean-up runs".to_owned(),
                    Awaiting::End,
                );
                vec![Effect::Command(Command::End)]
            }
            _ => Vec::new(),
        }),
        Modal::ConfirmHint(i) => Some(match m.steps.get(i) {
            Some(s) if matches!(k.code, KeyCode::Char('y') | KeyCode::Enter) => {
                // Shown as soon as it comes, wherever the step panel was scrolled.
                ui.details_to_hint = true;
                vec![Effect::Command(Command::Hint { step: s.id.clone() })]
            }
            _ => Vec::new(),
        }),
        Modal::ConfirmAction(p) => Some(match k.code {
            KeyCode::Char('y') | KeyCode::Enter => {
                let seen = m.actions.len();
                let step = p.step.clone();
                ui.say_until(
                    format!("running {}…", p.action),
                    Awaiting::Action { step, seen },
                );
                vec![Effect::Command(Command::RunAction { step: p.step })]
            }
            _ => Vec::new(),
        }),
        Modal::Note(text) => Some(match typed(ui, text, k, Modal::Note) {
            Some(text) => {
                let answers = m
                    .awaiting_answer(ui.me.as_ref().map(|me| me.role))
                    .map(|i| i.id.clone());
                ui.message = Some(match &answers {
                    Some(id) => format!("note journaled, answering {id}"),
                    None => "note journaled".to_owned(),
                });
                vec![Effect::Command(Command::Note { text, answers })]
            }
            None => Vec::new(),
        }),
        Modal::Inject(text) => Some(match typed(ui, text, k, Modal::Inject) {
            Some(text) => {
                ui.message = Some("inject sent to the team".to_owned());
                vec![Effect::Command(Command::Inject {
                    text,
                    to: None,
                    answer: true,
                })]
            }
            None => Vec::new(),
        }),
    }
}

/// A key while text is being typed into the dialog `modal`: the text once Enter is
/// pressed on some, none while typing (the dialog stays open) or after Esc.
fn typed(ui: &mut Ui, mut text: String, k: KeyEvent, modal: fn(String) -> Modal) -> Option<String> {
    match k.code {
        KeyCode::Esc => {}
        KeyCode::Enter => {
            let text = text.trim().to_owned();
            if !text.is_empty() {
                return Some(text);
            }
        }
        KeyCode::Backspace => {
            text.pop();
            ui.modal = modal(text);
        }
        KeyCode::Char(c) => {
            if text.chars().count() < 500 {
                text.push(c);
            }
            ui.modal = modal(text);
        }
        _ => ui.modal = modal(text),
    }
    None
}

/// A key of the exercise itself: the runbook's steps, hints, acknowledgements, notes and
/// the end.
fn exercise_key(ui: &mut Ui, m: &Model, k: KeyEvent) -> Vec<Effect> {
    let ended = m.ended.is_some();
    let selected = m.steps.get(ui.selected);
    let not_over = |ui: &mut Ui| {
        if ended {
            ui.message = Some("the run has ended".to_owned());
        }
        !ended
    };
    match k.code {
        KeyCode::Char('q') if ended => return vec![Effect::Quit],
        KeyCode::Esc if ended => ui.result_hidden = !ui.result_hidden,
        KeyCode::Char('q' | 'e') if not_over(ui) => ui.modal = Modal::ConfirmEnd,
        KeyCode::Char('r') if not_over(ui) => match (selected, preview(m, ui.selected)) {
            (Some(s), _) if s.done.is_some() => {
                ui.message = Some("that step is already done".to_owned())
            }
            (_, Some(p)) => ui.modal = Modal::ConfirmAction(p),
            _ => ui.message = Some("this step has no action to run: do it, then t".to_owned()),
        },
        KeyCode::Char('t') if not_over(ui) => match selected {
            Some(s) if s.done.is_none() => {
                return vec![Effect::Command(Command::TickStep { step: s.id.clone() })];
            }
            Some(_) => ui.message = Some("that step is already done".to_owned()),
            None => {}
        },
        KeyCode::Char('h') if not_over(ui) => match selected {
            Some(s) if s.hint.is_some() && !s.hint_taken => {
                ui.modal = Modal::ConfirmHint(ui.selected)
            }
            Some(s) if s.hint_taken => {
                ui.details_to_hint = true;
                ui.message = Some("the hint is in the step's details".to_owned())
            }
            _ => ui.message = Some("this step has no hint".to_owned()),
        },
        KeyCode::Char('a') if not_over(ui) => match m.unacknowledged() {
            Some(d) => {
                ui.message = Some(format!("acknowledged {}", d.id));
                return vec![Effect::Command(Command::Acknowledge {
                    detection: d.id.clone(),
                })];
            }
            None => ui.message = Some("no detection waiting to be acknowledged".to_owned()),
        },
        KeyCode::Char('n') if not_over(ui) => ui.modal = Modal::Note(String::new()),
        _ => {}
    }
    Vec::new()
}

/// Pause or resume the game clock.
fn pause_key(ui: &mut Ui) -> Vec<Effect> {
    if let Mode::Live {
        paused,
        virtual_time: false,
        ..
    } = &mut ui.mode
    {
        *paused = !*paused;
        return vec![if *paused {
            Effect::Pause
        } else {
            Effect::Resume
        }];
    }
    ui.message = Some("a virtual clock cannot pause".to_owned());
    Vec::new()
}

/// Halve or double the game speed.
fn speed_key(ui: &mut Ui, c: char) -> Vec<Effect> {
    if let Mode::Live {
        speed,
        virtual_time: false,
        ..
    } = &mut ui.mode
    {
        let next = if c == '-' { *speed / 2.0 } else { *speed * 2.0 };
        *speed = next.clamp(0.25, 4096.0);
        ui.message = Some(format!("game speed x{}", *speed));
        return vec![Effect::Speed(*speed)];
    }
    Vec::new()
}

/// A key in a replay.
pub fn replay_key(ui: &mut Ui, m: &Model, k: KeyEvent) -> Vec<Effect> {
    if k.kind == KeyEventKind::Release {
        return Vec::new();
    }
    ui.quiet();
    if ui.modal == Modal::Help {
        if matches!(k.code, KeyCode::Esc | KeyCode::Char('?' | 'q')) {
            ui.modal = Modal::None;
        }
        return Vec::new();
    }
    if common_key(ui, m, k) {
        return Vec::new();
    }
    let Mode::Replay(r) = &mut ui.mode else {
        return Vec::new();
    };
    let to = |n: usize| vec![Effect::Seek(n.clamp(1, r.total.max(1)))];
    match k.code {
        KeyCode::Esc if m.ended.is_some() => {
            ui.result_hidden = !ui.result_hidden;
            Vec::new()
        }
        KeyCode::Char('q') | KeyCode::Esc => vec![Effect::Quit],
        KeyCode::Char('c') if k.modifiers.contains(KeyModifiers::CONTROL) => vec![Effect::Quit],
        KeyCode::Char(' ' | 'p') => {
            r.playing = !r.playing;
            if r.playing && r.cursor >= r.total {
                return to(1);
            }
            Vec::new()
        }
        KeyCode::Right | KeyCode::Char('l') => to(r.cursor + 1),
        KeyCode::Left | KeyCode::Char('h') => to(r.cursor.saturating_sub(1)),
        KeyCode::PageDown => to(r.cursor + 10),
        KeyCode::PageUp => to(r.cursor.saturating_sub(10)),
        KeyCode::Home => to(1),
        KeyCode::End => to(r.total),
        KeyCode::Char(c @ ('+' | '=' | '-')) => {
            let next = if c == '-' {
                r.speed / 2.0
            } else {
                r.speed * 2.0
            };
            r.speed = next.clamp(0.25, 4096.0);
            Vec::new()
        }
        _ => Vec::new(),
    }
}

/// When the step in view gets done, the selection moves on to the next one not done
/// (after it, or else the first).
fn follow(ui: &mut Ui, m: &Model, was_done: bool) {
    let now_done = m.steps.get(ui.selected).is_some_and(|s| s.done.is_some());
    if was_done || !now_done {
        return;
    }
    let after = m
        .steps
        .iter()
        .enumerate()
        .skip(ui.selected + 1)
        .find(|(_, s)| s.done.is_none())
        .map(|(i, _)| i);
    if let Some(next) = after.or_else(|| m.current_step()) {
        ui.selected = next;
        ui.details_from_top();
    }
}

/// Puts the terminal back however the console ends.
struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        ratatui::restore();
    }
}

/// Reads keys and resizes on a thread of its own, so the screen never waits on them.
fn spawn_input() -> tokio::sync::mpsc::UnboundedReceiver<TermEvent> {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        loop {
            match event::poll(Duration::from_millis(100)) {
                Ok(true) => match event::read() {
                    Ok(e) => {
                        if tx.send(e).is_err() {
                            return;
                        }
                    }
                    Err(_) => return,
                },
                Ok(false) => {
                    if tx.is_closed() {
                        return;
                    }
                }
                Err(_) => return,
            }
        }
    });
    rx
}

#[allow(
    clippy::disallowed_methods,
    reason = "asks whether standard output is a terminal; prints nothing through it"
)]
pub(crate) fn need_terminal(what: &str) -> Result<(), Exit> {
    if std::io::stdin().is_terminal() && std::io::stdout().is_terminal() {
        Ok(())
    } else {
        eprintln!(
            "error: gameday {what} needs a terminal; for a game day without one, use `gameday run --autopilot`"
        );
        Err(Exit::BadInput)
    }
}

/// `gameday console`: a live game day on the simulator or an AWS target, assembled as
/// every game day is ([`assembly::GameDay`]), with this terminal as its front end. The
/// console hosts the game day: others join it through the run directory's socket and,
/// with `--listen`, over TCP with the token it shows.
pub fn live(args: ConsoleArgs) -> Exit {
    let mode = ClockMode::Real { speed: args.speed };
    let place = match Place::resolve(&args.target, mode) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let checked = match assembly::load(&args.scenario, &args.library.library) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let overrides: BTreeMap<String, String> = args.params.iter().cloned().collect();
    let run_id = assembly::new_run_id(0);
    // Bad parameters, a taken address and a missing terminal are said before the
    // terminal is taken over.
    if let Err(code) = assembly::plan_for(&checked, &run_id, place.prefix(), &overrides) {
        return code;
    }
    let listen = match args.listen.as_deref().map(listen_on).transpose() {
        Ok(l) => l,
        Err(code) => return code,
    };
    if let Err(code) = need_terminal("console") {
        return code;
    }
    let runtime = match assembly::runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    let host = Host {
        name: args.name.clone().unwrap_or_else(team::default_name),
        listen,
        simulated: matches!(place, Place::Sim),
    };
    let ran = runtime.block_on(async {
        let (handle, abort) = abort_signal();
        let handle = Arc::new(handle);
        assembly::install_signal_handlers(handle.clone(), true);
        let model = Arc::new(DetectionModel::builtin());
        let pollers = Pollers::new();
        let (runs_dir, mirror) = assembly::runs_target(&args.runs_dir)
            .await
            .map_err(assembly::NotRun::Refused)?;
        let day = GameDay {
            place: &place,
            checked: &checked,
            overrides: &overrides,
            runs_dir: &runs_dir,
            run_id: &run_id,
            seed: args.seed,
            mode,
            autopilot: None,
            model: &model,
            pollers: &pollers,
            abort: &abort,
            epoch: None,
            mirror: mirror.as_ref(),
        };
        let mut screen = None;
        let ran = day
            .run(|clock, run_dir| {
                let (attach, feeds, seat, ui) =
                    host.open(&run_id, run_dir, clock, &handle, &abort, args.speed);
                screen = Some(tokio::spawn(seat::live_screen(feeds, seat, ui)));
                attach
            })
            .await;
        // The result stays on the screen until the responder leaves it.
        if let Some(screen) = screen {
            match screen.await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => eprintln!("error: the console failed: {e}"),
                Err(e) => eprintln!("error: the console failed: {e}"),
            }
        }
        ran
    });
    let _ = std::fs::remove_file(args.runs_dir.join(&run_id).join(team::SOCKET));
    match ran {
        Ok((summary, run_dir)) => {
            println!(
                "run {}: {} — score {:.1} ({}); report: {}",
                summary.run_id,
                summary.outcome.as_str(),
                summary.score.total,
                summary.score.grade,
                run_dir.join("report.html").display()
            );
            Exit::of(summary.outcome)
        }
        Err(not_run) => not_run.say(),
    }
}

/// `--listen ADDR`: the address bound now, so that a taken or wrong one exits 2 before
/// anything changes, and the token joiners must give.
pub(crate) fn listen_on(addr: &str) -> Result<(std::net::TcpListener, String), Exit> {
    let bound = std::net::TcpListener::bind(addr).and_then(|l| {
        l.set_nonblocking(true)?;
        Ok(l)
    });
    match (bound, team::new_token()) {
        (Ok(l), Ok(token)) => Ok((l, token)),
        (Err(e), _) => {
            eprintln!("error: --listen {addr}: cannot listen there: {e}");
            Err(Exit::BadInput)
        }
        (_, Err(e)) => {
            eprintln!("error: --listen {addr}: cannot make a token: {e}");
            Err(Exit::Aborted)
        }
    }
}

/// The console that hosts a game day.
pub(crate) struct Host {
    /// The host's name (a facilitator's).
    pub name: String,
    /// Where others join over TCP, and the token they must give.
    pub listen: Option<(std::net::TcpListener, String)>,
    /// On the simulator: the clock can pause and change speed.
    pub simulated: bool,
}

impl Host {
    /// Opens the game day to the team once the run has its clock and directory: the
    /// hub relaying the run's events, the socket in `run_dir`, the TCP listener; the
    /// run's channels, and the host's screen with its seat.
    pub(crate) fn open(
        &self,
        run_id: &str,
        run_dir: &std::path::Path,
        clock: Arc<Clock>,
        handle: &Arc<AbortHandle>,
        abort: &gameday_engine::run::Abort,
        speed: f64,
    ) -> (Attach, seat::Feeds, seat::HostSeat, Ui) {
        let (events, from_run) = tokio::sync::mpsc::unbounded_channel();
        let (to_screen, screen_events) = tokio::sync::mpsc::unbounded_channel();
        let (orders, commands) = tokio::sync::mpsc::unbounded_channel();
        let token = self.listen.as_ref().map(|(_, t)| t.clone());
        let hub = Hub::new(
            run_id,
            clock.clone(),
            self.simulated,
            orders.clone(),
            &self.name,
            token,
        );
        tokio::spawn(hub.clone().relay(from_run, to_screen));
        tokio::spawn(hub.clone().tick());
        let mut ui = Ui::new(
            Mode::Live {
                paused: false,
                speed,
                virtual_time: false,
            },
            no_color(),
        );
        ui.fixed_clock = !self.simulated;
        ui.me = Some(Me {
            name: self.name.clone(),
            role: Role::Facilitator,
            host: true,
        });
        // Over the network first: the token is shown once, and must not be cut off.
        let mut joining = Vec::new();
        if let Some((l, token)) = &self.listen {
            match l.try_clone().and_then(tokio::net::TcpListener::from_std) {
                Ok(tcp) => {
                    let addr = tcp.local_addr().map(|a| a.to_string()).unwrap_or_default();
                    tokio::spawn(hub.clone().serve(tcp));
                    joining.push(format!("gameday join {addr} --token {token}"));
                }
                Err(e) => tracing::warn!("nobody can join over TCP: {e}"),
            }
        }
        match host_socket(run_dir) {
            Ok(socket) => {
                tokio::spawn(hub.clone().serve(socket));
                joining.push(format!("gameday join {}", run_dir.display()));
            }
            Err(e) => tracing::warn!("nobody can join through {}: {e}", run_dir.display()),
        }
        ui.message = (!joining.is_empty()).then(|| {
            format!(
                "others join: {}   (? shows this again)",
                joining.join("  or  ")
            )
        });
        ui.joining = joining;
        let (_said_tx, said) = tokio::sync::mpsc::unbounded_channel();
        let feeds = seat::Feeds {
            events: screen_events,
            said,
            signalled: Some(abort.clone()),
            lost: None,
        };
        let seat = seat::HostSeat {
            orders,
            me: Some(self.name.clone()),
            clock,
            abort: handle.clone(),
        };
        let attach = Attach {
            events: Some(events),
            commands: Some(commands),
        };
        (attach, feeds, seat, ui)
    }
}

/// The run directory's socket, which only its owner (the owner of the journal) may open.
#[cfg(unix)]
fn host_socket(run_dir: &std::path::Path) -> std::io::Result<crate::team::host::OwnerSocket> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let path = run_dir.join(team::SOCKET);
    let owner = std::fs::metadata(run_dir.join("journal.jsonl"))?.uid();
    let listener = std::os::unix::net::UnixListener::bind(&path)?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    listener.set_nonblocking(true)?;
    Ok(crate::team::host::OwnerSocket {
        listener: tokio::net::UnixListener::from_std(listener)?,
        owner,
    })
}

/// `gameday replay`.
pub fn replay(args: ReplayArgs) -> Exit {
    let run_dir = match assembly::fetch_all(std::slice::from_ref(&args.run_dir)) {
        Ok(mut d) => d.pop().unwrap_or_default(),
        Err(code) => return code,
    };
    let journals = match journal::discover(&run_dir) {
        Ok(j) => j,
        Err(e) => {
            // The error names the path already.
            eprintln!("error: {e}");
            return Exit::BadInput;
        }
    };
    let [path] = journals.as_slice() else {
        eprintln!(
            "error: {}: holds {} runs; give one run directory",
            args.run_dir.display(),
            journals.len()
        );
        return Exit::BadInput;
    };
    let contents = match journal::read(path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return Exit::BadInput;
        }
    };
    if !contents.is_run() {
        eprintln!(
            "error: {}: not the journal of a run: its first event is not run_started",
            path.display()
        );
        return Exit::BadInput;
    }
    if let Err(code) = need_terminal("replay") {
        return code;
    }
    let terminal = match ratatui::try_init() {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: cannot open the terminal: {e}");
            return Exit::Aborted;
        }
    };
    let _guard = TerminalGuard;
    match replay_screen(terminal, &contents.events, args.speed) {
        Ok(()) => Exit::Ok,
        Err(e) => {
            drop(_guard);
            eprintln!("error: {e}");
            Exit::Aborted
        }
    }
}

/// A replay's screen and its game time: the model of the first `cursor` events.
pub struct Replay<'a> {
    events: &'a [Event],
    pub model: Model,
    pub ui: Ui,
    /// Game time shown, in ms of run time.
    t_ms: f64,
}

impl<'a> Replay<'a> {
    /// A replay at its first event, playing at `speed`.
    pub fn new(events: &'a [Event], speed: f64, no_color: bool) -> Replay<'a> {
        let mut r = Replay {
            events,
            model: Model::default(),
            ui: Ui::new(
                Mode::Replay(ReplayState {
                    cursor: 0,
                    total: events.len(),
                    playing: true,
                    speed,
                }),
                no_color,
            ),
            t_ms: 0.0,
        };
        r.seek(1);
        r
    }

    fn cursor(&self) -> usize {
        match &self.ui.mode {
            Mode::Replay(r) => r.cursor,
            Mode::Live { .. } => 0,
        }
    }

    fn set_cursor(&mut self, n: usize) {
        if let Mode::Replay(r) = &mut self.ui.mode {
            r.cursor = n;
        }
    }

    /// Shows the first `n` events (rebuilding the model when going back).
    fn show(&mut self, n: usize) {
        let cur = self.cursor();
        if n < cur {
            self.model = Model::from_events(&self.events[..n]);
        } else {
            for e in &self.events[cur..n] {
                self.model.apply(e);
            }
        }
        self.set_cursor(n);
        self.model.refresh();
    }

    /// Sets the game time shown.
    fn set_time(&mut self, t_ms: f64) {
        self.t_ms = t_ms;
        self.ui.now_ms = t_ms as u64;
    }

    /// Shows the first `n` events, at the time of the last of them.
    pub fn seek(&mut self, n: usize) {
        let n = n.min(self.events.len());
        self.show(n);
        let t = n
            .checked_sub(1)
            .and_then(|i| self.events.get(i))
            .map_or(0.0, |e| e.t_ms as f64);
        self.set_time(t);
    }

    /// Lets `real` time pass: while playing, game time moves on at the replay's speed
    /// and every event up to it is shown.
    pub fn advance(&mut self, real: Duration) {
        let Mode::Replay(r) = &self.ui.mode else {
            return;
        };
        if !r.playing {
            return;
        }
        let t = self.t_ms + real.as_secs_f64() * 1000.0 * r.speed;
        let cur = self.cursor();
        let upto = cur + self.events[cur..].partition_point(|e| e.t_ms as f64 <= t);
        if upto > cur {
            self.show(upto);
        }
        self.set_time(t);
        if upto >= self.events.len()
            && let Mode::Replay(r) = &mut self.ui.mode
        {
            r.playing = false;
        }
    }

    /// Handles a key; false when the replay should close.
    pub fn key(&mut self, k: KeyEvent) -> bool {
        for effect in replay_key(&mut self.ui, &self.model, k) {
            match effect {
                Effect::Seek(n) => self.seek(n),
                Effect::Quit => return false,
                _ => {}
            }
        }
        true
    }
}

fn replay_screen(
    mut terminal: ratatui::DefaultTerminal,
    events: &[Event],
    speed: f64,
) -> std::io::Result<()> {
    let mut replay = Replay::new(events, speed, no_color());
    let mut last = Instant::now();
    loop {
        let now = Instant::now();
        replay.advance(now - last);
        last = now;
        terminal.draw(|f| ui::draw(f, &replay.model, &replay.ui))?;
        if event::poll(Duration::from_millis(50))?
            && let TermEvent::Key(k) = event::read()?
            && !replay.key(k)
        {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests;
