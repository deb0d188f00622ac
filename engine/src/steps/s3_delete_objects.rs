//! `s3.delete_objects`: the objects under one key prefix of a bucket.

use super::{Applied, Args, Field, FieldType, StepContext, StepKind, StepSpec, gone_is_fine};
use crate::sandbox::{ErrorKind, SandboxError};
use async_trait::async_trait;

pub struct S3DeleteObjects;

static SPEC: StepSpec = StepSpec {
    name: "s3.delete_objects",
    summary: "Delete the objects under a key prefix of a bucket.",
    docs: "Lists the objects whose keys start with `prefix` and deletes each. Clean-up uses \
           it for what a run's own resources wrote (a trail's log files under the trail's \
           prefix), and only in a bucket the run owns. An empty prefix is refused: it would \
           mean the whole bucket. A bucket that does not exist counts as done.",
    inputs: &[
        Field {
            name: "bucket",
            ty: FieldType::String,
            required: true,
            doc: "The bucket name.",
        },
        Field {
            name: "prefix",
            ty: FieldType::String,
            required: true,
            doc: "The key prefix, not empty.",
        },
    ],
    outputs: &[],
    calls: &["s3:ListObjectsV2", "s3:DeleteObject"],
    revert: "none",
    creates: None,
};

#[async_trait]
impl StepKind for S3DeleteObjects {
    fn spec(&self) -> &'static StepSpec {
        &SPEC
    }

    fn guard(&self, args: &Args) -> Result<super::Guard, SandboxError> {
        Ok(super::Guard::Inside(args.resource(
            crate::sandbox::ResourceKind::Bucket,
            "bucket",
        )?))
    }

    async fn apply(&self, cx: &StepContext<'_>, args: &Args) -> Result<Applied, SandboxError> {
        let bucket = args.str("bucket")?;
        let prefix = args.str("prefix")?;
        if prefix.is_empty() {
            return Err(SandboxError::new(
                ErrorKind::InvalidInput,
                SPEC.name,
                "input `prefix` must not be empty: it would mean every object in the bucket",
            ));
        }
        let s3 = cx.sandbox.s3();
        let keys = match s3.list_objects(bucket, prefix).await {
            Err(e) if e.kind == ErrorKind::NotFound => return Ok(Applied::default()),
            other => other?,
        };
        for key in keys {
            gone_is_fine(s3.delete_object(bucket, &key).await)?;
        }
        Ok(Applied::default())
    }
}

#[cfg(test)]
mod tests {
    use crate::steps::testing::Harness;
    use serde_json::json;

    #[tokio::test]
    async fn deletes_under_the_prefix_only_and_never_everything() {
        let h = Harness::new();
        let s3 = h.sandbox.s3();
        s3.create_bucket("bucket-t", &h.tags).await.expect("bucket");
        for key in ["t/AWSLogs/1", "t/AWSLogs/2", "tx", "other"] {
            s3.put_object("bucket-t", key, "x").await.expect("object");
        }
        h.apply(
            "s3.delete_objects",
            json!({"bucket": "bucket-t", "prefix": "t/"}),
        )
        .await
        .expect("deletes");
        assert_eq!(
            s3.list_objects("bucket-t", "").await.expect("lists"),
            ["other", "tx"]
        );
        h.apply(
            "s3.delete_objects",
            json!({"bucket": "bucket-t", "prefix": ""}),
        )
        .await
        .expect_err("not the whole bucket");
        assert_eq!(
            s3.list_objects("bucket-t", "").await.expect("lists").len(),
            2
        );
        h.apply(
            "s3.delete_objects",
            json!({"bucket": "bucket-gone", "prefix": "t/"}),
        )
        .await
        .expect("no bucket: done");
    }
}
