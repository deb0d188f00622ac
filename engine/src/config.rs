//! `gameday.yaml`: where game days may run. A target is an AWS account reached through a
//! profile or an assumed role, with the regions to use and the allowlist of account ids
//! it may touch; nothing runs against an account that is not on it.

use crate::diag::{Diagnostic, Diagnostics, suggest};
use crate::duration::Duration;
use crate::yamldoc::{self, Loaded};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The file looked for in the current directory when `--config` is not given.
pub const FILE_NAME: &str = "gameday.yaml";

/// The configuration file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where game days may run, by name. `sim`, the built-in simulator, needs no entry.
    #[serde(default)]
    pub targets: Vec<Target>,
    /// Scheduled game days.
    #[serde(default)]
    pub plans: Vec<PlanSpec>,
}

/// A scheduled game day: when it runs, which scenarios, where, and where results go.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanSpec {
    /// The name `gameday schedule` commands use.
    #[schemars(regex(pattern = r"^[a-z0-9][a-z0-9_-]*$"))]
    pub name: String,
    /// When.
    pub schedule: crate::schedule::ScheduleSpec,
    /// Scenario ids of the library.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scenarios: Vec<String>,
    /// Scenario tags: every scenario with one of them, beside `scenarios`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Run only this many of them, drawn at random for each execution (the same draw in
    /// every process of a sharded execution).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub pick: Option<u32>,
    /// Where: targets of this file (or `sim`), each in the regions listed (default: all of
    /// the target's). Every scenario runs in every one.
    #[schemars(length(min = 1))]
    pub targets: Vec<PlanTarget>,
    /// How many processes an exported execution is split across (`schedule export
    /// --format kubernetes` or `aws-batch`): each runs one slice of the game days, as
    /// `schedule run --shard I/N` does. At least 1 (checked with the plan's name in the
    /// message, so not in the schema).
    #[serde(default = "default_shards")]
    pub shards: u32,
    /// How many game days of one execution run at once.
    #[serde(default = "default_concurrency")]
    #[schemars(range(min = 1, max = 200))]
    pub concurrency: u32,
    /// The team responding, for the reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// Who responds: the team, in the account and the console (`people`), or the
    /// autopilot (`autopilot`, for rehearsing runbooks and checking detections).
    #[serde(default)]
    pub responders: Responders,
    /// Scenario parameters, for every scenario that has them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, String>,
    /// Where the executions' runs and combined reports go.
    #[serde(default = "default_runs_dir")]
    pub runs_dir: PathBuf,
    /// An http(s) URL that receives the JSON summary when an execution starts and ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^https?://"))]
    pub webhook: Option<String>,
    /// What a daemon does about moments it missed while it was not running: `skip` them,
    /// or run the latest one once (`run_once`).
    #[serde(default)]
    pub missed: Missed,
    /// On the simulator only: run in virtual time, without waiting.
    #[serde(default)]
    pub virtual_time: bool,
    /// With `responders: autopilot`: its median pause before each runbook step.
    #[serde(default = "default_think_time")]
    pub think_time: Duration,
}

fn default_think_time() -> Duration {
    Duration::from_secs(45)
}

fn default_shards() -> u32 {
    1
}

fn default_concurrency() -> u32 {
    4
}

fn default_runs_dir() -> PathBuf {
    PathBuf::from("runs")
}

/// One target of a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanTarget {
    /// A target of this file, or `sim`.
    pub target: String,
    /// Its regions to run in; default all of the target's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<String>,
}

/// Who responds in a scheduled game day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Responders {
    /// The team.
    #[default]
    People,
    /// The autopilot.
    Autopilot,
}

/// Moments missed while no daemon ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Missed {
    /// Skip them: the next moment is the next run.
    #[default]
    Skip,
    /// Run the latest missed moment once, at start.
    RunOnce,
}

pub use crate::sandbox::TargetKind;

/// A role to assume for the game day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AssumeRole {
    /// The role's ARN.
    #[schemars(regex(pattern = r"^arn:aws[a-z-]*:iam::\d{12}:role/.+$"))]
    pub arn: String,
    /// The external id the role's trust policy asks for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// The session name; the run id is added to it so CloudTrail shows which run acted.
    #[serde(default = "default_session")]
    pub session_name: String,
}

fn default_session() -> String {
    "gameday".to_owned()
}

