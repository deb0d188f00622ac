//! `cloudtrail.delete_trail`: a trail.

use super::{Applied, Args, Field, FieldType, StepContext, StepKind, StepSpec, gone_is_fine};
use crate::sandbox::SandboxError;
use async_trait::async_trait;

pub struct CloudtrailDeleteTrail;

static SPEC: StepSpec = StepSpec {
    name: "cloudtrail.delete_trail",
    summary: "Delete a CloudTrail trail.",
    docs: "Stops delivery and deletes the trail; the log files already delivered stay in the \
           bucket. A trail that does not exist counts as deleted.",
    inputs: &[Field {
        name: "trail_name",
        ty: FieldType::String,
        required: true,
        doc: "The trail name.",
    }],
    outputs: &[],
    calls: &["cloudtrail:DeleteTrail"],
    revert: "none",
    creates: None,
};

#[async_trait]
impl StepKind for CloudtrailDeleteTrail {
    fn spec(&self) -> &'static StepSpec {
        &SPEC
    }

    fn guard(&self, args: &Args) -> Result<super::Guard, SandboxError> {
        Ok(super::Guard::Deletes(args.resource(
            crate::sandbox::ResourceKind::Trail,
            "trail_name",
        )?))
    }

    async fn apply(&self, cx: &StepContext<'_>, args: &Args) -> Result<Applied, SandboxError> {
        let trail = args.str("trail_name")?;
        gone_is_fine(cx.sandbox.cloudtrail().delete_trail(trail).await)?;
        Ok(Applied::default())
    }
}

#[cfg(test)]
mod tests {
    use crate::sandbox::ErrorKind;
    use crate::steps::testing::Harness;
    use crate::steps::testing::logging_trail;
    use serde_json::json;

    #[tokio::test]
    async fn deletes_and_a_second_time_is_fine() {
        let h = Harness::new();
        logging_trail(&h, "gameday-t-trail").await;
        let applied = h
            .apply(
                "cloudtrail.delete_trail",
                json!({"trail_name": "gameday-t-trail"}),
            )
            .await
            .expect("deletes");
        assert!(applied.undo.is_empty());
        assert_eq!(
            h.sandbox
                .cloudtrail()
                .is_logging("gameday-t-trail")
                .await
                .expect_err("gone")
                .kind,
            ErrorKind::NotFound
        );
        h.apply(
            "cloudtrail.delete_trail",
            json!({"trail_name": "gameday-t-trail"}),
        )
        .await
        .expect("again is fine");
    }
}
