//! Security Hub on AWS: the [`SecurityHub`] trait through the official SDK.

use super::sandbox_error;
use crate::sandbox::{HubFinding, Result, SecurityHub};
use async_trait::async_trait;
use aws_sdk_securityhub::types::{
    AwsSecurityFinding, AwsSecurityFindingFilters, DateFilter, StringFilter, StringFilterComparison,
};
use chrono::{DateTime, SecondsFormat, Utc};

/// Security Hub of one account and region.
#[derive(Debug, Clone)]
pub struct AwsSecurityHub {
    client: aws_sdk_securityhub::Client,
}

impl AwsSecurityHub {
    /// Security Hub through `config`.
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        AwsSecurityHub {
            client: aws_sdk_securityhub::Client::new(config),
        }
    }
}

/// ASFF times are ISO 8601 text.
fn time(s: Option<&str>) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s?)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn finding(f: &AwsSecurityFinding) -> Option<HubFinding> {
    Some(HubFinding {
        id: f.id()?.to_owned(),
        product_name: f.product_name().unwrap_or_default().to_owned(),
        generator_id: f.generator_id().unwrap_or_default().to_owned(),
        types: f.types().to_vec(),
        title: f.title().unwrap_or_default().to_owned(),
        resources: f
            .resources()
            .iter()
            .filter_map(|r| r.id().map(str::to_owned))
            .collect(),
        created_at: time(f.created_at())?,
    })
}

#[async_trait]
impl SecurityHub for AwsSecurityHub {
    async fn findings(&self, since: DateTime<Utc>) -> Result<Vec<HubFinding>> {
        let iso = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Millis, true);
        let filters = AwsSecurityFindingFilters::builder()
            .created_at(
                DateFilter::builder()
                    .start(iso(since))
                    .end(iso(Utc::now() + chrono::Duration::days(1)))
                    .build(),
            )
            .record_state(
                StringFilter::builder()
                    .value("ACTIVE")
                    .comparison(StringFilterComparison::Equals)
                    .build(),
            )
            .build();
        let mut pages = self
            .client
            .get_findings()
            .filters(filters)
            .max_results(100)
            .into_paginator()
            .send();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| sandbox_error("securityhub:GetFindings", e))?;
            out.extend(page.findings().iter().filter_map(finding));
        }
        // An endpoint that ignores the filters still answers only what was asked.
        out.retain(|f| f.created_at >= since);
        Ok(out)
    }
}
