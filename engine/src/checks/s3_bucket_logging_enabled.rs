//! `s3.bucket_logging_enabled`: whether a bucket's server access logging is on.

use super::{Check, CheckSpec, Values, text};
use crate::sandbox::{Sandbox, SandboxError};
use crate::steps::Args;
use async_trait::async_trait;
use serde_json::{Value, json};

pub struct S3BucketLoggingEnabled;

static SPEC: CheckSpec = CheckSpec {
    name: "s3.bucket_logging_enabled",
    summary: "Whether a bucket's server access logging is on.",
    docs: "Reads the bucket's logging configuration (GetBucketLogging) and reports true when \
           it sends access logs to a target bucket. It does not tell whether logs arrive: \
           S3 delivers them best effort, within hours, and only while the target lets the \
           logging service write.",
    inputs: &[text("bucket", "The bucket.")],
    values: Values::Bool,
    calls: &["s3:GetBucketLogging"],
    audit_events: &["s3:PutBucketLogging"],
    audit_resource: Some("bucket"),
};

#[async_trait]
impl Check for S3BucketLoggingEnabled {
    fn spec(&self) -> &'static CheckSpec {
        &SPEC
    }

    async fn probe(&self, sandbox: &dyn Sandbox, args: &Args) -> Result<Value, SandboxError> {
        let bucket = args.str("bucket")?;
        Ok(json!(sandbox.s3().bucket_logging(bucket).await?.is_some()))
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::probe;
    use crate::sandbox::BucketLogging;
    use crate::steps::testing::Harness;
    use serde_json::json;

    #[tokio::test]
    async fn on_while_access_logs_have_a_target() {
        let h = Harness::new();
        for b in ["gameday-t-data", "gameday-t-logs"] {
            h.apply("s3.create_bucket", json!({"bucket": b}))
                .await
                .expect("bucket");
        }
        let with = json!({"bucket": "gameday-t-data"});
        assert_eq!(
            probe(&h, "s3.bucket_logging_enabled", with.clone())
                .await
                .expect("probes"),
            false
        );
        let policy = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject",
            "Resource": "arn:aws:s3:::gameday-t-logs/*"}]});
        h.apply(
            "s3.put_bucket_policy",
            json!({"bucket": "gameday-t-logs", "policy": policy}),
        )
        .await
        .expect("logging may write");
        let on = BucketLogging {
            target_bucket: "gameday-t-logs".into(),
            target_prefix: "access/".into(),
        };
        h.sandbox
            .s3()
            .put_bucket_logging("gameday-t-data", Some(&on))
            .await
            .expect("on");
        assert_eq!(
            probe(&h, "s3.bucket_logging_enabled", with)
                .await
                .expect("probes"),
            true
        );
    }
}
