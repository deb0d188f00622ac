//! `guardduty.create_sample_findings`: sample findings for response drills.

use super::{Applied, Args, Field, FieldType, StepContext, StepKind, StepSpec};
use crate::sandbox::SandboxError;
use async_trait::async_trait;

pub struct GuarddutyCreateSampleFindings;

static SPEC: StepSpec = StepSpec {
    name: "guardduty.create_sample_findings",
    summary: "Have GuardDuty create sample findings of given types (for response drills).",
    docs: "GuardDuty creates the findings because it is asked to, with placeholder resources \
           and a [SAMPLE] title: they prove nothing about detection. Use them to drill what \
           happens after a finding (EventBridge rules, notifications, triage), not to test \
           that an attack is detected. Only a detection marked `sample: true` (a response \
           drill) counts them, timed from its trigger to the sample's createdAt. Sample \
           findings are not removed at clean-up; archive them in the console if they get \
           in the way.",
    inputs: &[Field {
        name: "finding_types",
        ty: FieldType::FindingTypes,
        required: true,
        doc: "Finding types, such as UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom.",
    }],
    outputs: &[],
    calls: &["guardduty:CreateSampleFindings"],
    revert: "none",
    creates: None,
};

#[async_trait]
impl StepKind for GuarddutyCreateSampleFindings {
    fn spec(&self) -> &'static StepSpec {
        &SPEC
    }

    async fn apply(&self, cx: &StepContext<'_>, args: &Args) -> Result<Applied, SandboxError> {
        let types = args.list("finding_types")?;
        // With no types GuardDuty would create a sample of every type it has.
        if types.is_empty() {
            return Err(
                args.bad("input `finding_types` must name at least one finding type".to_owned())
            );
        }
        cx.sandbox
            .guardduty()
            .create_sample_findings(&types)
            .await?;
        Ok(Applied::default())
    }
}

#[cfg(test)]
mod tests {
    use crate::sandbox::ErrorKind;
    use crate::steps::testing::Harness;
    use serde_json::json;

    #[tokio::test]
    async fn creates_sample_findings_of_the_given_type() {
        let h = Harness::new();
        let since = h.clock.now() - chrono::Duration::minutes(1);
        let kind = "Stealth:IAMUser/CloudTrailLoggingDisabled";
        let applied = h
            .apply(
                "guardduty.create_sample_findings",
                json!({"finding_types": [kind]}),
            )
            .await
            .expect("applies");
        assert!(applied.undo.is_empty());
        let findings = h
            .sandbox
            .guardduty()
            .findings(&[kind.to_owned()], since)
            .await
            .expect("findings");
        assert!(!findings.is_empty(), "a sample finding");
        assert!(
            findings.iter().all(|f| f.sample && f.finding_type == kind),
            "{findings:?}"
        );
    }

    #[tokio::test]
    async fn refuses_an_empty_list() {
        let h = Harness::new();
        let err = h
            .apply(
                "guardduty.create_sample_findings",
                json!({"finding_types": []}),
            )
            .await
            .expect_err("refused");
        assert_eq!(err.kind, ErrorKind::InvalidInput);
    }
}
