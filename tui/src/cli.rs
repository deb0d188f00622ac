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
    /// Finding no file to check is an error. Detections the simulator cannot raise are
    /// warnings: right on AWS, missed or refused on the simulator.
    Validate {
        /// Files or folders; a folder holding scenarios/ and runbooks/ is checked as a
        /// library (default: scenarios/ and runbooks/ of the library).
        paths: Vec<PathBuf>,
        #[command(flatten)]
        library: Library,
    },
    /// List the scenarios of the library, or those every filter given keeps.
    List(ListArgs),
    /// List the step kinds and containment checks, with their inputs and outputs.
    Steps {
        /// As JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the detection sources a scenario's `detect` can name, with their inputs,
    /// `match` keys, API calls and the timestamp each one measures by.
    Detectors {
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
        #[command(flatten)]
        target: TargetArgs,
    },
    /// Run game days.
    Run(RunArgs),
    /// Run a game day in the responder console: the attack unfolds, findings arrive, the
    /// runbook says what to do next, and every response is journaled and scored. The
    /// console hosts the game day: others join it with `gameday join`.
    Console(ConsoleArgs),
    /// Join a game day another console hosts: through its run directory on this
    /// machine, or over the network at the address its `--listen` gave, with its token.
    Join(JoinArgs),
    /// Replay a finished or interrupted run in the console, from its journal alone.
    Replay(ReplayArgs),
    /// Targets from gameday.yaml: list them, or check one before a game day.
    #[command(subcommand)]
    Target(TargetCommand),
    /// Remove what game days left behind on AWS: after a crash, what a run's journal
    /// records and what the run tagged (`--run`); or everything tagged by gameday that no
    /// live run owns (`--orphans`).
    Cleanup(CleanupArgs),
    /// Scheduled game days: the plans of gameday.yaml, when they run, running them now,
    /// a daemon that runs them on time, and entries for cron, systemd or Kubernetes.
    #[command(subcommand)]
    Schedule(ScheduleCommand),
    /// Write the report of one or more runs from their journals alone.
    ///
    /// Several runs (a schedule, a team's session) are combined into one report. With one
    /// format and no --out the report goes to standard output.
    Report {
        /// Run directories or journal files; a folder of run directories stands for
        /// every run in it.
        #[arg(required = true, value_name = "RUN_DIR")]
        runs: Vec<PathBuf>,
        /// Formats, comma-separated.
        #[arg(long, value_enum, value_delimiter = ',', default_value = "md")]
        format: Vec<ReportFormat>,
        /// Write the reports into DIR (report.md, report.html, report.json, junit.xml).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Show time to detect and to contain, pass rates and scores over many runs.
    ///
    /// Per scenario: its runs in start order, the pass rate and the score; per
    /// expectation: its time in every run against the deadline, the median and 95th
    /// percentile (nearest rank), the last value, and the change between the earlier and
    /// the later half of the runs. Read from the journals alone.
    Trend {
        /// Run directories or journal files; a folder of run directories stands for
        /// every run in it.
        #[arg(required = true, value_name = "RUNS_DIR")]
        runs: Vec<PathBuf>,
        /// Only the runs of this scenario.
        #[arg(long, value_name = "ID")]
        scenario: Option<String>,
        /// Only runs started on or after DATE: YYYY-MM-DD (midnight UTC) or an RFC 3339
        /// time such as 2025-06-01T09:30:00Z.
        #[arg(long, value_name = "DATE", value_parser = gameday_engine::trend::parse_since)]
        since: Option<chrono::DateTime<chrono::Utc>>,
        /// The output format.
        #[arg(long, value_enum, default_value = "text")]
        format: AnalysisFormat,
        /// Write to FILE instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Show the ATT&CK matrix of the library and which scenarios exercise each technique.
    ///
    /// Given runs, each technique is also marked with whether the latest run of each
    /// scenario exercising it detected it (every detection met within its deadline).
    /// Techniques no scenario exercises are gaps; technique ids the built-in ATT&CK data
    /// does not know are listed as "other".
    Coverage {
        #[command(flatten)]
        library: Library,
        /// Run directories or journal files (repeatable); the latest run of each
        /// scenario decides whether its techniques were detected.
        #[arg(long, value_name = "RUNS_DIR")]
        runs: Vec<PathBuf>,
        /// The output format.
        #[arg(long, value_enum, default_value = "text")]
        format: AnalysisFormat,
        /// Write to FILE instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

/// `gameday list`: the library's catalogue, filtered.
#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub library: Library,
    /// One JSON object per scenario.
    #[arg(long)]
    pub json: bool,
    /// The output format: a table, or the Markdown catalogue (`docs/library.md`).
    #[arg(long, value_enum, default_value = "text", conflicts_with = "json")]
    pub format: ListFormat,
    /// Scenarios exercising a technique of this ATT&CK tactic: its key or id
    /// (`defense-impairment`, `TA0112`).
    #[arg(long, value_name = "KEY_OR_ID")]
    pub tactic: Option<String>,
    /// Scenarios with this tag.
    #[arg(long)]
    pub tag: Option<String>,
    /// Scenarios whose steps call this service (`iam`, `s3`, `ec2`…).
    #[arg(long, value_name = "SVC")]
    pub service: Option<String>,
    /// Scenarios expecting a detection from this source (`gameday detectors`).
    #[arg(long)]
    pub source: Option<String>,
}

/// Output formats of `list`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// A table for a terminal.
    Text,
    /// The Markdown catalogue: every scenario with its techniques, detections,
    /// containment, what it creates and what it costs.
    Markdown,
}

/// Output formats of `trend` and `coverage`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AnalysisFormat {
    /// Plain-text tables for a terminal.
    Text,
    /// One self-contained HTML page (charts or the matrix, with data tables).
    Html,
    /// The data as a JSON document.
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SchemaKind {
    Scenario,
    Runbook,
    /// The JSON report (`gameday report --format json`).
    Report,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ReportFormat {
    /// GitHub-flavoured Markdown.
    Md,
    /// One self-contained HTML page.
    Html,
    /// The versioned JSON document (see `gameday schema report`).
    Json,
    /// JUnit XML, one test case per expectation.
    Junit,
}

impl ReportFormat {
    pub fn engine(self) -> gameday_engine::report::Format {
        use gameday_engine::report::Format;
        match self {
            ReportFormat::Md => Format::Markdown,
            ReportFormat::Html => Format::Html,
            ReportFormat::Json => Format::Json,
            ReportFormat::Junit => Format::Junit,
        }
    }
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
    #[command(flatten)]
    pub target: TargetArgs,
    /// Seed of the simulator and the autopilot; the same seed gives the same game day.
    #[arg(long, default_value_t = 1, allow_negative_numbers = true, value_parser = parse_seed)]
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
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = parse_repeat)]
    pub repeat: u32,
    /// Override a scenario parameter (repeatable).
    #[arg(long = "param", value_name = "NAME=VALUE", value_parser = parse_param)]
    pub params: Vec<(String, String)>,
    /// No progress on stderr.
    #[arg(long, short)]
    pub quiet: bool,
    /// Also exit 1 when a run scores below N (out of 100), e.g. `--fail-on 'score<70'`.
    #[arg(long, value_name = "score<N", value_parser = parse_fail_on)]
    pub fail_on: Option<f64>,
    /// The run id, instead of a random one (one scenario, no --repeat): the names of what
    /// the run creates start with PREFIX-ID, and its run directory is RUNS_DIR/ID.
    #[arg(long, value_name = "ID", value_parser = parse_run_id)]
    pub run_id: Option<String>,
}

/// A run id: 1 to 32 lowercase letters, digits and hyphens, starting with a letter or
/// digit, so that every name made from it is one every service takes.
fn parse_run_id(s: &str) -> Result<String, String> {
    let ok = (1..=32).contains(&s.len())
        && s.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(s.to_owned())
    } else {
        Err("a run id is 1 to 32 lowercase letters, digits and hyphens, starting with a letter or digit".to_owned())
    }
}

