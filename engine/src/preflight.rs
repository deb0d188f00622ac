//! What must hold before a step changes anything: the names it sends follow their
//! service's rules, and what it creates is not there already. A run creates its own
//! resources and never adopts one: a step that would "create" something that exists (an
//! S3 bucket in us-east-1 answers success to its owner) would otherwise tag it, change it
//! and delete it at clean-up as the run's.
//!
//! [`existing`] asks before the run starts, for every name known then (exit 2, nothing
//! changed); [`not_there`] asks again right before each create, for names that depend on
//! what earlier steps returned. [`missing_alarms`] asks, before the run too, for the
//! CloudWatch alarms the scenario watches: a detection of an alarm the account lacks
//! could never be met.

use crate::detectors;
use crate::library::Plan;
use crate::names::{self, NameError};
use crate::ownership;
use crate::sandbox::{
    CloudWatch, Commands, ErrorKind, Resource, ResourceKind, Sandbox, SandboxError,
};
use crate::scenario::Scenario;
use crate::steps::{self, Args, StepContext, StepKind};
use crate::template;
use serde_json::{Map, Value};

/// The first input of `kind` among `values` whose name breaks its rule.
pub fn bad_name(kind: &dyn StepKind, values: &Map<String, Value>) -> Option<(String, NameError)> {
    let spec = kind.spec();
    values.iter().find_map(|(input, v)| {
        let rule = names::rule_of(spec.name, input)?;
        let name = v.as_str()?;
        rule.check(name).err().map(|e| (input.clone(), e))
    })
}

/// The read-only call that tells whether a resource of `kind` exists, by name.
pub fn existence_call(kind: ResourceKind) -> &'static str {
    match kind {
        ResourceKind::User => "iam:ListUserTags",
        ResourceKind::Role => "iam:ListRoleTags",
        ResourceKind::Bucket => "s3:HeadBucket",
        ResourceKind::Trail => "cloudtrail:GetTrail",
        ResourceKind::SecurityGroup => "ec2:DescribeSecurityGroups (group-name)",
        ResourceKind::ThreatList => "guardduty:ListThreatIntelSets",
        ResourceKind::PushDelivery => "sqs:GetQueueUrl",
        ResourceKind::Instance
        | ResourceKind::Snapshot
        | ResourceKind::InternetGateway
        | ResourceKind::Vpc
        | ResourceKind::RouteTable
        | ResourceKind::NetworkAcl
        | ResourceKind::Key => "none (the provider names it)",
    }
}

fn already(kind: &dyn StepKind, r: &Resource) -> SandboxError {
    SandboxError::new(
        ErrorKind::AlreadyExists,
        kind.spec().name,
        format!(
            "{r} already exists in the account: a run creates its own resources and never \
             adopts one (choose another name; a resource the attack should use as it is \
             is a parameter marked `existing: true`)"
        ),
    )
}

/// Right before `kind` runs with `args`: its names follow their rules, and what it creates
/// by name does not exist yet.
pub async fn not_there(
    cx: &StepContext<'_>,
    kind: &dyn StepKind,
    args: &Args,
) -> Result<(), SandboxError> {
    if let Some((input, e)) = bad_name(kind, args.values()) {
        return Err(SandboxError::new(
            ErrorKind::InvalidInput,
            kind.spec().name,
            format!("input `{input}`: {e}"),
        ));
    }
    let Some(creates) = kind.spec().creates else {
        return Ok(());
    };
    let Some(name) = creates
        .name
        .and_then(|input| args.values().get(input)?.as_str())
    else {
        return Ok(());
    };
    match ownership::existing(cx.sandbox, creates.kind, name).await? {
        Some(r) => Err(already(kind, &r)),
        None => Ok(()),
    }
}

/// A step of a plan that would create what exists already.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Existing {
    /// The step id.
    pub step: String,
    /// Its step kind.
    pub action: String,
    /// The input naming the resource.
    pub input: String,
    /// The resource.
    pub resource: Resource,
}

impl std::fmt::Display for Existing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "step `{}` ({}) would create {}, which already exists in the account; a run \
             creates its own resources and never adopts one",
            self.step, self.action, self.resource
        )
    }
}

/// The resources `plan`'s setup and attack steps create under a name known before the
/// run (no step output in it): step id, step kind, input and resource.
pub fn creations(plan: &Plan) -> Vec<(String, String, String, Resource)> {
    plan.scenario
        .steps()
        .filter_map(|(_, step)| {
            let kind = steps::find(&step.action)?;
            let (resource, input) = kind.spec().named_creation()?;
            let name = step.with.get(input)?.as_str()?;
            // A name that still holds a reference is known only once the run is under way.
            template::is_plain(name).then(|| {
                (
                    step.id.clone(),
                    step.action.clone(),
                    input.to_owned(),
                    Resource::new(resource, template::unescape(name)),
                )
            })
        })
        .collect()
}

