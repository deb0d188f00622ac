//! `kms.key_state`: the state of a KMS key.

use super::{Check, CheckSpec, Values, text};
use crate::sandbox::{KeyState, Sandbox, SandboxError};
use crate::steps::Args;
use async_trait::async_trait;
use serde_json::{Value, json};

pub struct KmsKeyState;

static SPEC: CheckSpec = CheckSpec {
    name: "kms.key_state",
    summary: "The state of a KMS key: Enabled, Disabled, PendingDeletion…",
    docs: "Reads the key (DescribeKey) and reports its KeyState as KMS spells it. A key \
           scheduled for deletion is `PendingDeletion` until its deletion is cancelled, which \
           leaves it `Disabled`: only `Enabled` means what is encrypted under it can be \
           decrypted again.",
    inputs: &[text("key_id", "The key id.")],
    values: Values::Text(KeyState::ALL),
    calls: &["kms:DescribeKey"],
    audit_events: &[
        "kms:CancelKeyDeletion",
        "kms:EnableKey",
        "kms:DisableKey",
        "kms:ScheduleKeyDeletion",
    ],
    audit_resource: Some("key_id"),
};

#[async_trait]
impl Check for KmsKeyState {
    fn spec(&self) -> &'static CheckSpec {
        &SPEC
    }

    async fn probe(&self, sandbox: &dyn Sandbox, args: &Args) -> Result<Value, SandboxError> {
        let key = args.str("key_id")?;
        Ok(json!(sandbox.kms().key_state(key).await?.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::probe;
    use crate::steps::testing::Harness;
    use serde_json::json;

    #[tokio::test]
    async fn follows_the_key_through_deletion_and_back() {
        let h = Harness::new();
        let key = h
            .apply("kms.create_key", json!({}))
            .await
            .expect("key")
            .outputs["key_id"]
            .clone();
        let state = async || {
            probe(&h, "kms.key_state", json!({"key_id": key}))
                .await
                .expect("probes")
        };
        assert_eq!(state().await, "Enabled");
        h.apply("kms.schedule_key_deletion", json!({"key_id": key}))
            .await
            .expect("scheduled");
        assert_eq!(state().await, "PendingDeletion");
        h.apply(
            "kms.cancel_key_deletion",
            json!({"key_id": key, "enable": false}),
        )
        .await
        .expect("cancelled");
        assert_eq!(state().await, "Disabled");
    }
}
