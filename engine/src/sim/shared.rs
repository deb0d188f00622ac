//! A simulated account that several runs share, as the runs of a plan share an AWS
//! account: detections are read through the account's shared [`Poller`] and containment
//! probes drawn from its budget, exactly as on AWS, so a plan over simulated targets
//! rehearses the fan-out (and its call rates) offline.

use super::SimAccount;
use crate::poller::Poller;
use crate::sandbox::TargetPolicy;
use crate::sandbox::{
    Actor, Alarm, AlarmTransition, CloudTrail, CloudWatch, Ec2, Finding, GuardDuty, HubFinding,
    Iam, LogQuery, LogRow, Logs, Result, S3, Sandbox, SecurityHub, Tags, TargetInfo,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// One run's view of a shared simulated account.
pub struct SharedSim {
    name: String,
    polled: Polled,
}

/// The account's detection reads, through the poller.
struct Polled {
    account: Arc<SimAccount>,
    poller: Arc<Poller>,
}

impl SharedSim {
    /// A run's view of `account`, the target `name`, read through `poller`.
    pub fn new(name: &str, account: Arc<SimAccount>, poller: Arc<Poller>) -> Self {
        SharedSim {
            name: name.to_owned(),
            polled: Polled { account, poller },
        }
    }
}

#[async_trait]
impl GuardDuty for Polled {
    async fn create_sample_findings(&self, finding_types: &[String]) -> Result<()> {
        self.account
            .guardduty()
            .create_sample_findings(finding_types)
            .await
    }

    async fn create_threat_intel_set(
        &self,
        name: &str,
        ips: &[String],
        tags: &Tags,
    ) -> Result<String> {
        self.account
            .guardduty()
            .create_threat_intel_set(name, ips, tags)
            .await
    }

    async fn delete_threat_intel_set(&self, id: &str) -> Result<()> {
        self.account.guardduty().delete_threat_intel_set(id).await
    }

    async fn threat_intel_set_tags(&self, id: &str) -> Result<Tags> {
        self.account.guardduty().threat_intel_set_tags(id).await
    }

    async fn threat_intel_set_named(&self, name: &str) -> Result<Option<String>> {
        self.account.guardduty().threat_intel_set_named(name).await
    }

    async fn findings(&self, types: &[String], since: DateTime<Utc>) -> Result<Vec<Finding>> {
        self.poller.findings(types, since).await
    }
}

#[async_trait]
impl CloudWatch for Polled {
    async fn describe_alarms(&self, names: &[String]) -> Result<Vec<Alarm>> {
        self.poller.alarms(names).await
    }

    async fn alarm_history(
        &self,
        name: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<AlarmTransition>> {
        self.poller.alarm_history(name, since).await
    }
}

#[async_trait]
impl SecurityHub for Polled {
    async fn findings(&self, since: DateTime<Utc>) -> Result<Vec<HubFinding>> {
        self.poller.hub_findings(since).await
    }
}

#[async_trait]
impl Logs for Polled {
    async fn rows(&self, query: &LogQuery, since: DateTime<Utc>) -> Result<Vec<LogRow>> {
        self.poller.log_rows(query, since).await
    }
}

impl Sandbox for SharedSim {
    fn target(&self) -> TargetInfo {
        TargetInfo {
            name: self.name.clone(),
            ..self.polled.account.target()
        }
    }

    fn iam(&self) -> &dyn Iam {
        self.polled.account.as_ref()
    }

    fn ec2(&self) -> &dyn Ec2 {
        self.polled.account.as_ref()
    }

    fn s3(&self) -> &dyn S3 {
        self.polled.account.as_ref()
    }

    fn kms(&self) -> &dyn crate::sandbox::Kms {
        self.polled.account.as_ref()
    }

    fn cloudtrail(&self) -> &dyn CloudTrail {
        self.polled.account.as_ref()
    }

    fn guardduty(&self) -> &dyn GuardDuty {
        &self.polled
    }

    fn cloudwatch(&self) -> &dyn CloudWatch {
        &self.polled
    }

    fn securityhub(&self) -> &dyn SecurityHub {
        &self.polled
    }

    fn commands(&self) -> &dyn crate::sandbox::Commands {
        self.polled.account.as_ref()
    }

    fn logs(&self) -> &dyn Logs {
        &self.polled
    }

    fn events(&self) -> &dyn crate::sandbox::Events {
        self.polled.account.as_ref()
    }

    fn actor(&self) -> &dyn Actor {
        self.polled.account.as_ref()
    }

    fn policy(&self) -> &dyn TargetPolicy {
        self
    }

    // No ground truth: the account's holds every run's detections, not one run's.
}

impl TargetPolicy for SharedSim {
    fn try_probe(&self) -> bool {
        self.polled.poller.try_probe()
    }

    /// Runs that share an account poll at spread intervals, as on AWS.
    fn poll_jitter(&self) -> f64 {
        0.1
    }
}
