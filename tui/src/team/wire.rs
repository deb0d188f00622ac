//! What the consoles of one game day say to each other: JSON, one message a line, over
//! the run directory's socket or TCP. A joiner says who it is first; the host answers
//! with a welcome or a refusal, then sends every event of the run so far and each new
//! one as the journal gets it, with the game time four times a second.

use gameday_engine::autopilot::Command;
use gameday_engine::event::Event;
use gameday_engine::team::Role;
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The longest line either side accepts: a journal event is a few kilobytes at most.
pub(crate) const MAX_LINE: u64 = 1 << 20;

/// From a joining console to the host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ToHost {
    /// The first message: who joins, as what, with the token when over TCP.
    Join {
        name: String,
        role: Role,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token: Option<String>,
    },
    /// An order for the run.
    Order(Command),
    /// Pause, resume or change the speed of the game clock (the facilitator, on the
    /// simulator).
    Clock(ClockChange),
}

/// A change to the game clock.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ClockChange {
    Pause,
    Resume,
    Speed(f64),
}

/// From the host to a joined console.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ToGuest {
    /// Joined: as whom, in which run, and whether its clock can pause (the simulator).
    Welcome {
        name: String,
        role: Role,
        run_id: String,
        simulated: bool,
    },
    /// Not joined, and why; the host closes the connection.
    Refused(String),
    /// An event of the run, as journaled.
    Event(Box<Event>),
    /// The game time.
    Clock(GameTime),
    /// A word for this console only (an order refused, and why).
    Said(String),
}

/// Where the game clock stands.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct GameTime {
    /// Run time, in milliseconds.
    pub t_ms: u64,
    pub paused: bool,
    pub speed: f64,
}

/// `msg` as one line.
pub(crate) fn line<T: Serialize>(msg: &T) -> String {
    let mut s = serde_json::to_string(msg).unwrap_or_else(|e| {
        // Every message is plain data; a failure would be a bug, said rather than sent.
        serde_json::to_string(&ToGuest::Said(format!("cannot encode a message: {e}")))
            .unwrap_or_default()
    });
    s.push('\n');
    s
}

/// The next message; none at the end of the stream. A line longer than [`MAX_LINE`] or
/// one that is not a message is an error.
pub(crate) async fn read<T: DeserializeOwned>(
    r: &mut (impl AsyncBufRead + Unpin),
    buf: &mut String,
) -> std::io::Result<Option<T>> {
    buf.clear();
    let n = r.take(MAX_LINE).read_line(buf).await?;
    if n == 0 {
        return Ok(None);
    }
    if !buf.ends_with('\n') && n as u64 >= MAX_LINE {
        return Err(std::io::Error::other("a message longer than 1 MiB"));
    }
    serde_json::from_str(buf.trim_end())
        .map(Some)
        .map_err(|e| std::io::Error::other(format!("not a message: {e}")))
}

/// Writes each line sent to `rx` to the other side, flushing whenever none waits, until
/// the sender lets go (then shuts the stream down) or the other side goes away.
pub(crate) async fn write_lines(
    mut rx: tokio::sync::mpsc::UnboundedReceiver<impl AsRef<str>>,
    mut w: impl AsyncWrite + Unpin,
) -> std::io::Result<()> {
    while let Some(line) = rx.recv().await {
        w.write_all(line.as_ref().as_bytes()).await?;
        if rx.is_empty() {
            w.flush().await?;
        }
    }
    w.flush().await?;
    w.shutdown().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn messages_go_one_a_line_and_an_overlong_or_foreign_line_is_an_error() {
        let join = ToHost::Join {
            name: "ana".into(),
            role: Role::Responder,
            token: None,
        };
        let order = ToHost::Order(Command::Acknowledge {
            detection: "d".into(),
        });
        let text = format!("{}{}", line(&join), line(&order));
        assert_eq!(text.lines().count(), 2);
        let mut r = tokio::io::BufReader::new(text.as_bytes());
        let mut buf = String::new();
        assert_eq!(
            read::<ToHost>(&mut r, &mut buf).await.expect("reads"),
            Some(join)
        );
        assert_eq!(
            read::<ToHost>(&mut r, &mut buf).await.expect("reads"),
            Some(order)
        );
        assert_eq!(read::<ToHost>(&mut r, &mut buf).await.expect("reads"), None);
        let mut r = tokio::io::BufReader::new(&b"{\"hello\": 1}\n"[..]);
        assert!(read::<ToHost>(&mut r, &mut buf).await.is_err());
        let long = vec![b'x'; (MAX_LINE + 10) as usize];
        let mut r = tokio::io::BufReader::new(&long[..]);
        let e = read::<ToHost>(&mut r, &mut buf).await.expect_err("refused");
        assert!(e.to_string().contains("1 MiB"), "{e}");
    }
}
