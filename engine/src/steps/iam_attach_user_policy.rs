//! `iam.attach_user_policy`: attach a managed policy to a user.

use super::{Applied, Args, Field, FieldType, OutputSpec, StepContext, StepKind, StepSpec, Undo};
use crate::sandbox::SandboxError;
use async_trait::async_trait;
use serde_json::json;

pub struct IamAttachUserPolicy;

static SPEC: StepSpec = StepSpec {
    name: "iam.attach_user_policy",
    summary: "Attach a managed policy (such as AdministratorAccess) to a user.",
    docs: "Attaches an AWS or customer managed policy by ARN, for example \
           arn:aws:iam::aws:policy/ReadOnlyAccess to give a victim user something to read, or \
           arn:aws:iam::aws:policy/AdministratorAccess for a privilege-escalation drill. \
           Reads the user's attached policies first: a policy that was already attached is \
           left attached at clean-up.",
    inputs: &[
        Field {
            name: "user_name",
            ty: FieldType::String,
            required: true,
            doc: "The user.",
        },
        Field {
            name: "policy_arn",
            ty: FieldType::String,
            required: true,
            doc: "The managed policy's ARN.",
        },
    ],
    outputs: &[OutputSpec {
        name: "policy_arn",
        doc: "The attached policy's ARN.",
        secret: false,
    }],
    calls: &["iam:ListAttachedUserPolicies", "iam:AttachUserPolicy"],
    revert: "iam.detach_user_policy (none if it was attached already)",
    creates: None,
};

#[async_trait]
impl StepKind for IamAttachUserPolicy {
    fn spec(&self) -> &'static StepSpec {
        &SPEC
    }

    async fn apply(&self, cx: &StepContext<'_>, args: &Args) -> Result<Applied, SandboxError> {
        let user = args.str("user_name")?;
        let arn = args.str("policy_arn")?;
        let iam = cx.sandbox.iam();
        let attached_before = iam
            .list_attached_user_policies(user)
            .await?
            .iter()
            .any(|a| a == arn);
        iam.attach_user_policy(user, arn).await?;
        let mut applied = Applied::default().output("policy_arn", arn);
        if !attached_before {
            applied = applied.undo(Undo::new(
                "iam.detach_user_policy",
                json!({ "user_name": user, "policy_arn": arn }),
                format!("policy {arn} on iam user {user}"),
            ));
        }
        Ok(applied)
    }
}

#[cfg(test)]
mod tests {
    use crate::steps::testing::Harness;
    use serde_json::json;

    const READ_ONLY: &str = "arn:aws:iam::aws:policy/ReadOnlyAccess";

    #[tokio::test]
    async fn attaches_and_reverts() {
        let h = Harness::new();
        h.sandbox
            .iam()
            .create_user("u", &h.tags)
            .await
            .expect("user");
        let applied = h
            .apply(
                "iam.attach_user_policy",
                json!({"user_name": "u", "policy_arn": READ_ONLY}),
            )
            .await
            .expect("applies");
        assert_eq!(applied.outputs["policy_arn"], READ_ONLY);
        assert_eq!(
            h.sandbox
                .iam()
                .list_attached_user_policies("u")
                .await
                .expect("list"),
            [READ_ONLY]
        );
        h.revert(&applied).await.expect("reverts");
        assert!(
            h.sandbox
                .iam()
                .list_attached_user_policies("u")
                .await
                .expect("list")
                .is_empty()
        );
    }

    #[tokio::test]
    async fn a_policy_attached_before_stays_attached() {
        let h = Harness::new();
        h.sandbox
            .iam()
            .create_user("u", &h.tags)
            .await
            .expect("user");
        h.sandbox
            .iam()
            .attach_user_policy("u", READ_ONLY)
            .await
            .expect("attach");
        let applied = h
            .apply(
                "iam.attach_user_policy",
                json!({"user_name": "u", "policy_arn": READ_ONLY}),
            )
            .await
            .expect("applies");
        assert!(applied.undo.is_empty());
        h.revert(&applied).await.expect("reverts");
        assert_eq!(
            h.sandbox
                .iam()
                .list_attached_user_policies("u")
                .await
                .expect("list"),
            [READ_ONLY]
        );
    }

    #[tokio::test]
    async fn a_missing_user_is_an_error() {
        let h = Harness::new();
        let err = h
            .apply(
                "iam.attach_user_policy",
                json!({"user_name": "nobody", "policy_arn": READ_ONLY}),
            )
            .await
            .expect_err("no such user");
        assert_eq!(err.kind, crate::sandbox::ErrorKind::NotFound);
    }
}
