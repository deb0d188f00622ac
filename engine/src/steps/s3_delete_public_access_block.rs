//! `s3.delete_public_access_block`: remove a bucket's Block Public Access settings.

use super::s3_put_public_access_block::{block_inputs, block_restorable};
use super::{Applied, Args, Field, FieldType, StepContext, StepKind, StepSpec, Undo, gone_is_fine};
use crate::sandbox::{ErrorKind, SandboxError};
use async_trait::async_trait;

pub struct S3DeletePublicAccessBlock;

static SPEC: StepSpec = StepSpec {
    name: "s3.delete_public_access_block",
    summary: "Remove a bucket's Block Public Access settings.",
    docs: "Removes the bucket's own block, so that a public bucket policy or ACL can take \
           effect, unless the account-level Block Public Access settings still block it. A \
           bucket, or a block, that does not exist counts as removed.",
    inputs: &[
        Field {
            name: "bucket",
            ty: FieldType::String,
            required: true,
            doc: "The bucket name.",
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
    calls: &["s3:GetPublicAccessBlock", "s3:DeletePublicAccessBlock"],
    revert: "s3.put_public_access_block with the previous settings (none if there was no block)",
    creates: None,
};

#[async_trait]
impl StepKind for S3DeletePublicAccessBlock {
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
        block_restorable(cx, args, None).await
    }

    async fn apply(&self, cx: &StepContext<'_>, args: &Args) -> Result<Applied, SandboxError> {
        let bucket = args.str("bucket")?;
        let s3 = cx.sandbox.s3();
        let previous = match s3.get_public_access_block(bucket).await {
            Ok(previous) => previous,
            Err(e) if e.kind == ErrorKind::NotFound => return Ok(Applied::default()),
            Err(e) => return Err(e),
        };
        gone_is_fine(s3.delete_public_access_block(bucket).await)?;
        let mut applied = Applied::default();
        if let Some(p) = previous {
            applied = applied.undo(Undo::new(
                "s3.put_public_access_block",
                block_inputs(bucket, &p, None),
                format!("public access block of bucket {bucket}"),
            ));
        }
        Ok(applied)
    }
}

#[cfg(test)]
mod tests {
    use crate::sandbox::PublicAccessBlock;
    use crate::steps::testing::Harness;
    use serde_json::json;

    #[tokio::test]
    async fn removes_the_block_and_reverts_it() {
        let h = Harness::new();
        let s3 = h.sandbox.s3();
        s3.create_bucket("gameday-t-b", &h.tags)
            .await
            .expect("bucket");
        let block = PublicAccessBlock {
            block_public_acls: true,
            ignore_public_acls: false,
            block_public_policy: true,
            restrict_public_buckets: false,
        };
        s3.put_public_access_block("gameday-t-b", &block)
            .await
            .expect("block");
        let applied = h
            .apply(
                "s3.delete_public_access_block",
                json!({"bucket": "gameday-t-b"}),
            )
            .await
            .expect("applies");
        assert_eq!(
            s3.get_public_access_block("gameday-t-b")
                .await
                .expect("get"),
            None
        );
        h.revert(&applied).await.expect("reverts");
        assert_eq!(
            s3.get_public_access_block("gameday-t-b")
                .await
                .expect("get"),
            Some(block)
        );
        s3.delete_public_access_block("gameday-t-b")
            .await
            .expect("remove");
        let none = h
            .apply(
                "s3.delete_public_access_block",
                json!({"bucket": "gameday-t-b"}),
            )
            .await
            .expect("no block is fine");
        assert!(none.undo.is_empty());
        let gone = h
            .apply("s3.delete_public_access_block", json!({"bucket": "gone"}))
            .await
            .expect("no bucket is fine");
        assert!(gone.undo.is_empty());
    }
}
