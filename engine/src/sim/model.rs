//! The detection model: data (`model.yaml`) saying which audit events raise which finding
//! or alarm, how likely and how late. Parsed and checked once; matching an event against
//! it allocates nothing.

use crate::duration::Duration;
use rand::RngExt;
use serde::Deserialize;
use std::collections::BTreeMap;

/// Attributes the simulator puts on an audit event, which a rule's `where` can test.
/// Each is one bit of [`Event::flags`].
pub(super) const ATTRIBUTES: &[(&str, u16)] = &[
    ("denied", DENIED),
    ("threat_listed_ip", THREAT_LISTED_IP),
    ("public_policy", PUBLIC_POLICY),
    ("block_public_access_disabled", BLOCK_PUBLIC_ACCESS_DISABLED),
    ("snapshot_shared", SNAPSHOT_SHARED),
    ("s3_data_event", S3_DATA_EVENT),
    ("lists_or_describes", LISTS_OR_DESCRIBES),
    ("public_acl", PUBLIC_ACL),
    ("authenticated_acl", AUTHENTICATED_ACL),
    ("logging_disabled", LOGGING_DISABLED),
];
/// The call was refused with AccessDenied.
pub(super) const DENIED: u16 = 1;
/// The caller's source IP is on an active threat intel set.
pub(super) const THREAT_LISTED_IP: u16 = 1 << 1;
/// A bucket policy letting anyone in.
pub(super) const PUBLIC_POLICY: u16 = 1 << 2;
/// A bucket's Block Public Access removed or partly turned off.
pub(super) const BLOCK_PUBLIC_ACCESS_DISABLED: u16 = 1 << 3;
/// A snapshot shared with a group.
pub(super) const SNAPSHOT_SHARED: u16 = 1 << 4;
/// A call on a bucket's objects (a CloudTrail data event for S3).
pub(super) const S3_DATA_EVENT: u16 = 1 << 5;
/// An operation that lists or describes (its name starts List or Describe).
pub(super) const LISTS_OR_DESCRIBES: u16 = 1 << 6;
/// A bucket ACL granting the AllUsers group (anyone on the internet), not ignored.
pub(super) const PUBLIC_ACL: u16 = 1 << 7;
/// A bucket ACL granting the AuthenticatedUsers group (any AWS principal), not ignored.
pub(super) const AUTHENTICATED_ACL: u16 = 1 << 8;
/// A bucket's server access logging turned off.
pub(super) const LOGGING_DISABLED: u16 = 1 << 9;

/// Placeholders a finding title may use.
const PLACEHOLDERS: &[&str] = &[
    "event",
    "user_name",
    "access_key_id",
    "bucket",
    "trail_name",
    "instance_id",
    "source_ip",
    "user_agent",
    "domain",
];

/// What a rule sees of an audit event.
pub(super) struct Event<'a> {
    pub name: &'a str,
    /// The caller's user agent, lowercased.
    pub user_agent_lower: Option<&'a str>,
    pub flags: u16,
    /// For a DNS lookup an instance made: the name it looked up.
    pub domain: Option<&'a str>,
}

/// When a rule fires: every condition given must hold.
#[derive(Debug, Clone)]
pub(super) struct Trigger {
    events: Vec<String>,
    prefixes: Vec<String>,
    user_agent_contains: Vec<String>,
    dns_query: Vec<String>,
    mask: u16,
    want: u16,
}

impl Trigger {
    pub(super) fn matches(&self, e: &Event<'_>) -> bool {
        if e.flags & self.mask != self.want {
            return false;
        }
        // A DNS lookup is no API call: only a rule about lookups sees one.
        match e.domain {
            Some(d) => {
                return self.dns_query.iter().any(|q| {
                    d == q || d.strip_suffix(q.as_str()).is_some_and(|p| p.ends_with('.'))
                });
            }
            None if !self.dns_query.is_empty() => return false,
            None => {}
        }
        let named = (self.events.is_empty() && self.prefixes.is_empty())
            || self.events.iter().any(|n| n == e.name)
            || self.prefixes.iter().any(|p| e.name.starts_with(p.as_str()));
        if !named {
            return false;
        }
        self.user_agent_contains.is_empty()
            || e.user_agent_lower.is_some_and(|ua| {
                self.user_agent_contains
                    .iter()
                    .any(|s| ua.contains(s.as_str()))
            })
    }
}

