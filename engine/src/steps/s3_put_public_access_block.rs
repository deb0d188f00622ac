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
        Field {
            name: "left",
            ty: FieldType::Document,
            required: false,
            doc: "In a revert: what the change it undoes left. On what the run does not own, \
                  the revert runs only while this still holds.",
        },
    ],
    outputs: &[],
    calls: &["s3:GetPublicAccessBlock", "s3:PutPublicAccessBlock"],
    revert: "s3.put_public_access_block with the previous settings, or s3.delete_public_access_block \
             if there were none",
    creates: None,
};

/// The four settings of `args` (each on unless given).
fn block_of(args: &Args) -> Result<PublicAccessBlock, SandboxError> {
    Ok(PublicAccessBlock {
        block_public_acls: args.bool_or("block_public_acls", true)?,
        ignore_public_acls: args.bool_or("ignore_public_acls", true)?,
        block_public_policy: args.bool_or("block_public_policy", true)?,
        restrict_public_buckets: args.bool_or("restrict_public_buckets", true)?,
    })
}

/// Whether the bucket's block still is what a change left (`left`, recorded in a
/// revert's inputs; null for none), or back to `target` already.
pub(super) async fn block_restorable(
    cx: &StepContext<'_>,
    args: &Args,
    target: Option<PublicAccessBlock>,
) -> Result<super::Restorable, SandboxError> {
    let Some(left) = args.values().get("left") else {
        return Ok(super::Restorable::ChangedSince(
            "the settings the run left were not recorded".to_owned(),
        ));
    };
    let left: Option<PublicAccessBlock> = serde_json::from_value(left.clone())
        .map_err(|e| args.bad(format!("input `left` is not a public access block: {e}")))?;
    let now = cx
        .sandbox
        .s3()
        .get_public_access_block(args.str("bucket")?)
        .await?;
    Ok(if now == left {
        super::Restorable::AsLeft
    } else if now == target {
        super::Restorable::AlreadyRestored
    } else {
        super::Restorable::ChangedSince(
            "the bucket's Block Public Access settings are neither those the run left nor \
             those it found"
                .to_owned(),
        )
    })
}

/// The four settings as the inputs of a revert restoring them, with the settings the
/// change left (`None`: no block).
pub(super) fn block_inputs(
    bucket: &str,
    b: &PublicAccessBlock,
    left: Option<&PublicAccessBlock>,
) -> Value {
    json!({
        "bucket": bucket,
        "block_public_acls": b.block_public_acls,
        "ignore_public_acls": b.ignore_public_acls,
        "block_public_policy": b.block_public_policy,
        "restrict_public_buckets": b.restrict_public_buckets,
        "left": left,
    })
}

#[async_trait]
impl StepKind for S3PutPublicAccessBlock {
    fn spec(&self) -> &'static StepSpec {
        &SPEC
    }

    fn guard(&self, args: &Args) -> Result<super::Guard, SandboxError> {
        Ok(super::Guard::Restores(Some(args.resource(
            crate::sandbox::ResourceKind::Bucket,
            "bucket",
        )?)))
    }

    async fn restorable(
        &self,
        cx: &StepContext<'_>,
        args: &Args,
    ) -> Result<super::Restorable, SandboxError> {
        block_restorable(cx, args, Some(block_of(args)?)).await
    }

    async fn apply(&self, cx: &StepContext<'_>, args: &Args) -> Result<Applied, SandboxError> {
        let bucket = args.str("bucket")?;
        let block = block_of(args)?;
        let s3 = cx.sandbox.s3();
        let previous = s3.get_public_access_block(bucket).await?;
        s3.put_public_access_block(bucket, &block).await?;
        let resource = format!("public access block of bucket {bucket}");
        let applied = Applied::default();
        Ok(match previous {
            None => applied.undo(Undo::new(
                "s3.delete_public_access_block",
                json!({ "bucket": bucket, "left": block }),
                resource,
            )),
            Some(p) if p != block => applied.undo(Undo::new(
                "s3.put_public_access_block",
                block_inputs(bucket, &p, Some(&block)),
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
