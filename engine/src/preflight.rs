//! What must hold before a step changes anything: the names it sends follow their
//! service's rules, and what it creates is not there already. A run creates its own
//! resources and never adopts one: a step that would "create" something that exists (an
//! S3 bucket in us-east-1 answers success to its owner) would otherwise tag it, change it
//! and delete it at clean-up as the run's.
//!
//! [`existing`] asks before the run starts, for every name known then (exit 2, nothing
//! changed); [`not_there`] asks again right before each create, for names that depend on
//! what earlier steps returned.

use crate::library::Plan;
use crate::names::{self, NameError};
use crate::ownership;
use crate::sandbox::{ErrorKind, Resource, ResourceKind, Sandbox, SandboxError};
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
        ResourceKind::Bucket => "s3:HeadBucket",
        ResourceKind::Trail => "cloudtrail:GetTrail",
        ResourceKind::SecurityGroup => "ec2:DescribeSecurityGroups (group-name)",
        ResourceKind::ThreatList => "guardduty:ListThreatIntelSets",
        ResourceKind::PushDelivery => "sqs:GetQueueUrl",
        ResourceKind::Instance | ResourceKind::Snapshot => "none (the provider names it)",
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
