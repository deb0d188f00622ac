//! `s3.create_bucket`: a bucket, tagged for the run.

use super::{Applied, Args, Field, FieldType, OutputSpec, StepContext, StepKind, StepSpec, Undo};
use crate::sandbox::{ObjectOwnership, SandboxError};
use async_trait::async_trait;
use serde_json::json;

pub struct S3CreateBucket;

static SPEC: StepSpec = StepSpec {
    name: "s3.create_bucket",
    summary: "Create an S3 bucket in the run's region, tagged for the run.",
    docs: "Bucket names are global across all AWS accounts: use one that carries ${run.id}. \
           A new bucket has Block Public Access on, no bucket policy and ACLs disabled \
           (Object Ownership BucketOwnerEnforced, AWS's default since April 2023); \
           `object_ownership` sets another Object Ownership right after creation, for a \
           bucket whose ACLs matter (PutBucketOwnershipControls). Clean-up deletes the \
           bucket with the objects the run wrote into it, and never one holding anything else.",
    inputs: &[
        Field {
            name: "bucket",
            ty: FieldType::String,
            required: true,
            doc: "The bucket name.",
        },
        Field {
            name: "object_ownership",
            ty: FieldType::String,
            required: false,
            doc: "BucketOwnerEnforced (the default: ACLs disabled), BucketOwnerPreferred or \
                  ObjectWriter (ACLs in force).",
        },
    ],
    outputs: &[
        OutputSpec {
            name: "bucket",
            doc: "The bucket name.",
            secret: false,
        },
        OutputSpec {
            name: "arn",
            doc: "The bucket's ARN (arn:aws:s3:::NAME).",
            secret: false,
        },
    ],
    calls: &[
        "s3:CreateBucket",
        "s3:PutPublicAccessBlock",
        "s3:PutBucketTagging",
        "s3:PutBucketOwnershipControls",
    ],
    revert: "s3.delete_bucket",
    creates: Some(super::Creates {
        kind: crate::sandbox::ResourceKind::Bucket,
        name: Some("bucket"),
    }),
};

#[async_trait]
impl StepKind for S3CreateBucket {
    fn spec(&self) -> &'static StepSpec {
        &SPEC
    }

    async fn apply(&self, cx: &StepContext<'_>, args: &Args) -> Result<Applied, SandboxError> {
        let bucket = args.str("bucket")?;
        let ownership = match args.values().get("object_ownership") {
            None | Some(serde_json::Value::Null) => None,
            Some(_) => {
                let o = args.str("object_ownership")?;
                Some(ObjectOwnership::parse(o).ok_or_else(|| {
                    args.bad(format!(
                        "input `object_ownership`: `{o}` is not one of {}",
                        ObjectOwnership::ALL.join(", ")
                    ))
                })?)
            }
        };
        let s3 = cx.sandbox.s3();
        s3.create_bucket(bucket, cx.tags).await?;
        let undo = Undo::new(
            "s3.delete_bucket",
            json!({ "bucket": bucket }),
            format!("bucket {bucket}"),
        );
        if let Some(o) = ownership.filter(|o| *o != ObjectOwnership::BucketOwnerEnforced)
            && let Err(e) = s3.put_bucket_ownership(bucket, o).await
        {
            // The bucket exists: delete it rather than leave it for clean-up to find.
            let _ = s3.delete_bucket(bucket).await;
            return Err(e);
        }
        Ok(Applied::default()
            .output("bucket", bucket)
            .output("arn", format!("arn:aws:s3:::{bucket}"))
            .undo(undo))
    }
}

#[cfg(test)]
mod tests {
    use crate::sandbox::ErrorKind;
    use crate::steps::testing::Harness;
    use serde_json::json;

    #[tokio::test]
    async fn creates_a_bucket_and_reverts_it() {
        let h = Harness::new();
        let applied = h
            .apply("s3.create_bucket", json!({"bucket": "gameday-t-data"}))
            .await
            .expect("applies");
        assert_eq!(applied.outputs["bucket"], "gameday-t-data");
        assert_eq!(applied.outputs["arn"], "arn:aws:s3:::gameday-t-data");
        assert_eq!(
            h.sandbox
                .s3()
                .get_bucket_policy("gameday-t-data")
                .await
                .expect("exists"),
            None
        );
        h.revert(&applied).await.expect("reverts");
        let err = h
            .sandbox
            .s3()
            .get_bucket_policy("gameday-t-data")
            .await
            .expect_err("gone");
        assert_eq!(err.kind, ErrorKind::NotFound);
    }
}
