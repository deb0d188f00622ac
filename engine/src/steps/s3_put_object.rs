//! `s3.put_object`: a small text object in a bucket the run created.

use super::{Applied, Args, Field, FieldType, OutputSpec, StepContext, StepKind, StepSpec, Undo};
use crate::sandbox::SandboxError;
use async_trait::async_trait;
use serde_json::json;

pub struct S3PutObject;

static SPEC: StepSpec = StepSpec {
    name: "s3.put_object",
    summary: "Write a small text object into a bucket the run created.",
    docs: "Puts `body` (a line of text: the exercise's stand-in for data worth stealing) \
           under `key`. The revert deletes the object; a bucket is only deleted once what the \
           run wrote into it is gone, so a scenario that writes into its own bucket cleans \
           up whole.",
    inputs: &[
        Field {
            name: "bucket",
            ty: FieldType::String,
            required: true,
            doc: "The bucket: `${steps.ID.bucket}` of the run's s3.create_bucket.",
        },
        Field {
            name: "key",
            ty: FieldType::String,
            required: true,
            doc: "The object key.",
        },
        Field {
            name: "body",
            ty: FieldType::String,
            required: true,
            doc: "The object's text.",
        },
    ],
    outputs: &[OutputSpec {
        name: "key",
        doc: "The object key.",
        secret: false,
    }],
    calls: &["s3:PutObject"],
    revert: "s3.delete_objects",
    creates: None,
};

#[async_trait]
impl StepKind for S3PutObject {
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
        let key = args.str("key")?;
        cx.sandbox
            .s3()
            .put_object(bucket, key, args.str("body")?)
            .await?;
        Ok(Applied::default().output("key", key).undo(Undo::new(
            "s3.delete_objects",
            json!({ "bucket": bucket, "prefix": key }),
            format!("object {key} in bucket {bucket}"),
        )))
    }
}

#[cfg(test)]
mod tests {
    use crate::steps::testing::Harness;
    use serde_json::json;

    #[tokio::test]
    async fn writes_an_object_and_reverts_by_deleting_it() {
        let h = Harness::new();
        h.apply("s3.create_bucket", json!({"bucket": "gameday-t-data"}))
            .await
            .expect("bucket");
        let applied = h
            .apply(
                "s3.put_object",
                json!({"bucket": "gameday-t-data", "key": "payroll.csv", "body": "x"}),
            )
            .await
            .expect("applies");
        let s3 = h.sandbox.s3();
        assert_eq!(
            s3.list_objects("gameday-t-data", "").await.expect("list"),
            ["payroll.csv"]
        );
        assert_eq!(applied.undo[0].action, "s3.delete_objects");
        h.revert(&applied).await.expect("reverts");
        assert!(
            s3.list_objects("gameday-t-data", "")
                .await
                .expect("list")
                .is_empty()
        );
    }

    #[tokio::test]
    async fn a_missing_bucket_fails() {
        let h = Harness::new();
        let err = h
            .apply(
                "s3.put_object",
                json!({"bucket": "gameday-t-none", "key": "k", "body": "x"}),
            )
            .await
            .expect_err("no bucket");
        assert_eq!(err.kind, crate::sandbox::ErrorKind::NotFound, "{err}");
    }
}