/// How likely and how late a detection is.
#[derive(Debug, Clone, Copy)]
pub(super) struct Chance {
    probability: f64,
    median_ms: f64,
    sigma: f64,
    min_ms: u64,
}

impl Chance {
    /// Draws whether the detection happens and its latency. Always three uniform draws, so
    /// the random stream does not depend on the outcome.
    pub(super) fn draw(&self, rng: &mut impl RngExt) -> Option<Duration> {
        let hit: f64 = rng.random();
        let u1: f64 = rng.random();
        let u2: f64 = rng.random();
        // Box–Muller; 1 - u1 is in (0, 1], so the logarithm is finite.
        let z = (-2.0 * (1.0 - u1).ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
        let ms = (self.median_ms * (self.sigma * z).exp()).round();
        let ms = if ms.is_finite() {
            ms.min(u64::MAX as f64) as u64
        } else {
            u64::MAX
        };
        (hit < self.probability).then(|| Duration::from_millis(ms.max(self.min_ms)))
    }
}

/// A rule that raises a GuardDuty finding.
#[derive(Debug, Clone)]
pub(super) struct FindingRule {
    pub finding_type: String,
    pub severity: f64,
    pub title: String,
    pub on: Trigger,
    pub chance: Chance,
}

/// A CloudWatch alarm of the account and what makes it fire.
#[derive(Debug, Clone)]
pub(super) struct AlarmRule {
    pub name: String,
    pub on: Trigger,
    pub chance: Chance,
    pub period: Duration,
}

/// The detection model of the simulated account: for each GuardDuty finding type and each
/// CloudWatch alarm, what triggers it, with which probability and latency.
///
/// Built from YAML (see `sim/model.yaml` for the vocabulary), checked and pre-compiled once.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "RawModel")]
pub struct DetectionModel {
    pub(super) findings: Vec<FindingRule>,
    pub(super) alarms: Vec<AlarmRule>,
    /// How GuardDuty's findings reach Security Hub; none: they never do.
    pub(super) securityhub: Option<Chance>,
    /// How an external detector (`command`) follows the detection before it; none: it
    /// never does.
    pub(super) commands: Option<Chance>,
    /// What the account writes to CloudWatch Logs; none: nothing.
    pub(super) logs: Option<LogsModel>,
}

/// Where the simulated account's log events go, and how late they can be read.
#[derive(Debug, Clone)]
pub(super) struct LogsModel {
    /// The account's EventBridge events (GuardDuty findings, alarm state changes), written
    /// by a rule with a log group target: the group, and the delivery.
    pub events: Option<(String, Chance)>,
    /// CloudTrail's events, delivered to a log group: the group, and the delivery.
    pub cloudtrail: Option<(String, Chance)>,
}

impl DetectionModel {
    /// The model shipped with gameday (`sim/model.yaml`). Parsed once per process: bulk
    /// runs create many simulated accounts.
    pub fn builtin() -> DetectionModel {
        static BUILTIN: std::sync::OnceLock<DetectionModel> = std::sync::OnceLock::new();
        BUILTIN
            .get_or_init(
                || match DetectionModel::from_yaml(include_str!("model.yaml")) {
                    Ok(m) => m,
                    // The file is part of the build and a test parses it.
                    Err(e) => panic!("the built-in detection model is invalid: {e}"),
                },
            )
            .clone()
    }

    /// Parses and checks a model; every problem is reported, one a line.
    pub fn from_yaml(text: &str) -> Result<DetectionModel, String> {
        serde_saphyr::from_str::<DetectionModel>(text).map_err(|e| e.to_string())
    }

    /// The finding types the model can raise, in model order (a type may repeat when
    /// several rules raise it).
    pub fn finding_types(&self) -> impl Iterator<Item = &str> {
        self.findings.iter().map(|r| r.finding_type.as_str())
    }

