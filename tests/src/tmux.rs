//! Drives a program in a real terminal: a detached tmux session on a private server,
//! typed into with `send-keys` and read with `capture-pane`, as a person at a keyboard
//! would use it.
//!
//! How it works, and why:
//!
//! - **A private server.** Each [`Session`] starts its own tmux server on a socket in a
//!   fresh temporary directory (`tmux -S DIR/sock`), with no configuration file
//!   (`-f /dev/null`) and `TMUX` removed from its environment, so a test never sees or
//!   touches a user's tmux server, sessions or settings. Dropping the session kills that
//!   server (and with it the program, by the hang-up of its terminal) and removes the
//!   directory, however the test ends, panics included.
//! - **The screen.** The window is exactly the size asked for, with the status line off,
//!   so the program draws on every row. `capture-pane -p` gives the visible screen as
//!   plain text, one line a row, trailing blanks trimmed; `-u` makes tmux treat the
//!   program's output as UTF-8 whatever the locale. [`panel`] cuts one bordered box out
//!   of a screen, so a test can read a panel's rows without the text of the panels beside
//!   them.
//! - **The exit status.** The pane stays on screen after the program exits
//!   (`remain-on-exit`), so what it printed last can be read. tmux's own
//!   `#{pane_dead_status}` is not relied on: with tmux 3.3a it was still empty 1.5 s
//!   after the pane died in about one exit in twenty when the program had written to the
//!   terminal (measured: 1 of 20). Instead the program runs under `sh`, which writes its exit status to a file
//!   beside the socket when it ends; [`Session::wait_exit`] reads it.
//! - **Waiting.** Screens change asynchronously, so nothing is read at a fixed time:
//!   [`Session::wait_for`] polls the screen every [`POLL`] until a condition holds, up to
//!   [`WAIT`], and fails with the last screen it saw.
//! - **Half-drawn screens.** A capture can catch the program mid-redraw: a frame reaches
//!   the terminal in several writes (seen once with the other core busy: a capture taken
//!   as a dialog opened held only part of it). So a test puts everything it
//!   expects of a screen into the one condition it waits for, rather than asserting on a
//!   single capture, and [`panel`] only gives a box drawn down to its bottom corners.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The longest any one wait lasts: generous, for slow CI machines.
pub const WAIT: Duration = Duration::from_secs(30);

/// How often a wait looks at the screen.
pub const POLL: Duration = Duration::from_millis(100);

/// The session's name on its private server.
const NAME: &str = "gameday";

/// Checks that tmux (`tmux` on `PATH`) runs; panics, never skips, when it does not:
/// `./scripts/test` installs it.
#[allow(clippy::panic)]
pub fn require() {
    let found = Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        panic!(
            "tmux is missing: the console tests drive the console in a real terminal with tmux; \
             run ./scripts/test, which installs Debian's tmux package, \
             or install it yourself (apt-get install tmux)"
        );
    }
}

/// A program running in a terminal of its own, in a tmux session on a private server.
pub struct Session {
    dir: PathBuf,
    socket: PathBuf,
    status_file: PathBuf,
}

