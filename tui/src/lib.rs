//! The `gameday` command line and its responder console. The binary is a thin `main`
//! over [`main`]; the library exists so the console's benchmark can drive it.
//!
//! Everything it prints goes through [`term`], whose macros shadow the standard
//! library's printing macros: see there why.

// Printing that would go around `term`, refused. `term` comes first so that its macros
// are the ones every module below sees.
#![deny(clippy::print_stdout, clippy::print_stderr)]

#[macro_use]
mod term;

mod analysis;
mod assembly;
mod catalogue;
mod cleanup;
mod cli;
mod commands;
mod console;
mod exit;
#[cfg(test)]
mod journal_props;
mod place;
mod plan_cmd;
mod play;
mod progress;
mod report_cmd;
mod schedule;
#[cfg(test)]
mod sim_day;
mod target;
mod team;

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
                term::lost(&lost);
            }
            return term::finish(e.exit_code());
        }
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("GAMEDAY_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    // The log's formatter escapes ESC, BEL and the 8-bit controls in every value it
    // prints, and colours its own output: it writes to standard error directly.
    #[allow(
        clippy::disallowed_methods,
        reason = "tracing-subscriber escapes control characters in what it logs"
    )]
    let log_writer = std::io::stderr;
    // Colour only where a person reads it: on a terminal, and not under NO_COLOR. Logs
    // that go to a file or a CI log stay plain text.
    let colour = std::io::IsTerminal::is_terminal(&log_writer()) && !console::no_color();
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(log_writer)
        .with_ansi(colour)
        .init();
    term::finish(commands::dispatch(cli).code())
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
