//! GuardDuty findings on AWS: what the detection watcher reads (ListFindings with criteria,
//! GetFindings in batches; `createdAt` is the detection time) and sample findings for
//! drilling the response path.

use super::sandbox_error;
use crate::poller::FindingSource;
use crate::sandbox::{ErrorKind, Finding, FindingResource, Result, SandboxError};
use crate::throttle::Gate;
use async_trait::async_trait;
use aws_sdk_guardduty::types::{Condition, FindingCriteria};
use chrono::{DateTime, Utc};
use std::collections::{BTreeSet, HashMap};

/// GetFindings takes at most 50 ids a call.
const BATCH: usize = 50;

/// The operation that reads the details of findings, as errors name it.
const GET: &str = "guardduty:GetFindings";

/// GuardDuty findings of one account and region.
#[derive(Debug, Clone)]
pub struct AwsFindings {
    client: aws_sdk_guardduty::Client,
    /// The region's detector, once known.
    detector: std::sync::Arc<tokio::sync::OnceCell<String>>,
}

/// GuardDuty's timestamps are ISO 8601 strings in the SDK.
fn parse_time(s: Option<&str>) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s?)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

impl AwsFindings {
    /// GuardDuty through `config`.
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        AwsFindings {
            client: aws_sdk_guardduty::Client::new(config),
            detector: std::sync::Arc::default(),
        }
    }

    /// The region's detector; GuardDuty not enabled is [`ErrorKind::NotFound`].
    pub async fn detector(&self) -> Result<String> {
        self.detector_through(None).await
    }

    async fn detector_through(&self, gate: Option<&Gate>) -> Result<String> {
        const OP: &str = "guardduty:ListDetectors";
        self.detector
            .get_or_try_init(|| async {
                pass(gate, OP).await;
                let out = self
                    .client
                    .list_detectors()
                    .send()
                    .await
                    .map_err(|e| sandbox_error(OP, e))?;
                out.detector_ids().first().cloned().ok_or_else(|| {
                    SandboxError::new(
                        ErrorKind::NotFound,
                        OP,
                        "GuardDuty is not enabled in this region: it has no detector",
                    )
                })
            })
            .await
            .cloned()
    }

    /// The client, for the threat lists.
    pub(crate) fn client(&self) -> &aws_sdk_guardduty::Client {
        &self.client
    }

    /// CreateSampleFindings: findings of `types` at once, marked as samples.
    pub async fn create_sample_findings(&self, types: &[String]) -> Result<()> {
        let detector = self.detector().await?;
        self.client
            .create_sample_findings()
            .detector_id(detector)
            .set_finding_types(Some(types.to_vec()))
            .send()
            .await
            .map_err(|e| sandbox_error("guardduty:CreateSampleFindings", e))?;
        Ok(())
    }

    /// Unarchived findings of `types` updated at or after `since`, oldest first.
    pub async fn findings(&self, types: &[String], since: DateTime<Utc>) -> Result<Vec<Finding>> {
        self.fetch(types, since, &BTreeSet::new(), None).await
    }

    /// [`Self::findings`], without fetching the details of the findings in `known` again,
    /// passing `gate` (when there is one) before each call.
    async fn fetch(
        &self,
        types: &[String],
        since: DateTime<Utc>,
        known: &BTreeSet<String>,
        gate: Option<&Gate>,
    ) -> Result<Vec<Finding>> {
        let detector = self.detector_through(gate).await?;
        let ids = self
            .finding_ids(&detector, &criteria(types, since), known, gate)
            .await?;
        let mut findings = Vec::with_capacity(ids.len());
        for batch in ids.chunks(BATCH) {
            pass(gate, GET).await;
            let out = self
                .client
                .get_findings()
                .detector_id(&detector)
                .set_finding_ids(Some(batch.to_vec()))
                .send()
                .await
                .map_err(|e| sandbox_error(GET, e))?;
            for f in out.findings() {
                findings.push(finding(f)?);
            }
        }
        findings.sort_by_key(|f| f.created_at);
        Ok(findings)
    }

    /// ListFindings, every page: the ids of the findings that meet `criteria`, but for
    /// those in `known`.
    async fn finding_ids(
        &self,
        detector: &str,
        criteria: &FindingCriteria,
        known: &BTreeSet<String>,
        gate: Option<&Gate>,
    ) -> Result<Vec<String>> {
        const LIST: &str = "guardduty:ListFindings";
        let mut ids = Vec::new();
        let mut token: Option<String> = None;
        loop {
            pass(gate, LIST).await;
            let out = self
                .client
                .list_findings()
                .detector_id(detector)
                .finding_criteria(criteria.clone())
                .set_next_token(token.clone())
                .send()
                .await
                .map_err(|e| sandbox_error(LIST, e))?;
            ids.extend(
                out.finding_ids()
                    .iter()
                    .filter(|id| !known.contains(*id))
                    .cloned(),
            );
            token = out
                .next_token()
                .filter(|t| !t.is_empty())
                .map(str::to_owned);
            if token.is_none() {
                break;
            }
        }
        Ok(ids)
    }
}

