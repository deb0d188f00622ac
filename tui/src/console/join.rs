//! `gameday join`: a console joined to a game day another console hosts, through its
//! run directory on this machine or over TCP with the host's token.

use crate::cli::JoinArgs;
use crate::console::seat::{Feeds, GuestSeat, live_screen};
use crate::console::{Me, Mode, Ui, no_color};
use crate::exit::Exit;
use crate::team::wire::{self, GameTime, ToGuest, ToHost};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

/// `gameday join WHERE`.
pub(crate) fn join(args: JoinArgs) -> Exit {
    if let Err(code) = crate::console::need_terminal("join") {
        return code;
    }
    let runtime = match crate::assembly::runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    let hello = ToHost::Join {
        name: args.name.clone().unwrap_or_else(crate::team::default_name),
        role: args.role,
        token: args.token.clone(),
    };
    runtime.block_on(async {
        let (feeds, seat, ui) = match enter(&args.place, hello).await {
            Ok(joined) => joined,
            Err(code) => return code,
        };
        match live_screen(feeds, seat, ui).await {
            Ok(()) => Exit::Ok,
            Err(e) => {
                eprintln!("error: the console failed: {e}");
                Exit::Aborted
            }
        }
    })
}

/// Joins the game day hosted at `place` (a run directory on this machine, or HOST:PORT),
/// saying `hello`: once welcomed, what the joined console's screen is fed, its seat and
/// its state, with the connection read and written on tasks of their own. Refused or
/// unreachable: says why.
pub(crate) async fn enter(place: &str, hello: ToHost) -> Result<(Feeds, GuestSeat, Ui), Exit> {
    let dir = std::path::Path::new(place);
    if dir.is_dir() {
        let socket = dir.join(crate::team::SOCKET);
        match connect_socket(&socket).await {
            Ok(s) => welcomed(s, place, hello).await,
            Err(e) => {
                eprintln!(
                    "error: {}: cannot join the game day there: {e} (is its console still running?)",
                    dir.display()
                );
                Err(Exit::BadInput)
            }
        }
    } else {
        match tokio::net::TcpStream::connect(place).await {
            Ok(s) => {
                let _ = s.set_nodelay(true);
                welcomed(s, place, hello).await
            }
            Err(e) => {
                eprintln!(
                    "error: {place}: not a run directory, and cannot connect to it as HOST:PORT: {e}"
                );
                Err(Exit::BadInput)
            }
        }
    }
}

#[cfg(unix)]
async fn connect_socket(path: &std::path::Path) -> std::io::Result<tokio::net::UnixStream> {
    tokio::net::UnixStream::connect(path).await
}

/// Says `hello` to the host at `place` over `stream`, and waits for its answer.
async fn welcomed<S: AsyncRead + AsyncWrite + Send + 'static>(
    stream: S,
    place: &str,
    hello: ToHost,
) -> Result<(Feeds, GuestSeat, Ui), Exit> {
    let (r, mut w) = tokio::io::split(stream);
    let mut r = BufReader::new(r);
    if let Err(e) = w.write_all(wire::line(&hello).as_bytes()).await {
        eprintln!("error: {place}: {e}");
        return Err(Exit::BadInput);
    }
    let mut buf = String::new();
    let answer = tokio::time::timeout(Duration::from_secs(15), wire::read(&mut r, &mut buf)).await;
    let (me, simulated) = match answer {
        Ok(Ok(Some(ToGuest::Welcome {
            name,
            role,
            simulated,
            ..
        }))) => (
            Me {
                name,
                role,
                host: false,
            },
            simulated,
        ),
        Ok(Ok(Some(ToGuest::Refused(why)))) => {
            eprintln!("error: {place}: the host refused to let you join: {why}");
            return Err(Exit::BadInput);
        }
        Ok(Ok(_)) => {
            eprintln!("error: {place}: the host closed the connection without an answer");
            return Err(Exit::BadInput);
        }
        Ok(Err(e)) => {
            eprintln!("error: {place}: {e}");
            return Err(Exit::BadInput);
        }
        Err(_) => {
            eprintln!("error: {place}: no answer from the host within 15s");
            return Err(Exit::BadInput);
        }
    };
    let (events_tx, events) = mpsc::unbounded_channel();
    let (said_tx, said) = mpsc::unbounded_channel();
    let (out, out_rx) = mpsc::unbounded_channel::<String>();
    let time = Arc::new(Mutex::new((
        GameTime {
            t_ms: 0,
            paused: false,
            speed: 1.0,
        },
        Instant::now(),
    )));
    let clock = time.clone();
    tokio::spawn(async move {
        let mut buf = String::new();
        while let Ok(Some(msg)) = wire::read::<ToGuest>(&mut r, &mut buf).await {
            match msg {
                ToGuest::Event(e) => {
                    if events_tx.send(*e).is_err() {
                        return;
                    }
                }
                ToGuest::Clock(t) => {
                    *clock.lock().unwrap_or_else(|p| p.into_inner()) = (t, Instant::now());
                }
                ToGuest::Said(s) => {
                    let _ = said_tx.send(s);
                }
                ToGuest::Welcome { .. } | ToGuest::Refused(_) => {}
            }
        }
    });
    tokio::spawn(wire::write_lines(out_rx, w));
    let mut ui = Ui::new(
        Mode::Live {
            paused: false,
            speed: 1.0,
            virtual_time: false,
        },
        no_color(),
    );
    ui.fixed_clock = !simulated;
    ui.message = Some(format!("joined as {} ({})", me.name, me.role));
    ui.me = Some(me);
    let feeds = Feeds {
        events,
        said,
        signalled: None,
        lost: Some("the host has gone: the game day is over for this console (q leaves)"),
    };
    Ok((feeds, GuestSeat { out, time }, ui))
}
