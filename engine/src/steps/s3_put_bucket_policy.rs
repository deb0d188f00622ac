//! `s3.put_bucket_policy`: set a bucket's policy.

use super::{Applied, Args, Field, FieldType, StepContext, StepKind, StepSpec, Undo};
use crate::sandbox::SandboxError;
use async_trait::async_trait;
use serde_json::json;

pub struct S3PutBucketPolicy;

static SPEC: StepSpec = StepSpec {
    name: "s3.put_bucket_policy",
    summary: "Set (replace) a bucket's policy.",
    docs: "Replaces the bucket's whole policy; clean-up puts the previous one back, or \
           deletes the policy if there was none. S3 refuses a public policy (one that grants \
           access to Principal \"*\" without a narrowing condition) while Block Public Access \
           BlockPublicPolicy is on for the bucket or the account: remove the block first.",
    inputs: &[
        Field {
            name: "bucket",
            ty: FieldType::String,
            required: true,
            doc: "The bucket name.",
        },
        Field {
            name: "policy",
            ty: FieldType::Document,
            required: true,
            doc: "The policy document (a mapping, or its JSON text).",
        },
    ],
    outputs: &[],
    calls: &["s3:GetBucketPolicy", "s3:PutBucketPolicy"],
    revert: "s3.restore_bucket_policy with the previous policy (or none, to delete it)",
    creates: None,
};

#[async_trait]
impl StepKind for S3PutBucketPolicy {
    fn spec(&self) -> &'static StepSpec {
        &SPEC
    }

    async fn apply(&self, cx: &StepContext<'_>, args: &Args) -> Result<Applied, SandboxError> {
        let bucket = args.str("bucket")?;
        let policy = args.document("policy")?;
        let s3 = cx.sandbox.s3();
        let previous = s3.get_bucket_policy(bucket).await?;
        s3.put_bucket_policy(bucket, &policy).await?;
        Ok(Applied::default().undo(Undo::new(
            "s3.restore_bucket_policy",
            json!({ "bucket": bucket, "policy": previous, "left": policy }),
            format!("policy of bucket {bucket}"),
        )))
    }
}

#[cfg(test)]
mod tests {
    use crate::sandbox::PublicAccessBlock;
    use crate::steps::testing::Harness;
    use serde_json::{Value, json};

    fn statement(sid: &str) -> Value {
        json!({"Version": "2012-10-17", "Statement": [{
            "Sid": sid, "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteBucket",
            "Resource": "arn:aws:s3:::gameday-t-b"
        }]})
    }

    async fn policy(h: &Harness) -> Option<Value> {
        let text = h
            .sandbox
            .s3()
            .get_bucket_policy("gameday-t-b")
            .await
            .expect("get");
        text.map(|t| serde_json::from_str(&t).expect("json policy"))
    }

    #[tokio::test]
    async fn puts_a_policy_and_reverts_to_none() {
        let h = Harness::new();
        h.sandbox
            .s3()
            .create_bucket("gameday-t-b", &h.tags)
            .await
            .expect("bucket");
        let applied = h
            .apply(
                "s3.put_bucket_policy",
                json!({"bucket": "gameday-t-b", "policy": statement("New")}),
            )
            .await
            .expect("applies");
        assert_eq!(policy(&h).await, Some(statement("New")));
        assert_eq!(applied.undo[0].with["policy"], Value::Null);
        h.revert(&applied).await.expect("reverts");
        assert_eq!(policy(&h).await, None);
    }

    #[tokio::test]
    async fn reverts_to_the_previous_policy() {
        let h = Harness::new();
        h.sandbox
            .s3()
            .create_bucket("gameday-t-b", &h.tags)
            .await
            .expect("bucket");
        h.sandbox
            .s3()
            .put_bucket_policy("gameday-t-b", &statement("Old").to_string())
            .await
            .expect("old");
        let applied = h
            .apply(
                "s3.put_bucket_policy",
                json!({"bucket": "gameday-t-b", "policy": statement("New")}),
            )
            .await
            .expect("applies");
        assert_eq!(policy(&h).await, Some(statement("New")));
        h.revert(&applied).await.expect("reverts");
        assert_eq!(policy(&h).await, Some(statement("Old")));
    }

    #[tokio::test]
    async fn a_public_policy_is_refused_while_blocked() {
        let h = Harness::new();
        let s3 = h.sandbox.s3();
        s3.create_bucket("gameday-t-b", &h.tags)
            .await
            .expect("bucket");
        let all = PublicAccessBlock {
            block_public_acls: true,
            ignore_public_acls: true,
            block_public_policy: true,
            restrict_public_buckets: true,
        };
        s3.put_public_access_block("gameday-t-b", &all)
            .await
            .expect("block");
        let public = json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::gameday-t-b/*"
        }]});
        let err = h
            .apply(
                "s3.put_bucket_policy",
                json!({"bucket": "gameday-t-b", "policy": public}),
            )
            .await
            .expect_err("blocked");
        assert_eq!(err.kind, crate::sandbox::ErrorKind::AccessDenied);
        assert_eq!(policy(&h).await, None);
    }
}
