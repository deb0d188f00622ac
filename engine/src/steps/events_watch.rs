//! `events.watch` and `events.unwatch`: the run's own push delivery of detections.

use super::{Applied, Args, Field, FieldType, OutputSpec, StepContext, StepKind, StepSpec, Undo};
use crate::sandbox::{ErrorKind, Push, SandboxError};
use async_trait::async_trait;
use serde_json::json;

pub struct EventsWatch;
pub struct EventsUnwatch;

static WATCH: StepSpec = StepSpec {
    name: "events.watch",
    summary: "Deliver the run's detections by push: an EventBridge rule to an SQS queue.",
    docs: "Made by the run itself before its setup when the target has `push: true` (a rule \
           on GuardDuty findings and CloudWatch alarm state changes, PREFIX-RUN-events) or \
           the scenario has `eventbridge` detections (a rule for each pattern, \
           PREFIX-RUN-events-N), delivering to a queue the run long-polls, PREFIX-RUN-events, \
           all tagged for the run. What arrives is merged with what the pollers find; the \
           detection time stays the provider's own. Not available on the simulator.",
    inputs: &[
        Field {
            name: "patterns",
            ty: FieldType::StringList,
            required: false,
            doc: "The event patterns (JSON) of the run's eventbridge detections, one rule each.",
        },
        Field {
            name: "findings",
            ty: FieldType::Bool,
            required: false,
            doc: "Whether to push GuardDuty findings and alarm changes (the target's `push`).",
        },
    ],
    outputs: &[OutputSpec {
        name: "name",
        doc: "The name of the rule and the queue.",
        secret: false,
    }],
    calls: &[
        "sqs:CreateQueue",
        "sqs:GetQueueAttributes",
        "events:PutRule",
        "sqs:SetQueueAttributes",
        "events:PutTargets",
        "sqs:ReceiveMessage (long poll, until clean-up)",
    ],
    revert: "events.unwatch",
    creates: Some(super::Creates {
        kind: crate::sandbox::ResourceKind::PushDelivery,
        name: None,
    }),
};

static UNWATCH: StepSpec = StepSpec {
    name: "events.unwatch",
    summary: "Remove the run's push delivery: its rule's target, the rule and the queue.",
    docs: "The revert of events.watch.",
    inputs: &[Field {
        name: "name",
        ty: FieldType::String,
        required: true,
        doc: "The name of the rule and the queue.",
    }],
    outputs: &[],
    calls: &[
        "events:RemoveTargets",
        "events:DeleteRule",
        "sqs:GetQueueUrl",
        "sqs:DeleteQueue",
    ],
    revert: "none",
    creates: None,
};

fn push<'a>(cx: &'a StepContext<'_>, op: &str) -> Result<&'a dyn Push, SandboxError> {
    cx.sandbox.push().ok_or_else(|| {
        SandboxError::new(
            ErrorKind::Unsupported,
            op,
            "this target has no push delivery (the simulator, or an AWS target without `push: true`)",
        )
    })
}

#[async_trait]
impl StepKind for EventsWatch {
    fn spec(&self) -> &'static StepSpec {
        &WATCH
    }

    async fn apply(&self, cx: &StepContext<'_>, args: &Args) -> Result<Applied, SandboxError> {
        let mut patterns = Vec::new();
        for p in args.list("patterns")? {
            patterns.push(serde_json::from_str::<serde_json::Value>(&p).map_err(|e| {
                SandboxError::new(
                    ErrorKind::InvalidInput,
                    "events:PutRule",
                    format!("a pattern is not JSON: {e}"),
                )
            })?);
        }
        let findings = args.bool_or("findings", true)?;
        let name = push(cx, "events:PutRule")?
            .open(cx.tags, &patterns, findings)
            .await?;
        Ok(Applied::default()
            .output("name", name.clone())
            .undo(Undo::new(
                "events.unwatch",
                json!({ "name": name }),
                format!("eventbridge rule and sqs queue {name}"),
            )))
    }
}

#[async_trait]
impl StepKind for EventsUnwatch {
    fn spec(&self) -> &'static StepSpec {
        &UNWATCH
    }

    fn guard(&self, args: &Args) -> Result<super::Guard, SandboxError> {
        Ok(super::Guard::Deletes(args.resource(
            crate::sandbox::ResourceKind::PushDelivery,
            "name",
        )?))
    }

    async fn apply(&self, cx: &StepContext<'_>, args: &Args) -> Result<Applied, SandboxError> {
        push(cx, "events:DeleteRule")?
            .close(args.str("name")?)
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
    async fn the_simulator_has_no_push_delivery() {
        let h = Harness::new();
        let e = h
            .apply("events.watch", json!({}))
            .await
            .expect_err("no push");
        assert_eq!(e.kind, ErrorKind::Unsupported);
    }
}
