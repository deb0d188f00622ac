//! `iam.create_access_key`: a long-lived access key for a user; the secret stays in memory.

use super::{Applied, Args, Field, FieldType, OutputSpec, StepContext, StepKind, StepSpec, Undo};
use crate::sandbox::SandboxError;
use async_trait::async_trait;
use serde_json::json;

pub struct IamCreateAccessKey;

static SPEC: StepSpec = StepSpec {
    name: "iam.create_access_key",
    summary: "Create an access key for a user (the attacker's stolen or backdoor key).",
    docs: "The secret access key is an output later steps can use (`${steps.ID}` as the \
           credentials of api.call_as) but it is never journaled, printed or reported.",
    inputs: &[Field {
        name: "user_name",
        ty: FieldType::String,
        required: true,
        doc: "The user who owns the key.",
    }],
    outputs: &[
        OutputSpec {
            name: "access_key_id",
            doc: "The access key id.",
            secret: false,
        },
        OutputSpec {
            name: "secret_access_key",
            doc: "The secret access key.",
            secret: true,
        },
        OutputSpec {
            name: "user_name",
            doc: "The user who owns the key.",
            secret: false,
        },
    ],
    calls: &["iam:CreateAccessKey"],
    revert: "iam.delete_access_key",
    creates: None,
};

#[async_trait]
impl StepKind for IamCreateAccessKey {
    fn spec(&self) -> &'static StepSpec {
        &SPEC
    }

    async fn apply(&self, cx: &StepContext<'_>, args: &Args) -> Result<Applied, SandboxError> {
        let user = args.str("user_name")?;
        let creds = cx.sandbox.iam().create_access_key(user).await?;
        let mut applied = Applied::default()
            .output("access_key_id", creds.access_key_id.clone())
            .output("user_name", user)
            .undo(Undo::new(
                "iam.delete_access_key",
                json!({ "user_name": user, "access_key_id": creds.access_key_id }),
                format!("access key {} of {user}", creds.access_key_id),
            ));
        applied
            .secrets
            .push(("secret_access_key".to_owned(), creds.secret_access_key));
        Ok(applied)
    }
}

#[cfg(test)]
mod tests {
    use crate::steps::testing::Harness;
    use serde_json::json;

    #[tokio::test]
    async fn creates_a_key_whose_secret_is_kept_apart() {
        let h = Harness::new();
        h.apply("iam.create_user", json!({"user_name": "u"}))
            .await
            .expect("user");
        let applied = h
            .apply("iam.create_access_key", json!({"user_name": "u"}))
            .await
            .expect("key");
        let id = applied.outputs["access_key_id"]
            .as_str()
            .expect("id")
            .to_owned();
        assert!(
            !applied.outputs.contains_key("secret_access_key"),
            "secret must not be an output"
        );
        assert_eq!(applied.secrets.len(), 1);
        assert_eq!(
            h.sandbox.iam().list_access_keys("u").await.expect("keys")[0].access_key_id,
            id
        );
        h.revert(&applied).await.expect("reverts");
        assert!(
            h.sandbox
                .iam()
                .list_access_keys("u")
                .await
                .expect("keys")
                .is_empty()
        );
    }
}
