//! CloudTrail on AWS: the [`CloudTrail`] trait through the official SDK.

use super::{from_smithy, sandbox_error, sdk_tags, to_smithy};
use crate::sandbox::{AuditEvent, CloudTrail, ErrorKind, Result, SandboxError, Tags};
use async_trait::async_trait;
use aws_sdk_cloudtrail::types::{LookupAttribute, LookupAttributeKey, Tag};
use chrono::{DateTime, Utc};

/// CloudTrail of one account and region.
#[derive(Debug, Clone)]
pub struct AwsCloudTrail {
    client: aws_sdk_cloudtrail::Client,
    /// Set once the endpoint said it lacks LookupEvents: not asked again.
    no_lookup: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl AwsCloudTrail {
    /// CloudTrail through `config`.
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        AwsCloudTrail {
            client: aws_sdk_cloudtrail::Client::new(config),
            no_lookup: std::sync::Arc::default(),
        }
    }
}

#[async_trait]
impl CloudTrail for AwsCloudTrail {
    async fn create_trail(
        &self,
        trail: &str,
        bucket: &str,
        key_prefix: &str,
        tags: &Tags,
    ) -> Result<String> {
        const OP: &str = "cloudtrail:CreateTrail";
        // AWS refuses a second trail of the same name; some endpoints overwrite it. Ask
        // first, so that no endpoint lets a run adopt a trail.
        match self.trail_tags(trail).await {
            Ok(_) => {
                return Err(SandboxError::new(
                    ErrorKind::AlreadyExists,
                    OP,
                    format!("TrailAlreadyExistsException: trail {trail} already exists"),
                ));
            }
            Err(e) if e.kind == ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let tags = sdk_tags(OP, tags, |k, v| Tag::builder().key(k).value(v).build())?;
        let out = self
            .client
            .create_trail()
            .name(trail)
            .s3_bucket_name(bucket)
            .set_s3_key_prefix((!key_prefix.is_empty()).then(|| key_prefix.to_owned()))
            .set_tags_list(Some(tags))
            .send()
            .await
            .map_err(|e| sandbox_error(OP, e))?;
        self.start_logging(trail).await?;
        Ok(out.trail_arn().unwrap_or_default().to_owned())
    }

    async fn trail_tags(&self, trail: &str) -> Result<Tags> {
        let got = self
            .client
            .get_trail()
            .name(trail)
            .send()
            .await
            .map_err(|e| sandbox_error("cloudtrail:GetTrail", e))?;
        let Some(arn) = got.trail().and_then(|t| t.trail_arn()) else {
            return Err(SandboxError::new(
                ErrorKind::NotFound,
                "cloudtrail:GetTrail",
                format!("TrailNotFoundException: no trail named {trail}"),
            ));
        };
        let out = self
            .client
            .list_tags()
            .resource_id_list(arn)
            .send()
            .await
            .map_err(|e| sandbox_error("cloudtrail:ListTags", e))?;
        Ok(out
            .resource_tag_list()
            .iter()
            .flat_map(|r| r.tags_list())
            .map(|t| (t.key().to_owned(), t.value().unwrap_or_default().to_owned()))
            .collect())
    }

    async fn delete_trail(&self, trail: &str) -> Result<()> {
        self.client
            .delete_trail()
            .name(trail)
            .send()
            .await
            .map_err(|e| sandbox_error("cloudtrail:DeleteTrail", e))?;
        Ok(())
    }

    async fn start_logging(&self, trail: &str) -> Result<()> {
        self.client
            .start_logging()
            .name(trail)
            .send()
            .await
            .map_err(|e| sandbox_error("cloudtrail:StartLogging", e))?;
        Ok(())
    }

    async fn stop_logging(&self, trail: &str) -> Result<()> {
        self.client
            .stop_logging()
            .name(trail)
            .send()
            .await
            .map_err(|e| sandbox_error("cloudtrail:StopLogging", e))?;
        Ok(())
    }

    async fn is_logging(&self, trail: &str) -> Result<bool> {
        let out = self
            .client
            .get_trail_status()
            .name(trail)
            .send()
            .await
            .map_err(|e| sandbox_error("cloudtrail:GetTrailStatus", e))?;
        Ok(out.is_logging().unwrap_or(false))
    }

    async fn lookup_events(
        &self,
        names: &[&str],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<AuditEvent>> {
        const OP: &str = "cloudtrail:LookupEvents";
        use std::sync::atomic::Ordering;
        if self.no_lookup.load(Ordering::Relaxed) {
            return Err(SandboxError::new(
                ErrorKind::Unsupported,
                OP,
                "the endpoint does not implement it",
            ));
        }
        let mut events = Vec::new();
        // LookupEvents takes one attribute a call: one call per event name.
        for name in names {
            let operation = name.split_once(':').map_or(*name, |(_, op)| op);
            let attribute = LookupAttribute::builder()
                .attribute_key(LookupAttributeKey::EventName)
                .attribute_value(operation)
                .build()
                .map_err(|e| SandboxError::new(ErrorKind::InvalidInput, OP, e.to_string()))?;
            let out =
                self.client
                    .lookup_events()
                    .lookup_attributes(attribute)
                    .start_time(to_smithy(from))
                    .end_time(to_smithy(to))
                    .customize()
                    // A refinement of a time the poll already bounds: not worth the long
                    // retries (LookupEvents allows 2 calls a second per account).
                    .config_override(aws_sdk_cloudtrail::config::Builder::default().retry_config(
                        aws_config::retry::RetryConfig::standard().with_max_attempts(2),
                    ))
                    .send()
                    .await
                    .map_err(|e| {
                        let e = sandbox_error(OP, e);
                        if e.kind == ErrorKind::Unsupported {
                            self.no_lookup.store(true, Ordering::Relaxed);
                        }
                        e
                    })?;
            for e in out.events() {
                let source = e.event_source().unwrap_or_default();
                let service = source.strip_suffix(".amazonaws.com").unwrap_or(source);
                let Some(at) = e.event_time().and_then(from_smithy) else {
                    continue;
                };
                events.push(AuditEvent {
                    name: format!("{service}:{}", e.event_name().unwrap_or(operation)),
                    at,
                    resources: e
                        .resources()
                        .iter()
                        .filter_map(|r| r.resource_name().map(str::to_owned))
                        .collect(),
                });
            }
        }
        events.sort_by_key(|e| e.at);
        Ok(events)
    }
}
