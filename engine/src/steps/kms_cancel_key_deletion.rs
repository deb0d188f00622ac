//! `kms.cancel_key_deletion`: bring a KMS key back from pending deletion.

use super::{Applied, Args, Field, FieldType, StepContext, StepKind, StepSpec};
use crate::sandbox::{KeyState, ResourceKind, SandboxError};
use async_trait::async_trait;

pub struct KmsCancelKeyDeletion;

static SPEC: StepSpec = StepSpec {
    name: "kms.cancel_key_deletion",
    summary: "Cancel a KMS key's scheduled deletion, and enable it again.",
    docs: "CancelKeyDeletion leaves the key Disabled, as KMS does: with `enable` (the \
           default) EnableKey follows, so that what is encrypted under the key can be \
           decrypted again. A key that is not pending deletion is left as it is. As a \
           revert it runs only on a key carrying the run's tag.",
    inputs: &[
        Field {
            name: "key_id",
            ty: FieldType::String,
            required: true,
            doc: "The key id.",
        },
        Field {
            name: "enable",
            ty: FieldType::Bool,
            required: false,
            doc: "Enable the key after cancelling; default true.",
        },
    ],
    outputs: &[],
    calls: &["kms:DescribeKey", "kms:CancelKeyDeletion", "kms:EnableKey"],
    revert: "none",
    creates: None,
};

#[async_trait]
impl StepKind for KmsCancelKeyDeletion {
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
        let enable = args.bool_or("enable", true)?;
        let kms = cx.sandbox.kms();
        if kms.key_state(key_id).await? != KeyState::PendingDeletion {
            return Ok(Applied::default());
        }
        kms.cancel_key_deletion(key_id).await?;
        if enable {
            kms.enable_key(key_id).await?;
        }
        Ok(Applied::default())
    }
}

#[cfg(test)]
mod tests {
    use crate::sandbox::KeyState;
    use crate::steps::testing::Harness;
    use serde_json::json;

    #[tokio::test]
    async fn cancels_and_enables_unless_told_not_to() {
        let h = Harness::new();
        let kms = h.sandbox.kms();
        let key = kms.create_key("k", &h.tags).await.expect("key").key_id;
        kms.schedule_key_deletion(&key, 7).await.expect("scheduled");
        h.apply(
            "kms.cancel_key_deletion",
            json!({"key_id": key, "enable": false}),
        )
        .await
        .expect("applies");
        assert_eq!(
            kms.key_state(&key).await.expect("state"),
            KeyState::Disabled
        );
        kms.schedule_key_deletion(&key, 7).await.expect("scheduled");
        h.apply("kms.cancel_key_deletion", json!({"key_id": key}))
            .await
            .expect("applies");
        assert_eq!(kms.key_state(&key).await.expect("state"), KeyState::Enabled);
        h.apply("kms.cancel_key_deletion", json!({"key_id": key}))
            .await
            .expect("not pending: nothing to do");
    }
}
