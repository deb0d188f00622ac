//! Where a game day runs: the built-in simulator, or an AWS target of `gameday.yaml`,
//! preflighted before every run.

use crate::cli::TargetArgs;
use crate::commands::BAD_INPUT;
use gameday_engine::aws::PreflightError;
use gameday_engine::aws::poller::Pollers;
use gameday_engine::aws::sandbox::AwsSandbox;
use gameday_engine::clock::{Clock, ClockMode};
use gameday_engine::config::{self, ConfigError, Poll, Target};
use gameday_engine::sandbox::Sandbox;
use gameday_engine::sim::{DetectionModel, SimAccount};
use std::sync::Arc;

/// A target, resolved from the command line.
pub(crate) enum Place {
    /// The simulator.
    Sim,
    /// An AWS account and region.
    Aws {
        /// The target.
        target: Box<Target>,
        /// The region.
        region: String,
    },
}

/// The sandbox of one run and the clock it runs on.
pub(crate) struct Opened {
    pub sandbox: Box<dyn Sandbox>,
    pub clock: Arc<Clock>,
}

/// The configuration (`--config`, else `gameday.yaml` here): exit 2, printing its
/// diagnostics or why it cannot be read.
pub(crate) fn read_config(
    explicit: Option<&std::path::Path>,
) -> Result<(std::path::PathBuf, config::Config), i32> {
    config::read(explicit, std::path::Path::new(".")).map_err(|e| {
        match e {
            ConfigError::Invalid(d) => eprintln!("{d}"),
            other => eprintln!("error: {other}"),
        }
        BAD_INPUT
    })
}

/// The target `name` of the configuration (`--config`, else `gameday.yaml` here), and
/// the region (`--region`, else the target's first): exit 2, naming the flag (`--target`
/// for the run commands) or the file, when either is wrong.
pub(crate) fn aws_target(
    name: &str,
    explicit: Option<&std::path::Path>,
    region: Option<&str>,
) -> Result<(Target, String), i32> {
    let fail = |e: ConfigError| {
        match e {
            ConfigError::Invalid(d) => eprintln!("{d}"),
            e @ ConfigError::UnknownTarget { .. } => eprintln!("error: {e}"),
            other => eprintln!("error: --target {name}: {other}"),
        }
        BAD_INPUT
    };
    let (file, config) = config::read(explicit, std::path::Path::new(".")).map_err(fail)?;
    let target = config.target(name, &file).map_err(fail)?;
    let region = region
        .map(str::to_owned)
        .or_else(|| target.regions.first().cloned())
        .unwrap_or_default();
    if !target.regions.contains(&region) {
        eprintln!(
            "error: --region {region}: target `{name}` runs in {} only",
            target.regions.join(", ")
        );
        return Err(BAD_INPUT);
    }
    Ok((target.clone(), region))
}

impl Place {
    /// Resolves `--target`, `--region` and `--config`; `clock` is the clock the user asked
    /// for, which must be real time at speed 1 on AWS (its detectors keep real time).
    pub(crate) fn resolve(args: &TargetArgs, clock: ClockMode) -> Result<Place, i32> {
        if args.target == "sim" {
            if let Some(r) = &args.region {
                eprintln!("error: --region {r}: the simulator has one region, us-east-1");
                return Err(BAD_INPUT);
            }
            return Ok(Place::Sim);
        }
        let (target, region) = aws_target(
            &args.target,
            args.config.config.as_deref(),
            args.region.as_deref(),
        )?;
        if clock != (ClockMode::Real { speed: 1.0 }) {
            eprintln!(
                "error: --speed and --virtual are for the simulator: a game day on AWS target `{}` runs in real time, as its detectors do",
                args.target
            );
            return Err(BAD_INPUT);
        }
        Ok(Place::Aws {
            target: Box::new(target),
            region,
        })
    }

    /// The prefix of every resource name a run creates.
    pub(crate) fn prefix(&self) -> &str {
        match self {
            Place::Sim => gameday_engine::library::DEFAULT_PREFIX,
            Place::Aws { target, .. } => &target.name_prefix,
        }
    }

    /// How often each run asks for detections and probes containments.
    pub(crate) fn run_poll(&self) -> Poll {
        match self {
            Place::Sim => Poll::default(),
            Place::Aws { target, .. } => target.poll.for_runs(),
        }
    }

    /// How often the account is polled for detections, and containments probed.
    pub(crate) fn poll(&self) -> Poll {
        match self {
            Place::Sim => Poll::default(),
            Place::Aws { target, .. } => target.poll,
        }
    }

    /// The sandbox and clock of run `run_id`. On AWS this is where preflight happens,
    /// before every run: exit 2 when the account is not allowed or a stop alarm fires,
    /// 3 when AWS cannot be asked; nothing has changed either way.
    pub(crate) async fn open(
        &self,
        run_id: &str,
        seed: u64,
        mode: ClockMode,
        model: &Arc<DetectionModel>,
        pollers: &Pollers,
    ) -> Result<Opened, i32> {
        match self {
            Place::Sim => {
                let clock = Arc::new(Clock::new(mode, chrono::Utc::now()));
                let sim = SimAccount::new(seed, model.clone(), clock.clone());
                Ok(Opened {
                    sandbox: Box::new(sim),
                    clock,
                })
            }
            Place::Aws { target, region } => {
                let (sandbox, preflight) = connect(target, region, run_id, pollers).await?;
                // The run keeps AWS's time: T0 and the providers' timestamps agree.
                let skew = preflight.skew.unwrap_or_default();
                let clock = Arc::new(Clock::new(mode, chrono::Utc::now() + skew));
                Ok(Opened {
                    sandbox: Box::new(sandbox),
                    clock,
                })
            }
        }
    }
}

/// Preflights `target` in `region` and connects for `run_id`, with the poller of its
/// account and region from `pollers`: on failure, says why and gives the exit code.
pub(crate) async fn connect(
    target: &Target,
    region: &str,
    run_id: &str,
    pollers: &Pollers,
) -> Result<(AwsSandbox, gameday_engine::aws::Preflight), i32> {
    AwsSandbox::connect(target, region, run_id, pollers)
        .await
        .map_err(|e| {
            eprintln!("error: target {}: {e}", target.name);
            preflight_exit(&e)
        })
}

/// The exit code of a failed preflight: 2 for what the user must change (the account,
/// the allowlist, a stop alarm), 3 when AWS could not be asked.
pub(crate) fn preflight_exit(e: &PreflightError) -> i32 {
    match e {
        PreflightError::NotAllowed { .. }
        | PreflightError::StopAlarm(_)
        | PreflightError::MissingStopAlarm(..) => BAD_INPUT,
        PreflightError::Aws(_) => 3,
    }
}
