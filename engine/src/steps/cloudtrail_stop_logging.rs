//! `cloudtrail.stop_logging`: stop a trail's delivery.

use super::{Applied, Args, Field, FieldType, StepContext, StepKind, StepSpec, Undo};
use crate::sandbox::SandboxError;
use async_trait::async_trait;
use serde_json::json;

pub struct CloudtrailStopLogging;

static SPEC: StepSpec = StepSpec {
    name: "cloudtrail.stop_logging",
    summary: "Stop a CloudTrail trail from logging (the attacker blinding the defenders).",
    docs: "The trail stops delivering events to its bucket (and to CloudWatch Logs) until \
           logging starts again; events of the gap are never delivered to it. CloudTrail \
           event history still records management events (for 90 days) whatever the trails \
           do, and GuardDuty reports the call (Stealth:IAMUser/CloudTrailLoggingDisabled).",
    inputs: &[Field {
        name: "trail_name",
        ty: FieldType::String,
        required: true,
        doc: "The trail name.",
    }],
    outputs: &[],
    calls: &["cloudtrail:GetTrailStatus", "cloudtrail:StopLogging"],
    revert: "cloudtrail.start_logging (none if it was not logging)",
    creates: None,
};

#[async_trait]
impl StepKind for CloudtrailStopLogging {
    fn spec(&self) -> &'static StepSpec {
        &SPEC
    }

    fn guard(&self, args: &Args) -> Result<super::Guard, SandboxError> {
        Ok(super::Guard::Inside(args.resource(
            crate::sandbox::ResourceKind::Trail,
            "trail_name",
        )?))
    }

    async fn apply(&self, cx: &StepContext<'_>, args: &Args) -> Result<Applied, SandboxError> {
        let trail = args.str("trail_name")?;
        let ct = cx.sandbox.cloudtrail();
        let was_logging = ct.is_logging(trail).await?;
        ct.stop_logging(trail).await?;
        let mut applied = Applied::default();
        if was_logging {
            applied = applied.undo(Undo::new(
                "cloudtrail.start_logging",
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
    async fn stops_and_reverts_by_starting() {
        let h = Harness::new();
        let ct = h.sandbox.cloudtrail();
        logging_trail(&h, "gameday-t-trail").await;
        let applied = h
            .apply(
                "cloudtrail.stop_logging",
                json!({"trail_name": "gameday-t-trail"}),
            )
            .await
            .expect("applies");
        assert!(!ct.is_logging("gameday-t-trail").await.expect("status"));
        assert_eq!(applied.undo[0].action, "cloudtrail.start_logging");
        h.revert(&applied).await.expect("reverts");
        assert!(ct.is_logging("gameday-t-trail").await.expect("status"));
    }

    #[tokio::test]
    async fn a_stopped_trail_has_nothing_to_undo_and_a_missing_one_is_an_error() {
        let h = Harness::new();
        let ct = h.sandbox.cloudtrail();
        logging_trail(&h, "gameday-t-trail").await;
        ct.stop_logging("gameday-t-trail").await.expect("stop");
        let applied = h
            .apply(
                "cloudtrail.stop_logging",
                json!({"trail_name": "gameday-t-trail"}),
            )
            .await
            .expect("applies");
        assert!(applied.undo.is_empty());
        assert!(!ct.is_logging("gameday-t-trail").await.expect("status"));
        let err = h
            .apply(
                "cloudtrail.stop_logging",
                json!({"trail_name": "gameday-t-none"}),
            )
            .await
            .expect_err("no such trail");
        assert_eq!(err.kind, crate::sandbox::ErrorKind::NotFound);
    }
}
