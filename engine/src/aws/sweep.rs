//! Finding and removing what runs left behind: every resource tagged `gameday:run`, found
//! by listing each kind gameday creates, and removed through the same sandbox calls the
//! step reverts use. `gameday cleanup` reads this after a crash, and for orphans.

use super::{SdkConfig, sandbox_error};
use crate::sandbox::{ErrorKind, Resource, Result, Sandbox};
use crate::steps::gone_is_fine;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

pub use crate::sandbox::{RUN_TAG, STARTED_TAG};

/// The kinds of resource gameday creates, in the order removal must go.
pub use crate::sandbox::ResourceKind as Kind;

/// A resource a run tagged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leftover {
    /// What it is.
    pub kind: Kind,
    /// Its id or name.
    pub id: String,
    /// The run that made it.
    pub run: String,
    /// When that run started, from its tag.
    pub started: Option<DateTime<Utc>>,
}

impl std::fmt::Display for Leftover {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} (run {})", self.kind.as_str(), self.id, self.run)
    }
}

fn leftover<'a>(
    kind: Kind,
    id: &str,
    tags: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Option<Leftover> {
    let tags: HashMap<&str, &str> = tags.into_iter().collect();
    Some(Leftover {
        kind,
        id: id.to_owned(),
        run: (*tags.get(RUN_TAG)?).to_owned(),
        started: tags
            .get(STARTED_TAG)
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc)),
    })
}

/// Every resource tagged by a run in the account and region of `config` (read-only
/// calls), in the order they must be removed.
pub async fn find(config: &SdkConfig, path_style: bool) -> Result<Vec<Leftover>> {
    let mut found = Vec::new();
    found.extend(users(config).await?);
    found.extend(roles(config).await?);
    found.extend(ec2(config).await?);
    found.extend(buckets(config, path_style).await?);
    found.extend(keys(config).await?);
    found.extend(trails(config).await?);
    found.extend(threat_lists(config).await?);
    found.extend(push_deliveries(config).await?);
    found.sort_by(|a, b| (a.kind, &a.id).cmp(&(b.kind, &b.id)));
    found.dedup_by(|a, b| a.kind == b.kind && a.id == b.id);
    Ok(found)
}

async fn users(config: &SdkConfig) -> Result<Vec<Leftover>> {
    let iam = aws_sdk_iam::Client::new(config);
    let mut found = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = iam
            .list_users()
            .set_marker(marker.clone())
            .send()
            .await
            .map_err(|e| sandbox_error("iam:ListUsers", e))?;
        for u in page.users() {
            let name = u.user_name();
            let tags = match iam.list_user_tags().user_name(name).send().await {
                Ok(t) => t,
                Err(e) => {
                    gone_is_fine(Err(sandbox_error("iam:ListUserTags", e)))?;
                    continue;
                }
            };
            found.extend(leftover(
                Kind::User,
                name,
                tags.tags().iter().map(|t| (t.key(), t.value())),
            ));
        }
        marker = page.marker().map(str::to_owned);
        if !page.is_truncated() || marker.is_none() {
            break;
        }
    }
    Ok(found)
}

async fn roles(config: &SdkConfig) -> Result<Vec<Leftover>> {
    let iam = aws_sdk_iam::Client::new(config);
    let mut found = Vec::new();
    let mut pages = iam.list_roles().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| sandbox_error("iam:ListRoles", e))?;
        for r in page.roles() {
            let name = r.role_name();
            let tags = match iam.list_role_tags().role_name(name).send().await {
                Ok(t) => t,
                Err(e) => {
                    gone_is_fine(Err(sandbox_error("iam:ListRoleTags", e)))?;
                    continue;
                }
            };
            found.extend(leftover(
                Kind::Role,
                name,
                tags.tags().iter().map(|t| (t.key(), t.value())),
            ));
        }
    }
    Ok(found)
}

