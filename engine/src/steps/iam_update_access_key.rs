//! `iam.update_access_key`: activate or deactivate an access key.

use super::{Applied, Args, Field, FieldType, OutputSpec, StepContext, StepKind, StepSpec, Undo};
use crate::sandbox::{KeyStatus, SandboxError};
use async_trait::async_trait;
use serde_json::json;

pub struct IamUpdateAccessKey;

static SPEC: StepSpec = StepSpec {
    name: "iam.update_access_key",
    summary: "Set an access key's status to Active or Inactive.",
    docs: "Deactivating a key is the first containment of leaked credentials: calls signed \
           with it are refused from then on, and it can be re-activated after a false \
           positive. It does not end session credentials already obtained with the key \
           (sts:GetSessionToken), which stay valid until they expire. Setting the status the \
           key already has changes nothing and leaves nothing to revert.",
    inputs: &[
        Field {
            name: "user_name",
            ty: FieldType::String,
            required: true,
            doc: "The user who owns the key.",
        },
        Field {
            name: "access_key_id",
            ty: FieldType::String,
            required: true,
            doc: "The access key id.",
        },
        Field {
            name: "status",
            ty: FieldType::String,
            required: true,
            doc: "Active or Inactive.",
        },
    ],
    outputs: &[OutputSpec {
        name: "status",
        doc: "The key's new status.",
        secret: false,
    }],
    calls: &["iam:ListAccessKeys", "iam:UpdateAccessKey"],
    revert: "iam.update_access_key back to the previous status (none if it did not change)",
    creates: None,
};

#[async_trait]
impl StepKind for IamUpdateAccessKey {
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
        let key = args.str("access_key_id")?;
        let status = match args.str("status")? {
            "Active" => KeyStatus::Active,
            "Inactive" => KeyStatus::Inactive,
            other => {
                return Err(args.bad(format!(
                    "input `status` must be Active or Inactive, not `{other}`"
                )));
            }
        };
        let iam = cx.sandbox.iam();
        let before = iam
            .list_access_keys(user)
            .await?
            .into_iter()
            .find(|k| k.access_key_id == key)
            .map(|k| k.status);
        iam.update_access_key(user, key, status).await?;
        let mut applied = Applied::default().output("status", status.as_str());
        if let Some(before) = before
            && before != status
        {
            applied = applied.undo(Undo::new(
                "iam.update_access_key",
                json!({ "user_name": user, "access_key_id": key, "status": before.as_str() }),
                format!("access key {key} of {user}"),
            ));
        }
        Ok(applied)
    }
}

#[cfg(test)]
mod tests {
    use crate::sandbox::{ErrorKind, KeyStatus};
    use crate::steps::testing::Harness;
    use serde_json::json;

    async fn user_with_key(h: &Harness) -> String {
        h.sandbox
            .iam()
            .create_user("u", &h.tags)
            .await
            .expect("user");
        h.sandbox
            .iam()
            .create_access_key("u")
            .await
            .expect("key")
            .access_key_id
    }

    async fn status(h: &Harness) -> KeyStatus {
        h.sandbox.iam().list_access_keys("u").await.expect("keys")[0].status
    }

    #[tokio::test]
    async fn deactivates_and_reverts_to_active() {
        let h = Harness::new();
        let key = user_with_key(&h).await;
        let with = json!({"user_name": "u", "access_key_id": key, "status": "Inactive"});
        let applied = h
            .apply("iam.update_access_key", with)
            .await
            .expect("applies");
        assert_eq!(applied.outputs["status"], "Inactive");
        assert_eq!(status(&h).await, KeyStatus::Inactive);
        assert_eq!(applied.undo.len(), 1);
        assert_eq!(applied.undo[0].with["status"], "Active");
        h.revert(&applied).await.expect("reverts");
        assert_eq!(status(&h).await, KeyStatus::Active);
    }

    #[tokio::test]
    async fn an_unchanged_status_has_nothing_to_undo() {
        let h = Harness::new();
        let key = user_with_key(&h).await;
        let with = json!({"user_name": "u", "access_key_id": key, "status": "Active"});
        let applied = h
            .apply("iam.update_access_key", with)
            .await
            .expect("applies");
        assert!(applied.undo.is_empty());
        assert_eq!(status(&h).await, KeyStatus::Active);
    }

    #[tokio::test]
    async fn a_bad_status_or_a_missing_key_is_an_error() {
        let h = Harness::new();
        let key = user_with_key(&h).await;
        let bad = json!({"user_name": "u", "access_key_id": key, "status": "Disabled"});
        assert_eq!(
            h.apply("iam.update_access_key", bad)
                .await
                .expect_err("refused")
                .kind,
            ErrorKind::InvalidInput
        );
        assert_eq!(status(&h).await, KeyStatus::Active);
        h.sandbox
            .iam()
            .delete_access_key("u", &key)
            .await
            .expect("delete");
        let with = json!({"user_name": "u", "access_key_id": key, "status": "Active"});
        let err = h
            .apply("iam.update_access_key", with)
            .await
            .expect_err("no such key");
        assert_eq!(err.kind, ErrorKind::NotFound);
    }
}