/// The prefix of resource names when the target sets none (and on the simulator).
pub const DEFAULT_PREFIX: &str = "gameday";

fn default_prefix() -> String {
    DEFAULT_PREFIX.to_owned()
}

/// How the SDK retries throttling and server errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RetryMode {
    /// Exponential backoff with jitter.
    #[default]
    Standard,
    /// Standard, plus client-side rate limiting that adapts to throttling.
    Adaptive,
}

/// A place game days may run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// The name `--target` uses.
    #[schemars(regex(pattern = r"^[a-z0-9][a-z0-9_-]*$"))]
    pub name: String,
    /// What it is.
    pub kind: TargetKind,
    /// The AWS profile to take credentials from; without it, the standard chain
    /// (environment, profile, SSO, web identity, instance role).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// A role to assume with those credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assume_role: Option<AssumeRole>,
    /// The regions to run in; the first is the default.
    #[schemars(length(min = 1))]
    pub regions: Vec<String>,
    /// The only account ids this target may touch, quoted (`"012345678901"`).
    #[schemars(length(min = 1), inner(regex(pattern = r"^\d{12}$")))]
    pub allowed_accounts: Vec<String>,
    /// Another endpoint for every service (LocalStack, moto, a VPC endpoint).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint_url: Option<String>,
    /// CloudWatch alarms that stop a game day: none may be in ALARM when it starts, and
    /// one going into ALARM aborts it into clean-up.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stop_alarms: Vec<String>,
    /// The prefix of every resource name the run creates.
    #[serde(default = "default_prefix")]
    #[schemars(regex(pattern = r"^[a-z0-9][a-z0-9-]{0,15}$"))]
    pub name_prefix: String,
    /// Tags added to every resource the run creates, beside gameday's own.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// This machine's public IPv4 address as AWS sees it: where the simulated attacker's
    /// calls come from, for scenarios that put it on a GuardDuty threat list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^\d{1,3}(\.\d{1,3}){3}$"))]
    pub attacker_ip: Option<String>,
    /// Retries of throttled and failed calls.
    #[serde(default)]
    pub retry_mode: RetryMode,
    /// Attempts per call, the first included.
    #[serde(default = "default_attempts")]
    #[schemars(range(min = 1, max = 20))]
    pub max_attempts: u32,
    /// How often detections and containments are polled.
    #[serde(default)]
    pub poll: Poll,
    /// Detections pushed as well as polled: each run creates an EventBridge rule on
    /// GuardDuty findings and CloudWatch alarm changes with an SQS queue as its target,
    /// long-polls the queue, and removes both at clean-up.
    #[serde(default)]
    pub push: bool,
    /// How long one receive of the push queue waits (at most 20s).
    #[serde(default = "default_push_wait")]
    pub push_wait: Duration,
    /// External detectors that `command` detections name: a SIEM query, a paging tool's
    /// API. Only these run, never anything a scenario supplies.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub commands: BTreeMap<String, DetectorCommand>,
}

/// An external detector: a program run without a shell, with the run's context in its
/// environment, printing what it found as JSON lines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DetectorCommand {
    /// The program and its arguments, such as `[./detect/pagerduty-acks.py, --service, PX1]`.
    #[schemars(length(min = 1))]
    pub run: Vec<String>,
    /// How long one run of it may take.
    #[serde(default = "default_command_timeout")]
    pub timeout: Duration,
}

fn default_command_timeout() -> Duration {
    Duration::from_secs(30)
}

fn default_push_wait() -> Duration {
    Duration::from_secs(20)
}

/// Poll intervals. One poller per account and region serves every run there, so these
/// bound the calls per account whatever the number of concurrent game days.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Poll {
    /// GuardDuty ListFindings (+ GetFindings for new findings).
    #[serde(default = "default_guardduty_poll")]
    pub guardduty: Duration,
    /// CloudWatch DescribeAlarms (9 TPS per account at most).
    #[serde(default = "default_cloudwatch_poll")]
    pub cloudwatch: Duration,
    /// Every other detection source: Security Hub GetFindings, Logs Insights queries,
    /// and the target's detection commands.
    #[serde(default = "default_detectors_poll")]
    pub detectors: Duration,
    /// Each run's containment checks.
    #[serde(default = "default_containment_poll")]
    pub containment: Duration,
    /// The most containment probes a minute in one account and region, all runs
    /// together (EC2 allows 20 read calls a second; IAM's limit is unpublished).
    #[serde(default = "default_probe_budget")]
    #[schemars(range(min = 1))]
    pub probes_per_minute: u32,
}

