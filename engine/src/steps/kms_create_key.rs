//! `kms.create_key`: a symmetric KMS key, tagged for the run.

use super::{Applied, Args, Field, FieldType, OutputSpec, StepContext, StepKind, StepSpec, Undo};
use crate::sandbox::{KEY_DELETION_DAYS, SandboxError};
use async_trait::async_trait;
use serde_json::json;

pub struct KmsCreateKey;

static SPEC: StepSpec = StepSpec {
    name: "kms.create_key",
    summary: "Create a customer managed KMS key (symmetric, encrypt/decrypt), tagged for the run.",
    docs: "The key gets the account's default key policy (the account's IAM policies decide \
           who may use it) and the run's tags. KMS cannot delete a key at once: clean-up \
           schedules its deletion after seven days, the shortest wait KMS allows, and the key \
           stays in the account, PendingDeletion and unusable, until then (KMS charges nothing \
           for a key pending deletion; cancelling the deletion brings the monthly charge \
           back).",
    inputs: &[Field {
        name: "description",
        ty: FieldType::String,
        required: false,
        doc: "The key's description; default names the run.",
    }],
    outputs: &[
        OutputSpec {
            name: "key_id",
            doc: "The key id (a UUID).",
            secret: false,
        },
        OutputSpec {
            name: "arn",
            doc: "The key's ARN.",
            secret: false,
        },
    ],
    calls: &["kms:CreateKey"],
    revert: "kms.schedule_key_deletion after 7 days (KMS cannot delete a key at once)",
    creates: Some(super::Creates {
        kind: crate::sandbox::ResourceKind::Key,
        name: None,
    }),
};

#[async_trait]
impl StepKind for KmsCreateKey {
    fn spec(&self) -> &'static StepSpec {
        &SPEC
    }

    async fn apply(&self, cx: &StepContext<'_>, args: &Args) -> Result<Applied, SandboxError> {
        let default = format!("gameday run {}", cx.run_id);
        let description = args.str_or("description", &default)?;
        let key = cx.sandbox.kms().create_key(description, cx.tags).await?;
        Ok(Applied::default()
            .output("key_id", key.key_id.clone())
            .output("arn", key.arn)
            .undo(Undo::new(
                "kms.schedule_key_deletion",
                json!({
                    "key_id": key.key_id,
                    "pending_window_in_days": KEY_DELETION_DAYS.start(),
                }),
                format!("kms key {}", key.key_id),
            )))
    }
}

#[cfg(test)]
mod tests {
    use crate::sandbox::KeyState;
    use crate::steps::testing::Harness;
    use serde_json::json;

    #[tokio::test]
    async fn creates_a_tagged_key_and_reverts_by_scheduling_its_deletion() {
        let h = Harness::new();
        let applied = h.apply("kms.create_key", json!({})).await.expect("applies");
        let key = applied.outputs["key_id"].as_str().expect("id").to_owned();
        let kms = h.sandbox.kms();
        assert_eq!(kms.key_tags(&key).await.expect("tags"), h.tags);
        assert_eq!(kms.key_state(&key).await.expect("state"), KeyState::Enabled);
        assert_eq!(applied.undo[0].with["pending_window_in_days"], 7);
        h.revert(&applied).await.expect("reverts");
        assert_eq!(
            kms.key_state(&key).await.expect("state"),
            KeyState::PendingDeletion
        );
        h.revert(&applied)
            .await
            .expect("pending deletion already counts as done");
    }
}
