//! `kms.disable_key`: disable a KMS key.

use super::{Applied, Args, Field, FieldType, StepContext, StepKind, StepSpec, Undo};
use crate::sandbox::{KeyState, SandboxError};
use async_trait::async_trait;
use serde_json::json;

pub struct KmsDisableKey;

static SPEC: StepSpec = StepSpec {
    name: "kms.disable_key",
    summary: "Disable a KMS key: every encrypt and decrypt with it fails until it is enabled.",
    docs: "Nothing is deleted: EnableKey brings the key back as it was. Clean-up enables it \
           again if it was enabled.",
    inputs: &[Field {
        name: "key_id",
        ty: FieldType::String,
        required: true,
        doc: "The key id.",
    }],
    outputs: &[],
    calls: &["kms:DescribeKey", "kms:DisableKey"],
    revert: "kms.enable_key",
    creates: None,
};

#[async_trait]
impl StepKind for KmsDisableKey {
    fn spec(&self) -> &'static StepSpec {
        &SPEC
    }

    async fn apply(&self, cx: &StepContext<'_>, args: &Args) -> Result<Applied, SandboxError> {
        let key_id = args.str("key_id")?;
        let kms = cx.sandbox.kms();
        if kms.key_state(key_id).await? != KeyState::Enabled {
            return Ok(Applied::default());
        }
        kms.disable_key(key_id).await?;
        Ok(Applied::default().undo(Undo::new(
            "kms.enable_key",
            json!({ "key_id": key_id }),
            format!("kms key {key_id}"),
        )))
    }
}

#[cfg(test)]
mod tests {
    use crate::sandbox::KeyState;
    use crate::steps::testing::Harness;
    use serde_json::json;

    #[tokio::test]
    async fn disables_and_reverts_to_enabled() {
        let h = Harness::new();
        let kms = h.sandbox.kms();
        let key = kms.create_key("k", &h.tags).await.expect("key").key_id;
        let applied = h
            .apply("kms.disable_key", json!({"key_id": key}))
            .await
            .expect("applies");
        assert_eq!(
            kms.key_state(&key).await.expect("state"),
            KeyState::Disabled
        );
        h.revert(&applied).await.expect("reverts");
        assert_eq!(kms.key_state(&key).await.expect("state"), KeyState::Enabled);
        let again = h
            .apply("kms.disable_key", json!({"key_id": key}))
            .await
            .expect("applies");
        let twice = h
            .apply("kms.disable_key", json!({"key_id": key}))
            .await
            .expect("applies");
        assert_eq!((again.undo.len(), twice.undo.len()), (1, 0));
    }
}
