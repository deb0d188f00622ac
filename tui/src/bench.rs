//! The console without a terminal, for the benchmarks: a replay of a journal drawn into
//! an in-memory screen ([`Screen`]); and a team's game day on the simulator ([`TeamDay`]),
//! hosted in this process as `gameday console` hosts it, with consoles that join it as
//! `gameday join` does ([`Console`]), each drawing into an in-memory screen.

use crate::assembly::{self, GameDay, NotRun};
use crate::console::seat::{Feeds, Seat, Shown};
use crate::console::{Host, Replay, join, listen_on, ui};
use crate::place::Place;
use crate::team::wire::ToHost;
use gameday_engine::clock::ClockMode;
use gameday_engine::event::Event;
use gameday_engine::poller::Pollers;
use gameday_engine::run::abort_signal;
use gameday_engine::sim::DetectionModel;
use gameday_engine::team::Role;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A console showing a run's events.
pub struct Screen<'a> {
    replay: Replay<'a>,
    terminal: Terminal<TestBackend>,
}

impl<'a> Screen<'a> {
    /// A `width`×`height` console showing every one of `events`.
    pub fn new(events: &'a [Event], width: u16, height: u16) -> Self {
        let mut replay = Replay::new(events, 1.0, false);
        replay.seek(events.len());
        Screen {
            replay,
            terminal: test_terminal(width, height),
        }
    }

    /// Draws one frame.
    pub fn draw(&mut self) {
        let Screen { replay, terminal } = self;
        if let Err(never) = terminal.draw(|f| ui::draw(f, &replay.model, &replay.ui)) {
            match never {}
        }
    }

    /// Handles a key press, as the console does before it draws again.
    pub fn key(&mut self, c: char) {
        self.replay
            .key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
    }

    /// Shows the first `n` events.
    pub fn seek(&mut self, n: usize) {
        self.replay.seek(n);
    }
}

fn test_terminal(width: u16, height: u16) -> Terminal<TestBackend> {
    match Terminal::new(TestBackend::new(width, height)) {
        Ok(t) => t,
        Err(never) => match never {},
    }
}

/// How a console joins: through the run directory's socket, or over TCP with the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// `gameday join RUN_DIR`.
    Socket,
    /// `gameday join HOST:PORT --token TOKEN`.
    Tcp,
}

/// A team's game day on the simulator, in real time, hosted by a console of this process
/// ([`TeamDay::host`]) as `gameday console --listen 127.0.0.1:0` hosts one: the run, its
/// journal on disk, the hub and its listeners on a thread and runtime of their own (the
/// host's screen is drawn by whoever holds [`TeamDay::host`]).
pub struct TeamDay {
    /// The host's console (a facilitator's).
    pub host: Console,
    run_dir: PathBuf,
    tcp: String,
    token: String,
    ran: Option<JoinHandle<Result<(), String>>>,
}

