//! `s3.delete_account_public_access_block`: remove the account's Block Public Access.

use super::s3_put_account_public_access_block::{account_restorable, account_undo};
use super::{Applied, Args, Field, FieldType, StepContext, StepKind, StepSpec};
use crate::sandbox::SandboxError;
use async_trait::async_trait;

pub struct S3DeleteAccountPublicAccessBlock;

static SPEC: StepSpec = StepSpec {
    name: "s3.delete_account_public_access_block",
    summary: "Remove the account's S3 Block Public Access configuration (S3 Control).",
    docs: "Reads the account's settings, then deletes them: from then on only each bucket's \
           own Block Public Access stands between a public policy or ACL and the internet, \
           for every bucket of the account. Clean-up puts the settings it read back exactly, \
           and only while the account still has none (already back counts as done; settings \
           someone else put since are left alone and reported).",
    inputs: &[Field {
        name: "left",
        ty: FieldType::Document,
        required: false,
        doc: "In a revert: what the change it undoes left. On what the run does not own, \
              the revert runs only while this still holds.",
    }],
    outputs: &[],
    calls: &[
        "s3:GetAccountPublicAccessBlock",
        "s3:DeleteAccountPublicAccessBlock",
    ],
    revert: "s3.put_account_public_access_block with the settings read before",
    creates: None,
};

#[async_trait]
impl StepKind for S3DeleteAccountPublicAccessBlock {
    fn spec(&self) -> &'static StepSpec {
        &SPEC
    }

    fn guard(&self, _args: &Args) -> Result<super::Guard, SandboxError> {
        Ok(super::Guard::Restores(None))
    }

    async fn restorable(
        &self,
        cx: &StepContext<'_>,
        args: &Args,
    ) -> Result<super::Restorable, SandboxError> {
        account_restorable(cx, args, None).await
    }

    async fn apply(&self, cx: &StepContext<'_>, _args: &Args) -> Result<Applied, SandboxError> {
        let s3 = cx.sandbox.s3();
        let Some(previous) = s3.account_public_access_block().await? else {
            return Ok(Applied::default());
        };
        s3.delete_account_public_access_block().await?;
        Ok(Applied::default().undo(account_undo(Some(&previous), None)))
    }
}

#[cfg(test)]
mod tests {
    use crate::sandbox::PublicAccessBlock;
    use crate::steps::testing::Harness;
    use serde_json::json;

    #[tokio::test]
    async fn removes_the_settings_and_puts_them_back() {
        let h = Harness::new();
        let s3 = h.sandbox.s3();
        let some = PublicAccessBlock {
            block_public_acls: true,
            ignore_public_acls: false,
            block_public_policy: true,
            restrict_public_buckets: false,
        };
        s3.put_account_public_access_block(&some)
            .await
            .expect("settings");
        let applied = h
            .apply("s3.delete_account_public_access_block", json!({}))
            .await
            .expect("applies");
        assert_eq!(s3.account_public_access_block().await.expect("get"), None);
        assert_eq!(applied.undo[0].action, "s3.put_account_public_access_block");
        h.revert(&applied).await.expect("reverts");
        assert_eq!(
            s3.account_public_access_block().await.expect("get"),
            Some(some)
        );
        s3.delete_account_public_access_block().await.expect("none");
        let nothing = h
            .apply("s3.delete_account_public_access_block", json!({}))
            .await
            .expect("none to remove");
        assert!(nothing.undo.is_empty());
    }
}