fn default_probe_budget() -> u32 {
    120
}

fn default_guardduty_poll() -> Duration {
    Duration::from_secs(30)
}

fn default_cloudwatch_poll() -> Duration {
    Duration::from_secs(15)
}

fn default_detectors_poll() -> Duration {
    Duration::from_secs(30)
}

fn default_containment_poll() -> Duration {
    Duration::from_secs(10)
}

impl Poll {
    /// How often each run on AWS asks for detections: every second (capped by these
    /// intervals). The shared poller answers from its last fetch, which it renews at
    /// these intervals whoever asks, and pushed detections are seen within the second.
    pub fn for_runs(&self) -> Poll {
        let second = Duration::from_secs(1);
        Poll {
            guardduty: self.guardduty.min(second),
            cloudwatch: self.cloudwatch.min(second),
            detectors: self.detectors.min(second),
            ..*self
        }
    }
}

impl Default for Poll {
    fn default() -> Self {
        Poll {
            guardduty: default_guardduty_poll(),
            cloudwatch: default_cloudwatch_poll(),
            detectors: default_detectors_poll(),
            containment: default_containment_poll(),
            probes_per_minute: default_probe_budget(),
        }
    }
}

fn default_attempts() -> u32 {
    5
}

impl Target {
    /// Whether `account` is on the allowlist.
    pub fn allows(&self, account: &str) -> bool {
        self.allowed_accounts.iter().any(|a| a == account)
    }

    /// The allowlist, for messages.
    pub fn allowlist(&self) -> String {
        self.allowed_accounts.join(", ")
    }
}

/// The JSON Schema of `gameday.yaml`.
pub fn schema() -> Value {
    yamldoc::schema_for::<Config>()
}

/// Parses `text`, the contents of `file`, reporting every problem with its position.
pub fn parse(file: &Path, text: &str) -> Result<Loaded<Config>, Diagnostics> {
    let schema = schema();
    let validator = yamldoc::validator(&schema);
    let loaded: Loaded<Config> = yamldoc::load(file, text, &schema, &validator)?;
    let mut diags = Vec::new();
    for (i, t) in loaded.value.targets.iter().enumerate() {
        check_target(&loaded, i, t, &mut diags);
    }
    for (i, p) in loaded.value.plans.iter().enumerate() {
        check_plan(&loaded, i, p, &mut diags);
    }
    if diags.is_empty() {
        Ok(loaded)
    } else {
        let mut d = Diagnostics(diags);
        d.sort();
        Err(d)
    }
}

/// Target number `i`, `t`: its endpoint, role session name and name, what a simulated
/// target may not have, and a name no earlier target has.
fn check_target(loaded: &Loaded<Config>, i: usize, t: &Target, diags: &mut Vec<Diagnostic>) {
    if let Some(url) = &t.endpoint_url
        && let Err(why) = check_endpoint(url)
    {
        diags.push(loaded.at(
            &format!("targets[{i}].endpoint_url"),
            format!("`{}` is not an endpoint: {why}", mask_userinfo(url)),
            Some("give an http or https URL with a host, such as http://localhost:4566".to_owned()),
        ));
    }
    if let Some(role) = &t.assume_role
        && let Err((why, hint)) = check_session_name(&role.session_name)
    {
        diags.push(loaded.at(
            &format!("targets[{i}].assume_role.session_name"),
            format!("`{}` {why}", role.session_name),
            Some(hint),
        ));
    }
    if t.name == "sim" {
        diags.push(loaded.at(
            &format!("targets[{i}].name"),
            "`sim` is the built-in simulator and cannot be redefined",
            None,
        ));
    }
    if t.kind == TargetKind::Sim {
        let at = |field: &str| format!("targets[{i}].{field}");
        if t.allowed_accounts.len() != 1 {
            diags.push(loaded.at(
                &at("allowed_accounts"),
                "a simulated target is one account: give its id alone",
                None,
            ));
        }
        for (field, set) in [
            ("profile", t.profile.is_some()),
            ("assume_role", t.assume_role.is_some()),
            ("endpoint_url", t.endpoint_url.is_some()),
            ("push", t.push),
        ] {
            if set {
                diags.push(loaded.at(
                    &at(field),
                    format!("a simulated target has no `{field}`: it makes no AWS call"),
                    None,
                ));
            }
        }
    }
    if loaded.value.targets[..i].iter().any(|o| o.name == t.name) {
        diags.push(loaded.at(
            &format!("targets[{i}].name"),
            format!("a second target named `{}`", t.name),
            None,
        ));
    }
}

