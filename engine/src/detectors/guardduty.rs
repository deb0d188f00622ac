//! `guardduty`: a GuardDuty finding of a type, about the run's resource.

use super::{DetectorSpec, Hit, Look, Problem};
use crate::catalogue;
use crate::sandbox::{FindingResource, SandboxError};
use crate::scenario::Detect;
use async_trait::async_trait;

pub struct GuardDuty;

static SPEC: DetectorSpec = DetectorSpec {
    name: "guardduty",
    summary: "A GuardDuty finding of `finding_type`, about the resource `match` names.",
    docs: "Met by the first unarchived finding of the type created at or after T0 whose \
           resource has every `match` value. GuardDuty folds repeats into the first finding \
           about a resource, so a finding created before T0 is never this trigger's. With \
           `sample: true` (a response drill) only sample findings count, and only they; \
           without it, never. Findings also arrive pushed, where the target enables push.",
    names_by: Some("finding_type"),
    inputs: &[],
    match_keys: FindingResource::KEYS,
    calls: &["guardduty:ListFindings", "guardduty:GetFindings"],
    drills: true,
    time: "the finding's createdAt",
    poll: super::Every::GuardDuty,
};

#[async_trait]
impl super::Detector for GuardDuty {
    fn spec(&self) -> &'static DetectorSpec {
        &SPEC
    }

    /// The finding type is one GuardDuty raises today (the catalogue's).
    fn check(&self, d: &Detect) -> Vec<Problem> {
        d.finding_type
            .as_deref()
            .and_then(catalogue::finding_type_problem)
            .map(|(message, hint)| Problem::new("finding_type", message, Some(hint)))
            .into_iter()
            .collect()
    }

    async fn find(&self, look: &Look<'_>) -> Result<Option<Hit>, SandboxError> {
        let d = look.detect;
        let types = d.finding_type.iter().cloned().collect::<Vec<_>>();
        let findings = look
            .sandbox
            .guardduty()
            .findings(&types, look.run_start)
            .await?;
        Ok(findings
            .into_iter()
            // Only a finding created at or after T0 can be this trigger's: an older one
            // would give a time to detect below zero. A drill counts only sample findings
            // (the run's step creates them), anything else only real ones.
            .filter(|f| f.sample == d.sample && f.created_at >= look.t0)
            .filter(|f| {
                look.matches
                    .iter()
                    .all(|(k, v)| f.resource.get(k) == Some(v.as_str()))
            })
            .min_by_key(|f| f.created_at)
            .map(|f| Hit {
                at: f.created_at,
                evidence: f.id,
                title: f.title,
            }))
    }
}
