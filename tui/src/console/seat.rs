//! Where a console sits in a game day: the host's seat reaches the run and its clock
//! directly; a joiner's reaches them through the host. The screen is the same.

use super::model::Model;
use super::{Effect, Mode, TerminalGuard, Ui, follow, live_key, spawn_input, ui};
use crate::team::host::apply;
use crate::team::wire::{self, ClockChange, GameTime, ToHost};
use gameday_engine::autopilot::Command;
use gameday_engine::clock::{Clock, ClockMode};
use gameday_engine::event::{Event, RunPhase};
use gameday_engine::run::AbortHandle;
use gameday_engine::team::Order;
use ratatui::Terminal;
use ratatui::backend::Backend;
use ratatui::crossterm::event::{Event as TermEvent, KeyEvent};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

/// What a console's keys reach.
pub(crate) trait Seat: Send {
    /// Passes a responder's command on; false when nobody takes it any more.
    fn order(&self, c: Command) -> bool;
    /// Pauses, resumes or changes the speed of the game clock.
    fn clock(&self, change: ClockChange);
    /// The game time now, in run time.
    fn now_ms(&self) -> u64;
    /// Ctrl-C, or the terminal failed (`why`): the host ends the run into clean-up; a
    /// joiner just leaves.
    fn interrupt(&self, why: &str);
    /// Whether the game clock is paused, and its speed; none for a virtual clock.
    fn clock_state(&self) -> Option<(bool, f64)>;
    /// After each change: the host resumes a paused clock once the exercise is over, so
    /// that it cannot hold up clean-up.
    fn settle(&self, _model: &Model) {}
}

/// The host's seat: orders straight to the run, signed with the host's name (none when
/// one person plays alone), and the run's own clock.
pub(crate) struct HostSeat {
    pub orders: UnboundedSender<Order>,
    pub me: Option<String>,
    pub clock: Arc<Clock>,
    pub abort: Arc<AbortHandle>,
}

impl Seat for HostSeat {
    fn order(&self, c: Command) -> bool {
        let order = Order {
            who: self.me.clone(),
            command: c,
        };
        self.orders.send(order).is_ok()
    }

    fn clock(&self, change: ClockChange) {
        apply(&self.clock, change);
    }

    fn clock_state(&self) -> Option<(bool, f64)> {
        match self.clock.mode() {
            ClockMode::Real { speed } => Some((self.clock.is_paused(), speed)),
            ClockMode::Virtual => None,
        }
    }

    fn now_ms(&self) -> u64 {
        self.clock.elapsed().as_millis()
    }

    fn interrupt(&self, why: &str) {
        self.abort.abort(why);
    }

    fn settle(&self, m: &Model) {
        let over = matches!(m.phase, Some(RunPhase::Cleanup | RunPhase::Report));
        if self.clock.is_paused() && over {
            self.clock.resume();
        }
    }
}

/// A joiner's seat: its orders and clock changes go to the host as lines; its game
/// time is the host's last word on it, run on since at its speed.
pub(crate) struct GuestSeat {
    pub out: UnboundedSender<String>,
    pub time: Arc<Mutex<(GameTime, Instant)>>,
}

impl Seat for GuestSeat {
    fn order(&self, c: Command) -> bool {
        self.out.send(wire::line(&ToHost::Order(c))).is_ok()
    }

    fn clock(&self, change: ClockChange) {
        if self.out.send(wire::line(&ToHost::Clock(change))).is_err() {
            return;
        }
        // Shown at once; the host's next word on the clock confirms it.
        let mut time = self.time.lock().unwrap_or_else(|p| p.into_inner());
        let (t, at) = *time;
        let now = GameTime {
            t_ms: run_on(t, at),
            ..t
        };
        *time = (
            match change {
                ClockChange::Pause => GameTime {
                    paused: true,
                    ..now
                },
                ClockChange::Resume => GameTime {
                    paused: false,
                    ..now
                },
                ClockChange::Speed(speed) => GameTime { speed, ..now },
            },
            Instant::now(),
        );
    }

    fn clock_state(&self) -> Option<(bool, f64)> {
        let (t, _) = *self.time.lock().unwrap_or_else(|p| p.into_inner());
        (t.speed > 0.0).then_some((t.paused, t.speed))
    }

    fn now_ms(&self) -> u64 {
        let (t, at) = *self.time.lock().unwrap_or_else(|p| p.into_inner());
        run_on(t, at)
    }

    fn interrupt(&self, _why: &str) {}
}

/// The game time `t`, said at `at`, run on since at its speed.
fn run_on(t: GameTime, at: Instant) -> u64 {
    if t.paused {
        t.t_ms
    } else {
        t.t_ms + (at.elapsed().as_secs_f64() * 1000.0 * t.speed) as u64
    }
}

/// What a screen is fed: the run's events, and words for this console alone.
pub(crate) struct Feeds {
    pub events: UnboundedReceiver<Event>,
    pub said: UnboundedReceiver<String>,
    /// Fires on Ctrl-C or SIGTERM from outside the terminal (the host's).
    pub signalled: Option<gameday_engine::run::Abort>,
    /// What the console says when the events stop before the run ended (a joiner's
    /// host went away).
    pub lost: Option<&'static str>,
}

