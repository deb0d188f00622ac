//! `s3.delete_bucket_policy`: remove a bucket's policy.

use super::{Applied, Args, Field, FieldType, StepContext, StepKind, StepSpec, Undo, gone_is_fine};
use crate::sandbox::SandboxError;
use async_trait::async_trait;
use serde_json::json;

pub struct S3DeleteBucketPolicy;

static SPEC: StepSpec = StepSpec {
    name: "s3.delete_bucket_policy",
    summary: "Delete a bucket's policy.",
    docs: "Removes the whole policy, every statement in it: access the bucket's policy \
           granted ends for requests made from then on, and so does any Deny it held. To \
           remove one public statement only, put the policy back without it \
           (s3.put_bucket_policy). Clean-up restores the policy.",
    inputs: &[Field {
        name: "bucket",
        ty: FieldType::String,
        required: true,
        doc: "The bucket name.",
    }],
    outputs: &[],
    calls: &["s3:GetBucketPolicy", "s3:DeleteBucketPolicy"],
    revert: "s3.restore_bucket_policy with the policy (none if there was no policy)",
    creates: None,
};

#[async_trait]
impl StepKind for S3DeleteBucketPolicy {
    fn spec(&self) -> &'static StepSpec {
        &SPEC
    }

    async fn apply(&self, cx: &StepContext<'_>, args: &Args) -> Result<Applied, SandboxError> {
        let bucket = args.str("bucket")?;
        let s3 = cx.sandbox.s3();
        let previous = s3.get_bucket_policy(bucket).await?;
        gone_is_fine(s3.delete_bucket_policy(bucket).await)?;
        let mut applied = Applied::default();
        if let Some(previous) = previous {
            applied = applied.undo(Undo::new(
                "s3.restore_bucket_policy",
                json!({ "bucket": bucket, "policy": previous, "left": null }),
                format!("policy of bucket {bucket}"),
            ));
        }
        Ok(applied)
    }
}

#[cfg(test)]
mod tests {
    use crate::steps::testing::Harness;
    use serde_json::{Value, json};

    #[tokio::test]
    async fn deletes_the_policy_and_reverts_it() {
        let h = Harness::new();
        let s3 = h.sandbox.s3();
        s3.create_bucket("gameday-t-b", &h.tags)
            .await
            .expect("bucket");
        let doc = json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteBucket", "Resource": "arn:aws:s3:::gameday-t-b"
        }]});
        s3.put_bucket_policy("gameday-t-b", &doc.to_string())
            .await
            .expect("policy");
        let applied = h
            .apply("s3.delete_bucket_policy", json!({"bucket": "gameday-t-b"}))
            .await
            .expect("deletes");
        assert_eq!(
            s3.get_bucket_policy("gameday-t-b").await.expect("get"),
            None
        );
        h.revert(&applied).await.expect("reverts");
        let text = s3
            .get_bucket_policy("gameday-t-b")
            .await
            .expect("get")
            .expect("restored");
        assert_eq!(serde_json::from_str::<Value>(&text).expect("json"), doc);
        let none = h
            .apply("s3.delete_bucket_policy", json!({"bucket": "gameday-t-b2"}))
            .await;
        assert_eq!(
            none.expect_err("a missing bucket is an error").kind,
            crate::sandbox::ErrorKind::NotFound
        );
    }

    #[tokio::test]
    async fn no_policy_means_nothing_to_undo() {
        let h = Harness::new();
        h.sandbox
            .s3()
            .create_bucket("gameday-t-b", &h.tags)
            .await
            .expect("bucket");
        let applied = h
            .apply("s3.delete_bucket_policy", json!({"bucket": "gameday-t-b"}))
            .await
            .expect("deletes");
        assert!(applied.undo.is_empty());
    }
}