#[derive(Debug, Subcommand)]
pub enum TargetCommand {
    /// List the targets of the configuration.
    List {
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Preflight a target, making read-only calls only: who the credentials are, whether
    /// that account is on the allowlist, the clock skew against AWS, the stop alarms, and
    /// the CloudWatch alarms the SCENARIOs watch that the account lacks.
    Check {
        /// The target's name.
        name: String,
        /// Scenario files, or ids of scenarios in the library, whose `cloudwatch`
        /// detections' alarms the account must have.
        scenarios: Vec<String>,
        #[command(flatten)]
        library: Library,
        #[command(flatten)]
        config: ConfigArg,
        /// The region to check (default: the target's first).
        #[arg(long)]
        region: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ScheduleCommand {
    /// The plans and when each runs next.
    List {
        #[command(flatten)]
        config: ConfigArg,
    },
    /// The next moments PLAN runs.
    Next {
        /// The plan.
        plan: String,
        /// How many.
        #[arg(long, default_value_t = 5)]
        count: usize,
        /// From this moment (RFC 3339) instead of now.
        #[arg(long, value_name = "TIME")]
        after: Option<chrono::DateTime<chrono::Utc>>,
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Run PLAN now: every scenario in every target and region, up to its concurrency,
    /// then one combined report.
    Run {
        /// The plan.
        plan: String,
        /// Run only the I-th of N slices of the plan's game days (for splitting one
        /// execution across processes or machines).
        #[arg(long, value_name = "I/N", value_parser = str::parse::<gameday_engine::fanout::Shard>)]
        shard: Option<gameday_engine::fanout::Shard>,
        /// Name the execution ID by hand (its folder under the runs directory, and the
        /// draw of the plan's `pick`): shards started by hand give the same ID to agree on
        /// one execution; by default it is PLAN-MOMENT.
        #[arg(long, value_name = "ID", value_parser = parse_run_id)]
        execution: Option<String>,
        /// Run the slice whose 0-based index is in environment variable VAR, of the
        /// plan's `shards` (JOB_COMPLETION_INDEX in a Kubernetes Indexed Job,
        /// AWS_BATCH_JOB_ARRAY_INDEX in an AWS Batch array job); what the exported
        /// kubernetes and aws-batch entries call. With one shard VAR may be unset.
        #[arg(long, value_name = "VAR", conflicts_with = "shard")]
        shard_from_env: Option<String>,
        /// Run only if a scheduled moment came within the last two minutes and has not
        /// run yet (what the exported cron, systemd and Kubernetes entries call).
        #[arg(long)]
        if_due: bool,
        #[command(flatten)]
        library: Library,
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Run the plans (all, or those named with --plan) on their schedules until SIGTERM,
    /// which lets running game days clean up.
    Daemon {
        /// Only this plan (repeatable).
        #[arg(long = "plan", value_name = "PLAN")]
        plans: Vec<String>,
        #[command(flatten)]
        library: Library,
        #[command(flatten)]
        config: ConfigArg,
        /// Log lines as text or as JSON objects.
        #[arg(long, value_enum, default_value_t = LogFormat::Text)]
        log_format: LogFormat,
    },
    /// Print entries that run PLAN on its schedule from cron, systemd, Kubernetes or AWS.
    ///
    /// kubernetes: a ServiceAccount annotated with --role-arn (IRSA) and a CronJob whose
    /// job is an Indexed Job of the plan's `shards` pods, each running its shard from
    /// JOB_COMPLETION_INDEX. aws-batch: a CloudFormation template of an EventBridge
    /// Scheduler schedule submitting an AWS Batch array job on Fargate (a child per
    /// shard, from AWS_BATCH_JOB_ARRAY_INDEX), with a job role allowing exactly the
    /// calls `gameday plan` lists for the plan's scenarios on its targets, and its runs
    /// directory. Both need the plan's runs_dir on S3 (s3://BUCKET/PREFIX): pods and
    /// jobs share no disk. See docs/schedules.md.
    Export {
        /// The plan.
        plan: String,
        /// crontab, systemd, kubernetes or aws-batch.
        #[arg(long, value_name = "FORMAT", value_parser = parse_export)]
        format: gameday_engine::schedule::export::ExportFormat,
        /// The command the entries call.
        #[arg(long, value_name = "PATH", default_value = "gameday")]
        exe: String,
        /// kubernetes: the IAM role the pods' service account assumes (IRSA).
        #[arg(long, value_name = "ARN")]
        role_arn: Option<String>,
        /// kubernetes: the container image (aws-batch takes it as a template parameter).
        #[arg(long, value_name = "IMAGE", default_value = "gameday:latest")]
        image: String,
        /// kubernetes and aws-batch: the configuration's path inside the container
        /// (default: /etc/gameday/gameday.yaml; the other formats use the file read).
        #[arg(long, value_name = "PATH")]
        config_in_image: Option<String>,
        #[command(flatten)]
        library: Library,
        #[command(flatten)]
        config: ConfigArg,
    },
}

/// How the daemon logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// One line of text.
    Text,
    /// One JSON object a line.
    Json,
}

fn parse_export(s: &str) -> Result<gameday_engine::schedule::export::ExportFormat, String> {
    s.parse().map_err(|_| {
        format!("`{s}` is not an export format: crontab, systemd, kubernetes or aws-batch")
    })
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["run", "orphans"])))]
pub struct CleanupArgs {
    /// A run directory: revert what its journal records as changed, then remove what the
    /// run tagged; the clean-up is appended to its journal.
    #[arg(long, value_name = "RUN_DIR")]
    pub run: Option<PathBuf>,
    /// Remove every resource tagged by gameday in the target's account and region whose
    /// run is not live.
    #[arg(long, requires = "target")]
    pub orphans: bool,
    /// The target (with --run: instead of the one the journal names).
    #[arg(long, value_name = "NAME")]
    pub target: Option<String>,
    /// The region (with --orphans; default: the target's first).
    #[arg(long, value_name = "REGION", conflicts_with = "run")]
    pub region: Option<String>,
    #[command(flatten)]
    pub config: ConfigArg,
    /// Where run directories are: orphans of runs live there are left alone.
    #[arg(long, value_name = "DIR", default_value = "runs")]
    pub runs_dir: PathBuf,
    /// Leave alone resources of runs that started less recently than this (a run on
    /// another machine may still own them).
    #[arg(long, value_name = "DURATION", default_value = "1h")]
    pub older_than: gameday_engine::duration::Duration,
    /// Say what would be removed, and remove nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Where a game day runs.
#[derive(Debug, Args)]
pub struct TargetArgs {
    /// Where to run: `sim`, the built-in simulator of a sandbox account (the default), or
    /// a target of gameday.yaml.
    #[arg(long, value_name = "NAME", default_value = "sim")]
    pub target: String,
    /// The region of an AWS target (default: the target's first).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    #[command(flatten)]
    pub config: ConfigArg,
}

#[derive(Debug, Args)]
pub struct ConfigArg {
    /// The configuration file (default: gameday.yaml in the current directory).
    #[arg(long, value_name = "FILE", env = "GAMEDAY_CONFIG")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ConsoleArgs {
    /// A scenario file, or the id of a scenario in the library.
    pub scenario: String,
    #[command(flatten)]
    pub library: Library,
    #[command(flatten)]
    pub target: TargetArgs,
    /// Your name in the game day's journal and reports (default: your login name).
    #[arg(long = "as", value_name = "NAME")]
    pub name: Option<String>,
    /// Let others join over TCP at ADDR (such as 0.0.0.0:7420), with the token the
    /// console shows; plain TCP: put TLS in front beyond a trusted network.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Seed of the simulator; the same seed gives the same attack and detections.
    #[arg(long, default_value_t = 1, allow_negative_numbers = true, value_parser = parse_seed)]
    pub seed: u64,
    /// Run the game clock N times faster than real time (change it live with + and -).
    #[arg(long, value_name = "N", default_value_t = 1.0, value_parser = parse_speed)]
    pub speed: f64,
    /// Where run directories go.
    #[arg(long, value_name = "DIR", default_value = "runs")]
    pub runs_dir: PathBuf,
    /// Override a scenario parameter (repeatable).
    #[arg(long = "param", value_name = "NAME=VALUE", value_parser = parse_param)]
    pub params: Vec<(String, String)>,
}

#[derive(Debug, Args)]
pub struct JoinArgs {
    /// The run directory of a game day hosted on this machine, or HOST:PORT of one
    /// hosted with `--listen`.
    #[arg(value_name = "RUN_DIR|HOST:PORT")]
    pub place: String,
    /// Your name in the game day's journal and reports (default: your login name).
    #[arg(long = "as", value_name = "NAME")]
    pub name: Option<String>,
    /// What you may do: a facilitator pauses, injects and ends; a commander and a
    /// responder act; an observer watches.
    #[arg(long, value_name = "ROLE", default_value = "responder")]
    pub role: gameday_engine::team::Role,
    /// The token the host's console shows (for HOST:PORT).
    #[arg(
        long,
        value_name = "TOKEN",
        env = "GAMEDAY_JOIN_TOKEN",
        hide_env_values = true
    )]
    pub token: Option<String>,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The run directory (or its journal.jsonl).
    #[arg(value_name = "RUN_DIR")]
    pub run_dir: PathBuf,
    /// Play N times faster than the run went (change it with + and -).
    #[arg(long, value_name = "N", default_value_t = 10.0, value_parser = parse_speed)]
    pub speed: f64,
}

