//! `s3.delete_bucket`: a bucket, with what the run wrote into it, and never anything else.

use super::{Applied, Args, Field, FieldType, StepContext, StepKind, StepSpec, gone_is_fine};
use crate::sandbox::SandboxError;
use async_trait::async_trait;

pub struct S3DeleteBucket;

static SPEC: StepSpec = StepSpec {
    name: "s3.delete_bucket",
    summary: "Delete an S3 bucket, with the objects the run wrote into it.",
    docs: "Deletes the objects under `owned_prefixes` (what the run's steps wrote, such as a \
           trail's log files), then the bucket. A bucket that still holds anything else is \
           left alone, objects and all, and the step fails saying what it holds: gameday \
           never empties a bucket of data it did not write. A bucket that does not exist \
           counts as deleted. Once deleted, its name is free for anyone to take.",
    inputs: &[
        Field {
            name: "bucket",
            ty: FieldType::String,
            required: true,
            doc: "The bucket name.",
        },
        Field {
            name: "owned_prefixes",
            ty: FieldType::StringList,
            required: false,
            doc: "Key prefixes of the objects the run wrote, deleted first.",
        },
    ],
    outputs: &[],
    calls: &["s3:ListObjectsV2", "s3:DeleteObject", "s3:DeleteBucket"],
    revert: "none",
    creates: None,
};

#[async_trait]
impl StepKind for S3DeleteBucket {
    fn spec(&self) -> &'static StepSpec {
        &SPEC
    }

    fn guard(&self, args: &Args) -> Result<super::Guard, SandboxError> {
        Ok(super::Guard::Deletes(args.resource(
            crate::sandbox::ResourceKind::Bucket,
            "bucket",
        )?))
    }

    async fn apply(&self, cx: &StepContext<'_>, args: &Args) -> Result<Applied, SandboxError> {
        let bucket = args.str("bucket")?;
        let owned = args.list("owned_prefixes")?;
        gone_is_fine(crate::ownership::delete_bucket(cx.sandbox, bucket, &owned).await)?;
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

    #[tokio::test]
    async fn never_empties_a_bucket_of_what_the_run_did_not_write() {
        let h = Harness::new();
        let s3 = h.sandbox.s3();
        s3.create_bucket("gameday-t-b", &h.tags)
            .await
            .expect("bucket");
        s3.put_object("gameday-t-b", "gameday-t-trail/AWSLogs/1.json", "{}")
            .await
            .expect("the run's");
        s3.put_object("gameday-t-b", "keep.txt", "data")
            .await
            .expect("someone's");
        let with = json!({"bucket": "gameday-t-b", "owned_prefixes": ["gameday-t-trail/"]});
        let err = h
            .apply("s3.delete_bucket", with.clone())
            .await
            .expect_err("refused");
        assert_eq!(err.kind, ErrorKind::Conflict);
        assert!(err.message.contains("keep.txt"), "{}", err.message);
        assert_eq!(
            s3.list_objects("gameday-t-b", "").await.expect("lists"),
            ["keep.txt"]
        );
        s3.delete_object("gameday-t-b", "keep.txt")
            .await
            .expect("gone");
        h.apply("s3.delete_bucket", with).await.expect("deleted");
    }
}
