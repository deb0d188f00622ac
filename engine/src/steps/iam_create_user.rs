//! `iam.create_user`: a user, named and tagged for the run.

use super::{Applied, Args, Field, FieldType, OutputSpec, StepContext, StepKind, StepSpec, Undo};
use crate::sandbox::SandboxError;
use async_trait::async_trait;
use serde_json::json;

pub struct IamCreateUser;

static SPEC: StepSpec = StepSpec {
    name: "iam.create_user",
    summary: "Create an IAM user, tagged for the run.",
    docs: "Creates a user with the run's tags. Use a name that carries ${run.id} so that \
           clean-up and `gameday cleanup --orphans` can tell it belongs to a run.",
    inputs: &[Field {
        name: "user_name",
        ty: FieldType::String,
        required: true,
        doc: "The user name.",
    }],
    outputs: &[
        OutputSpec {
            name: "user_name",
            doc: "The user name.",
            secret: false,
        },
        OutputSpec {
            name: "arn",
            doc: "The user's ARN.",
            secret: false,
        },
    ],
    calls: &["iam:CreateUser"],
    revert: "iam.delete_user (its keys and policies first)",
    creates: Some(super::Creates {
        kind: crate::sandbox::ResourceKind::User,
        name: Some("user_name"),
    }),
};

#[async_trait]
impl StepKind for IamCreateUser {
    fn spec(&self) -> &'static StepSpec {
        &SPEC
    }

    async fn apply(&self, cx: &StepContext<'_>, args: &Args) -> Result<Applied, SandboxError> {
        let user = args.str("user_name")?;
        let arn = cx.sandbox.iam().create_user(user, cx.tags).await?;
        Ok(Applied::default()
            .output("user_name", user)
            .output("arn", arn)
            .undo(Undo::new(
                "iam.delete_user",
                json!({ "user_name": user }),
                format!("iam user {user}"),
            )))
    }
}

#[cfg(test)]
mod tests {
    use crate::steps::testing::Harness;
    use serde_json::json;

    #[tokio::test]
    async fn creates_a_tagged_user_and_reverts_it() {
        let h = Harness::new();
        let applied = h
            .apply("iam.create_user", json!({"user_name": "gameday-t-alice"}))
            .await
            .expect("applies");
        assert_eq!(applied.outputs["user_name"], "gameday-t-alice");
        assert!(
            applied.outputs["arn"]
                .as_str()
                .expect("arn")
                .ends_with(":user/gameday-t-alice")
        );
        h.revert(&applied).await.expect("reverts");
        assert!(
            h.sandbox
                .iam()
                .list_access_keys("gameday-t-alice")
                .await
                .is_err(),
            "user gone"
        );
    }
}
