//! `s3.delete_bucket`: a bucket and everything in it.

use super::{Applied, Args, Field, FieldType, StepContext, StepKind, StepSpec, gone_is_fine};
use crate::sandbox::SandboxError;
use async_trait::async_trait;

pub struct S3DeleteBucket;

static SPEC: StepSpec = StepSpec {
    name: "s3.delete_bucket",
    summary: "Empty and delete an S3 bucket.",
    docs: "Deletes every object version in the bucket, then the bucket: its contents are \
           gone for good, so use it on the run's own buckets. A bucket that does not exist \
           counts as deleted. Once deleted, its name is free for anyone to take.",
    inputs: &[Field {
        name: "bucket",
        ty: FieldType::String,
        required: true,
        doc: "The bucket name.",
    }],
    outputs: &[],
    calls: &[
        "s3:ListObjectVersions",
        "s3:DeleteObjects",
        "s3:DeleteBucket",
    ],
    revert: "none",
};

#[async_trait]
impl StepKind for S3DeleteBucket {
    fn spec(&self) -> &'static StepSpec {
        &SPEC
    }

    async fn apply(&self, cx: &StepContext<'_>, args: &Args) -> Result<Applied, SandboxError> {
        let bucket = args.str("bucket")?;
        gone_is_fine(cx.sandbox.s3().delete_bucket(bucket).await)?;
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
        h.sandbox
            .s3()
            .create_bucket("gameday-t-b", &h.tags)
            .await
            .expect("bucket");
        let applied = h
            .apply("s3.delete_bucket", json!({"bucket": "gameday-t-b"}))
            .await
            .expect("deletes");
        assert!(applied.undo.is_empty());
        assert_eq!(
            h.sandbox
                .s3()
                .get_bucket_policy("gameday-t-b")
                .await
                .expect_err("gone")
                .kind,
            ErrorKind::NotFound
        );
        h.apply("s3.delete_bucket", json!({"bucket": "gameday-t-b"}))
            .await
            .expect("again is fine");
    }
}