/// Plan number `i`, `p`: a name no earlier plan has, its schedule, what it runs, its
/// targets, and virtual time only where every target is simulated.
fn check_plan(loaded: &Loaded<Config>, i: usize, p: &PlanSpec, diags: &mut Vec<Diagnostic>) {
    let cfg = &loaded.value;
    let at = |field: &str| format!("plans[{i}].{field}");
    if cfg.plans[..i].iter().any(|o| o.name == p.name) {
        diags.push(loaded.at(
            &at("name"),
            format!("a second plan named `{}`", p.name),
            None,
        ));
    }
    if let Err(e) = crate::schedule::Schedule::new(&p.schedule, &p.name) {
        diags.push(loaded.at(&at("schedule"), e, None));
    }
    if p.scenarios.is_empty() && p.tags.is_empty() {
        diags.push(loaded.at(
            &at("scenarios"),
            "a plan needs `scenarios`, `tags`, or both",
            None,
        ));
    }
    if p.shards == 0 {
        diags.push(loaded.at(
            &at("shards"),
            format!(
                "plan `{}`: shards must be at least 1 (how many processes an execution is split across)",
                p.name
            ),
            None,
        ));
    }
    check_plan_targets(loaded, i, p, diags);
    let simulated = |name: &str| {
        name == "sim"
            || cfg
                .targets
                .iter()
                .any(|x| x.name == name && x.kind == TargetKind::Sim)
    };
    if p.virtual_time && p.targets.iter().any(|t| !simulated(&t.target)) {
        diags.push(loaded.at(
            &at("virtual_time"),
            "virtual time is for the simulator: AWS targets run in real time",
            None,
        ));
    }
}

/// The targets of plan number `i`, `p`: each a target of the file (or the simulator), in
/// regions it runs in.
fn check_plan_targets(
    loaded: &Loaded<Config>,
    i: usize,
    p: &PlanSpec,
    diags: &mut Vec<Diagnostic>,
) {
    let cfg = &loaded.value;
    for (j, t) in p.targets.iter().enumerate() {
        let path = format!("plans[{i}].targets[{j}]");
        if t.target == "sim" {
            if t.regions.iter().any(|r| r != "us-east-1") {
                diags.push(loaded.at(
                    &format!("{path}.regions"),
                    "the simulator has one region, us-east-1",
                    None,
                ));
            }
            continue;
        }
        match cfg.targets.iter().find(|x| x.name == t.target) {
            None => diags.push(loaded.at(
                &format!("{path}.target"),
                format!("no target named `{}`", t.target),
                Some(suggest(
                    &t.target,
                    cfg.targets.iter().map(|x| x.name.as_str()).chain(["sim"]),
                )),
            )),
            Some(x) => {
                for (k, r) in t.regions.iter().enumerate() {
                    if !x.regions.contains(r) {
                        diags.push(loaded.at(
                            &format!("{path}.regions[{k}]"),
                            format!("target `{}` runs in {} only", x.name, x.regions.join(", ")),
                            None,
                        ));
                    }
                }
            }
        }
    }
}

/// The longest role session name AWS accepts.
const SESSION_NAME_MAX: usize = 64;

/// What gameday adds to a role session name: `-` and the run id, so CloudTrail shows
/// which run acted.
const SESSION_SUFFIX: usize = 1 + 8;

