//! `iam.delete_access_key`: an access key, for good.

use super::{Applied, Args, Field, FieldType, StepContext, StepKind, StepSpec, gone_is_fine};
use crate::sandbox::SandboxError;
use async_trait::async_trait;

pub struct IamDeleteAccessKey;

static SPEC: StepSpec = StepSpec {
    name: "iam.delete_access_key",
    summary: "Delete an access key.",
    docs: "Deletes the key for good: it cannot be re-activated, and its last-used data goes \
           with it. In a response, deactivate the key first (iam.update_access_key) and \
           delete it only once the evidence is saved. A key or user that does not exist \
           counts as deleted.",
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
    ],
    outputs: &[],
    calls: &["iam:DeleteAccessKey"],
    revert: "none",
    creates: None,
};

#[async_trait]
impl StepKind for IamDeleteAccessKey {
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
        gone_is_fine(cx.sandbox.iam().delete_access_key(user, key).await)?;
        Ok(Applied::default())
    }
}

#[cfg(test)]
mod tests {
    use crate::steps::testing::Harness;
    use serde_json::json;

    #[tokio::test]
    async fn deletes_the_key_and_a_second_time_is_fine() {
        let h = Harness::new();
        let iam = h.sandbox.iam();
        iam.create_user("u", &h.tags).await.expect("user");
        let keep = iam
            .create_access_key("u")
            .await
            .expect("key 1")
            .access_key_id;
        let gone = iam
            .create_access_key("u")
            .await
            .expect("key 2")
            .access_key_id;
        let with = json!({"user_name": "u", "access_key_id": gone});
        let applied = h
            .apply("iam.delete_access_key", with.clone())
            .await
            .expect("deletes");
        assert!(applied.undo.is_empty());
        let keys = iam.list_access_keys("u").await.expect("keys");
        assert_eq!(
            keys.iter()
                .map(|k| k.access_key_id.as_str())
                .collect::<Vec<_>>(),
            [keep.as_str()]
        );
        h.apply("iam.delete_access_key", with)
            .await
            .expect("already gone is fine");
    }
}
