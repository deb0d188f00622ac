//! `s3.delete_bucket_logging`: turn a bucket's server access logging off.

use super::s3_put_bucket_logging::{logging_restorable, logging_undo};
use super::{Applied, Args, Field, FieldType, StepContext, StepKind, StepSpec};
use crate::sandbox::{ResourceKind, SandboxError};
use async_trait::async_trait;

pub struct S3DeleteBucketLogging;

static SPEC: StepSpec = StepSpec {
    name: "s3.delete_bucket_logging",
    summary: "Turn a bucket's server access logging off (PutBucketLogging with no target).",
    docs: "Reads the bucket's logging configuration, then turns logging off: from then on S3 \
           writes no access log records for the bucket, so requests to it leave no trace \
           there (CloudTrail data events, where enabled, still record object calls). Logs \
           already delivered stay in the target bucket. Clean-up puts back the configuration \
           it read.",
    inputs: &[
        Field {
            name: "bucket",
            ty: FieldType::String,
            required: true,
            doc: "The bucket.",
        },
        Field {
            name: "left",
            ty: FieldType::Document,
            required: false,
            doc: "In a revert: what the change it undoes left. On what the run does not own, \
                  the revert runs only while this still holds.",
        },
    ],
    outputs: &[],
    calls: &["s3:GetBucketLogging", "s3:PutBucketLogging"],
    revert: "s3.put_bucket_logging with the configuration read before",
    creates: None,
};

#[async_trait]
impl StepKind for S3DeleteBucketLogging {
    fn spec(&self) -> &'static StepSpec {
        &SPEC
    }

    fn guard(&self, args: &Args) -> Result<super::Guard, SandboxError> {
        Ok(super::Guard::Restores(Some(
            args.resource(ResourceKind::Bucket, "bucket")?,
        )))
    }

    async fn restorable(
        &self,
        cx: &StepContext<'_>,
        args: &Args,
    ) -> Result<super::Restorable, SandboxError> {
        logging_restorable(cx, args, None).await
    }

    async fn apply(&self, cx: &StepContext<'_>, args: &Args) -> Result<Applied, SandboxError> {
        let bucket = args.str("bucket")?;
        let s3 = cx.sandbox.s3();
        let Some(previous) = s3.bucket_logging(bucket).await? else {
            return Ok(Applied::default());
        };
        s3.put_bucket_logging(bucket, None).await?;
        Ok(Applied::default().undo(logging_undo(bucket, Some(&previous), None)))
    }
}

#[cfg(test)]
mod tests {
    use crate::sandbox::BucketLogging;
    use crate::steps::testing::Harness;
    use serde_json::json;

    #[tokio::test]
    async fn turns_logging_off_and_reverts_to_the_recorded_configuration() {
        let h = Harness::new();
        for b in ["gameday-t-data", "gameday-t-logs"] {
            h.apply("s3.create_bucket", json!({"bucket": b}))
                .await
                .expect("bucket");
        }
        let policy = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": ["s3:PutObject"],
            "Resource": "arn:aws:s3:::gameday-t-logs/*"}]});
        h.apply(
            "s3.put_bucket_policy",
            json!({"bucket": "gameday-t-logs", "policy": policy}),
        )
        .await
        .expect("logging may write");
        let on = BucketLogging {
            target_bucket: "gameday-t-logs".into(),
            target_prefix: "gameday-t-access/".into(),
        };
        let s3 = h.sandbox.s3();
        s3.put_bucket_logging("gameday-t-data", Some(&on))
            .await
            .expect("on");
        let applied = h
            .apply(
                "s3.delete_bucket_logging",
                json!({"bucket": "gameday-t-data"}),
            )
            .await
            .expect("applies");
        assert_eq!(
            s3.bucket_logging("gameday-t-data").await.expect("get"),
            None
        );
        assert_eq!(applied.undo[0].action, "s3.put_bucket_logging");
        h.revert(&applied).await.expect("reverts");
        assert_eq!(
            s3.bucket_logging("gameday-t-data").await.expect("get"),
            Some(on)
        );
        let off = h
            .apply(
                "s3.delete_bucket_logging",
                json!({"bucket": "gameday-t-data"}),
            )
            .await
            .expect("applies");
        h.apply(
            "s3.delete_bucket_logging",
            json!({"bucket": "gameday-t-data"}),
        )
        .await
        .map(|a| assert!(a.undo.is_empty(), "off already: nothing to undo"))
        .expect("applies");
        assert_eq!(off.undo.len(), 1);
    }
}
