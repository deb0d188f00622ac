//! The host of a game day: the console that started it relays every event of the run
//! to the consoles that join it, through a socket in the run directory (only the run's
//! owner may connect) and, with `--listen`, over TCP with a token; and it passes their
//! orders to the run, each with its person, as their role allows.

use super::wire::{self, ClockChange, GameTime, ToGuest, ToHost};
use gameday_engine::autopilot::Command;
use gameday_engine::clock::{Clock, ClockMode};
use gameday_engine::event::Event;
use gameday_engine::team::{Order, Role};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, BufReader, BufWriter};
use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};

/// How long a joiner has to say who it is.
const HELLO_WITHIN: Duration = Duration::from_secs(10);

/// The game day as its host shares it.
pub(crate) struct Hub {
    state: Mutex<State>,
    orders: UnboundedSender<Order>,
    clock: Arc<Clock>,
    run_id: String,
    /// What a joiner over TCP must give.
    token: Option<String>,
    /// Its clock can pause and change speed (the simulator's).
    can_pause: bool,
}

struct State {
    /// Every event so far, as sent.
    history: Vec<Arc<str>>,
    guests: Vec<UnboundedSender<Arc<str>>>,
    /// Everyone in the game day now, the host included.
    names: BTreeSet<String>,
    /// The run has ended: nobody joins any more.
    over: bool,
}

