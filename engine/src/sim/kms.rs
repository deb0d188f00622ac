//! KMS: customer managed keys, their states and their scheduled deletion.

use super::{Call, SimAccount, error};
use crate::sandbox::{
    ErrorKind, KEY_DELETION_DAYS, KeyState, Kms, KmsKey, Resource, ResourceKind, Result,
    SandboxError, Tags,
};
use async_trait::async_trait;

/// A key.
#[derive(Debug, Clone)]
pub(super) struct Key {
    pub tags: Tags,
    pub state: KeyState,
}

fn no_key(op: &str, key_id: &str) -> SandboxError {
    error(
        ErrorKind::NotFound,
        op,
        "NotFoundException",
        format!("Key '{key_id}' does not exist"),
    )
}

fn invalid_state(op: &str, key_id: &str, state: KeyState) -> SandboxError {
    error(
        ErrorKind::Conflict,
        op,
        "KMSInvalidStateException",
        format!("{key_id} is {}", state.as_str()),
    )
}

impl SimAccount {
    /// Moves key `key_id` from a state `from` allows to `to`, and audits `op`.
    fn transition(
        &self,
        op: &str,
        key_id: &str,
        from: impl Fn(KeyState) -> bool,
        to: KeyState,
    ) -> Result<()> {
        let mut st = self.lock();
        let key = st.keys.get_mut(key_id).ok_or_else(|| no_key(op, key_id))?;
        if !from(key.state) {
            return Err(invalid_state(op, key_id, key.state));
        }
        key.state = to;
        self.record(&mut st, Call::new(op, &[key_id]));
        Ok(())
    }
}

#[async_trait]
impl Kms for SimAccount {
    async fn create_key(&self, _description: &str, tags: &Tags) -> Result<KmsKey> {
        const OP: &str = "kms:CreateKey";
        let mut st = self.lock();
        let hex = st.fresh_id("", 32, |st, id| st.keys.contains_key(id));
        let key_id = format!(
            "{}-{}-{}-{}-{}",
            &hex[..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..]
        );
        st.keys.insert(
            key_id.clone(),
            Key {
                tags: tags.clone(),
                state: KeyState::Enabled,
            },
        );
        self.record(&mut st, Call::new(OP, &[&key_id]));
        Ok(KmsKey {
            arn: format!("arn:aws:kms:{}:{}:key/{key_id}", self.region, self.account),
            key_id,
        })
    }

    async fn key_tags(&self, key_id: &str) -> Result<Tags> {
        let st = self.lock();
        st.keys
            .get(key_id)
            .map(|k| k.tags.clone())
            .ok_or_else(|| no_key("kms:ListResourceTags", key_id))
    }

    async fn key_state(&self, key_id: &str) -> Result<KeyState> {
        let st = self.lock();
        st.keys
            .get(key_id)
            .map(|k| k.state)
            .ok_or_else(|| no_key("kms:DescribeKey", key_id))
    }

    async fn disable_key(&self, key_id: &str) -> Result<()> {
        self.transition(
            "kms:DisableKey",
            key_id,
            |s| matches!(s, KeyState::Enabled | KeyState::Disabled),
            KeyState::Disabled,
        )
    }

    async fn enable_key(&self, key_id: &str) -> Result<()> {
        self.transition(
            "kms:EnableKey",
            key_id,
            |s| matches!(s, KeyState::Enabled | KeyState::Disabled),
            KeyState::Enabled,
        )
    }

    async fn schedule_key_deletion(&self, key_id: &str, days: u32) -> Result<()> {
        const OP: &str = "kms:ScheduleKeyDeletion";
        if !KEY_DELETION_DAYS.contains(&days) {
            return Err(error(
                ErrorKind::InvalidInput,
                OP,
                "ValidationException",
                format!("PendingWindowInDays must be 7 to 30, not {days}"),
            ));
        }
        self.transition(
            OP,
            key_id,
            |s| matches!(s, KeyState::Enabled | KeyState::Disabled),
            KeyState::PendingDeletion,
        )
    }

    async fn cancel_key_deletion(&self, key_id: &str) -> Result<()> {
        self.transition(
            "kms:CancelKeyDeletion",
            key_id,
            |s| s == KeyState::PendingDeletion,
            KeyState::Disabled,
        )
    }

    async fn tagged(&self, key: &str, value: &str) -> Result<Vec<Resource>> {
        let st = self.lock();
        Ok(st
            .keys
            .iter()
            .filter(|(_, k)| {
                k.state != KeyState::PendingDeletion && k.tags.get(key).is_some_and(|v| v == value)
            })
            .map(|(id, _)| Resource::new(ResourceKind::Key, id.clone()))
            .collect())
    }
}
