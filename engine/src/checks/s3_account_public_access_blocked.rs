//! `s3.account_public_access_blocked`: whether the account blocks all public access to S3.

use super::{Check, CheckSpec, Values};
use crate::sandbox::{Sandbox, SandboxError};
use crate::steps::Args;
use async_trait::async_trait;
use serde_json::{Value, json};

pub struct S3AccountPublicAccessBlocked;

static SPEC: CheckSpec = CheckSpec {
    name: "s3.account_public_access_blocked",
    summary: "Whether the account's S3 Block Public Access has all four settings on.",
    docs: "Reads the account-level Block Public Access (S3 Control GetPublicAccessBlock) and \
           reports true when BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy and \
           RestrictPublicBuckets are all on; false when any is off or the account has no \
           configuration. The buckets' own settings are not read.",
    inputs: &[],
    values: Values::Bool,
    calls: &["s3:GetAccountPublicAccessBlock"],
    audit_events: &["s3:PutAccountPublicAccessBlock"],
    audit_resource: None,
};

#[async_trait]
impl Check for S3AccountPublicAccessBlocked {
    fn spec(&self) -> &'static CheckSpec {
        &SPEC
    }

    async fn probe(&self, sandbox: &dyn Sandbox, _args: &Args) -> Result<Value, SandboxError> {
        let block = sandbox.s3().account_public_access_block().await?;
        Ok(json!(block.is_some_and(|b| b.block_public_acls
            && b.ignore_public_acls
            && b.block_public_policy
            && b.restrict_public_buckets)))
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::probe;
    use crate::steps::testing::Harness;
    use serde_json::json;

    #[tokio::test]
    async fn blocked_only_with_all_four_settings_on() {
        let h = Harness::new();
        let blocked = async || {
            probe(&h, "s3.account_public_access_blocked", json!({}))
                .await
                .expect("probes")
        };
        assert_eq!(blocked().await, false, "no configuration");
        h.apply(
            "s3.put_account_public_access_block",
            json!({"restrict_public_buckets": false}),
        )
        .await
        .expect("partial");
        assert_eq!(blocked().await, false);
        h.apply("s3.put_account_public_access_block", json!({}))
            .await
            .expect("all");
        assert_eq!(blocked().await, true);
    }
}