async fn ec2(config: &SdkConfig) -> Result<Vec<Leftover>> {
    use aws_sdk_ec2::types::{Filter, InstanceStateName};
    let ec2 = aws_sdk_ec2::Client::new(config);
    let tagged = Filter::builder().name("tag-key").values(RUN_TAG).build();
    let tags = |t: &[aws_sdk_ec2::types::Tag]| -> Vec<(String, String)> {
        t.iter()
            .map(|t| {
                (
                    t.key().unwrap_or_default().to_owned(),
                    t.value().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    };
    let mut found = Vec::new();
    let out = ec2
        .describe_instances()
        .filters(tagged.clone())
        .send()
        .await
        .map_err(|e| sandbox_error("ec2:DescribeInstances", e))?;
    for i in out.reservations().iter().flat_map(|r| r.instances()) {
        let state = i.state().and_then(|s| s.name());
        if matches!(
            state,
            Some(InstanceStateName::Terminated | InstanceStateName::ShuttingDown)
        ) {
            continue;
        }
        let t = tags(i.tags());
        found.extend(leftover(
            Kind::Instance,
            i.instance_id().unwrap_or_default(),
            t.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        ));
    }
    let out = ec2
        .describe_security_groups()
        .filters(tagged.clone())
        .send()
        .await
        .map_err(|e| sandbox_error("ec2:DescribeSecurityGroups", e))?;
    for g in out.security_groups() {
        let t = tags(g.tags());
        found.extend(leftover(
            Kind::SecurityGroup,
            g.group_id().unwrap_or_default(),
            t.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        ));
    }
    let out = ec2
        .describe_snapshots()
        .owner_ids("self")
        .filters(tagged.clone())
        .send()
        .await
        .map_err(|e| sandbox_error("ec2:DescribeSnapshots", e))?;
    for s in out.snapshots() {
        let t = tags(s.tags());
        found.extend(leftover(
            Kind::Snapshot,
            s.snapshot_id().unwrap_or_default(),
            t.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        ));
    }
    let mut pages = ec2
        .describe_internet_gateways()
        .filters(tagged.clone())
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| sandbox_error("ec2:DescribeInternetGateways", e))?;
        for g in page.internet_gateways() {
            let t = tags(g.tags());
            found.extend(leftover(
                Kind::InternetGateway,
                g.internet_gateway_id().unwrap_or_default(),
                t.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            ));
        }
    }
    let mut pages = ec2.describe_vpcs().filters(tagged).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| sandbox_error("ec2:DescribeVpcs", e))?;
        for v in page.vpcs() {
            let t = tags(v.tags());
            found.extend(leftover(
                Kind::Vpc,
                v.vpc_id().unwrap_or_default(),
                t.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            ));
        }
    }
    Ok(found)
}

async fn buckets(config: &SdkConfig, path_style: bool) -> Result<Vec<Leftover>> {
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(config)
            .force_path_style(path_style)
            .build(),
    );
    let out = s3
        .list_buckets()
        .send()
        .await
        .map_err(|e| sandbox_error("s3:ListBuckets", e))?;
    let mut found = Vec::new();
    for b in out.buckets() {
        let Some(name) = b.name() else { continue };
        // Buckets without tags answer NoSuchTagSet; those are not gameday's.
        let Ok(tags) = s3.get_bucket_tagging().bucket(name).send().await else {
            continue;
        };
        found.extend(leftover(
            Kind::Bucket,
            name,
            tags.tag_set().iter().map(|t| (t.key(), t.value())),
        ));
    }
    Ok(found)
}

/// Tagged keys not already pending deletion: one pending deletion is as good as removed
/// (KMS deletes it when its waiting period ends).
async fn keys(config: &SdkConfig) -> Result<Vec<Leftover>> {
    let kms = aws_sdk_kms::Client::new(config);
    let mut found = Vec::new();
    for id in super::kms::key_ids(&kms).await? {
        // AWS managed keys answer ListResourceTags with AccessDenied: not gameday's.
        let tags = match super::kms::tags_of(&kms, &id).await {
            Ok(t) => t,
            Err(e) if matches!(e.kind, ErrorKind::AccessDenied | ErrorKind::NotFound) => continue,
            Err(e) => return Err(e),
        };
        let Some(l) = leftover(
            Kind::Key,
            &id,
            tags.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        ) else {
            continue;
        };
        if super::kms::state_of(&kms, &id).await? != crate::sandbox::KeyState::PendingDeletion {
            found.push(l);
        }
    }
    Ok(found)
}

