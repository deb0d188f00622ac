//! The `gameday` command line and its responder console. The binary is a thin `main`
//! over [`main`]; the library exists so the console's benchmark can drive it.

// `print!` and `println!` of this crate, shadowing the standard library's: standard
// output may be a pipe whose reader has gone (`gameday steps | head`), and the standard
// ones panic then. See `stdout`.
macro_rules! print {
    ($($arg:tt)*) => {
        $crate::stdout::write(format_args!($($arg)*), false)
    };
}

macro_rules! println {
    () => {
        $crate::stdout::write(format_args!(""), true)
    };
    ($($arg:tt)*) => {
        $crate::stdout::write(format_args!($($arg)*), true)
    };
}

mod analysis;
mod cleanup;
mod cli;
mod commands;
mod console;
#[cfg(test)]
mod journal_props;
mod place;
mod progress;
mod schedule;
mod stdout;
mod target;

use clap::Parser;

/// Parses the command line, runs the command, and returns the process exit code.
pub fn main() -> i32 {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // `--help` and `--version` go to standard output, which may be gone as well.
            if let Err(lost) = e.print()
                && !e.use_stderr()
            {
                stdout::lost(&lost);
            }
            return stdout::finish(e.exit_code());
        }
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("GAMEDAY_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    // Colour only where a person reads it: on a terminal, and not under NO_COLOR. Logs
    // that go to a file or a CI log stay plain text.
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr()) && !console::no_color();
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colour)
        .init();
    stdout::finish(commands::dispatch(cli))
}

/// The console without a terminal, for its benchmark: a replay of a journal drawn into an
/// in-memory screen.
pub mod bench {
    use crate::console::{Replay, ui};
    use gameday_engine::event::Event;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

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
            let terminal = match Terminal::new(TestBackend::new(width, height)) {
                Ok(t) => t,
                Err(never) => match never {},
            };
            Screen { replay, terminal }
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
}
