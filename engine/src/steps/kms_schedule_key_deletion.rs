//! `kms.schedule_key_deletion`: schedule a KMS key's deletion.

use super::{Applied, Args, Field, FieldType, StepContext, StepKind, StepSpec, Undo};
use crate::sandbox::{KEY_DELETION_DAYS, KeyState, ResourceKind, SandboxError};
use async_trait::async_trait;
use serde_json::json;

pub struct KmsScheduleKeyDeletion;

static SPEC: StepSpec = StepSpec {
    name: "kms.schedule_key_deletion",
    summary: "Schedule a KMS key's deletion after a waiting period (7 to 30 days).",
    docs: "The key turns PendingDeletion at once: every encrypt and decrypt with it fails \
           from then on, and when the waiting period ends KMS deletes the key and everything \
           encrypted under it becomes unrecoverable. Until then CancelKeyDeletion brings it \
           back, Disabled (EnableKey after). Clean-up cancels the deletion and enables the key \
           again if it was enabled. As clean-up of kms.create_key, it runs only on a key \
           carrying the run's tag, and a key pending deletion already counts as done.",
    inputs: &[
        Field {
            name: "key_id",
            ty: FieldType::String,
            required: true,
            doc: "The key id.",
        },
        Field {
            name: "pending_window_in_days",
            ty: FieldType::Integer,
            required: false,
            doc: "Days before KMS deletes the key, 7 to 30; default 7.",
        },
    ],
    outputs: &[],
    calls: &["kms:DescribeKey", "kms:ScheduleKeyDeletion"],
    revert: "kms.cancel_key_deletion, enabling the key again if it was enabled",
    creates: None,
};

#[async_trait]
impl StepKind for KmsScheduleKeyDeletion {
    fn spec(&self) -> &'static StepSpec {
        &SPEC
    }

    fn guard(&self, args: &Args) -> Result<super::Guard, SandboxError> {
        Ok(super::Guard::Deletes(
            args.resource(ResourceKind::Key, "key_id")?,
        ))
    }

    async fn apply(&self, cx: &StepContext<'_>, args: &Args) -> Result<Applied, SandboxError> {
        let key_id = args.str("key_id")?;
        let days = match args.values().get("pending_window_in_days") {
            None | Some(serde_json::Value::Null) => *KEY_DELETION_DAYS.start(),
            Some(_) => u32::try_from(args.int("pending_window_in_days")?)
                .ok()
                .filter(|d| KEY_DELETION_DAYS.contains(d))
                .ok_or_else(|| {
                    args.bad("input `pending_window_in_days` must be 7 to 30".to_owned())
                })?,
        };
        let kms = cx.sandbox.kms();
        let before = kms.key_state(key_id).await?;
        if before == KeyState::PendingDeletion {
            return Ok(Applied::default());
        }
        kms.schedule_key_deletion(key_id, days).await?;
        Ok(Applied::default().undo(Undo::new(
            "kms.cancel_key_deletion",
            json!({ "key_id": key_id, "enable": before == KeyState::Enabled }),
            format!("deletion of kms key {key_id}"),
        )))
    }
}

#[cfg(test)]
mod tests {
    use crate::sandbox::{ErrorKind, KeyState};
    use crate::steps::testing::Harness;
    use serde_json::json;

    #[tokio::test]
    async fn schedules_and_reverts_to_an_enabled_key() {
        let h = Harness::new();
        let kms = h.sandbox.kms();
        let key = kms.create_key("k", &h.tags).await.expect("key").key_id;
        let applied = h
            .apply(
                "kms.schedule_key_deletion",
                json!({"key_id": key, "pending_window_in_days": 7}),
            )
            .await
            .expect("applies");
        assert_eq!(
            kms.key_state(&key).await.expect("state"),
            KeyState::PendingDeletion
        );
        h.revert(&applied).await.expect("reverts");
        assert_eq!(kms.key_state(&key).await.expect("state"), KeyState::Enabled);
    }

    #[tokio::test]
    async fn a_disabled_key_comes_back_disabled() {
        let h = Harness::new();
        let kms = h.sandbox.kms();
        let key = kms.create_key("k", &h.tags).await.expect("key").key_id;
        kms.disable_key(&key).await.expect("disabled");
        let applied = h
            .apply("kms.schedule_key_deletion", json!({"key_id": key}))
            .await
            .expect("applies");
        h.revert(&applied).await.expect("reverts");
        assert_eq!(
            kms.key_state(&key).await.expect("state"),
            KeyState::Disabled
        );
    }

    #[tokio::test]
    async fn a_window_kms_refuses_is_refused_before_any_call() {
        let h = Harness::new();
        let kms = h.sandbox.kms();
        let key = kms.create_key("k", &h.tags).await.expect("key").key_id;
        let err = h
            .apply(
                "kms.schedule_key_deletion",
                json!({"key_id": key, "pending_window_in_days": 3}),
            )
            .await
            .expect_err("refused");
        assert_eq!(err.kind, ErrorKind::InvalidInput);
        assert_eq!(kms.key_state(&key).await.expect("state"), KeyState::Enabled);
    }
}