/// The live screen, from the run's start until the responder leaves it: takes over the
/// terminal (and gives it back however it ends); a failure of the terminal ends the
/// host's run into clean-up.
pub(crate) async fn live_screen(feeds: Feeds, seat: impl Seat, ui: Ui) -> std::io::Result<()> {
    let shown = match ratatui::try_init() {
        Ok(terminal) => {
            let _guard = TerminalGuard;
            screen_loop(terminal, feeds, &seat, ui).await
        }
        Err(e) => Err(std::io::Error::other(format!(
            "cannot open the terminal: {e}"
        ))),
    };
    if let Err(e) = &shown {
        seat.interrupt(&format!("the console failed: {e}"));
    }
    shown
}

async fn screen_loop(
    mut terminal: ratatui::DefaultTerminal,
    feeds: Feeds,
    seat: &impl Seat,
    ui: Ui,
) -> std::io::Result<()> {
    let Feeds {
        mut events,
        mut said,
        signalled,
        lost,
    } = feeds;
    let mut keys = spawn_input();
    let mut shown = Shown::new(ui);
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    let mut run_over = false;
    let mut said_over = false;
    loop {
        shown.draw(&mut terminal, seat)?;
        tokio::select! {
            e = events.recv(), if !run_over => match e {
                Some(e) => {
                    let waiting = std::iter::from_fn(|| events.try_recv().ok());
                    shown.take(std::iter::once(e).chain(waiting));
                }
                None => {
                    run_over = true;
                    // Stopped by a signal: nobody may be at the keyboard to read the result.
                    if signalled.as_ref().is_some_and(|s| s.reason().is_some()) && shown.model.ended.is_some() {
                        return Ok(());
                    }
                    if shown.model.ended.is_none() && let Some(lost) = lost {
                        shown.ui.message = Some(lost.to_owned());
                    }
                }
            },
            s = said.recv(), if !said_over => match s {
                Some(s) => shown.ui.message = Some(s),
                None => said_over = true,
            },
            k = keys.recv() => match k {
                Some(TermEvent::Key(k)) => {
                    if shown.press(seat, k) {
                        return Ok(());
                    }
                }
                Some(_) => {}
                None => return Err(std::io::Error::other("the keyboard went away")),
            },
            _ = tick.tick() => {}
        }
        shown.settle(seat);
    }
}

/// What a live console shows: the run as its events tell it, and the console's own state.
/// The terminal's screen loop and the benchmark's consoles share it.
pub(crate) struct Shown {
    pub model: Model,
    pub ui: Ui,
}

impl Shown {
    /// A console at the start, before any event.
    pub(crate) fn new(ui: Ui) -> Shown {
        let mut model = Model::default();
        model.me = ui.me.as_ref().map(|me| me.name.clone());
        Shown { model, ui }
    }

    /// Takes the events that came; once the step in view gets done, the selection
    /// follows.
    pub(crate) fn take(&mut self, events: impl IntoIterator<Item = Event>) {
        let Shown { model, ui } = self;
        let was_done = model
            .steps
            .get(ui.selected)
            .is_some_and(|s| s.done.is_some());
        for e in events {
            model.apply(&e);
        }
        follow(ui, model, was_done);
    }

    /// A key, and what it asks of the run through `seat`; true when the console closes.
    pub(crate) fn press(&mut self, seat: &(impl Seat + ?Sized), k: KeyEvent) -> bool {
        for effect in live_key(&mut self.ui, &self.model, k) {
            match effect {
                Effect::Command(c) => {
                    if !seat.order(c) {
                        self.ui.message = Some("the run has ended".to_owned());
                    }
                }
                Effect::Pause => seat.clock(ClockChange::Pause),
                Effect::Resume => seat.clock(ClockChange::Resume),
                Effect::Speed(s) => seat.clock(ClockChange::Speed(s)),
                Effect::Abort => seat.interrupt("interrupted (Ctrl-C)"),
                Effect::Quit => return true,
                Effect::Seek(_) => {}
            }
        }
        false
    }

    /// Draws the screen at the game time now.
    pub(crate) fn draw<B: Backend>(
        &mut self,
        terminal: &mut Terminal<B>,
        seat: &(impl Seat + ?Sized),
    ) -> Result<(), B::Error> {
        let Shown { model, ui } = self;
        // The clock as it stands, whoever changed it (a facilitator elsewhere).
        if let (Some((p, s)), Mode::Live { paused, speed, .. }) = (seat.clock_state(), &mut ui.mode)
        {
            (*paused, *speed) = (p, s);
        }
        ui.now_ms = if model.ended.is_some() {
            model.last_t_ms
        } else {
            seat.now_ms()
        };
        model.refresh();
        terminal.draw(|f| ui::draw(f, model, ui))?;
        Ok(())
    }

    /// After each change: the host's seat may resume the clock (see [`Seat::settle`]).
    pub(crate) fn settle(&mut self, seat: &(impl Seat + ?Sized)) {
        seat.settle(&self.model);
    }
}
