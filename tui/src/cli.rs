//! The command line, as clap sees it.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Incident-response game days for AWS: run simulated attacks, time how fast detections
/// fire and responders contain them, and score the exercise.
///
/// Exit codes: 0 every expectation met; 1 an expectation missed; 2 bad input;
/// 3 aborted or clean-up incomplete.
#[derive(Debug, Parser)]
#[command(name = "gameday", version, about, long_about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check scenarios and runbooks; report every problem with file, line and column.
    Validate {
        /// Files or folders (default: scenarios/ and runbooks/ of the library).
        paths: Vec<PathBuf>,
        #[command(flatten)]
        library: Library,
    },
    /// List the scenarios of the library.
    List {
        #[command(flatten)]
        library: Library,
        /// One JSON object per scenario.
        #[arg(long)]
        json: bool,
    },
    /// List the step kinds and containment checks, with their inputs and outputs.
    Steps {
        /// As JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print the JSON Schema of scenario or runbook files (for editors).
    Schema {
        /// Which format.
        #[arg(value_enum)]
        kind: SchemaKind,
    },
    /// Print every API call a run of SCENARIO would make, and make none.
    Plan {
        /// A scenario file, or the id of a scenario in the library.
        scenario: String,
        #[command(flatten)]
        library: Library,
        /// Override a scenario parameter (repeatable).
        #[arg(long = "param", value_name = "NAME=VALUE", value_parser = parse_param)]
        params: Vec<(String, String)>,
        /// Where it would run.
        #[arg(long, default_value = "sim")]
        target: String,
    },
    /// Run game days.
    Run(RunArgs),
    /// Write the report of a run from its journal.
    Report {
        /// The run directory (or its journal.jsonl).
        run_dir: PathBuf,
        /// Report format.
        #[arg(long, value_enum, default_value_t = ReportFormat::Md)]
        format: ReportFormat,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SchemaKind {
    Scenario,
    Runbook,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ReportFormat {
    /// Markdown.
    Md,
    /// JSON.
    Json,
}

#[derive(Debug, Args)]
pub struct Library {
    /// The library: a folder holding scenarios/ and runbooks/.
    #[arg(long, value_name = "DIR", default_value = ".", env = "GAMEDAY_LIBRARY")]
    pub library: PathBuf,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario files, or ids of scenarios in the library.
    #[arg(required = true)]
    pub scenarios: Vec<String>,
    #[command(flatten)]
    pub library: Library,
    /// Where to run: `sim`, the built-in simulator of a sandbox account.
    #[arg(long, default_value = "sim")]
    pub target: String,
    /// Seed of the simulator and the autopilot; the same seed gives the same game day.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Run the clock N times faster than real time.
    #[arg(long, value_name = "N", conflicts_with = "virtual_time", value_parser = parse_speed)]
    pub speed: Option<f64>,
    /// Run in virtual time: no waiting at all.
    #[arg(long = "virtual")]
    pub virtual_time: bool,
    /// Respond with the autopilot: it works through the runbook with human-like pauses.
    #[arg(long)]
    pub autopilot: bool,
    /// The autopilot's median pause before each step.
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "45s",
        requires = "autopilot"
    )]
    pub think_time: gameday_engine::duration::Duration,
    /// Where run directories go.
    #[arg(long, value_name = "DIR", default_value = "runs")]
    pub runs_dir: PathBuf,
    /// Print one JSON summary per run on stdout.
    #[arg(long)]
    pub json: bool,
    /// Run each scenario N times with seeds SEED, SEED+1, …; print percentiles.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub repeat: u32,
    /// Override a scenario parameter (repeatable).
    #[arg(long = "param", value_name = "NAME=VALUE", value_parser = parse_param)]
    pub params: Vec<(String, String)>,
    /// No progress on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

fn parse_param(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .filter(|(k, _)| !k.is_empty())
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .ok_or_else(|| format!("`{s}` is not NAME=VALUE"))
}

fn parse_speed(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v <= 100_000.0 => Ok(v),
        _ => Err(format!("`{s}` is not a speed between 0 and 100000")),
    }
}
