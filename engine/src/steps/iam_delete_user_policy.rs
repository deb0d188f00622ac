//! `iam.delete_user_policy`: an inline policy of a user.

use super::{Applied, Args, Field, FieldType, StepContext, StepKind, StepSpec, gone_is_fine};
use crate::sandbox::SandboxError;
use async_trait::async_trait;

pub struct IamDeleteUserPolicy;

static SPEC: StepSpec = StepSpec {
    name: "iam.delete_user_policy",
    summary: "Delete an inline policy of a user.",
    docs: "Deletes the inline policy named `policy_name`. A user, or a policy, that does not \
           exist counts as deleted.",
    inputs: &[
        Field {
            name: "user_name",
            ty: FieldType::String,
            required: true,
            doc: "The user.",
        },
        Field {
            name: "policy_name",
            ty: FieldType::String,
            required: true,
            doc: "The inline policy's name.",
        },
    ],
    outputs: &[],
    calls: &["iam:DeleteUserPolicy"],
    revert: "none",
    creates: None,
};

#[async_trait]
impl StepKind for IamDeleteUserPolicy {
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
        let name = args.str("policy_name")?;
        gone_is_fine(cx.sandbox.iam().delete_user_policy(user, name).await)?;
        Ok(Applied::default())
    }
}

#[cfg(test)]
mod tests {
    use crate::steps::testing::Harness;
    use serde_json::json;

    #[tokio::test]
    async fn deletes_one_policy_and_a_second_time_is_fine() {
        let h = Harness::new();
        let iam = h.sandbox.iam();
        let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}"#;
        iam.create_user("u", &h.tags).await.expect("user");
        iam.put_user_policy("u", "a", doc).await.expect("a");
        iam.put_user_policy("u", "b", doc).await.expect("b");
        let with = json!({"user_name": "u", "policy_name": "a"});
        let applied = h
            .apply("iam.delete_user_policy", with.clone())
            .await
            .expect("deletes");
        assert!(applied.undo.is_empty());
        let names: Vec<String> = iam
            .user_policies("u")
            .await
            .expect("policies")
            .into_keys()
            .collect();
        assert_eq!(names, ["b"]);
        h.apply("iam.delete_user_policy", with)
            .await
            .expect("already gone is fine");
    }
}