impl TeamDay {
    /// Opens a game day of `scenario` from the library at `library`, its run directory
    /// under `runs_dir`, hosted by `name` at a `width`×`height` console; returns once
    /// others can join it.
    pub fn open(
        library: &Path,
        scenario: &str,
        runs_dir: &Path,
        name: &str,
        width: u16,
        height: u16,
    ) -> Result<TeamDay, String> {
        let (listener, token) =
            listen_on("127.0.0.1:0").map_err(|_| "cannot listen on loopback".to_owned())?;
        let tcp = listener
            .local_addr()
            .map_err(|e| format!("the listener has no address: {e}"))?
            .to_string();
        let host = Host {
            name: name.to_owned(),
            listen: Some((listener, token.clone())),
            simulated: true,
        };
        let (library, scenario, runs_dir) =
            (library.to_owned(), scenario.to_owned(), runs_dir.to_owned());
        let (opened, open) = std::sync::mpsc::channel();
        let ran = std::thread::spawn(move || {
            let checked = assembly::load(&scenario, &library)
                .map_err(|_| format!("cannot load scenario {scenario}"))?;
            let runtime = assembly::runtime().map_err(|_| "cannot start the runtime".to_owned())?;
            runtime.block_on(async {
                let (handle, abort) = abort_signal();
                let handle = Arc::new(handle);
                let model = Arc::new(DetectionModel::builtin());
                let pollers = Pollers::new();
                let run_id = assembly::new_run_id(0);
                let speed = 1.0;
                let day = GameDay {
                    place: &Place::Sim,
                    checked: &checked,
                    overrides: &BTreeMap::new(),
                    runs_dir: &runs_dir,
                    run_id: &run_id,
                    seed: 1,
                    mode: ClockMode::Real { speed },
                    autopilot: None,
                    model: &model,
                    pollers: &pollers,
                    abort: &abort,
                    epoch: None,
                    mirror: None,
                };
                let ran = day
                    .run(|clock, run_dir| {
                        let (attach, feeds, seat, ui) =
                            host.open(&run_id, run_dir, clock, &handle, &abort, speed);
                        let seat: Box<dyn Seat> = Box::new(seat);
                        let _ = opened.send((feeds, seat, ui, run_dir.to_owned()));
                        attach
                    })
                    .await;
                match ran {
                    Ok(_) => Ok(()),
                    Err(NotRun::Refused(code)) => Err(format!("not run ({code:?})")),
                    Err(NotRun::Failed { error, .. }) => Err(error),
                }
            })
        });
        let Ok((feeds, seat, ui, run_dir)) = open.recv() else {
            return Err(match ran.join() {
                Ok(Err(why)) => why,
                _ => "the game day did not open".to_owned(),
            });
        };
        Ok(TeamDay {
            host: Console::new(feeds, seat, ui, width, height, None)?,
            run_dir,
            tcp,
            token,
            ran: Some(ran),
        })
    }

    /// A console joined as `name` in `role`, through the run directory's socket or over
    /// TCP with the token, as `gameday join` joins, at `width`×`height`: its connection is
    /// read and written on a thread and runtime of its own until it is dropped (it
    /// leaves).
    pub fn join(
        &self,
        name: &str,
        role: Role,
        via: Via,
        width: u16,
        height: u16,
    ) -> Result<Console, String> {
        let place = match via {
            Via::Socket => self.run_dir.to_string_lossy().into_owned(),
            Via::Tcp => self.tcp.clone(),
        };
        let hello = ToHost::Join {
            name: name.to_owned(),
            role,
            token: (via == Via::Tcp).then(|| self.token.clone()),
        };
        let (joined, welcome) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let Ok(runtime) = assembly::runtime() else {
                return;
            };
            runtime.block_on(async {
                let entered = join::enter(&place, hello).await.map(|(feeds, seat, ui)| {
                    let seat: Box<dyn Seat> = Box::new(seat);
                    (feeds, seat, ui)
                });
                let _ = joined.send(entered);
                let _ = stopped.await;
            });
        });
        match welcome.recv() {
            Ok(Ok((feeds, seat, ui))) => {
                let own = Joined {
                    stop: Some(stop),
                    thread: Some(thread),
                };
                Console::new(feeds, seat, ui, width, height, Some(own))
            }
            Ok(Err(code)) => Err(format!("{name} could not join ({code:?})")),
            Err(_) => Err(format!("{name} could not join")),
        }
    }

    /// Ends the game day as its host does (`e`, then `y`) and waits for the run to
    /// finish: clean-up, then its reports.
    pub fn end(mut self) -> Result<(), String> {
        self.host.key(KeyCode::Char('e'));
        self.host.key(KeyCode::Char('y'));
        match self.ran.take().map(JoinHandle::join) {
            Some(Ok(ran)) => ran,
            _ => Err("the game day's thread failed".to_owned()),
        }
    }
}

