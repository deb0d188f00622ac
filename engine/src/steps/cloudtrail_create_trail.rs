//! `cloudtrail.create_trail`: a trail delivering to a bucket, logging from the start.

use super::{Applied, Args, Field, FieldType, OutputSpec, StepContext, StepKind, StepSpec, Undo};
use crate::sandbox::SandboxError;
use async_trait::async_trait;
use serde_json::json;

pub struct CloudtrailCreateTrail;

static SPEC: StepSpec = StepSpec {
    name: "cloudtrail.create_trail",
    summary: "Create a CloudTrail trail delivering to a bucket, tagged for the run, and start it.",
    docs: "Creates the trail and starts logging (a new trail does not log until StartLogging). \
           CreateTrail refuses a bucket whose policy does not let cloudtrail.amazonaws.com \
           read its ACL (s3:GetBucketAcl) and write under AWSLogs/ (s3:PutObject): put that \
           policy first with s3.put_bucket_policy. An account's first copy of management \
           events is free; further trails delivering the same events are billed per event. \
           The trail delivers under `key_prefix` (by default the trail's name), so that \
           clean-up deletes the trail and then its log files, and nothing else in the bucket.",
    inputs: &[
        Field {
            name: "trail_name",
            ty: FieldType::String,
            required: true,
            doc: "The trail name.",
        },
        Field {
            name: "bucket",
            ty: FieldType::String,
            required: true,
            doc: "The bucket receiving the log files.",
        },
        Field {
            name: "key_prefix",
            ty: FieldType::String,
            required: false,
            doc: "The key prefix of the log files (S3KeyPrefix); default the trail's name. \
                  The bucket policy must let CloudTrail write under PREFIX/AWSLogs/.",
        },
    ],
    outputs: &[
        OutputSpec {
            name: "trail_name",
            doc: "The trail name.",
            secret: false,
        },
        OutputSpec {
            name: "trail_arn",
            doc: "The trail's ARN.",
            secret: false,
        },
    ],
    calls: &["cloudtrail:CreateTrail", "cloudtrail:StartLogging"],
    revert: "cloudtrail.delete_trail, then s3.delete_objects under its key prefix",
    creates: Some(super::Creates {
        kind: crate::sandbox::ResourceKind::Trail,
        name: Some("trail_name"),
    }),
};

#[async_trait]
impl StepKind for CloudtrailCreateTrail {
    fn spec(&self) -> &'static StepSpec {
        &SPEC
    }

    async fn apply(&self, cx: &StepContext<'_>, args: &Args) -> Result<Applied, SandboxError> {
        let trail = args.str("trail_name")?;
        let bucket = args.str("bucket")?;
        let prefix = args.str_or("key_prefix", trail)?;
        let arn = cx
            .sandbox
            .cloudtrail()
            .create_trail(trail, bucket, prefix, cx.tags)
            .await?;
        Ok(Applied::default()
            .output("trail_name", trail)
            .output("trail_arn", arn)
            // Undone last first: the trail goes, then what it delivered.
            .undo(Undo::new(
                "s3.delete_objects",
                json!({ "bucket": bucket, "prefix": format!("{prefix}/") }),
                format!("log files of cloudtrail trail {trail} in bucket {bucket}"),
            ))
            .undo(Undo::new(
                "cloudtrail.delete_trail",
                json!({ "trail_name": trail }),
                format!("cloudtrail trail {trail}"),
            )))
    }
}

#[cfg(test)]
mod tests {
    use crate::sandbox::ErrorKind;
    use crate::steps::testing::Harness;
    use crate::steps::testing::trail_bucket;
    use serde_json::json;

    #[tokio::test]
    async fn creates_a_logging_trail_and_reverts_it() {
        let h = Harness::new();
        trail_bucket(&h, "logs").await;
        let applied = h
            .apply(
                "cloudtrail.create_trail",
                json!({"trail_name": "gameday-t-trail", "bucket": "logs"}),
            )
            .await
            .expect("applies");
        assert_eq!(applied.outputs["trail_name"], "gameday-t-trail");
        assert!(
            applied.outputs["trail_arn"]
                .as_str()
                .expect("arn")
                .ends_with(":trail/gameday-t-trail")
        );
        assert!(
            h.sandbox
                .cloudtrail()
                .is_logging("gameday-t-trail")
                .await
                .expect("status"),
            "logging from the start"
        );
        h.revert(&applied).await.expect("reverts");
        assert_eq!(
            h.sandbox
                .cloudtrail()
                .is_logging("gameday-t-trail")
                .await
                .expect_err("gone")
                .kind,
            ErrorKind::NotFound
        );
    }

    #[tokio::test]
    async fn a_bucket_without_the_cloudtrail_policy_is_refused() {
        let h = Harness::new();
        h.sandbox
            .s3()
            .create_bucket("bare", &h.tags)
            .await
            .expect("bucket");
        let err = h
            .apply(
                "cloudtrail.create_trail",
                json!({"trail_name": "gameday-t-trail", "bucket": "bare"}),
            )
            .await;
        assert!(err.is_err(), "CreateTrail checks the bucket policy");
        assert!(
            h.sandbox
                .cloudtrail()
                .is_logging("gameday-t-trail")
                .await
                .is_err(),
            "no trail"
        );
    }
}
