//! A simulated account and a virtual clock for the step kinds' tests.

use super::{Applied, Args, StepContext, find};
use crate::clock::Clock;
use crate::sandbox::{Sandbox, SandboxError, Tags};
use crate::sim::{DetectionModel, SimAccount};
use serde_json::{Value, json};
use std::sync::Arc;

/// One step kind at a time against a fresh simulated account.
pub struct Harness {
    pub sandbox: SimAccount,
    pub clock: Arc<Clock>,
    pub tags: Tags,
}

impl Harness {
    pub fn new() -> Self {
        let clock = Arc::new(Clock::virtual_at(chrono::Utc::now()));
        let sandbox = SimAccount::new(1, Arc::new(DetectionModel::builtin()), clock.clone());
        let tags = Tags::from([("gameday:run".to_owned(), "t".to_owned())]);
        Harness {
            sandbox,
            clock,
            tags,
        }
    }

    fn cx(&self) -> StepContext<'_> {
        StepContext {
            sandbox: &self.sandbox as &dyn Sandbox,
            clock: &self.clock,
            tags: &self.tags,
            run_id: "t",
            prefix: "gameday",
            abort: None,
        }
    }

    /// Applies step kind `kind` with inputs `with` (no references).
    pub async fn apply(&self, kind: &str, with: Value) -> Result<Applied, SandboxError> {
        self.apply_with_secrets(kind, with, Vec::new()).await
    }

    /// Applies with secrets a previous step produced (for credentials inputs).
    pub async fn apply_with_secrets(
        &self,
        kind: &str,
        with: Value,
        secrets: Vec<(String, crate::sandbox::Secret)>,
    ) -> Result<Applied, SandboxError> {
        let step = find(kind).unwrap_or_else(|| panic!("no step kind {kind}"));
        let Value::Object(values) = with else {
            panic!("inputs must be a mapping")
        };
        step.apply(&self.cx(), &Args::new(step.spec().name, values, secrets))
            .await
    }

    /// Runs every undo of `applied`, last first.
    pub async fn revert(&self, applied: &Applied) -> Result<(), SandboxError> {
        for undo in applied.undo.iter().rev() {
            self.apply(&undo.action, Value::Object(undo.with.clone()))
                .await?;
        }
        Ok(())
    }
}

/// A bucket CloudTrail may deliver to, for the tests of what reads or changes trails.
pub async fn trail_bucket(h: &Harness, bucket: &str) {
    let policy = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "AWSCloudTrailAclCheck", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
         "Action": "s3:GetBucketAcl", "Resource": format!("arn:aws:s3:::{bucket}")},
        {"Sid": "AWSCloudTrailWrite", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
         "Action": "s3:PutObject", "Resource": format!("arn:aws:s3:::{bucket}/*"),
         "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}}
    ]});
    h.sandbox
        .s3()
        .create_bucket(bucket, &h.tags)
        .await
        .expect("bucket");
    h.sandbox
        .s3()
        .put_bucket_policy(bucket, &policy.to_string())
        .await
        .expect("bucket policy");
}

/// A trail `trail`, logging, delivering to a bucket `logs` made for it.
pub async fn logging_trail(h: &Harness, trail: &str) {
    trail_bucket(h, "logs").await;
    h.sandbox
        .cloudtrail()
        .create_trail(trail, "logs", "", &h.tags)
        .await
        .expect("trail");
}

/// A trust policy letting only the EC2 service assume a role: what a run's roles trust.
pub const EC2_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

/// A policy allowing every action on every resource.
pub const ADMIN: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

/// A role `name` trusting [`EC2_TRUST`], tagged for the harness's run.
pub async fn role(h: &Harness, name: &str) {
    h.sandbox
        .iam()
        .create_role(name, EC2_TRUST, &h.tags)
        .await
        .expect("role");
}