/// A joined console's thread: told to stop when the console is dropped.
struct Joined {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Joined {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// One participant's console in a [`TeamDay`]: the screen of the live console, fed by
/// the run's events as they come and drawn into an in-memory screen when asked; its keys
/// reach the run through its seat, as the terminal's do.
pub struct Console {
    shown: Shown,
    terminal: Terminal<TestBackend>,
    feeds: Feeds,
    seat: Box<dyn Seat>,
    /// Events taken.
    seen: usize,
    /// Waits for events with a time limit.
    waiter: tokio::runtime::Runtime,
    _joined: Option<Joined>,
}

impl Console {
    fn new(
        feeds: Feeds,
        seat: Box<dyn Seat>,
        ui: crate::console::Ui,
        width: u16,
        height: u16,
        joined: Option<Joined>,
    ) -> Result<Console, String> {
        let waiter = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .map_err(|e| format!("no runtime to wait on: {e}"))?;
        Ok(Console {
            shown: Shown::new(ui),
            terminal: test_terminal(width, height),
            feeds,
            seat,
            seen: 0,
            waiter,
            _joined: joined,
        })
    }

    /// One frame, as the console draws after it wakes: takes the events and words that
    /// came, then draws.
    pub fn frame(&mut self) {
        let waiting: Vec<Event> =
            std::iter::from_fn(|| self.feeds.events.try_recv().ok()).collect();
        if !waiting.is_empty() {
            self.seen += waiting.len();
            self.shown.take(waiting);
        }
        while let Ok(s) = self.feeds.said.try_recv() {
            self.shown.ui.message = Some(s);
        }
        self.draw();
    }

    fn draw(&mut self) {
        if let Err(never) = self.shown.draw(&mut self.terminal, &*self.seat) {
            match never {}
        }
        self.shown.settle(&*self.seat);
    }

    /// A key press, handled as the console handles it: what it orders goes to the run.
    pub fn key(&mut self, code: KeyCode) {
        let k = KeyEvent::new(code, KeyModifiers::NONE);
        // A joiner's q leaves; here the console stays until it is dropped.
        let _ = self.shown.press(&*self.seat, k);
    }

    /// Waits for events, taking each lot that comes and drawing after it as the console
    /// does, until one for which `until` holds has been drawn; false if none came within
    /// `within`.
    pub fn wait_for(&mut self, until: impl FnMut(&Event) -> bool, within: Duration) -> bool {
        self.take_until(until, within, true)
    }

    /// Takes the events that come, without drawing, until one for which `until` holds;
    /// then draws once. False if none came within `within`.
    pub fn catch_up(&mut self, until: impl FnMut(&Event) -> bool, within: Duration) -> bool {
        let hit = self.take_until(until, within, false);
        self.draw();
        hit
    }

    fn take_until(
        &mut self,
        mut until: impl FnMut(&Event) -> bool,
        within: Duration,
        draw_each: bool,
    ) -> bool {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let events = &mut self.feeds.events;
            let first = self
                .waiter
                .block_on(async { tokio::time::timeout(left, events.recv()).await });
            let Ok(Some(first)) = first else {
                return false;
            };
            let mut lot = vec![first];
            lot.extend(std::iter::from_fn(|| self.feeds.events.try_recv().ok()));
            let hit = lot.iter().any(&mut until);
            self.seen += lot.len();
            self.shown.take(lot);
            if draw_each {
                self.draw();
            }
            if hit {
                return true;
            }
        }
    }

    /// How many events have come that it has not taken yet.
    pub fn waiting(&self) -> usize {
        self.feeds.events.len()
    }

    /// How many events it has taken.
    pub fn seen(&self) -> usize {
        self.seen
    }

    /// The terminal is resized to `width`×`height`; the next frame fills it.
    pub fn resize(&mut self, width: u16, height: u16) {
        self.terminal.backend_mut().resize(width, height);
    }
}
