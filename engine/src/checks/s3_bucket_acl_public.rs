//! `s3.bucket_acl_public`: whether a bucket's ACL grants anyone outside the account.

use super::{Check, CheckSpec, Values, text};
use crate::sandbox::{Sandbox, SandboxError};
use crate::steps::Args;
use async_trait::async_trait;
use serde_json::{Value, json};

pub struct S3BucketAclPublic;

static SPEC: CheckSpec = CheckSpec {
    name: "s3.bucket_acl_public",
    summary: "Whether a bucket's ACL grants anyone on the internet or any AWS user, and S3 heeds it.",
    docs: "Reads the bucket ACL and the bucket's Block Public Access settings, and reports \
           true when the ACL grants anything to the AllUsers group (anyone) or the \
           AuthenticatedUsers group (every AWS principal, in any account) and \
           IgnorePublicAcls is off. Either fix contains it: the ACL back to `private`, or \
           IgnorePublicAcls on. The account-wide Block Public Access is not read; bucket \
           policies are what s3.bucket_public reads.",
    inputs: &[text("bucket", "The bucket.")],
    values: Values::Bool,
    calls: &["s3:GetBucketAcl", "s3:GetPublicAccessBlock"],
    audit_events: &["s3:PutBucketAcl", "s3:PutPublicAccessBlock"],
    audit_resource: Some("bucket"),
};

#[async_trait]
impl Check for S3BucketAclPublic {
    fn spec(&self) -> &'static CheckSpec {
        &SPEC
    }

    async fn probe(&self, sandbox: &dyn Sandbox, args: &Args) -> Result<Value, SandboxError> {
        let bucket = args.str("bucket")?;
        let acl = sandbox.s3().get_bucket_acl(bucket).await?;
        let block = sandbox.s3().get_public_access_block(bucket).await?;
        let ignored = block.is_some_and(|b| b.ignore_public_acls);
        Ok(json!(!ignored && !acl.public_groups().is_empty()))
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::probe;
    use crate::steps::testing::Harness;
    use serde_json::json;

    #[tokio::test]
    async fn public_until_the_acl_is_private_or_ignored() {
        let h = Harness::new();
        h.apply(
            "s3.create_bucket",
            json!({"bucket": "gameday-t-b", "object_ownership": "ObjectWriter"}),
        )
        .await
        .expect("bucket");
        let with = json!({"bucket": "gameday-t-b"});
        let public = async || {
            probe(&h, "s3.bucket_acl_public", with.clone())
                .await
                .expect("probes")
        };
        assert_eq!(public().await, false);
        h.apply(
            "s3.put_public_access_block",
            json!({"bucket": "gameday-t-b", "block_public_acls": false, "ignore_public_acls": false}),
        )
        .await
        .expect("acls allowed");
        h.apply(
            "s3.put_bucket_acl",
            json!({"bucket": "gameday-t-b", "acl": "authenticated-read"}),
        )
        .await
        .expect("shared");
        assert_eq!(public().await, true);
        h.apply("s3.put_public_access_block", with.clone())
            .await
            .expect("blocks");
        assert_eq!(public().await, false, "IgnorePublicAcls");
        h.apply(
            "s3.put_public_access_block",
            json!({"bucket": "gameday-t-b", "block_public_acls": false, "ignore_public_acls": false}),
        )
        .await
        .expect("unblocks");
        assert_eq!(public().await, true);
        h.apply(
            "s3.put_bucket_acl",
            json!({"bucket": "gameday-t-b", "acl": "private"}),
        )
        .await
        .expect("private");
        assert_eq!(public().await, false);
    }
}
