//! Where a game day runs: the built-in simulator, an AWS target of `gameday.yaml`
//! (preflighted before every run), or, for a plan, a simulated account its runs share.

use crate::cli::TargetArgs;
use crate::exit::Exit;
use gameday_engine::aws::PreflightError;
use gameday_engine::aws::sandbox::AwsSandbox;
use gameday_engine::clock::{Clock, ClockMode};
use gameday_engine::config::{self, ConfigError, Poll, Target, TargetKind};
use gameday_engine::poller::{Poller, Pollers};
use gameday_engine::sandbox::{Sandbox, Throttled};
use gameday_engine::sim::{DetectionModel, SharedSim, SimAccount};
use gameday_engine::throttle::Gate;
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
    /// A simulated account (a `kind: sim` target) in one region, shared by the runs of a
    /// plan execution.
    Shared(Arc<SharedAccount>),
}

/// A simulated account that the runs of one plan execution share.
pub(crate) struct SharedAccount {
    target: Target,
    account: Arc<SimAccount>,
    poller: Arc<Poller>,
    /// The execution's clock: the account's time, and where each run's clock starts.
    clock: Arc<Clock>,
}

impl SharedAccount {
    /// Simulated target `target` in `region`, on `clock`; its poller and throttle are in
    /// `pollers`, as an AWS account's would be.
    pub(crate) fn new(
        target: &Target,
        region: &str,
        seed: u64,
        model: &Arc<DetectionModel>,
        clock: Arc<Clock>,
        pollers: &Pollers,
    ) -> Self {
        let id = target.allowed_accounts.first().cloned().unwrap_or_default();
        let account = Arc::new(SimAccount::in_account(
            seed,
            model.clone(),
            clock.clone(),
            &id,
            region,
        ));
        let gate = Gate::new(pollers.sim_throttle(&id), region);
        let poller = pollers.get(&format!("{id}/{region}/sim"), || {
            Poller::new(
                account.clone(),
                account.clone(),
                account.clone(),
                account.clone(),
                gate,
                target.poll,
            )
        });
        SharedAccount {
            target: target.clone(),
            account,
            poller,
            clock,
        }
    }

    /// Its name, with the region.
    pub(crate) fn name(&self) -> String {
        format!("{} ({})", self.target.name, self.account.target().region)
    }

    /// Every resource still carrying run `run_id`'s tag.
    pub(crate) fn tagged_resources(&self, run_id: &str) -> Vec<String> {
        self.account.tagged_resources(run_id)
    }
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
) -> Result<(std::path::PathBuf, config::Config), Exit> {
    config::read(explicit, std::path::Path::new(".")).map_err(config_error)
}

/// Says why the configuration could not be had: exit 2.
pub(crate) fn config_error(e: ConfigError) -> Exit {
    match e {
        ConfigError::Invalid(d) => eprintln!("{d}"),
        other => eprintln!("error: {other}"),
    }
    Exit::BadInput
}

/// The target `name` of the configuration (`--config`, else `gameday.yaml` here), and
/// the region (`--region`, else the target's first): exit 2, naming the flag (`--target`
/// for the run commands) or the file, when either is wrong.
pub(crate) fn aws_target(
    name: &str,
    explicit: Option<&std::path::Path>,
    region: Option<&str>,
) -> Result<(Target, String), Exit> {
    let fail = |e: ConfigError| {
        match e {
            ConfigError::Invalid(d) => eprintln!("{d}"),
            e @ ConfigError::UnknownTarget { .. } => eprintln!("error: {e}"),
            other => eprintln!("error: --target {name}: {other}"),
        }
        Exit::BadInput
    };
    let (file, config) = config::read(explicit, std::path::Path::new(".")).map_err(fail)?;
    let target = config.target(name, &file).map_err(fail)?;
    if target.kind == TargetKind::Sim {
        eprintln!(
            "error: --target {name}: a simulated target (kind: sim) is for plans (`gameday schedule run`); a single game day on the simulator is `--target sim`"
        );
        return Err(Exit::BadInput);
    }
    let region = region
        .map(str::to_owned)
        .or_else(|| target.regions.first().cloned())
        .unwrap_or_default();
    if !target.regions.contains(&region) {
        eprintln!(
            "error: --region {region}: target `{name}` runs in {} only",
            target.regions.join(", ")
        );
        return Err(Exit::BadInput);
    }
    Ok((target.clone(), region))
}

impl Place {
    /// Resolves `--target`, `--region` and `--config`; `clock` is the clock the user asked
    /// for, which must be real time at speed 1 on AWS (its detectors keep real time).
    pub(crate) fn resolve(args: &TargetArgs, clock: ClockMode) -> Result<Place, Exit> {
        if args.target == "sim" {
            if let Some(r) = &args.region {
                eprintln!("error: --region {r}: the simulator has one region, us-east-1");
                return Err(Exit::BadInput);
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
            return Err(Exit::BadInput);
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
            Place::Shared(s) => &s.target.name_prefix,
        }
    }

    /// How often each run asks for detections and probes containments.
    pub(crate) fn run_poll(&self) -> Poll {
        match self {
            Place::Sim => Poll::default(),
            Place::Aws { target, .. } => target.poll.for_runs(),
            Place::Shared(s) => s.target.poll.for_runs(),
        }
    }

    /// How often the account is polled for detections, and containments probed.
    pub(crate) fn poll(&self) -> Poll {
        match self {
            Place::Sim => Poll::default(),
            Place::Aws { target, .. } => target.poll,
            Place::Shared(s) => s.target.poll,
        }
    }

    /// The sandbox and clock of run `run_id`, starting at `start`. On AWS this is where
    /// preflight happens, before every run: exit 2 when the account is not allowed or a
    /// stop alarm fires, 3 when AWS cannot be asked; nothing has changed either way. On
    /// AWS and shared simulated accounts, every call passes the account's throttle.
    pub(crate) async fn open(
        &self,
        run_id: &str,
        seed: u64,
        mode: ClockMode,
        model: &Arc<DetectionModel>,
        pollers: &Pollers,
        start: chrono::DateTime<chrono::Utc>,
    ) -> Result<Opened, Exit> {
        match self {
            Place::Sim => {
                let clock = Arc::new(Clock::new(mode, start));
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
                let clock = Arc::new(Clock::new(mode, start + skew));
                let gate = sandbox.gate();
                Ok(Opened {
                    sandbox: Box::new(Throttled::new(sandbox, gate)),
                    clock,
                })
            }
            Place::Shared(s) => {
                // The run's time is the account's: its clock starts at the account's now.
                let clock = Arc::new(Clock::new(mode, s.clock.now()));
                let sim = SharedSim::new(&s.target.name, s.account.clone(), s.poller.clone());
                Ok(Opened {
                    sandbox: Box::new(Throttled::new(sim, s.poller.gate().clone())),
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
) -> Result<(AwsSandbox, gameday_engine::aws::Preflight), Exit> {
    AwsSandbox::connect(target, region, run_id, pollers)
        .await
        .map_err(|e| {
            eprintln!("error: target {}: {e}", target.name);
            preflight_exit(&e)
        })
}

/// The exit code of a failed preflight: 2 for what the user must change (the account,
/// the allowlist, a stop alarm), 3 when AWS could not be asked.
pub(crate) fn preflight_exit(e: &PreflightError) -> Exit {
    match e {
        PreflightError::NotAllowed { .. }
        | PreflightError::StopAlarm(_)
        | PreflightError::MissingStopAlarm(..) => Exit::BadInput,
        PreflightError::Aws(_) => Exit::Aborted,
    }
}
