//! `cloudtrail.start_logging`: start a trail's delivery.

use super::{Applied, Args, Field, FieldType, StepContext, StepKind, StepSpec, Undo};
use crate::sandbox::SandboxError;
use async_trait::async_trait;
use serde_json::json;

pub struct CloudtrailStartLogging;

static SPEC: StepSpec = StepSpec {
    name: "cloudtrail.start_logging",
    summary: "Start a CloudTrail trail logging.",
    docs: "The trail delivers events from then on; events of a gap while it was stopped are \
           not delivered afterwards (look them up in CloudTrail event history, which keeps \
           management events for 90 days). A trail that is logging already is left as it is.",
    inputs: &[Field {
        name: "trail_name",
        ty: FieldType::String,
        required: true,
        doc: "The trail name.",
    }],
    outputs: &[],
    calls: &["cloudtrail:GetTrailStatus", "cloudtrail:StartLogging"],
    revert: "cloudtrail.stop_logging (none if it was logging)",
    creates: None,
};

#[async_trait]
impl StepKind for CloudtrailStartLogging {
    fn spec(&self) -> &'static StepSpec {
        &SPEC
    }

    fn guard(&self, args: &Args) -> Result<super::Guard, SandboxError> {
        Ok(super::Guard::Restores(Some(args.resource(
            crate::sandbox::ResourceKind::Trail,
            "trail_name",
        )?)))
    }

    async fn restorable(
        &self,
        cx: &StepContext<'_>,
        args: &Args,
    ) -> Result<super::Restorable, SandboxError> {
        // What a stop left is a trail not logging; logging again is as it was.
        Ok(
            if cx
                .sandbox
                .cloudtrail()
                .is_logging(args.str("trail_name")?)
                .await?
            {
                super::Restorable::AlreadyRestored
            } else {
                super::Restorable::AsLeft
            },
        )
    }

    async fn apply(&self, cx: &StepContext<'_>, args: &Args) -> Result<Applied, SandboxError> {
        let trail = args.str("trail_name")?;
        let ct = cx.sandbox.cloudtrail();
        let was_logging = ct.is_logging(trail).await?;
        ct.start_logging(trail).await?;
        let mut applied = Applied::default();
        if !was_logging {
            applied = applied.undo(Undo::new(
                "cloudtrail.stop_logging",
                json!({ "trail_name": trail }),
                format!("logging of cloudtrail trail {trail}"),
            ));
        }
        Ok(applied)
    }
}

#[cfg(test)]
mod tests {
    use crate::steps::testing::Harness;
    use crate::steps::testing::logging_trail;
    use serde_json::json;

    #[tokio::test]
    async fn starts_a_stopped_trail_and_reverts_by_stopping() {
        let h = Harness::new();
        let ct = h.sandbox.cloudtrail();
        logging_trail(&h, "gameday-t-trail").await;
        ct.stop_logging("gameday-t-trail").await.expect("stop");
        let applied = h
            .apply(
                "cloudtrail.start_logging",
                json!({"trail_name": "gameday-t-trail"}),
            )
            .await
            .expect("applies");
        assert!(ct.is_logging("gameday-t-trail").await.expect("status"));
        assert_eq!(applied.undo[0].action, "cloudtrail.stop_logging");
        h.revert(&applied).await.expect("reverts");
        assert!(!ct.is_logging("gameday-t-trail").await.expect("status"));
    }

    #[tokio::test]
    async fn a_logging_trail_has_nothing_to_undo() {
        let h = Harness::new();
        logging_trail(&h, "gameday-t-trail").await;
        let applied = h
            .apply(
                "cloudtrail.start_logging",
                json!({"trail_name": "gameday-t-trail"}),
            )
            .await
            .expect("applies");
        assert!(applied.undo.is_empty());
        assert!(
            h.sandbox
                .cloudtrail()
                .is_logging("gameday-t-trail")
                .await
                .expect("status")
        );
    }
}
