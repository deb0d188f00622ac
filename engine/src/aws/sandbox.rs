//! A sandbox account on AWS: every service gameday touches, through the official SDK,
//! behind the same [`Sandbox`] seam as the simulator.

use super::cloudtrail::AwsCloudTrail;
use super::cloudwatch::AwsCloudWatch;
use super::ec2::AwsEc2;
use super::guardduty::AwsFindings;
use super::iam::AwsIam;
use super::kms::AwsKms;
use super::push::{AwsPush, Pushed};
use super::s3::AwsS3;
use super::{Preflight, PreflightError, preflight, sandbox_error, sdk_config};
use crate::config::Target;
use crate::poller::{Poller, Pollers};
use crate::sandbox::TargetPolicy;
use crate::sandbox::{
    Actor, Alarm, AlarmTransition, CloudTrail, CloudWatch, Ec2, ErrorKind, Finding, GuardDuty,
    HubFinding, Iam, LogQuery, LogRow, Logs, Push, Result, S3, Sandbox, SandboxError, SecurityHub,
    Tags, TargetInfo,
};
use crate::throttle::Gate;
use async_trait::async_trait;
use aws_sdk_guardduty::types::ThreatIntelSetFormat;
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// The key of a threat list's addresses in its bucket: named after the list, so that it
/// carries the run's name like everything else the run writes.
fn list_key(name: &str) -> String {
    format!("{name}.txt")
}

/// The bucket holding threat list `name` of `account`: S3's rules (lower case, digits,
/// hyphens, at most 63 characters), unique per account.
fn list_bucket(name: &str, account: &str) -> String {
    let mut s: String = name
        .chars()
        .map(|c| match c.to_ascii_lowercase() {
            c @ ('a'..='z' | '0'..='9') => c,
            _ => '-',
        })
        .collect();
    s.truncate(63 - account.len() - 1);
    let s = s.trim_matches('-');
    format!("{s}-{account}")
}

/// The bucket and key in a threat list's location (`https://s3.amazonaws.com/BUCKET/KEY`).
fn object_of(location: &str) -> Option<(&str, &str)> {
    let path = location.split_once("://")?.1.split_once('/')?.1;
    path.split_once('/')
        .filter(|(b, k)| !b.is_empty() && !k.is_empty())
}

/// What the run's push watcher has received, if it has one.
type Received = Arc<std::sync::Mutex<Pushed>>;

/// GuardDuty on AWS: findings through the shared poller and the run's push watcher,
/// threat lists kept in S3.
struct AwsGuardDuty {
    findings: AwsFindings,
    poller: Arc<Poller>,
    pushed: Received,
    s3: AwsS3,
    account: String,
}

impl AwsGuardDuty {
    /// GetThreatIntelSet, with the detector: a list GuardDuty does not know is NotFound
    /// (GuardDuty answers an unknown id with a BadRequestException, so the list of lists
    /// says whether it is gone).
    async fn get_set(
        &self,
        id: &str,
    ) -> Result<(
        aws_sdk_guardduty::operation::get_threat_intel_set::GetThreatIntelSetOutput,
        String,
    )> {
        let detector = self.findings.detector().await?;
        let client = self.findings.client();
        match client
            .get_threat_intel_set()
            .detector_id(&detector)
            .threat_intel_set_id(id)
            .send()
            .await
        {
            Ok(set) => Ok((set, detector)),
            Err(e) => {
                let e = sandbox_error("guardduty:GetThreatIntelSet", e);
                let listed = client
                    .list_threat_intel_sets()
                    .detector_id(&detector)
                    .send()
                    .await
                    .map_err(|e| sandbox_error("guardduty:ListThreatIntelSets", e))?;
                if listed.threat_intel_set_ids().iter().any(|x| x == id) {
                    return Err(e);
                }
                Err(SandboxError::new(
                    ErrorKind::NotFound,
                    &e.operation,
                    e.message,
                ))
            }
        }
    }