/// Whether AWS will take `name`, with the run id gameday adds to it, as a role session
/// name: 2 to 64 characters from `[\w+=,.@-]`. Preflight assumes the role without the
/// run id, so the name alone must be long enough too. On error: what is wrong, and a hint.
fn check_session_name(name: &str) -> Result<(), (String, String)> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c);
    let mut refused: Vec<char> = name.chars().filter(|c| !allowed(*c)).collect();
    refused.dedup();
    let longest = SESSION_NAME_MAX - SESSION_SUFFIX;
    let length = name.chars().count();
    if !refused.is_empty() {
        let list: Vec<String> = refused.iter().map(|c| format!("{c:?}")).collect();
        Err((
            format!(
                "has characters AWS refuses in a role session name: {}",
                list.join(", ")
            ),
            "use letters, digits and _ + = , . @ -".to_owned(),
        ))
    } else if length < 2 {
        Err((
            "is too short for a role session name".to_owned(),
            "AWS wants at least 2 characters".to_owned(),
        ))
    } else if length > longest {
        Err((
            format!("is {length} characters: too long for a role session name"),
            format!(
                "AWS takes at most {SESSION_NAME_MAX} and gameday adds `-` and the run id \
                 ({SESSION_SUFFIX} characters): keep it to {longest}"
            ),
        ))
    } else {
        Ok(())
    }
}

/// Whether `url` can be an endpoint for the SDK: an http or https URL with a host.
fn check_endpoint(url: &str) -> Result<(), String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("{e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!(
            "the scheme is `{}`, not http or https",
            parsed.scheme()
        ));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err("it has no host".to_owned());
    }
    Ok(())
}

pub use crate::secrets::mask_userinfo;

/// Why a configuration or a target could not be had.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// No file where one was needed.
    #[error(
        "{0}: no such configuration file; targets other than `sim` are defined in {FILE_NAME} (see docs/targets.md)"
    )]
    Missing(PathBuf),
    /// The file could not be read.
    #[error("{0}: {1}")]
    Io(PathBuf, std::io::Error),
    /// The file is malformed.
    #[error("{0}")]
    Invalid(Diagnostics),
    /// No plan of that name.
    #[error("{name}: no such plan in {file} ({hint})")]
    UnknownPlan {
        /// The name asked for.
        name: String,
        /// The file searched.
        file: PathBuf,
        /// A suggestion.
        hint: String,
    },
    /// No target of that name.
    #[error("--target {name}: no such target in {file} ({hint})")]
    UnknownTarget {
        /// The name asked for.
        name: String,
        /// The file searched.
        file: PathBuf,
        /// A suggestion.
        hint: String,
    },
}

/// Reads the configuration: `explicit` (from `--config`), else `gameday.yaml` in `dir`.
pub fn read(explicit: Option<&Path>, dir: &Path) -> Result<(PathBuf, Config), ConfigError> {
    let file = explicit.map_or_else(|| dir.join(FILE_NAME), Path::to_owned);
    let text = match std::fs::read_to_string(&file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ConfigError::Missing(file));
        }
        Err(e) => return Err(ConfigError::Io(file, e)),
    };
    let mut config = parse(&file, &text).map_err(ConfigError::Invalid)?.value;
    // A detector command given as a path (./detect/pager.py) is the file's neighbour,
    // wherever gameday runs from; a bare name is looked up on PATH.
    let dir = file.parent().unwrap_or(Path::new("."));
    for t in &mut config.targets {
        for cmd in t.commands.values_mut() {
            if let Some(program) = cmd.run.first_mut()
                && program.contains('/')
                && Path::new(program.as_str()).is_relative()
            {
                *program = dir.join(&*program).to_string_lossy().into_owned();
            }
        }
    }
    Ok((file, config))
}

/// What to say when `name` is not among `names` (the file's `what`).
fn hint<'a>(name: &str, names: impl Iterator<Item = &'a str> + Clone, what: &str) -> String {
    if names.clone().next().is_none() {
        format!("it defines no {what}")
    } else {
        suggest(name, names)
    }
}

impl Config {
    /// The plan called `name`.
    pub fn plan(&self, name: &str, file: &Path) -> Result<&PlanSpec, ConfigError> {
        self.plans
            .iter()
            .find(|p| p.name == name)
            .ok_or_else(|| ConfigError::UnknownPlan {
                name: name.to_owned(),
                file: file.to_owned(),
                hint: hint(name, self.plans.iter().map(|p| p.name.as_str()), "plans"),
            })
    }