    /// The alarms the simulated account has, in model order.
    pub fn alarm_names(&self) -> impl Iterator<Item = &str> {
        self.alarms.iter().map(|r| r.name.as_str())
    }

    pub(super) fn alarm_index(&self, name: &str) -> Option<usize> {
        self.alarms.iter().position(|a| a.name == name)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModel {
    #[serde(default)]
    guardduty: Vec<RawFinding>,
    #[serde(default)]
    alarms: Vec<RawAlarm>,
    #[serde(default)]
    securityhub: Option<RawHub>,
    #[serde(default)]
    commands: Option<RawCommands>,
    #[serde(default)]
    logs: Option<RawLogs>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLogs {
    #[serde(default)]
    events: Option<RawDelivery>,
    #[serde(default)]
    cloudtrail: Option<RawDelivery>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDelivery {
    log_group: String,
    probability: f64,
    latency: RawLatency,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCommands {
    after_hop: RawImport,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHub {
    from_guardduty: RawImport,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawImport {
    probability: f64,
    latency: RawLatency,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFinding {
    finding_type: String,
    severity: f64,
    title: String,
    on: RawTrigger,
    probability: f64,
    latency: RawLatency,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAlarm {
    name: String,
    on: RawTrigger,
    probability: f64,
    latency: RawLatency,
    period: Duration,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTrigger {
    #[serde(default)]
    events: Vec<String>,
    #[serde(default)]
    event_prefix: Vec<String>,
    #[serde(default)]
    user_agent_contains: Vec<String>,
    #[serde(default)]
    dns_query: Vec<String>,
    #[serde(default, rename = "where")]
    where_: BTreeMap<String, bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLatency {
    median: Duration,
    p95: Duration,
    #[serde(default)]
    min: Duration,
}

impl TryFrom<RawModel> for DetectionModel {
    type Error = String;

    fn try_from(raw: RawModel) -> Result<Self, String> {
        let mut errors = Vec::new();
        let mut findings = Vec::new();
        for (i, f) in raw.guardduty.into_iter().enumerate() {
            let at = format!("guardduty[{i}] ({})", f.finding_type);
            let before = errors.len();
            if f.finding_type.trim().is_empty() {
                errors.push(format!("{at}: finding_type is empty"));
            }
            if !(1.0..=10.0).contains(&f.severity) {
                errors.push(format!(
                    "{at}: severity {} is not between 1 and 10",
                    f.severity
                ));
            }
            check_title(&at, &f.title, &mut errors);
            let on = trigger(&at, f.on, &mut errors);
            let chance = chance(&at, f.probability, &f.latency, &mut errors);
            if errors.len() == before {
                findings.push(FindingRule {
                    finding_type: f.finding_type,
                    severity: f.severity,
                    title: f.title,
                    on,
                    chance,
                });
            }
        }
        let mut alarms: Vec<AlarmRule> = Vec::new();
        for (i, a) in raw.alarms.into_iter().enumerate() {
            let at = format!("alarms[{i}] ({})", a.name);
            let before = errors.len();
            if a.name.trim().is_empty() {
                errors.push(format!("{at}: name is empty"));
            }
            if alarms.iter().any(|x| x.name == a.name) {
                errors.push(format!("{at}: another alarm has the same name"));
            }
            if a.period == Duration::ZERO {
                errors.push(format!("{at}: period must be longer than 0s"));
            }
            let on = trigger(&at, a.on, &mut errors);
            let chance = chance(&at, a.probability, &a.latency, &mut errors);
            if errors.len() == before {
                alarms.push(AlarmRule {
                    name: a.name,
                    on,
                    chance,
                    period: a.period,
                });
            }
        }
        let securityhub = raw.securityhub.map(|h| {
            let i = h.from_guardduty;
            chance(
                "securityhub.from_guardduty",
                i.probability,
                &i.latency,
                &mut errors,
            )
        });
        let commands = raw.commands.map(|c| {
            let i = c.after_hop;
            chance("commands.after_hop", i.probability, &i.latency, &mut errors)
        });
        let logs = raw.logs.map(|l| {
            let mut delivery = |at: &str, d: Option<RawDelivery>| {
                let d = d?;
                if d.log_group.trim().is_empty() {
                    errors.push(format!("{at}: log_group is empty"));
                }
                Some((
                    d.log_group,
                    chance(at, d.probability, &d.latency, &mut errors),
                ))
            };
            LogsModel {
                events: delivery("logs.events", l.events),
                cloudtrail: delivery("logs.cloudtrail", l.cloudtrail),
            }
        });
        if errors.is_empty() {
            Ok(DetectionModel {
                findings,
                alarms,
                securityhub,
                commands,
                logs,
            })
        } else {
            Err(errors.join("\n"))
        }
    }
}

fn check_title(at: &str, title: &str, errors: &mut Vec<String>) {
    let mut rest = title;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            errors.push(format!("{at}: title has a `{{` without a `}}`"));
            return;
        };
        let name = &after[..close];
        if !PLACEHOLDERS.contains(&name) {
            errors.push(format!(
                "{at}: title placeholder {{{name}}} is unknown; use one of {}",
                PLACEHOLDERS.join(", ")
            ));
        }
        rest = &after[close + 1..];
    }
}

fn trigger(at: &str, raw: RawTrigger, errors: &mut Vec<String>) -> Trigger {
    let mut mask = 0;
    let mut want = 0;
    for (key, value) in &raw.where_ {
        match ATTRIBUTES.iter().find(|(name, _)| name == key) {
            Some(&(_, bit)) => {
                mask |= bit;
                if *value {
                    want |= bit;
                }
            }
            None => {
                let known: Vec<&str> = ATTRIBUTES.iter().map(|(n, _)| *n).collect();
                errors.push(format!(
                    "{at}: `where` attribute `{key}` is unknown; use one of {}",
                    known.join(", ")
                ));
            }
        }
    }
    for name in &raw.events {
        if !name.contains(':') {
            errors.push(format!(
                "{at}: event `{name}` must be written `service:Operation`"
            ));
        }
    }
    if raw.user_agent_contains.iter().any(String::is_empty) {
        errors.push(format!("{at}: user_agent_contains has an empty string"));
    }
    for d in &raw.dns_query {
        if crate::catalogue::test_domain_finding(d).is_none() {
            errors.push(format!(
                "{at}: dns_query `{d}` is not one of GuardDuty's test domains \
                 (engine/src/catalogue/guardduty_test_domains.txt)"
            ));
        }
    }
    let names_calls = !(raw.events.is_empty()
        && raw.event_prefix.is_empty()
        && raw.user_agent_contains.is_empty());
    if !raw.dns_query.is_empty() && names_calls {
        errors.push(format!(
            "{at}: dns_query matches DNS lookups, which have no event name or user agent: \
             give it alone"
        ));
    }
    Trigger {
        events: raw.events,
        prefixes: raw.event_prefix,
        user_agent_contains: raw
            .user_agent_contains
            .iter()
            .map(|s| s.to_lowercase())
            .collect(),
        dns_query: raw.dns_query,
        mask,
        want,
    }
}

fn chance(at: &str, probability: f64, latency: &RawLatency, errors: &mut Vec<String>) -> Chance {
    if !(0.0..=1.0).contains(&probability) {
        errors.push(format!(
            "{at}: probability {probability} is not between 0 and 1"
        ));
    }
    if latency.median == Duration::ZERO {
        errors.push(format!("{at}: latency median must be longer than 0s"));
    }
    if latency.p95 < latency.median {
        errors.push(format!(
            "{at}: latency p95 {} is below the median {}",
            latency.p95, latency.median
        ));
    }
    let median_ms = latency.median.as_millis() as f64;
    let p95_ms = latency.p95.as_millis() as f64;
    let sigma = if median_ms > 0.0 && p95_ms >= median_ms {
        (p95_ms / median_ms).ln() / 1.645
    } else {
        0.0
    };
    Chance {
        probability,
        median_ms,
        sigma,
        min_ms: latency.min.as_millis(),
    }
}