    async fn create_set(&self, name: &str, bucket: &str, tags: &Tags) -> Result<String> {
        const OP: &str = "guardduty:CreateThreatIntelSet";
        let detector = self.findings.detector().await?;
        let out = self
            .findings
            .client()
            .create_threat_intel_set()
            .detector_id(detector)
            .name(name)
            .format(ThreatIntelSetFormat::Txt)
            .location(format!(
                "https://s3.amazonaws.com/{bucket}/{}",
                list_key(name)
            ))
            .activate(true)
            .set_tags(Some(tags.clone().into_iter().collect()))
            .send()
            .await
            .map_err(|e| sandbox_error(OP, e))?;
        out.threat_intel_set_id()
            .map(str::to_owned)
            .ok_or_else(|| SandboxError::new(ErrorKind::Other, OP, "the answer has no id"))
    }
}

#[async_trait]
impl GuardDuty for AwsGuardDuty {
    async fn create_sample_findings(&self, finding_types: &[String]) -> Result<()> {
        self.findings.create_sample_findings(finding_types).await
    }

    async fn create_threat_intel_set(
        &self,
        name: &str,
        ips: &[String],
        tags: &Tags,
    ) -> Result<String> {
        let bucket = list_bucket(name, &self.account);
        self.s3.create_bucket(&bucket, tags).await?;
        let mut body = ips.join("\n");
        body.push('\n');
        let key = list_key(name);
        let made = match self.s3.put_object(&bucket, &key, &body).await {
            Ok(()) => self.create_set(name, &bucket, tags).await,
            Err(e) => Err(e),
        };
        if made.is_err() {
            // No half-made list: what this call wrote goes with the failed call.
            let _ = self.s3.delete_object(&bucket, &key).await;
            let _ = self.s3.delete_bucket(&bucket).await;
        }
        made
    }

    async fn delete_threat_intel_set(&self, id: &str) -> Result<()> {
        let (set, detector) = self.get_set(id).await?;
        self.findings
            .client()
            .delete_threat_intel_set()
            .detector_id(&detector)
            .threat_intel_set_id(id)
            .send()
            .await
            .map_err(|e| sandbox_error("guardduty:DeleteThreatIntelSet", e))?;
        // The list's bucket goes with it when it is the same run's: only the list's own
        // object is deleted, and a bucket holding anything else stays.
        let run = set.tags().and_then(|t| t.get(crate::sandbox::RUN_TAG));
        if let (Some(run), Some((bucket, key))) = (run, set.location().and_then(object_of)) {
            let ours = match self.s3.bucket_tags(bucket).await {
                Ok(tags) => tags.get(crate::sandbox::RUN_TAG) == Some(run),
                Err(e) if e.kind == ErrorKind::NotFound => false,
                Err(e) => return Err(e),
            };
            if ours {
                crate::steps::gone_is_fine(self.s3.delete_object(bucket, key).await)?;
                crate::steps::gone_is_fine(self.s3.delete_bucket(bucket).await)?;
            }
        }
        Ok(())
    }

    async fn threat_intel_set_tags(&self, id: &str) -> Result<Tags> {
        let (set, _) = self.get_set(id).await?;
        Ok(set
            .tags()
            .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default())
    }

    async fn threat_intel_set_named(&self, name: &str) -> Result<Option<String>> {
        let detector = self.findings.detector().await?;
        let client = self.findings.client();
        let mut pages = client
            .list_threat_intel_sets()
            .detector_id(&detector)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| sandbox_error("guardduty:ListThreatIntelSets", e))?;
            for id in page.threat_intel_set_ids() {
                let set = client
                    .get_threat_intel_set()
                    .detector_id(&detector)
                    .threat_intel_set_id(id)
                    .send()
                    .await
                    .map_err(|e| sandbox_error("guardduty:GetThreatIntelSet", e))?;
                if set.name() == Some(name) {
                    return Ok(Some(id.clone()));
                }
            }
        }
        Ok(None)
    }

    async fn findings(&self, types: &[String], since: DateTime<Utc>) -> Result<Vec<Finding>> {
        let mut found = self.poller.findings(types, since).await?;
        if let Ok(p) = self.pushed.lock() {
            for f in p.findings.values() {
                if types.contains(&f.finding_type)
                    && f.updated_at >= since
                    && !found.iter().any(|x| x.id == f.id)
                {
                    found.push(f.clone());
                }
            }
        }
        found.sort_by_key(|f| f.created_at);
        Ok(found)
    }
}

