//! `s3.restore_bucket_policy`: put back a bucket policy saved by another step.

use super::{Applied, Args, Field, FieldType, StepContext, StepKind, StepSpec, gone_is_fine};
use crate::sandbox::SandboxError;
use async_trait::async_trait;
use serde_json::Value;

pub struct S3RestoreBucketPolicy;

static SPEC: StepSpec = StepSpec {
    name: "s3.restore_bucket_policy",
    summary: "Restore a saved bucket policy, or delete the policy if there was none.",
    docs: "The revert of s3.put_bucket_policy and s3.delete_bucket_policy. With a saved \
           policy it puts that policy back (PutBucketPolicy); without one (absent or null) \
           it deletes the bucket's policy (DeleteBucketPolicy). A bucket that no longer \
           exists counts as done.",
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
            required: false,
            doc: "The saved policy; null or absent for none.",
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
    calls: &["s3:PutBucketPolicy", "s3:DeleteBucketPolicy"],
    revert: "none",
    creates: None,
};

#[async_trait]
impl StepKind for S3RestoreBucketPolicy {
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
        let Some(left) = args.values().get("left") else {
            return Ok(super::Restorable::ChangedSince(
                "the policy the run set was not recorded".to_owned(),
            ));
        };
        let now = cx
            .sandbox
            .s3()
            .get_bucket_policy(args.str("bucket")?)
            .await?;
        let is = |v: Option<&Value>| super::same_document(now.as_deref(), v);
        Ok(if is(Some(left)) {
            super::Restorable::AsLeft
        } else if is(args.values().get("policy")) {
            super::Restorable::AlreadyRestored
        } else {
            super::Restorable::ChangedSince(
                "the bucket's policy is neither the one the run set nor the one it found"
                    .to_owned(),
            )
        })
    }

    async fn apply(&self, cx: &StepContext<'_>, args: &Args) -> Result<Applied, SandboxError> {
        let bucket = args.str("bucket")?;
        let s3 = cx.sandbox.s3();
        match args.values().get("policy") {
            None | Some(Value::Null) => gone_is_fine(s3.delete_bucket_policy(bucket).await)?,
            Some(_) => gone_is_fine(
                s3.put_bucket_policy(bucket, &args.document("policy")?)
                    .await,
            )?,
        }
        Ok(Applied::default())
    }
}

#[cfg(test)]
mod tests {
    use crate::steps::testing::Harness;
    use serde_json::json;

    #[tokio::test]
    async fn puts_back_a_policy_then_deletes_it() {
        let h = Harness::new();
        let s3 = h.sandbox.s3();
        s3.create_bucket("gameday-t-b", &h.tags)
            .await
            .expect("bucket");
        let saved = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Saved","Effect":"Deny","Principal":"*","Action":"s3:DeleteBucket","Resource":"arn:aws:s3:::gameday-t-b"}]}"#;
        let applied = h
            .apply(
                "s3.restore_bucket_policy",
                json!({"bucket": "gameday-t-b", "policy": saved}),
            )
            .await
            .expect("puts");
        assert!(applied.undo.is_empty());
        let text = s3
            .get_bucket_policy("gameday-t-b")
            .await
            .expect("get")
            .expect("a policy");
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&text).expect("json"),
            serde_json::from_str::<serde_json::Value>(saved).expect("json")
        );
        h.apply(
            "s3.restore_bucket_policy",
            json!({"bucket": "gameday-t-b", "policy": null}),
        )
        .await
        .expect("deletes");
        assert_eq!(
            s3.get_bucket_policy("gameday-t-b").await.expect("get"),
            None
        );
        h.apply("s3.restore_bucket_policy", json!({"bucket": "gone"}))
            .await
            .expect("no bucket is fine");
    }
}
