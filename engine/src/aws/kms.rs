//! KMS on AWS: the [`Kms`] trait through the official SDK.

use super::{sandbox_error, sdk_tags};
use crate::sandbox::{
    ErrorKind, KEY_DELETION_DAYS, KeyState, Kms, KmsKey, Resource, ResourceKind, Result,
    SandboxError, Tags,
};
use async_trait::async_trait;
use aws_sdk_kms::types::Tag;

/// KMS of one account and region.
#[derive(Debug, Clone)]
pub struct AwsKms {
    client: aws_sdk_kms::Client,
}

impl AwsKms {
    /// KMS through `config`.
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        AwsKms {
            client: aws_sdk_kms::Client::new(config),
        }
    }
}

/// Every key of the account and region, by id (ListKeys, every page).
pub(crate) async fn key_ids(client: &aws_sdk_kms::Client) -> Result<Vec<String>> {
    let mut pages = client.list_keys().into_paginator().send();
    let mut ids = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| sandbox_error("kms:ListKeys", e))?;
        ids.extend(
            page.keys()
                .iter()
                .filter_map(|k| k.key_id().map(str::to_owned)),
        );
    }
    Ok(ids)
}

/// ListResourceTags (every page) of key `key_id`.
pub(crate) async fn tags_of(client: &aws_sdk_kms::Client, key_id: &str) -> Result<Tags> {
    let mut pages = client
        .list_resource_tags()
        .key_id(key_id)
        .into_paginator()
        .send();
    let mut tags = Tags::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| sandbox_error("kms:ListResourceTags", e))?;
        tags.extend(
            page.tags()
                .iter()
                .map(|t| (t.tag_key().to_owned(), t.tag_value().to_owned())),
        );
    }
    Ok(tags)
}

/// DescribeKey: the key's state.
pub(crate) async fn state_of(client: &aws_sdk_kms::Client, key_id: &str) -> Result<KeyState> {
    const OP: &str = "kms:DescribeKey";
    let out = client
        .describe_key()
        .key_id(key_id)
        .send()
        .await
        .map_err(|e| sandbox_error(OP, e))?;
    let state = out
        .key_metadata()
        .and_then(|m| m.key_state())
        .map(|s| s.as_str().to_owned())
        .unwrap_or_default();
    KeyState::parse(&state).ok_or_else(|| {
        SandboxError::new(
            ErrorKind::Other,
            OP,
            format!("key {key_id} is in a state gameday does not know: `{state}`"),
        )
    })
}

#[async_trait]
impl Kms for AwsKms {
    async fn create_key(&self, description: &str, tags: &Tags) -> Result<KmsKey> {
        const OP: &str = "kms:CreateKey";
        let set = sdk_tags(OP, tags, |k, v| {
            Tag::builder().tag_key(k).tag_value(v).build()
        })?;
        let out = self
            .client
            .create_key()
            .description(description)
            .set_tags(Some(set))
            .send()
            .await
            .map_err(|e| sandbox_error(OP, e))?;
        let meta = out
            .key_metadata()
            .ok_or_else(|| SandboxError::new(ErrorKind::Other, OP, "the answer names no key"))?;
        Ok(KmsKey {
            key_id: meta.key_id().to_owned(),
            arn: meta.arn().unwrap_or_default().to_owned(),
        })
    }

    async fn key_tags(&self, key_id: &str) -> Result<Tags> {
        tags_of(&self.client, key_id).await
    }

    async fn key_state(&self, key_id: &str) -> Result<KeyState> {
        state_of(&self.client, key_id).await
    }

    async fn disable_key(&self, key_id: &str) -> Result<()> {
        self.client
            .disable_key()
            .key_id(key_id)
            .send()
            .await
            .map_err(|e| sandbox_error("kms:DisableKey", e))?;
        Ok(())
    }

    async fn enable_key(&self, key_id: &str) -> Result<()> {
        self.client
            .enable_key()
            .key_id(key_id)
            .send()
            .await
            .map_err(|e| sandbox_error("kms:EnableKey", e))?;
        Ok(())
    }

    async fn schedule_key_deletion(&self, key_id: &str, days: u32) -> Result<()> {
        const OP: &str = "kms:ScheduleKeyDeletion";
        if !KEY_DELETION_DAYS.contains(&days) {
            return Err(SandboxError::new(
                ErrorKind::InvalidInput,
                OP,
                format!("ValidationException: PendingWindowInDays must be 7 to 30, not {days}"),
            ));
        }
        self.client
            .schedule_key_deletion()
            .key_id(key_id)
            .pending_window_in_days(i32::try_from(days).unwrap_or(30))
            .send()
            .await
            .map_err(|e| sandbox_error(OP, e))?;
        Ok(())
    }

    async fn cancel_key_deletion(&self, key_id: &str) -> Result<()> {
        self.client
            .cancel_key_deletion()
            .key_id(key_id)
            .send()
            .await
            .map_err(|e| sandbox_error("kms:CancelKeyDeletion", e))?;
        Ok(())
    }

    async fn tagged(&self, key: &str, value: &str) -> Result<Vec<Resource>> {
        let mut found = Vec::new();
        for id in key_ids(&self.client).await? {
            // AWS managed keys answer ListResourceTags with AccessDenied: not gameday's.
            let tags = match tags_of(&self.client, &id).await {
                Ok(t) => t,
                Err(e) if matches!(e.kind, ErrorKind::AccessDenied | ErrorKind::NotFound) => {
                    continue;
                }
                Err(e) => return Err(e),
            };
            if tags.get(key).is_none_or(|v| v != value) {
                continue;
            }
            if state_of(&self.client, &id).await? != KeyState::PendingDeletion {
                found.push(Resource::new(ResourceKind::Key, id));
            }
        }
        Ok(found)
    }
}