/// The criteria of the findings a watcher reads: unarchived findings of `types` updated
/// at or after `since`.
fn criteria(types: &[String], since: DateTime<Utc>) -> FindingCriteria {
    FindingCriteria::builder()
        .set_criterion(Some(HashMap::from([
            (
                "type".to_owned(),
                Condition::builder()
                    .set_equals(Some(types.to_vec()))
                    .build(),
            ),
            (
                "service.archived".to_owned(),
                Condition::builder().equals("false").build(),
            ),
            (
                "updatedAt".to_owned(),
                Condition::builder()
                    .greater_than_or_equal(since.timestamp_millis())
                    .build(),
            ),
        ])))
        .build()
}

/// A finding as GetFindings gives it, in the sandbox's terms; one without a readable
/// `createdAt` is an error.
fn finding(f: &aws_sdk_guardduty::types::Finding) -> Result<Finding> {
    let created_at = parse_time(f.created_at()).ok_or_else(|| {
        SandboxError::new(
            ErrorKind::Other,
            GET,
            format!(
                "finding {} has no readable createdAt",
                f.id().unwrap_or("?")
            ),
        )
    })?;
    let keys = f.resource().and_then(|r| r.access_key_details());
    let service = f.service();
    Ok(Finding {
        id: f.id().unwrap_or_default().to_owned(),
        finding_type: f.r#type().unwrap_or_default().to_owned(),
        created_at,
        updated_at: parse_time(f.updated_at()).unwrap_or(created_at),
        title: f.title().unwrap_or_default().to_owned(),
        severity: f.severity().unwrap_or(0.0),
        resource: FindingResource {
            access_key_id: keys.and_then(|k| k.access_key_id()).map(str::to_owned),
            user_name: keys.and_then(|k| k.user_name()).map(str::to_owned),
            instance_id: f
                .resource()
                .and_then(|r| r.instance_details())
                .and_then(|i| i.instance_id())
                .map(str::to_owned),
            bucket: f
                .resource()
                .and_then(|r| r.s3_bucket_details().first())
                .and_then(|b| b.name())
                .map(str::to_owned),
            // A trail the call acted on: its ARN (…:trail/NAME) or name.
            trail_name: service
                .and_then(|s| s.action())
                .and_then(|a| a.aws_api_call_action())
                .and_then(|c| c.affected_resources())
                .and_then(|r| r.get("AWS::CloudTrail::Trail"))
                .map(|t| t.rsplit('/').next().unwrap_or(t).to_owned()),
        },
        user_agent: service
            .and_then(|s| s.action())
            .and_then(|a| a.aws_api_call_action())
            .and_then(|c| c.user_agent())
            .filter(|u| !u.is_empty())
            .map(str::to_owned),
        sample: service
            .and_then(|s| s.additional_info())
            .and_then(|i| i.value())
            .and_then(|v| serde_json::from_str::<serde_json::Value>(v).ok())
            .is_some_and(|v| v["sample"] == true),
    })
}

async fn pass(gate: Option<&Gate>, operation: &str) {
    if let Some(g) = gate {
        g.pass(operation).await;
    }
}

#[async_trait]
impl FindingSource for AwsFindings {
    async fn findings_except(
        &self,
        types: &[String],
        since: DateTime<Utc>,
        known: &BTreeSet<String>,
        gate: &Gate,
    ) -> Result<Vec<Finding>> {
        self.fetch(types, since, known, Some(gate)).await
    }
}
