//! `kms.enable_key`: enable a KMS key.

use super::{Applied, Args, Field, FieldType, StepContext, StepKind, StepSpec};
use crate::sandbox::{KeyState, ResourceKind, SandboxError};
use async_trait::async_trait;

pub struct KmsEnableKey;

static SPEC: StepSpec = StepSpec {
    name: "kms.enable_key",
    summary: "Enable a disabled KMS key.",
    docs: "A key pending deletion cannot be enabled: cancel its deletion first \
           (kms.cancel_key_deletion). An enabled key is left as it is. As a revert it runs \
           only on a key carrying the run's tag.",
    inputs: &[Field {
        name: "key_id",
        ty: FieldType::String,
        required: true,
        doc: "The key id.",
    }],
    outputs: &[],
    calls: &["kms:DescribeKey", "kms:EnableKey"],
    revert: "none",
    creates: None,
};

#[async_trait]
impl StepKind for KmsEnableKey {
    fn spec(&self) -> &'static StepSpec {
        &SPEC
    }

    fn guard(&self, args: &Args) -> Result<super::Guard, SandboxError> {
        Ok(super::Guard::Inside(
            args.resource(ResourceKind::Key, "key_id")?,
        ))
    }

    async fn apply(&self, cx: &StepContext<'_>, args: &Args) -> Result<Applied, SandboxError> {
        let key_id = args.str("key_id")?;
        let kms = cx.sandbox.kms();
        if kms.key_state(key_id).await? != KeyState::Enabled {
            kms.enable_key(key_id).await?;
        }
        Ok(Applied::default())
    }
}

#[cfg(test)]
mod tests {
    use crate::sandbox::{ErrorKind, KeyState};
    use crate::steps::testing::Harness;
    use serde_json::json;

    #[tokio::test]
    async fn enables_but_not_a_key_pending_deletion() {
        let h = Harness::new();
        let kms = h.sandbox.kms();
        let key = kms.create_key("k", &h.tags).await.expect("key").key_id;
        kms.disable_key(&key).await.expect("disabled");
        h.apply("kms.enable_key", json!({"key_id": key}))
            .await
            .expect("applies");
        assert_eq!(kms.key_state(&key).await.expect("state"), KeyState::Enabled);
        kms.schedule_key_deletion(&key, 7).await.expect("scheduled");
        let err = h
            .apply("kms.enable_key", json!({"key_id": key}))
            .await
            .expect_err("pending deletion");
        assert_eq!(err.kind, ErrorKind::Conflict);
    }
}
