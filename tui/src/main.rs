//! `gameday`: incident-response game days for AWS, on the command line.

mod analysis;
mod cli;
mod commands;
mod progress;

use clap::Parser;

fn main() {
    let cli = cli::Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_env("GAMEDAY_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let code = commands::dispatch(cli);
    std::process::exit(code);
}
