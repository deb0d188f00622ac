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

/// The console without a terminal, for its benchmarks: a replay drawn into an in-memory
/// screen, and a team's game day with its consoles.
pub mod bench;