fn parse_param(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .filter(|(k, _)| !k.is_empty())
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .ok_or_else(|| format!("`{s}` is not NAME=VALUE"))
}

fn parse_fail_on(s: &str) -> Result<f64, String> {
    s.trim()
        .strip_prefix("score")
        .map(str::trim_start)
        .and_then(|r| r.strip_prefix('<'))
        .and_then(|n| n.trim().parse::<f64>().ok())
        .filter(|n| (0.0..=100.0).contains(n))
        .ok_or_else(|| format!("`{s}` is not score<N with N from 0 to 100"))
}

fn parse_seed(s: &str) -> Result<u64, String> {
    s.parse::<u64>().map_err(|_| {
        format!(
            "`{s}` is not a seed: give a whole number from 0 to {}",
            u64::MAX
        )
    })
}

fn parse_repeat(s: &str) -> Result<u32, String> {
    s.parse::<u32>().ok().filter(|n| *n >= 1).ok_or_else(|| {
        format!(
            "`{s}` is not a number of runs: give a whole number from 1 to {}",
            u32::MAX
        )
    })
}

fn parse_speed(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v <= 100_000.0 => Ok(v),
        _ => Err(format!(
            "`{s}` is not a speed: give a number greater than 0 and at most 100000 (1 is real time)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fail_on_reads_a_score_bar() {
        assert_eq!(parse_fail_on("score<70"), Ok(70.0));
        assert_eq!(parse_fail_on(" score < 62.5 "), Ok(62.5));
        assert!(parse_fail_on("score<101").is_err());
        assert!(parse_fail_on("score>70").is_err());
        assert!(parse_fail_on("grade<B").is_err());
        assert!(parse_fail_on("score<").is_err());
    }
}