    /// The target called `name`.
    pub fn target(&self, name: &str, file: &Path) -> Result<&Target, ConfigError> {
        self.targets
            .iter()
            .find(|t| t.name == name)
            .ok_or_else(|| ConfigError::UnknownTarget {
                name: name.to_owned(),
                file: file.to_owned(),
                hint: hint(
                    name,
                    self.targets.iter().map(|t| t.name.as_str()),
                    "targets",
                ),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
targets:
  - name: sandbox
    kind: aws
    profile: gameday-sandbox
    assume_role:
      arn: arn:aws:iam::210987654321:role/gameday
      external_id: drill
    regions: [eu-west-1, us-east-1]
    allowed_accounts: ["012345678901", "210987654321"]
    stop_alarms: [prod-canary]
    tags: { team: blue }
"#;

    #[test]
    fn a_target_reads_with_its_defaults() {
        let c = parse(Path::new("gameday.yaml"), GOOD).unwrap_or_else(|d| panic!("{d}"));
        let t = c
            .value
            .target("sandbox", Path::new("gameday.yaml"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(t.allows("012345678901") && t.allows("210987654321"));
        assert!(!t.allows("111111111111"));
        assert_eq!(t.allowlist(), "012345678901, 210987654321");
        assert_eq!(t.name_prefix, "gameday");
        assert_eq!(t.max_attempts, 5);
        assert_eq!(t.retry_mode, RetryMode::Standard);
        assert_eq!(
            t.assume_role.as_ref().map(|r| r.session_name.as_str()),
            Some("gameday")
        );
    }

    #[test]
    fn mistakes_are_reported_with_their_position() {
        let text = "targets:\n  - name: sandbox\n    kind: aws\n    regions: []\n    alowed_accounts: [\"1\"]\n";
        let err = parse(Path::new("g.yaml"), text)
            .err()
            .map(|d| d.to_string())
            .unwrap_or_default();
        assert!(err.contains("g.yaml:5:5"), "{err}");
        assert!(err.contains("allowed_accounts"), "a did-you-mean: {err}");
        assert!(err.contains("g.yaml:4:"), "an empty region list: {err}");
        let text = "targets:\n  - name: sim\n    kind: aws\n    regions: [us-east-1]\n    allowed_accounts: [\"123456789012\"]\n";
        let err = parse(Path::new("g.yaml"), text)
            .err()
            .map(|d| d.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("g.yaml:2:11") && err.contains("built-in simulator"),
            "{err}"
        );
    }

    /// A file with one AWS target whose lines 6 and on are `extra`, indented under it.
    fn with_target(extra: &str) -> String {
        format!(
            "targets:\n  - name: sandbox\n    kind: aws\n    regions: [us-east-1]\n    allowed_accounts: [\"123456789012\"]\n{extra}"
        )
    }

    fn errors(text: &str) -> String {
        parse(Path::new("g.yaml"), text)
            .err()
            .map(|d| d.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn a_role_session_name_aws_would_refuse_is_refused_here() {
        let path = "targets[0].assume_role.session_name";
        let role = |name: &str| {
            with_target(&format!(
                "    assume_role:\n      arn: arn:aws:iam::123456789012:role/gameday\n      session_name: {name}\n"
            ))
        };
        // With `-` and the 8-character run id, 55 is AWS's 64.
        let longest = "a".repeat(55);
        assert_eq!(errors(&role(&longest)), "");
        assert_eq!(errors(&role("ci.runner@team_blue+1=2,3-x")), "");
        let err = errors(&role(&"a".repeat(56)));
        assert!(
            err.starts_with(&format!(
                "g.yaml:8:21: {path}: `{}a` is 56 characters",
                longest
            )),
            "{err}"
        );
        assert!(err.contains("keep it to 55"), "{err}");
        let err = errors(&role("\"game day/1\""));
        assert!(
            err.starts_with(&format!(
                "g.yaml:8:21: {path}: `game day/1` has characters AWS refuses in a role session name: ' ', '/'"
            )),
            "{err}"
        );
        let err = errors(&role("x"));
        assert!(
            err.starts_with(&format!("g.yaml:8:21: {path}: `x` is too short")),
            "{err}"
        );
    }

    #[test]
    fn an_endpoint_must_be_an_http_url_with_a_host() {
        let path = "targets[0].endpoint_url";
        let endpoint = |url: &str| with_target(&format!("    endpoint_url: {url}\n"));
        for good in [
            "http://localhost:4566",
            "https://vpce-1.s3.us-east-1.vpce.amazonaws.com",
            "http://user:secret@127.0.0.1:4566/",
        ] {
            assert_eq!(errors(&endpoint(good)), "", "{good}");
        }
        for (bad, why) in [
            ("file:///tmp/aws", "the scheme is `file`, not http or https"),
            (
                "localhost:4566",
                "the scheme is `localhost`, not http or https",
            ),
            ("http://", "empty host"),
            ("not a url", "relative URL without a base"),
        ] {
            let err = errors(&endpoint(bad));
            assert!(
                err.starts_with(&format!(
                    "g.yaml:6:19: {path}: `{bad}` is not an endpoint: {why}"
                )),
                "{bad}: {err}"
            );
            assert!(err.contains("hint: give an http or https URL"), "{err}");
        }
        let err = errors(&endpoint("ftp://user:secret@host"));
        assert!(err.contains("`ftp://***@host` is not an endpoint"), "{err}");
        assert!(!err.contains("secret"), "{err}");
    }

    #[test]
    fn a_duration_too_long_is_reported_where_it_is_written() {
        let err = errors(&with_target("    push_wait: 99999999999999999999d\n"));
        assert_eq!(
            err,
            "g.yaml:6:16: targets[0].push_wait: `99999999999999999999d` is not a duration: \
             it is too long: the longest is 213503982334d"
        );
        let err = errors(&with_target(
            "    poll:\n      guardduty: 1s\n      cloudwatch: 300000000000d\n",
        ));
        assert!(
            err.starts_with("g.yaml:8:19: targets[0].poll.cloudwatch: `300000000000d`"),
            "{err}"
        );
    }

    #[test]
    fn a_refused_webhook_is_quoted_without_its_credentials() {
        let text = "plans:\n  - name: p\n    schedule: { cron: \"0 10 * * TUE\" }\n    scenarios: [x]\n    targets: [{ target: sim }]\n    webhook: ftp://hook:s3cr3t@example.com/in\n";
        let err = errors(text);
        assert!(
            err.starts_with(
                "g.yaml:6:14: plans[0].webhook: `ftp://***@example.com/in` does not match"
            ),
            "{err}"
        );
        assert!(!err.contains("s3cr3t"), "{err}");
    }

    #[test]
    fn a_plan_runs_in_one_shard_unless_told_and_never_in_none() {
        let plan = |extra: &str| {
            format!(
                "plans:\n  - name: nightly\n    schedule: {{ cron: \"0 10 * * TUE\" }}\n    scenarios: [x]\n    targets: [{{ target: sim }}]\n{extra}"
            )
        };
        let c = parse(Path::new("g.yaml"), &plan("")).unwrap_or_else(|d| panic!("{d}"));
        assert_eq!(c.value.plans[0].shards, 1);
        let c =
            parse(Path::new("g.yaml"), &plan("    shards: 3\n")).unwrap_or_else(|d| panic!("{d}"));
        assert_eq!(c.value.plans[0].shards, 3);
        let err = errors(&plan("    shards: 0\n"));
        assert!(err.starts_with("g.yaml:6:13: plans[0].shards: "), "{err}");
        assert!(
            err.contains("plan `nightly`: shards must be at least 1"),
            "{err}"
        );
        assert!(errors(&plan("    shards: -2\n")).contains("plans[0].shards"));
    }

    #[test]
    fn credentials_in_urls_are_masked_and_nothing_else_is() {
        for (text, masked) in [
            ("http://user:secret@host:4566", "http://***@host:4566"),
            ("https://token@host/path?q=1", "https://***@host/path?q=1"),
            ("http://localhost:4566/", "http://localhost:4566/"),
            ("no url here", "no url here"),
            (
                "connect http://a:b@h1:1 and \"http://h2/x\" then https://c:d@h3",
                "connect http://***@h1:1 and \"http://h2/x\" then https://***@h3",
            ),
            // A raw `/` or `#` in a password: the whole of it is masked all the same.
            ("http://u:pa/ss#@host", "http://***@host"),
        ] {
            assert_eq!(mask_userinfo(text), masked, "{text}");
        }
    }

    #[test]
    fn an_unknown_target_gets_a_suggestion() {
        let c = parse(Path::new("gameday.yaml"), GOOD).unwrap_or_else(|d| panic!("{d}"));
        let err = c
            .value
            .target("sandbx", Path::new("gameday.yaml"))
            .err()
            .map(|e| e.to_string());
        assert!(
            err.as_deref().is_some_and(|e| e.contains("sandbox")),
            "{err:?}"
        );
    }
}
