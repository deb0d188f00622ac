//! `iam.delete_user`: a run's user, with its access keys and policies.

use super::{Applied, Args, Field, FieldType, StepContext, StepKind, StepSpec, gone_is_fine};
use crate::sandbox::SandboxError;
use async_trait::async_trait;

pub struct IamDeleteUser;

static SPEC: StepSpec = StepSpec {
    name: "iam.delete_user",
    summary: "Delete an IAM user, its access keys and its policies first.",
    docs: "IAM refuses to delete a user that still has access keys or policies, so this step \
           deletes the user's access keys and inline policies and detaches its managed \
           policies, then deletes the user. That is right for a user the run created and \
           wrong for anyone else's: on a real incident it destroys the evidence (the keys, \
           their last-used data, the policies). A user that does not exist counts as deleted. \
           It does not remove login profiles, MFA devices, signing certificates, SSH keys or \
           group memberships (a run's users have none); with any of those, DeleteUser fails.",
    inputs: &[Field {
        name: "user_name",
        ty: FieldType::String,
        required: true,
        doc: "The user name.",
    }],
    outputs: &[],
    calls: &[
        "iam:ListAccessKeys",
        "iam:DeleteAccessKey",
        "iam:ListUserPolicies",
        "iam:GetUserPolicy",
        "iam:DeleteUserPolicy",
        "iam:ListAttachedUserPolicies",
        "iam:DetachUserPolicy",
        "iam:DeleteUser",
    ],
    revert: "none",
    creates: None,
};

#[async_trait]
impl StepKind for IamDeleteUser {
    fn spec(&self) -> &'static StepSpec {
        &SPEC
    }

    fn guard(&self, args: &Args) -> Result<super::Guard, SandboxError> {
        Ok(super::Guard::Deletes(args.resource(
            crate::sandbox::ResourceKind::User,
            "user_name",
        )?))
    }

    async fn apply(&self, cx: &StepContext<'_>, args: &Args) -> Result<Applied, SandboxError> {
        let user = args.str("user_name")?;
        gone_is_fine(crate::ownership::delete_user(cx.sandbox.iam(), user).await)?;
        Ok(Applied::default())
    }
}

#[cfg(test)]
mod tests {
    use crate::sandbox::ErrorKind;
    use crate::steps::testing::Harness;
    use serde_json::json;

    #[tokio::test]
    async fn deletes_a_user_with_keys_and_policies() {
        let h = Harness::new();
        let iam = h.sandbox.iam();
        iam.create_user("u", &h.tags).await.expect("user");
        iam.create_access_key("u").await.expect("key");
        iam.put_user_policy("u", "inline", r#"{"Version":"2012-10-17","Statement":[]}"#)
            .await
            .expect("inline");
        iam.attach_user_policy("u", "arn:aws:iam::aws:policy/ReadOnlyAccess")
            .await
            .expect("attach");
        let applied = h
            .apply("iam.delete_user", json!({"user_name": "u"}))
            .await
            .expect("deletes");
        assert!(applied.undo.is_empty(), "a deletion has no undo");
        let err = iam.list_access_keys("u").await.expect_err("user gone");
        assert_eq!(err.kind, ErrorKind::NotFound);
        // Create the same name again: nothing of the old user is left over.
        iam.create_user("u", &h.tags)
            .await
            .expect("name free again");
        assert!(iam.list_access_keys("u").await.expect("keys").is_empty());
        assert!(iam.user_policies("u").await.expect("inline").is_empty());
        assert!(
            iam.list_attached_user_policies("u")
                .await
                .expect("attached")
                .is_empty()
        );
    }

    #[tokio::test]
    async fn a_missing_user_counts_as_deleted() {
        let h = Harness::new();
        let applied = h
            .apply("iam.delete_user", json!({"user_name": "nobody"}))
            .await
            .expect("gone is fine");
        assert!(applied.undo.is_empty());
    }
}
