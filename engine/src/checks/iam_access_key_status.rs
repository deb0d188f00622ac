//! `iam.access_key_status`: whether an access key is still usable.

use super::{Check, CheckSpec, Values, text};
use crate::sandbox::{ErrorKind, Sandbox, SandboxError};
use crate::steps::Args;
use async_trait::async_trait;
use serde_json::{Value, json};

pub struct IamAccessKeyStatus;

static SPEC: CheckSpec = CheckSpec {
    name: "iam.access_key_status",
    summary: "The status of an access key.",
    docs: "Lists the user's access keys and reports the key's status: `Active`, `Inactive` \
           (deactivated, kept as evidence), or `Deleted` when neither the key nor its user \
           exists any more. Containment is usually `Inactive`: deleting the key destroys \
           evidence.",
    inputs: &[
        text("user_name", "The key's user."),
        text("access_key_id", "The key."),
    ],
    values: Values::Text(&["Active", "Inactive", "Deleted"]),
    calls: &["iam:ListAccessKeys"],
    audit_events: &["iam:UpdateAccessKey", "iam:DeleteAccessKey"],
    audit_resource: Some("access_key_id"),
};

#[async_trait]
impl Check for IamAccessKeyStatus {
    fn spec(&self) -> &'static CheckSpec {
        &SPEC
    }

    async fn probe(&self, sandbox: &dyn Sandbox, args: &Args) -> Result<Value, SandboxError> {
        let user = args.str("user_name")?;
        let key = args.str("access_key_id")?;
        let keys = match sandbox.iam().list_access_keys(user).await {
            Err(e) if e.kind == ErrorKind::NotFound => Vec::new(),
            other => other?,
        };
        Ok(json!(
            keys.iter()
                .find(|k| k.access_key_id == key)
                .map(|k| k.status.as_str())
                .unwrap_or("Deleted")
        ))
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::probe;
    use crate::steps::testing::Harness;
    use serde_json::json;

    #[tokio::test]
    async fn follows_a_key_from_active_to_inactive_to_deleted() {
        let h = Harness::new();
        h.apply("iam.create_user", json!({"user_name": "victim"}))
            .await
            .expect("user");
        let key = h
            .apply("iam.create_access_key", json!({"user_name": "victim"}))
            .await
            .expect("key");
        let id = key.outputs["access_key_id"].clone();
        let with = json!({"user_name": "victim", "access_key_id": id});
        let status = async || probe(&h, "iam.access_key_status", with.clone()).await;
        assert_eq!(status().await.expect("probes"), "Active");
        h.apply(
            "iam.update_access_key",
            json!({"user_name": "victim", "access_key_id": id, "status": "Inactive"}),
        )
        .await
        .expect("deactivates");
        assert_eq!(status().await.expect("probes"), "Inactive");
        h.apply(
            "iam.delete_access_key",
            json!({"user_name": "victim", "access_key_id": id}),
        )
        .await
        .expect("deletes");
        assert_eq!(status().await.expect("probes"), "Deleted");
    }

    #[tokio::test]
    async fn a_key_of_a_user_that_is_gone_is_deleted() {
        let h = Harness::new();
        let with = json!({"user_name": "nobody", "access_key_id": "AKIAEXAMPLE"});
        assert_eq!(
            probe(&h, "iam.access_key_status", with)
                .await
                .expect("probes"),
            "Deleted"
        );
    }
}
