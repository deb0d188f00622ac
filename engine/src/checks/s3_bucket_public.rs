//! `s3.bucket_public`: whether a bucket's policy lets anyone in.

use super::{Check, CheckSpec, Values, policy_is_public, text};
use crate::sandbox::{Sandbox, SandboxError};
use crate::steps::Args;
use async_trait::async_trait;
use serde_json::{Value, json};

pub struct S3BucketPublic;

static SPEC: CheckSpec = CheckSpec {
    name: "s3.bucket_public",
    summary: "Whether a bucket policy grants anonymous access that Block Public Access does not stop.",
    docs: "Reads the bucket policy and the bucket's Block Public Access settings, and reports \
           true when the policy allows the principal `*` (or `{\"AWS\": \"*\"}`) and neither \
           BlockPublicPolicy nor RestrictPublicBuckets is on. Either fix contains it: \
           turning Block Public Access back on, or removing the statement. ACLs (which \
           s3.bucket_acl_public reads) and the \
           account-wide Block Public Access are not read.",
    inputs: &[text("bucket", "The bucket.")],
    values: Values::Bool,
    calls: &["s3:GetBucketPolicy", "s3:GetPublicAccessBlock"],
    audit_events: &[
        "s3:PutPublicAccessBlock",
        "s3:DeleteBucketPolicy",
        "s3:PutBucketPolicy",
    ],
    audit_resource: Some("bucket"),
};

#[async_trait]
impl Check for S3BucketPublic {
    fn spec(&self) -> &'static CheckSpec {
        &SPEC
    }

    async fn probe(&self, sandbox: &dyn Sandbox, args: &Args) -> Result<Value, SandboxError> {
        let bucket = args.str("bucket")?;
        let policy = sandbox.s3().get_bucket_policy(bucket).await?;
        let block = sandbox.s3().get_public_access_block(bucket).await?;
        let blocked = block.is_some_and(|b| b.block_public_policy || b.restrict_public_buckets);
        Ok(json!(
            !blocked && policy.as_deref().is_some_and(policy_is_public)
        ))
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::probe;
    use crate::steps::testing::Harness;
    use serde_json::json;

    #[tokio::test]
    async fn public_until_block_public_access_or_the_policy_stops_it() {
        let h = Harness::new();
        h.apply("s3.create_bucket", json!({"bucket": "gameday-t-reports"}))
            .await
            .expect("bucket");
        let with = json!({"bucket": "gameday-t-reports"});
        let public = async || {
            probe(&h, "s3.bucket_public", with.clone())
                .await
                .expect("probes")
        };
        assert_eq!(public().await, false);
        h.apply("s3.delete_public_access_block", with.clone())
            .await
            .expect("unblocks");
        let policy = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::gameday-t-reports/*"}]});
        h.apply(
            "s3.put_bucket_policy",
            json!({"bucket": "gameday-t-reports", "policy": policy}),
        )
        .await
        .expect("policy");
        assert_eq!(public().await, true);
        h.apply("s3.put_public_access_block", with.clone())
            .await
            .expect("blocks");
        assert_eq!(
            public().await,
            false,
            "Block Public Access stops the policy"
        );
        h.apply("s3.delete_public_access_block", with.clone())
            .await
            .expect("unblocks");
        assert_eq!(public().await, true);
        h.apply("s3.delete_bucket_policy", with.clone())
            .await
            .expect("deletes the policy");
        assert_eq!(public().await, false);
    }
}
