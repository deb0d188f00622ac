//! `guardduty.delete_threat_intel_set`: a threat list.

use super::{Applied, Args, Field, FieldType, StepContext, StepKind, StepSpec, gone_is_fine};
use crate::sandbox::SandboxError;
use async_trait::async_trait;

pub struct GuarddutyDeleteThreatIntelSet;

static SPEC: StepSpec = StepSpec {
    name: "guardduty.delete_threat_intel_set",
    summary: "Delete a GuardDuty threat list.",
    docs: "GuardDuty stops matching calls against the list; findings it already produced \
           stay. A list that does not exist counts as deleted.",
    inputs: &[Field {
        name: "threat_intel_set_id",
        ty: FieldType::String,
        required: true,
        doc: "The threat list's id.",
    }],
    outputs: &[],
    calls: &[
        "guardduty:GetThreatIntelSet",
        "guardduty:DeleteThreatIntelSet",
        "s3:ListObjectsV2",
        "s3:DeleteObject",
        "s3:DeleteBucket",
    ],
    revert: "none",
    creates: None,
};

#[async_trait]
impl StepKind for GuarddutyDeleteThreatIntelSet {
    fn spec(&self) -> &'static StepSpec {
        &SPEC
    }

    fn guard(&self, args: &Args) -> Result<super::Guard, SandboxError> {
        Ok(super::Guard::Deletes(args.resource(
            crate::sandbox::ResourceKind::ThreatList,
            "threat_intel_set_id",
        )?))
    }

    async fn apply(&self, cx: &StepContext<'_>, args: &Args) -> Result<Applied, SandboxError> {
        let id = args.str("threat_intel_set_id")?;
        gone_is_fine(cx.sandbox.guardduty().delete_threat_intel_set(id).await)?;
        Ok(Applied::default())
    }
}

#[cfg(test)]
mod tests {
    use crate::sandbox::ErrorKind;
    use crate::steps::testing::Harness;
    use serde_json::json;

    #[tokio::test]
    async fn deletes_and_a_second_time_is_fine() {
        let h = Harness::new();
        let gd = h.sandbox.guardduty();
        let id = gd
            .create_threat_intel_set("l", &["198.51.100.7".to_owned()], &h.tags)
            .await
            .expect("list");
        let applied = h
            .apply(
                "guardduty.delete_threat_intel_set",
                json!({"threat_intel_set_id": id}),
            )
            .await
            .expect("deletes");
        assert!(applied.undo.is_empty());
        assert_eq!(
            gd.delete_threat_intel_set(&id)
                .await
                .expect_err("gone")
                .kind,
            ErrorKind::NotFound
        );
        h.apply(
            "guardduty.delete_threat_intel_set",
            json!({"threat_intel_set_id": id}),
        )
        .await
        .expect("again is fine");
    }
}