/// Before the run: every resource `plan` creates under a name known now, looked up in
/// `sandbox` with read-only calls. Any found is a reason not to start.
pub async fn existing(plan: &Plan, sandbox: &dyn Sandbox) -> Result<Vec<Existing>, SandboxError> {
    let mut found = Vec::new();
    for (step, action, input, r) in creations(plan) {
        if ownership::existing(sandbox, r.kind, &r.id).await?.is_some() {
            found.push(Existing {
                step,
                action,
                input,
                resource: r,
            });
        }
    }
    Ok(found)
}

/// A detection that watches a CloudWatch alarm the account does not have: it could never
/// be met, and the run would wait out its deadline for nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingAlarm {
    /// The detection id.
    pub detection: String,
    /// The alarm's name.
    pub alarm: String,
}

impl std::fmt::Display for MissingAlarm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "detection `{}` watches CloudWatch alarm `{}`, which the account does not have \
             in this region: it could never be met",
            self.detection, self.alarm
        )
    }
}

/// The alarms `scenario`'s detections watch, by name (the sources named by `alarm`), with
/// the detection that watches each; names that still hold a reference are left out.
pub fn alarms(scenario: &Scenario) -> Vec<(String, String)> {
    scenario
        .detect
        .iter()
        .filter(|d| {
            detectors::find(d.source.as_str()).is_some_and(|s| s.spec().names_by == Some("alarm"))
        })
        .filter_map(|d| {
            let name = d.alarm.as_deref().filter(|n| template::is_plain(n))?;
            Some((d.id.clone(), template::unescape(name)))
        })
        .collect()
}

/// Before the run: the alarms `scenario` watches that the account lacks, asked with one
/// DescribeAlarms by name (an alarm that does not exist is absent from the answer).
pub async fn missing_alarms(
    scenario: &Scenario,
    cloudwatch: &dyn CloudWatch,
) -> Result<Vec<MissingAlarm>, SandboxError> {
    let wanted = alarms(scenario);
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let mut names: Vec<String> = wanted.iter().map(|(_, a)| a.clone()).collect();
    names.sort();
    names.dedup();
    let present = cloudwatch.describe_alarms(&names).await?;
    Ok(wanted
        .into_iter()
        .filter(|(_, alarm)| !present.iter().any(|a| &a.name == alarm))
        .map(|(detection, alarm)| MissingAlarm { detection, alarm })
        .collect())
}

/// The detector commands `scenario`'s `command` detections name that the target does
/// not define (`commands` in its configuration), each with its detection: such a
/// detection would be missed at its first look. Empty where any name is modelled.
pub fn missing_commands(scenario: &Scenario, commands: &dyn Commands) -> Vec<String> {
    let Some(known) = commands.names() else {
        return Vec::new();
    };
    scenario
        .detect
        .iter()
        .filter(|d| d.source.as_str() == "command")
        .filter_map(|d| {
            let name = d.with.get("command")?.as_str()?;
            (!known.iter().any(|k| k == name)).then(|| {
                format!(
                    "detection `{}` asks detector command `{name}`, which the target does not \
                     define under `commands` (it defines: {}): it could never be met",
                    d.id,
                    if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known.join(", ")
                    }
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Clock;
    use crate::sim::{DetectionModel, SimAccount};
    use std::path::Path;
    use std::sync::Arc;

    fn scenario(detect: &str) -> Scenario {
        let text = format!(
            "id: alarms\ntitle: t\nsummary: s\nmitre: [T1685.002]\nseverity: low\n\
             attack:\n  - id: stop\n    action: cloudtrail.stop_logging\n    \
             with: {{ trail_name: t }}\ndetect:\n{detect}"
        );
        crate::library::parse_scenario(Path::new("alarms.yaml"), &text)
            .expect("a scenario")
            .value
    }

    #[tokio::test]
    async fn the_alarms_the_account_lacks_are_named_with_their_detections() {
        let clock = Arc::new(Clock::virtual_at(chrono::Utc::now()));
        let sim = SimAccount::new(1, Arc::new(DetectionModel::builtin()), clock);
        let s = scenario(
            "  - { id: has, source: cloudwatch, alarm: cis-cloudtrail-changes, within: 20m }\n  \
             - { id: lacks, source: cloudwatch, alarm: team-trail-stopped, within: 20m }\n  \
             - { id: finding, source: guardduty, finding_type: \"Stealth:IAMUser/CloudTrailLoggingDisabled\", within: 20m }\n  \
             - { id: again, source: cloudwatch, alarm: team-trail-stopped, within: 30m }\n",
        );
        let missing = missing_alarms(&s, sim.cloudwatch()).await.expect("asked");
        assert_eq!(
            missing,
            ["lacks", "again"].map(|d| MissingAlarm {
                detection: d.to_owned(),
                alarm: "team-trail-stopped".to_owned(),
            })
        );
        assert_eq!(
            missing[0].to_string(),
            "detection `lacks` watches CloudWatch alarm `team-trail-stopped`, which the \
             account does not have in this region: it could never be met"
        );
        let none = scenario(
            "  - { id: has, source: cloudwatch, alarm: cis-cloudtrail-changes, within: 20m }\n",
        );
        assert_eq!(
            missing_alarms(&none, sim.cloudwatch()).await,
            Ok(Vec::new())
        );
    }
}