impl Hub {
    /// The hub of run `run_id` on `clock` (`can_pause`: the simulator's), passing orders
    /// to `orders`; its host is `host` (a facilitator). `token`: what a joiner over TCP
    /// must give.
    pub(crate) fn new(
        run_id: &str,
        clock: Arc<Clock>,
        can_pause: bool,
        orders: UnboundedSender<Order>,
        host: &str,
        token: Option<String>,
    ) -> Arc<Hub> {
        let _ = orders.send(Order::from(Command::Joined {
            name: host.to_owned(),
            role: Role::Facilitator,
            via: "host".to_owned(),
        }));
        Arc::new(Hub {
            state: Mutex::new(State {
                history: Vec::new(),
                guests: Vec::new(),
                names: BTreeSet::from([host.to_owned()]),
                over: false,
            }),
            orders,
            clock,
            run_id: run_id.to_owned(),
            token,
            can_pause,
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding it cannot leave the lists half-changed.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Relays the run's events, as the journal gets them, to the host's screen and every
    /// joined console, until the run ends; then nobody joins any more.
    pub(crate) async fn relay(
        self: Arc<Self>,
        mut events: UnboundedReceiver<Event>,
        screen: UnboundedSender<Event>,
    ) {
        while let Some(e) = events.recv().await {
            let line: Arc<str> = wire::line(&ToGuest::Event(Box::new(e.clone()))).into();
            {
                let mut st = self.state();
                st.guests.retain(|g| g.send(line.clone()).is_ok());
                st.history.push(line);
            }
            let _ = screen.send(e);
        }
        let mut st = self.state();
        st.over = true;
        // Dropping their senders ends each guest's connection once it has everything.
        st.guests.clear();
    }

    /// Sends the game time to every joined console four times a second.
    pub(crate) async fn tick(self: Arc<Self>) {
        let mut every = tokio::time::interval(Duration::from_millis(250));
        loop {
            every.tick().await;
            let line: Arc<str> = wire::line(&ToGuest::Clock(self.time())).into();
            let mut st = self.state();
            if st.over {
                return;
            }
            st.guests.retain(|g| g.send(line.clone()).is_ok());
        }
    }

    fn time(&self) -> GameTime {
        GameTime {
            t_ms: self.clock.elapsed().as_millis(),
            paused: self.clock.is_paused(),
            speed: match self.clock.mode() {
                ClockMode::Real { speed } => speed,
                ClockMode::Virtual => 0.0,
            },
        }
    }

    /// Admits the consoles that connect to `listener`, each on a task of its own.
    pub(crate) async fn serve<L: Listener>(self: Arc<Self>, listener: L) {
        loop {
            match listener.accept().await {
                Ok((stream, from, check)) => {
                    let hub = self.clone();
                    tokio::spawn(async move { hub.admit(stream, from, check).await });
                }
                Err(e) => {
                    tracing::warn!("cannot accept a console: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }

    /// One joining console: who it is, then its orders until it goes away.
    async fn admit<S>(self: Arc<Self>, stream: S, from: String, check: Admission)
    where
        S: AsyncRead + AsyncWrite + Send + 'static,
    {
        let (r, w) = tokio::io::split(stream);
        let mut r = BufReader::new(r);
        let mut w = BufWriter::new(w);
        let mut buf = String::new();
        let hello =
            tokio::time::timeout(HELLO_WITHIN, wire::read::<ToHost>(&mut r, &mut buf)).await;
        let (name, role) = match self.welcome(hello, &check) {
            Ok(who) => who,
            Err(reason) => {
                self.refuse(&mut w, &from, reason).await;
                return;
            }
        };
        let (tx, rx) = mpsc::unbounded_channel::<Arc<str>>();
        let welcome = ToGuest::Welcome {
            name: name.clone(),
            role,
            run_id: self.run_id.clone(),
            simulated: self.can_pause,
        };
        let _ = tx.send(wire::line(&welcome).into());
        let _ = tx.send(wire::line(&ToGuest::Clock(self.time())).into());
        if let Err(reason) = self.seat(&name, role, &from, &tx) {
            self.refuse(&mut w, &from, reason).await;
            return;
        }
        let writer = tokio::spawn(wire::write_lines(rx, w));
        let reason = self.listen(&mut r, &name, role, &tx).await;
        drop(tx);
        self.state().names.remove(&name);
        let _ = self
            .orders
            .send(Order::from(Command::Left { name, reason }));
        writer.abort();
    }

    /// Tells a joiner it is refused, and journals it.
    async fn refuse(&self, w: &mut (impl AsyncWrite + Unpin), from: &str, reason: String) {
        let _ = self.orders.send(Order::from(Command::Refused {
            from: from.to_owned(),
            reason: reason.clone(),
        }));
        let _ = w
            .write_all(wire::line(&ToGuest::Refused(reason)).as_bytes())
            .await;
        let _ = w.flush().await;
    }

    /// Who the joiner says it is, if it may join: the token over TCP, a name.
    fn welcome(
        &self,
        hello: Result<std::io::Result<Option<ToHost>>, tokio::time::error::Elapsed>,
        check: &Admission,
    ) -> Result<(String, Role), String> {
        let said = match hello {
            Err(_) => return Err(format!("said nothing within {}s", HELLO_WITHIN.as_secs())),
            Ok(Err(e)) => return Err(format!("could not be read: {e}")),
            Ok(Ok(None)) => return Err("closed before saying who joins".to_owned()),
            Ok(Ok(Some(m))) => m,
        };
        let ToHost::Join { name, role, token } = said else {
            return Err("the first message must say who joins".to_owned());
        };
        match check {
            Admission::Refuse(why) => return Err(why.clone()),
            Admission::Token => match (&self.token, token) {
                (Some(want), Some(got)) if same(want, &got) => {}
                (_, None) => {
                    return Err(
                        "no token: joining over the network takes the token the host printed (--token)"
                            .to_owned(),
                    );
                }
                _ => return Err("wrong token".to_owned()),
            },
            Admission::Owner => {}
        }
        let name = name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 32 || name.chars().any(char::is_control) {
            return Err(format!(
                "`{}` is not a name: give 1 to 32 printable characters (--as)",
                name.escape_debug()
            ));
        }
        Ok((name, role))
    }

    /// Seats `name`: every event so far, then each new one, goes to `tx`.
    fn seat(
        &self,
        name: &str,
        role: Role,
        from: &str,
        tx: &UnboundedSender<Arc<str>>,
    ) -> Result<(), String> {
        let mut st = self.state();
        if st.over {
            return Err("the game day has ended".to_owned());
        }
        if !st.names.insert(name.to_owned()) {
            return Err(format!(
                "{name} is in this game day already: join with --as ANOTHER-NAME"
            ));
        }
        for line in &st.history {
            let _ = tx.send(line.clone());
        }
        st.guests.push(tx.clone());
        let _ = self.orders.send(Order::from(Command::Joined {
            name: name.to_owned(),
            role,
            via: from.to_owned(),
        }));
        Ok(())
    }

    /// A joined console's orders, passed on as its role allows, until it goes away;
    /// why it went.
    async fn listen(
        &self,
        r: &mut (impl tokio::io::AsyncBufRead + Unpin),
        name: &str,
        role: Role,
        tx: &UnboundedSender<Arc<str>>,
    ) -> String {
        let mut buf = String::new();
        loop {
            let said = match wire::read::<ToHost>(r, &mut buf).await {
                Ok(Some(m)) => m,
                Ok(None) => return "disconnected".to_owned(),
                Err(e) => return format!("connection lost: {e}"),
            };
            let refused = match said {
                ToHost::Order(c) => self.order(name, role, c),
                ToHost::Clock(_) if !role.runs_the_clock() => Some(format!(
                    "only the facilitator can pause or change the speed; you are {role}"
                )),
                ToHost::Clock(_) if !self.can_pause => Some(NOT_ON_AWS.to_owned()),
                ToHost::Clock(change) => {
                    apply(&self.clock, change);
                    None
                }
                ToHost::Join { .. } => Some(format!("you have joined already, as {name}")),
            };
            if let Some(why) = refused {
                let _ = tx.send(wire::line(&ToGuest::Said(why)).into());
            }
        }
    }

    /// Passes on `name`'s order if their role allows it; why not otherwise.
    fn order(&self, name: &str, role: Role, c: Command) -> Option<String> {
        if matches!(
            c,
            Command::Joined { .. } | Command::Left { .. } | Command::Refused { .. }
        ) {
            return Some("that is the host's to say".to_owned());
        }
        match role.allows(&c) {
            Ok(()) => {
                if self.orders.send(Order::by(name, c)).is_err() {
                    return Some("the exercise is over".to_owned());
                }
                None
            }
            Err(why) => Some(why),
        }
    }
}

/// What the keys for pause and speed say on an AWS account.
pub(crate) const NOT_ON_AWS: &str =
    "pause and speed are simulator features: a game day on AWS runs in real time";

/// Changes the game clock.
pub(crate) fn apply(clock: &Clock, change: ClockChange) {
    match change {
        ClockChange::Pause => clock.pause(),
        ClockChange::Resume => clock.resume(),
        ClockChange::Speed(s) => clock.set_speed(s.clamp(0.25, 4096.0)),
    }
}

/// Two tokens are the same, compared in a time that does not depend on where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// How a connection must prove it may join.
pub(crate) enum Admission {
    /// It came through the run directory's socket from the run's owner.
    Owner,
    /// It came over the network: it must give the token.
    Token,
    /// It may not join, whatever it says.
    Refuse(String),
}

/// Where joining consoles connect.
pub(crate) trait Listener: Send + Sync + 'static {
    type Stream: AsyncRead + AsyncWrite + Send + 'static;
    /// The next console: its stream, where it came from, and what it must prove.
    fn accept(
        &self,
    ) -> impl std::future::Future<Output = std::io::Result<(Self::Stream, String, Admission)>> + Send;
}

impl Listener for tokio::net::TcpListener {
    type Stream = tokio::net::TcpStream;
    async fn accept(&self) -> std::io::Result<(Self::Stream, String, Admission)> {
        let (s, peer) = tokio::net::TcpListener::accept(self).await?;
        let _ = s.set_nodelay(true);
        Ok((s, peer.to_string(), Admission::Token))
    }
}

/// The run directory's socket: only the user who owns the run may join through it.
#[cfg(unix)]
pub(crate) struct OwnerSocket {
    pub listener: tokio::net::UnixListener,
    /// The user id of the run's owner.
    pub owner: u32,
}

#[cfg(unix)]
impl Listener for OwnerSocket {
    type Stream = tokio::net::UnixStream;
    async fn accept(&self) -> std::io::Result<(Self::Stream, String, Admission)> {
        let (s, _) = self.listener.accept().await?;
        let check = match s.peer_cred() {
            Ok(c) if c.uid() == self.owner => Admission::Owner,
            Ok(c) => Admission::Refuse(format!(
                "user {} does not own this run: only its owner joins through the run directory",
                c.uid()
            )),
            Err(e) => Admission::Refuse(format!("cannot tell who connected: {e}")),
        };
        Ok((s, "socket".to_owned(), check))
    }
}
