//! `s3.put_public_access_block`: a bucket's Block Public Access settings.

use super::{Applied, Args, Field, FieldType, StepContext, StepKind, StepSpec, Undo};
use crate::sandbox::{PublicAccessBlock, SandboxError};
use async_trait::async_trait;
use serde_json::{Value, json};

pub struct S3PutPublicAccessBlock;

static SPEC: StepSpec = StepSpec {
    name: "s3.put_public_access_block",
    summary: "Set a bucket's Block Public Access settings (all four on by default).",
    docs: "With all four settings on, S3 ignores public ACLs and refuses access that a \
           public bucket policy grants to anyone outside the account, at once, without \
           changing the policy itself: the quickest containment of a public bucket. The \
           account-level settings apply on top of the bucket's. Clean-up puts the previous \
           settings back, or deletes the block if the bucket had none.",
    inputs: &[
        Field {
            name: "bucket",
            ty: FieldType::String,
            required: true,
            doc: "The bucket name.",
        },
        Field {
            name: "block_public_acls",
            ty: FieldType::Bool,
            required: false,
            doc: "Refuse requests that set public ACLs; default true.",
        },
        Field {
            name: "ignore_public_acls",
            ty: FieldType::Bool,
            required: false,
            doc: "Ignore public ACLs; default true.",
        },
        Field {
            name: "block_public_policy",
            ty: FieldType::Bool,
            required: false,
            doc: "Refuse public bucket policies; default true.",
        },
        Field {
            name: "restrict_public_buckets",
            ty: FieldType::Bool,
            required: false,
            doc: "Restrict a bucket with a public policy to its own account and AWS services; default true.",
        },
    ],
    outputs: &[],
    calls: &["s3:GetPublicAccessBlock", "s3:PutPublicAccessBlock"],
    revert: "s3.put_public_access_block with the previous settings, or s3.delete_public_access_block \
             if there were none",
};

/// The four settings as step inputs.
pub(super) fn block_inputs(bucket: &str, b: &PublicAccessBlock) -> Value {
    json!({
        "bucket": bucket,
        "block_public_acls": b.block_public_acls,
        "ignore_public_acls": b.ignore_public_acls,
        "block_public_policy": b.block_public_policy,
        "restrict_public_buckets": b.restrict_public_buckets,
    })
}

#[async_trait]
impl StepKind for S3PutPublicAccessBlock {
    fn spec(&self) -> &'static StepSpec {
        &SPEC
    }

    async fn apply(&self, cx: &StepContext<'_>, args: &Args) -> Result<Applied, SandboxError> {
        let bucket = args.str("bucket")?;
        let block = PublicAccessBlock {
            block_public_acls: args.bool_or("block_public_acls", true)?,
            ignore_public_acls: args.bool_or("ignore_public_acls", true)?,
            block_public_policy: args.bool_or("block_public_policy", true)?,
            restrict_public_buckets: args.bool_or("restrict_public_buckets", true)?,
        };
        let s3 = cx.sandbox.s3();
        let previous = s3.get_public_access_block(bucket).await?;
        s3.put_public_access_block(bucket, &block).await?;
        let resource = format!("public access block of bucket {bucket}");
        let applied = Applied::default();
        Ok(match previous {
            None => applied.undo(Undo::new(
                "s3.delete_public_access_block",
                json!({ "bucket": bucket }),
                resource,
            )),
            Some(p) if p != block => applied.undo(Undo::new(
                "s3.put_public_access_block",
                block_inputs(bucket, &p),
                resource,
            )),
            Some(_) => applied,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::sandbox::PublicAccessBlock;
    use crate::steps::testing::Harness;
    use serde_json::json;

    const ALL: PublicAccessBlock = PublicAccessBlock {
        block_public_acls: true,
        ignore_public_acls: true,
        block_public_policy: true,
        restrict_public_buckets: true,
    };

    #[tokio::test]
    async fn blocks_everything_by_default_and_reverts_to_no_block() {
        let h = Harness::new();
        let s3 = h.sandbox.s3();
        s3.create_bucket("gameday-t-b", &h.tags)
            .await
            .expect("bucket");
        s3.delete_public_access_block("gameday-t-b")
            .await
            .expect("no block to start with");
        let applied = h
            .apply(
                "s3.put_public_access_block",
                json!({"bucket": "gameday-t-b"}),
            )
            .await
            .expect("applies");
        assert_eq!(
            s3.get_public_access_block("gameday-t-b")
                .await
                .expect("get"),
            Some(ALL)
        );
        assert_eq!(applied.undo[0].action, "s3.delete_public_access_block");
        h.revert(&applied).await.expect("reverts");
        assert_eq!(
            s3.get_public_access_block("gameday-t-b")
                .await
                .expect("get"),
            None
        );
    }

    #[tokio::test]
    async fn reverts_to_the_previous_settings() {
        let h = Harness::new();
        let s3 = h.sandbox.s3();
        s3.create_bucket("gameday-t-b", &h.tags)
            .await
            .expect("bucket");
        let partial = PublicAccessBlock {
            block_public_policy: false,
            restrict_public_buckets: false,
            ..ALL
        };
        s3.put_public_access_block("gameday-t-b", &partial)
            .await
            .expect("partial");
        let applied = h
            .apply(
                "s3.put_public_access_block",
                json!({"bucket": "gameday-t-b", "block_public_acls": false}),
            )
            .await
            .expect("applies");
        assert_eq!(
            s3.get_public_access_block("gameday-t-b")
                .await
                .expect("get"),
            Some(PublicAccessBlock {
                block_public_acls: false,
                ..ALL
            })
        );
        h.revert(&applied).await.expect("reverts");
        assert_eq!(
            s3.get_public_access_block("gameday-t-b")
                .await
                .expect("get"),
            Some(partial)
        );
        let same = h.apply("s3.put_public_access_block", json!({"bucket": "gameday-t-b", "block_public_policy": false, "restrict_public_buckets": false})).await.expect("applies");
        assert!(same.undo.is_empty(), "nothing changed");
    }
}