/// CloudWatch alarms through the shared poller, and the run's push watcher.
struct PolledCloudWatch(Arc<Poller>, Received);

#[async_trait]
impl CloudWatch for PolledCloudWatch {
    async fn describe_alarms(&self, names: &[String]) -> Result<Vec<Alarm>> {
        self.0.alarms(names).await
    }

    async fn alarm_history(
        &self,
        name: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<AlarmTransition>> {
        let pushed: Vec<AlarmTransition> = self
            .1
            .lock()
            .map(|p| {
                p.transitions
                    .iter()
                    .filter(|t| t.name == name && t.at >= since)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        match self.0.alarm_history(name, since).await {
            Ok(mut history) => {
                history.extend(pushed);
                history.sort_by_key(|t| t.at);
                history.dedup();
                Ok(history)
            }
            // Without the history, what was pushed is the exact record there is.
            Err(e) if e.kind == ErrorKind::Unsupported && !pushed.is_empty() => Ok(pushed),
            Err(e) => Err(e),
        }
    }
}

/// Security Hub through the shared poller.
#[async_trait]
impl SecurityHub for AwsSandbox {
    async fn findings(&self, since: DateTime<Utc>) -> Result<Vec<HubFinding>> {
        self.poller.hub_findings(since).await
    }
}

/// Logs Insights through the shared poller.
#[async_trait]
impl Logs for AwsSandbox {
    async fn rows(&self, query: &LogQuery, since: DateTime<Utc>) -> Result<Vec<LogRow>> {
        self.poller.log_rows(query, since).await
    }
}

/// One account and region of an AWS target, for one run.
pub struct AwsSandbox {
    info: TargetInfo,
    iam: AwsIam,
    ec2: AwsEc2,
    s3: AwsS3,
    kms: AwsKms,
    cloudtrail: AwsCloudTrail,
    guardduty: AwsGuardDuty,
    cloudwatch: PolledCloudWatch,
    push: AwsPush,
    commands: super::commands::LocalCommands,
    actor: super::actor::AwsActor,
    poller: Arc<Poller>,
    stop_alarms: Vec<String>,
    tags: Tags,
    config: aws_config::SdkConfig,
    path_style: bool,
}

impl AwsSandbox {
    /// Preflights `target` in `region` (identity, allowlist, clock skew, stop alarms:
    /// read-only calls) and, when it passes, connects for run `run_id`, with the detection
    /// poller of that account and region from `pollers`.
    pub async fn connect(
        target: &Target,
        region: &str,
        run_id: &str,
        pollers: &Pollers,
    ) -> std::result::Result<(AwsSandbox, Preflight), PreflightError> {
        let checked = preflight(target, region).await?;
        let account = checked.identity.account.clone();
        let config = sdk_config(target, region, Some(run_id)).await;
        let path_style = target.endpoint_url.is_some();
        // The key names the account in `calls in …` and calls.json: never a password.
        let endpoint = target
            .endpoint_url
            .as_deref()
            .map_or("aws".into(), crate::config::mask_userinfo);
        let endpoint = endpoint.as_ref();
        let key = format!("{account}/{region}/{endpoint}");
        // The poller's own calls carry no run id: they serve every run.
        let base = sdk_config(target, region, None).await;
        let gate = Gate::new(pollers.throttle(&account, endpoint), region);
        let poller = pollers.get(&key, || {
            Poller::new(
                Arc::new(AwsFindings::new(&base)),
                Arc::new(AwsCloudWatch::new(&base)),
                Arc::new(super::securityhub::AwsSecurityHub::new(&base)),
                Arc::new(super::logs::AwsLogs::new(&base)),
                gate,
                target.poll,
            )
        });
        let s3 = AwsS3::new(&config, path_style).for_account(&account);
        let push = AwsPush::new(
            &config,
            &target.name_prefix,
            run_id,
            target.push,
            target.push_wait.to_std(),
        );
        let pushed = push.pushed.clone();
        let sandbox = AwsSandbox {
            info: TargetInfo {
                name: target.name.clone(),
                kind: crate::sandbox::TargetKind::Aws,
                account_id: account.clone(),
                region: region.to_owned(),
            },
            iam: AwsIam::new(&config),
            ec2: AwsEc2::new(&config),
            s3: s3.clone(),
            kms: AwsKms::new(&config),
            cloudtrail: AwsCloudTrail::new(&config),
            guardduty: AwsGuardDuty {
                findings: AwsFindings::new(&config),
                poller: poller.clone(),
                pushed: pushed.clone(),
                s3,
                account,
            },
            cloudwatch: PolledCloudWatch(poller.clone(), pushed),
            push,
            commands: super::commands::LocalCommands::new(target.commands.clone()),
            poller,
            actor: super::actor::AwsActor::new(target, region, Some(run_id)),
            stop_alarms: target.stop_alarms.clone(),
            tags: target.tags.clone().into_iter().collect(),
            config,
            path_style,
        };
        Ok((sandbox, checked))
    }
}

impl AwsSandbox {
    /// The gate of its account's throttle, in its region.
    pub fn gate(&self) -> Gate {
        self.poller.gate().clone()
    }

    /// Every resource tagged by a run in this account and region (read-only calls).
    pub async fn leftovers(&self) -> Result<Vec<super::sweep::Leftover>> {
        super::sweep::find(&self.config, self.path_style).await
    }
}

impl Sandbox for AwsSandbox {
    fn target(&self) -> TargetInfo {
        self.info.clone()
    }

    fn iam(&self) -> &dyn Iam {
        &self.iam
    }

    fn ec2(&self) -> &dyn Ec2 {
        &self.ec2
    }

    fn s3(&self) -> &dyn S3 {
        &self.s3
    }

    fn kms(&self) -> &dyn crate::sandbox::Kms {
        &self.kms
    }

    fn cloudtrail(&self) -> &dyn CloudTrail {
        &self.cloudtrail
    }

    fn guardduty(&self) -> &dyn GuardDuty {
        &self.guardduty
    }

    fn cloudwatch(&self) -> &dyn CloudWatch {
        &self.cloudwatch
    }

    fn securityhub(&self) -> &dyn SecurityHub {
        self
    }

    fn commands(&self) -> &dyn crate::sandbox::Commands {
        &self.commands
    }

    fn logs(&self) -> &dyn Logs {
        self
    }

    fn events(&self) -> &dyn crate::sandbox::Events {
        &self.push
    }

    fn actor(&self) -> &dyn Actor {
        &self.actor
    }

    fn push(&self) -> Option<&dyn Push> {
        Some(&self.push)
    }

    fn policy(&self) -> &dyn TargetPolicy {
        self
    }
}

impl TargetPolicy for AwsSandbox {
    fn stop_alarms(&self) -> &[String] {
        &self.stop_alarms
    }

    fn try_probe(&self) -> bool {
        self.poller.try_probe()
    }

    fn poll_jitter(&self) -> f64 {
        0.1
    }

    fn extra_tags(&self) -> Tags {
        self.tags.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threat_list_buckets_follow_s3_naming_and_round_trip() {
        assert_eq!(
            list_bucket("gameday-1a2b-Attacker_IPs", "123456789012"),
            "gameday-1a2b-attacker-ips-123456789012"
        );
        let long = list_bucket(&"x".repeat(100), "123456789012");
        assert_eq!(long.len(), 63);
        assert!(long.ends_with("-123456789012"));
        let b = list_bucket("l", "123456789012");
        let key = list_key("gameday-1a2b-ips");
        assert_eq!(
            object_of(&format!("https://s3.amazonaws.com/{b}/{key}")),
            Some((b.as_str(), "gameday-1a2b-ips.txt"))
        );
        assert_eq!(object_of("https://s3.amazonaws.com/"), None);
        assert_eq!(object_of("https://s3.amazonaws.com/b/"), None);
    }
}
