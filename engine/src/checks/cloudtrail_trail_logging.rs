//! `cloudtrail.trail_logging`: whether a trail records again.

use super::{Check, CheckSpec, Values, text};
use crate::sandbox::{Sandbox, SandboxError};
use crate::steps::Args;
use async_trait::async_trait;
use serde_json::{Value, json};

pub struct CloudtrailTrailLogging;

static SPEC: CheckSpec = CheckSpec {
    name: "cloudtrail.trail_logging",
    summary: "Whether a trail is logging.",
    docs: "Reads the trail's status and reports its IsLogging. Events of the gap while it \
           was stopped are never delivered to the trail; event history still has them.",
    inputs: &[text("trail_name", "The trail.")],
    values: Values::Bool,
    calls: &["cloudtrail:GetTrailStatus"],
    audit_events: &["cloudtrail:StartLogging"],
    audit_resource: Some("trail_name"),
};

#[async_trait]
impl Check for CloudtrailTrailLogging {
    fn spec(&self) -> &'static CheckSpec {
        &SPEC
    }

    async fn probe(&self, sandbox: &dyn Sandbox, args: &Args) -> Result<Value, SandboxError> {
        Ok(json!(
            sandbox
                .cloudtrail()
                .is_logging(args.str("trail_name")?)
                .await?
        ))
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::probe;
    use crate::steps::testing::{Harness, logging_trail};
    use serde_json::json;

    #[tokio::test]
    async fn follows_the_trail_stopped_and_started() {
        let h = Harness::new();
        logging_trail(&h, "gameday-t-trail").await;
        let with = json!({"trail_name": "gameday-t-trail"});
        let logging = async || {
            probe(&h, "cloudtrail.trail_logging", with.clone())
                .await
                .expect("probes")
        };
        assert_eq!(logging().await, true);
        h.apply("cloudtrail.stop_logging", with.clone())
            .await
            .expect("stops");
        assert_eq!(logging().await, false);
        h.apply("cloudtrail.start_logging", with.clone())
            .await
            .expect("starts");
        assert_eq!(logging().await, true);
    }
}
