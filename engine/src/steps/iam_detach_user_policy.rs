//! `iam.detach_user_policy`: detach a managed policy from a user.

use super::{Applied, Args, Field, FieldType, StepContext, StepKind, StepSpec, gone_is_fine};
use crate::sandbox::SandboxError;
use async_trait::async_trait;

pub struct IamDetachUserPolicy;

static SPEC: StepSpec = StepSpec {
    name: "iam.detach_user_policy",
    summary: "Detach a managed policy from a user.",
    docs: "Removes the permissions a managed policy gave the user, for calls made from then \
           on. A user, or an attachment, that does not exist counts as detached.",
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
    outputs: &[],
    calls: &["iam:DetachUserPolicy"],
    revert: "none",
    creates: None,
};

#[async_trait]
impl StepKind for IamDetachUserPolicy {
    fn spec(&self) -> &'static StepSpec {
        &SPEC
    }

    fn guard(&self, args: &Args) -> Result<super::Guard, SandboxError> {
        Ok(super::Guard::Inside(args.resource(
            crate::sandbox::ResourceKind::User,
            "user_name",
        )?))
    }

    async fn apply(&self, cx: &StepContext<'_>, args: &Args) -> Result<Applied, SandboxError> {
        let user = args.str("user_name")?;
        let arn = args.str("policy_arn")?;
        gone_is_fine(cx.sandbox.iam().detach_user_policy(user, arn).await)?;
        Ok(Applied::default())
    }
}

#[cfg(test)]
mod tests {
    use crate::steps::testing::Harness;
    use serde_json::json;

    #[tokio::test]
    async fn detaches_and_a_second_time_is_fine() {
        let h = Harness::new();
        let iam = h.sandbox.iam();
        let admin = "arn:aws:iam::aws:policy/AdministratorAccess";
        let read_only = "arn:aws:iam::aws:policy/ReadOnlyAccess";
        iam.create_user("u", &h.tags).await.expect("user");
        iam.attach_user_policy("u", admin).await.expect("attach");
        iam.attach_user_policy("u", read_only)
            .await
            .expect("attach");
        let with = json!({"user_name": "u", "policy_arn": admin});
        let applied = h
            .apply("iam.detach_user_policy", with.clone())
            .await
            .expect("detaches");
        assert!(applied.undo.is_empty());
        assert_eq!(
            iam.list_attached_user_policies("u").await.expect("list"),
            [read_only]
        );
        h.apply("iam.detach_user_policy", with)
            .await
            .expect("already detached is fine");
    }
}