impl Session {
    /// Starts `command` (its program, arguments, working directory and environment
    /// changes) in a `width`×`height` terminal.
    #[allow(clippy::panic)]
    pub fn start(command: &Command, width: u16, height: u16) -> Session {
        require();
        let dir = private_dir();
        let session = Session {
            socket: dir.join("sock"),
            status_file: dir.join("status"),
            dir,
        };
        let cwd = command
            .get_current_dir()
            .map(Path::to_owned)
            .or_else(|| std::env::current_dir().ok())
            .unwrap_or_else(|| PathBuf::from("/"));
        let mut tmux = session.tmux();
        // The server is started by this client and inherits its environment; the
        // program's environment changes are made here, before it starts.
        for (key, value) in command.get_envs() {
            match value {
                Some(v) => tmux.env(key, v),
                None => tmux.env_remove(key),
            };
        }
        tmux.args(["set-option", "-g", "remain-on-exit", "on", ";"])
            .args(["set-option", "-g", "status", "off", ";"])
            .args(["new-session", "-d", "-s", NAME])
            .args(["-x", &width.to_string(), "-y", &height.to_string()])
            .arg("-c")
            .arg(&cwd)
            .arg("--")
            // `sh -c SCRIPT $0 $1 PROGRAM ARGS…`: runs the program, then records its
            // status; the file appears whole (written aside, then renamed).
            .args([
                "sh",
                "-c",
                r#"f=$1; shift; "$@"; s=$?; echo "$s" > "$f.tmp" && mv "$f.tmp" "$f""#,
                "gameday-tmux",
            ])
            .arg(&session.status_file)
            .arg(command.get_program())
            .args(command.get_args());
        let out = output(&mut tmux);
        if !out.status.success() {
            panic!(
                "cannot start tmux: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        session
    }

    /// A tmux command on this session's private server.
    fn tmux(&self) -> Command {
        let mut c = Command::new("tmux");
        c.arg("-u")
            .arg("-f")
            .arg("/dev/null")
            .arg("-S")
            .arg(&self.socket)
            .env_remove("TMUX");
        c
    }

    /// Presses keys, in tmux's names: `a`, `Enter`, `Escape`, `Home`, `End`, `C-c`…
    #[allow(clippy::panic)]
    pub fn send(&self, keys: &[&str]) {
        let out = output(self.tmux().args(["send-keys", "-t", NAME]).args(keys));
        if !out.status.success() {
            panic!(
                "send-keys {keys:?} failed: {}\nthe screen:\n{}",
                String::from_utf8_lossy(&out.stderr).trim(),
                frame(&self.screen())
            );
        }
    }

    /// The screen as it is now: one line a row, trailing blanks trimmed.
    pub fn screen(&self) -> String {
        let out = output(self.tmux().args(["capture-pane", "-p", "-t", NAME]));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Everything the terminal shows and has scrolled out of view, oldest first.
    pub fn scrollback(&self) -> String {
        let out = output(
            self.tmux()
                .args(["capture-pane", "-p", "-S", "-", "-t", NAME]),
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// [`Session::scrollback`] with the escape sequences of its colours and attributes.
    pub fn scrollback_styled(&self) -> String {
        let out = output(
            self.tmux()
                .args(["capture-pane", "-p", "-e", "-S", "-", "-t", NAME]),
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The process id of the program (the child of the shell that runs it).
    pub fn program_pid(&self) -> Option<u32> {
        let out = output(
            self.tmux()
                .args(["display-message", "-p", "-t", NAME, "#{pane_pid}"]),
        );
        let shell = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        let children =
            std::fs::read_to_string(format!("/proc/{shell}/task/{shell}/children")).ok()?;
        children.split_whitespace().next()?.parse().ok()
    }

    /// Moves the runbook's selection (`›`) onto the step titled `title`, one `j` or `k` at a
    /// time, reading the screen after each key.
    #[allow(clippy::panic)]
    pub fn select_step(&self, title: &str) {
        // The rows of the selection and of the step, on a screen drawn in full.
        let selection = |screen: &str| {
            let rows = panel(screen, "Runbook")?;
            let at = rows.iter().position(|l| l.starts_with('›'))?;
            let step = rows.iter().position(|l| l.contains(title))?;
            Some((at, step))
        };
        for _ in 0..10 {
            let screen = self.wait_for("the runbook with a selection", |screen| {
                selection(screen).is_some()
            });
            let (at, step) = selection(&screen).expect("a selection, as waited for");
            if at == step {
                return;
            }
            self.send(&[if at < step { "j" } else { "k" }]);
            self.wait_for("the selection to move", |screen| {
                selection(screen).is_some_and(|(now, _)| now != at)
            });
        }
        panic!(
            "ten keys did not select “{title}”:\n{}",
            frame(&self.screen())
        );
    }

    /// The program's exit status, once it has exited.
    pub fn exit_status(&self) -> Option<i32> {
        std::fs::read_to_string(&self.status_file)
            .ok()
            .and_then(|s| s.trim().parse().ok())
    }

    /// Waits until `done` holds for the screen and returns that screen. Fails, showing
    /// the last screen, after [`WAIT`] or as soon as the program has exited without it.
    #[allow(clippy::panic)]
    pub fn wait_for(&self, what: &str, done: impl Fn(&str) -> bool) -> String {
        self.wait_doing(what, done, || {})
    }

    /// [`Session::wait_for`], calling `meanwhile` before each look at the screen (for
    /// example to play the detectors of a game day on the emulator).
    #[allow(clippy::panic)]
    pub fn wait_doing(
        &self,
        what: &str,
        done: impl Fn(&str) -> bool,
        mut meanwhile: impl FnMut(),
    ) -> String {
        let started = Instant::now();
        loop {
            meanwhile();
            let exited = self.exit_status();
            let screen = self.screen();
            if done(&screen) {
                return screen;
            }
            if let Some(status) = exited {
                panic!(
                    "the program exited (status {status}) before {what}; the last screen:\n{}",
                    frame(&screen)
                );
            }
            if started.elapsed() > WAIT {
                panic!(
                    "waited {:?} for {what}; the last screen:\n{}",
                    WAIT,
                    frame(&screen)
                );
            }
            std::thread::sleep(POLL);
        }
    }

    /// Waits until the program exits; returns its exit status and the terminal's text,
    /// scrollback included: what it printed after leaving the alternate screen. (When
    /// the program ends, tmux writes `Pane is dead (status N, …)` on a new last row,
    /// scrolling the top row out of view: that row is often the program's last words.)
    #[allow(clippy::panic)]
    pub fn wait_exit(&self) -> (i32, String) {
        let started = Instant::now();
        loop {
            if let Some(status) = self.exit_status() {
                return (status, self.scrollback());
            }
            if started.elapsed() > WAIT {
                panic!(
                    "waited {:?} for the program to exit; the last screen:\n{}",
                    WAIT,
                    frame(&self.screen())
                );
            }
            std::thread::sleep(POLL);
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // Closing the server hangs up the program's terminal, which ends it.
        let _ = output(self.tmux().arg("kill-server"));
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Runs a tmux client to its end; a client that cannot start gives a failed output.
fn output(c: &mut Command) -> Output {
    c.output().unwrap_or_else(|e| Output {
        status: std::os::unix::process::ExitStatusExt::from_raw(127 << 8),
        stdout: Vec::new(),
        stderr: format!("cannot run tmux: {e}").into_bytes(),
    })
}

/// A new, empty directory of this process's own, under the system's temporary directory
/// (short, for the socket's path: a Unix socket's path has at most 107 bytes).
#[allow(clippy::panic)]
fn private_dir() -> PathBuf {
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let n = COUNT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("gdtmux-{}-{n}-{nanos:x}", std::process::id()));
    std::fs::create_dir(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir
}

/// A screen with a frame around it, for failure messages.
pub fn frame(screen: &str) -> String {
    let mut s = String::from("+------\n");
    for line in screen.lines() {
        s.push('|');
        s.push_str(line);
        s.push('\n');
    }
    s.push_str("+------");
    s
}

/// The rows inside the first bordered box whose title starts with `title` (a box drawn
/// as `┌ Title ──┐ … └──┘`), without the borders; `None` when no such box is on screen,
/// or when it is not drawn down to its bottom corners yet (a screen caught mid-redraw).
///
/// Columns are counted in characters, so every character left of the box on a row must
/// take one cell (true of the box drawing, marks and text the console draws).
pub fn panel(screen: &str, title: &str) -> Option<Vec<String>> {
    let rows: Vec<Vec<char>> = screen.lines().map(|l| l.chars().collect()).collect();
    let needle: Vec<char> = format!("┌ {title}").chars().collect();
    let (top, left) = rows.iter().enumerate().find_map(|(r, row)| {
        row.windows(needle.len())
            .position(|w| w == needle.as_slice())
            .map(|c| (r, c))
    })?;
    let right = left + rows[top][left..].iter().position(|&c| c == '┐')?;
    let mut inside = Vec::new();
    for row in &rows[top + 1..] {
        if row.get(left) == Some(&'└') {
            return (row.get(right) == Some(&'┘')).then_some(inside);
        }
        let text: String = (left + 1..right)
            .map(|i| row.get(i).copied().unwrap_or(' '))
            .collect();
        inside.push(text.trim_end().to_owned());
    }
    None
}

/// The row of the box titled `title` that contains `needle`.
pub fn row(screen: &str, title: &str, needle: &str) -> Option<String> {
    panel(screen, title)?
        .into_iter()
        .find(|l| l.contains(needle))
}

#[cfg(test)]
mod tests {
    use super::panel;

    #[test]
    fn a_panel_is_cut_out_of_the_panels_beside_it() {
        let screen = "\
┌ Runbook 0/2 ──┐┌ Expectations ──┐
│› step one     ││detect  x  ✓ 1s │
│  step two     ││contain y       │
└───────────────┘└────────────────┘
";
        assert_eq!(
            panel(screen, "Expectations"),
            Some(vec!["detect  x  ✓ 1s".to_owned(), "contain y".to_owned()])
        );
        assert_eq!(
            panel(screen, "Runbook"),
            Some(vec!["› step one".to_owned(), "  step two".to_owned()])
        );
        assert_eq!(panel(screen, "Score"), None);
    }

    #[test]
    fn a_box_drawn_halfway_is_not_there_yet() {
        let screen = "\
┌ Run this action? ──┐
│Step: one           │
│With:
";
        assert_eq!(panel(screen, "Run this action?"), None);
        let screen = "┌ Clean-up ──┐\n│Run passed  │\n└────────\n";
        assert_eq!(panel(screen, "Clean-up"), None);
    }
}