async fn trails(config: &SdkConfig) -> Result<Vec<Leftover>> {
    let ct = aws_sdk_cloudtrail::Client::new(config);
    let out = ct
        .describe_trails()
        .send()
        .await
        .map_err(|e| sandbox_error("cloudtrail:DescribeTrails", e))?;
    let mut found = Vec::new();
    for t in out.trail_list() {
        let (Some(arn), Some(name)) = (t.trail_arn(), t.name()) else {
            continue;
        };
        let tags = ct
            .list_tags()
            .resource_id_list(arn)
            .send()
            .await
            .map_err(|e| sandbox_error("cloudtrail:ListTags", e))?;
        found.extend(leftover(
            Kind::Trail,
            name,
            tags.resource_tag_list()
                .iter()
                .flat_map(|r| r.tags_list())
                .map(|t| (t.key(), t.value().unwrap_or_default())),
        ));
    }
    Ok(found)
}

async fn threat_lists(config: &SdkConfig) -> Result<Vec<Leftover>> {
    let gd = aws_sdk_guardduty::Client::new(config);
    let detectors = match gd.list_detectors().send().await {
        Ok(d) => d,
        Err(e) => {
            let e = sandbox_error("guardduty:ListDetectors", e);
            // GuardDuty not offered by the endpoint: no lists to find.
            return if e.kind == ErrorKind::Unsupported {
                Ok(Vec::new())
            } else {
                Err(e)
            };
        }
    };
    let mut found = Vec::new();
    for d in detectors.detector_ids() {
        let sets = gd
            .list_threat_intel_sets()
            .detector_id(d)
            .send()
            .await
            .map_err(|e| sandbox_error("guardduty:ListThreatIntelSets", e))?;
        for id in sets.threat_intel_set_ids() {
            let set = gd
                .get_threat_intel_set()
                .detector_id(d)
                .threat_intel_set_id(id)
                .send()
                .await
                .map_err(|e| sandbox_error("guardduty:GetThreatIntelSet", e))?;
            if let Some(tags) = set.tags() {
                found.extend(leftover(
                    Kind::ThreatList,
                    id,
                    tags.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                ));
            }
        }
    }
    Ok(found)
}

/// Push deliveries: queues and rules tagged by a run (both carry the same name; either
/// left alone is found).
async fn push_deliveries(config: &SdkConfig) -> Result<Vec<Leftover>> {
    let unsupported = |e: crate::sandbox::SandboxError| {
        if e.kind == ErrorKind::Unsupported {
            Ok(())
        } else {
            Err(e)
        }
    };
    let mut found = Vec::new();
    let sqs = aws_sdk_sqs::Client::new(config);
    match sqs.list_queues().send().await {
        Ok(out) => {
            for url in out.queue_urls() {
                let Ok(tags) = sqs.list_queue_tags().queue_url(url).send().await else {
                    continue;
                };
                let name = url.rsplit('/').next().unwrap_or(url);
                if let Some(t) = tags.tags() {
                    found.extend(leftover(
                        Kind::PushDelivery,
                        name,
                        t.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                    ));
                }
            }
        }
        Err(e) => unsupported(sandbox_error("sqs:ListQueues", e))?,
    }
    let events = aws_sdk_eventbridge::Client::new(config);
    match events.list_rules().send().await {
        Ok(out) => {
            for rule in out.rules() {
                let (Some(name), Some(arn)) = (rule.name(), rule.arn()) else {
                    continue;
                };
                let Ok(tags) = events
                    .list_tags_for_resource()
                    .resource_arn(arn)
                    .send()
                    .await
                else {
                    continue;
                };
                found.extend(leftover(
                    Kind::PushDelivery,
                    name,
                    tags.tags().iter().map(|t| (t.key(), t.value())),
                ));
            }
        }
        Err(e) => unsupported(sandbox_error("events:ListRules", e))?,
    }
    Ok(found)
}

impl Leftover {
    /// The resource.
    pub fn resource(&self) -> Resource {
        Resource::new(self.kind, self.id.clone())
    }
}

/// Removes `l` through `sandbox` (gone already is done), with the objects keyed under
/// `stem` (`<prefix>-<run id>`, what the run wrote) for a bucket. A security group still
/// in use by an instance being terminated is tried again for up to five minutes.
pub async fn remove(sandbox: &dyn Sandbox, l: &Leftover, stem: &str) -> Result<()> {
    let mut tries = 0;
    let owned = [stem.to_owned()];
    loop {
        match crate::ownership::remove(sandbox, &l.resource(), &owned).await {
            Err(e)
                if e.kind == ErrorKind::Conflict && l.kind == Kind::SecurityGroup && tries < 30 =>
            {
                tries += 1;
                tokio::time::sleep(std::time::Duration::from_secs(10)).await;
            }
            other => return other,
        }
    }
}
