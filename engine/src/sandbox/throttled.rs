//! A sandbox whose every call passes its account's throttle first.
//!
//! Steps, containment probes and the attacker's calls all reach the account through the
//! sandbox traits; wrapping the sandbox puts each of them behind the account's
//! [`Throttle`](crate::throttle::Throttle), shared by every run in the process. Detection
//! reads are the exception: runs ask the shared poller, which answers from its last fetch
//! and passes the throttle only when it fetches.

use super::{
    AccessKeyInfo, AclEntry, Actor, Alarm, AlarmTransition, AuditEvent, CallsAs, CloudTrail,
    CloudWatch, Credentials, Ec2, Finding, GroupRules, GuardDuty, HubFinding, Iam, Instance,
    KeyStatus, LogQuery, LogRow, Logs, ObjectRef, PasswordPolicy, PublicAccessBlock, Push,
    Resource, Result, Route, Rule, S3, Sandbox, SecurityHub, Tags, TargetInfo, Vpc, VpcDns,
};
use super::{BucketAcl, BucketLogging, KeyState, Kms, KmsKey, ObjectOwnership};
use crate::sandbox::TargetPolicy;
use crate::throttle::Gate;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// `inner`, behind `gate`.
pub struct Throttled<S> {
    inner: S,
    gate: Gate,
}

impl<S: Sandbox> Throttled<S> {
    /// Every call of `inner` passes `gate` first.
    pub fn new(inner: S, gate: Gate) -> Self {
        Throttled { inner, gate }
    }
}

/// Implements a sandbox trait by passing the gate with each method's operation, then
/// calling the inner sandbox's.
macro_rules! throttled {
    ($trait:ident, $service:ident {
        $( $op:literal fn $name:ident(&self $(, $arg:ident: $ty:ty)*) -> $ret:ty; )*
    }) => {
        #[async_trait]
        impl<S: Sandbox> $trait for Throttled<S> {
            $(
                async fn $name(&self $(, $arg: $ty)*) -> $ret {
                    self.gate.pass($op).await;
                    self.inner.$service().$name($($arg),*).await
                }
            )*
        }
    };
}

throttled!(Iam, iam {
    "iam:CreateUser" fn create_user(&self, user: &str, tags: &Tags) -> Result<String>;
    "iam:ListUserTags" fn user_tags(&self, user: &str) -> Result<Tags>;
    "iam:DeleteUser" fn delete_user(&self, user: &str) -> Result<()>;
    "iam:CreateAccessKey" fn create_access_key(&self, user: &str) -> Result<Credentials>;
    "iam:ListAccessKeys" fn list_access_keys(&self, user: &str) -> Result<Vec<AccessKeyInfo>>;
    "iam:UpdateAccessKey" fn update_access_key(
        &self, user: &str, key: &str, status: KeyStatus) -> Result<()>;
    "iam:DeleteAccessKey" fn delete_access_key(&self, user: &str, key: &str) -> Result<()>;
    "iam:AttachUserPolicy" fn attach_user_policy(
        &self, user: &str, policy_arn: &str) -> Result<()>;
    "iam:DetachUserPolicy" fn detach_user_policy(
        &self, user: &str, policy_arn: &str) -> Result<()>;
    "iam:ListAttachedUserPolicies" fn list_attached_user_policies(
        &self, user: &str) -> Result<Vec<String>>;
    "iam:PutUserPolicy" fn put_user_policy(
        &self, user: &str, name: &str, document: &str) -> Result<()>;
    "iam:DeleteUserPolicy" fn delete_user_policy(&self, user: &str, name: &str) -> Result<()>;
    "iam:ListUserPolicies" fn user_policies(
        &self, user: &str) -> Result<BTreeMap<String, String>>;
    "iam:GetAccountPasswordPolicy" fn get_account_password_policy(
        &self) -> Result<Option<PasswordPolicy>>;
    "iam:UpdateAccountPasswordPolicy" fn update_account_password_policy(
        &self, policy: &PasswordPolicy) -> Result<()>;
    "iam:DeleteAccountPasswordPolicy" fn delete_account_password_policy(&self) -> Result<()>;
    "iam:CreateRole" fn create_role(
        &self, role: &str, trust_policy: &str, tags: &Tags) -> Result<String>;
    "iam:ListRoleTags" fn role_tags(&self, role: &str) -> Result<Tags>;
    "iam:DeleteRole" fn delete_role(&self, role: &str) -> Result<()>;
    "iam:GetRole" fn role_trust_policy(&self, role: &str) -> Result<String>;
    "iam:UpdateAssumeRolePolicy" fn update_assume_role_policy(
        &self, role: &str, document: &str) -> Result<()>;
    "iam:PutRolePolicy" fn put_role_policy(
        &self, role: &str, name: &str, document: &str) -> Result<()>;
    "iam:DeleteRolePolicy" fn delete_role_policy(&self, role: &str, name: &str) -> Result<()>;
    "iam:ListRolePolicies" fn role_policies(
        &self, role: &str) -> Result<BTreeMap<String, String>>;
});

throttled!(Ec2, ec2 {
    "ec2:RunInstances" fn launch(
        &self,
        name: &str,
        image_id: &str,
        instance_type: &str,
        security_group_ids: &[String],
        dns_lookups: &[String],
        tags: &Tags
    ) -> Result<Instance>;
    "ec2:TerminateInstances" fn terminate_instance(&self, instance_id: &str) -> Result<()>;
    "ec2:DescribeInstances" fn instance_groups(
        &self, instance_id: &str) -> Result<Vec<String>>;
    "ec2:ModifyInstanceAttribute" fn set_instance_groups(
        &self, instance_id: &str, group_ids: &[String]) -> Result<()>;
    "ec2:CreateSecurityGroup" fn create_security_group(
        &self, name: &str, description: &str, tags: &Tags) -> Result<String>;
    "ec2:DeleteSecurityGroup" fn delete_security_group(&self, group_id: &str) -> Result<()>;
    "ec2:DescribeSecurityGroups" fn group_rules(&self, group_id: &str) -> Result<GroupRules>;
    "ec2:AuthorizeSecurityGroupIngress" fn authorize_ingress(
        &self, group_id: &str, rule: &Rule) -> Result<()>;
    "ec2:RevokeSecurityGroupIngress" fn revoke_ingress(
        &self, group_id: &str, rule: &Rule) -> Result<()>;
    "ec2:RevokeSecurityGroupEgress" fn revoke_egress(
        &self, group_id: &str, rule: &Rule) -> Result<()>;
    "ec2:CreateSnapshot" fn create_snapshot(
        &self, volume_id: &str, description: &str, tags: &Tags) -> Result<String>;
    "ec2:DeleteSnapshot" fn delete_snapshot(&self, snapshot_id: &str) -> Result<()>;
    "ec2:DescribeTags" fn tags_of(&self, id: &str) -> Result<Tags>;
    "ec2:DescribeSecurityGroups" fn security_group_named(
        &self, name: &str) -> Result<Option<String>>;
    "ec2:DescribeInstances" fn tagged(&self, key: &str, value: &str) -> Result<Vec<Resource>>;
    "ec2:DescribeSnapshotAttribute" fn snapshot_groups(
        &self, snapshot_id: &str) -> Result<Vec<String>>;
    "ec2:ModifySnapshotAttribute" fn modify_snapshot_groups(
        &self, snapshot_id: &str, group: &str, add: bool) -> Result<()>;
    "ec2:CreateVpc" fn create_vpc(&self, name: &str, cidr: &str, tags: &Tags) -> Result<Vpc>;
    "ec2:DeleteVpc" fn delete_vpc(&self, vpc_id: &str) -> Result<()>;
    "ec2:CreateInternetGateway" fn create_internet_gateway(
        &self, name: &str, tags: &Tags) -> Result<String>;
    "ec2:AttachInternetGateway" fn attach_internet_gateway(
        &self, gateway_id: &str, vpc_id: &str) -> Result<()>;
    "ec2:DetachInternetGateway" fn detach_internet_gateway(
        &self, gateway_id: &str, vpc_id: &str) -> Result<()>;
    "ec2:DeleteInternetGateway" fn delete_internet_gateway(
        &self, gateway_id: &str) -> Result<()>;
    "ec2:DescribeInternetGateways" fn internet_gateway_vpcs(
        &self, gateway_id: &str) -> Result<Vec<String>>;
    "ec2:DescribeInternetGateways" fn vpc_internet_gateways(
        &self, vpc_id: &str) -> Result<Vec<String>>;
    "ec2:DescribeRouteTables" fn routes(&self, route_table_id: &str) -> Result<Vec<Route>>;
    "ec2:CreateRoute" fn create_route(
        &self, route_table_id: &str, route: &Route) -> Result<()>;
    "ec2:DeleteRoute" fn delete_route(
        &self, route_table_id: &str, destination: &str) -> Result<()>;
    "ec2:DescribeNetworkAcls" fn network_acl_entries(
        &self, network_acl_id: &str) -> Result<Vec<AclEntry>>;
    "ec2:CreateNetworkAclEntry" fn create_network_acl_entry(
        &self, network_acl_id: &str, entry: &AclEntry) -> Result<()>;
    "ec2:DeleteNetworkAclEntry" fn delete_network_acl_entry(
        &self, network_acl_id: &str, rule_number: i32, egress: bool) -> Result<()>;
    "ec2:DescribeVpcAttribute" fn vpc_dns(&self, vpc_id: &str) -> Result<VpcDns>;
    "ec2:ModifyVpcAttribute" fn set_vpc_dns(
        &self, vpc_id: &str, support: Option<bool>, hostnames: Option<bool>) -> Result<()>;
});

throttled!(S3, s3 {
    "s3:CreateBucket" fn create_bucket(&self, bucket: &str, tags: &Tags) -> Result<()>;
    "s3:DeleteBucket" fn delete_bucket(&self, bucket: &str) -> Result<()>;
    "s3:GetBucketTagging" fn bucket_tags(&self, bucket: &str) -> Result<Tags>;
    "s3:PutObject" fn put_object(&self, bucket: &str, key: &str, body: &str) -> Result<()>;
    "s3:ListObjectsV2" fn list_objects(&self, bucket: &str, prefix: &str) -> Result<Vec<String>>;
    "s3:DeleteObject" fn delete_object(&self, bucket: &str, key: &str) -> Result<()>;
    "s3:GetBucketPolicy" fn get_bucket_policy(&self, bucket: &str) -> Result<Option<String>>;
    "s3:PutBucketPolicy" fn put_bucket_policy(&self, bucket: &str, policy: &str) -> Result<()>;
    "s3:DeleteBucketPolicy" fn delete_bucket_policy(&self, bucket: &str) -> Result<()>;
    "s3:GetPublicAccessBlock" fn get_public_access_block(
        &self, bucket: &str) -> Result<Option<PublicAccessBlock>>;
    "s3:PutPublicAccessBlock" fn put_public_access_block(
        &self, bucket: &str, block: &PublicAccessBlock) -> Result<()>;
    "s3:DeletePublicAccessBlock" fn delete_public_access_block(
        &self, bucket: &str) -> Result<()>;
    "s3:GetBucketOwnershipControls" fn bucket_ownership(
        &self, bucket: &str) -> Result<Option<ObjectOwnership>>;
    "s3:PutBucketOwnershipControls" fn put_bucket_ownership(
        &self, bucket: &str, ownership: ObjectOwnership) -> Result<()>;
    "s3:GetBucketAcl" fn get_bucket_acl(&self, bucket: &str) -> Result<BucketAcl>;
    "s3:PutBucketAcl" fn put_bucket_canned_acl(&self, bucket: &str, acl: &str) -> Result<()>;
    "s3:PutBucketAcl" fn put_bucket_acl(&self, bucket: &str, acl: &BucketAcl) -> Result<()>;
    "s3:GetBucketLogging" fn bucket_logging(
        &self, bucket: &str) -> Result<Option<BucketLogging>>;
    "s3:PutBucketLogging" fn put_bucket_logging(
        &self, bucket: &str, logging: Option<&BucketLogging>) -> Result<()>;
    "s3:GetAccountPublicAccessBlock" fn account_public_access_block(
        &self) -> Result<Option<PublicAccessBlock>>;
    "s3:PutAccountPublicAccessBlock" fn put_account_public_access_block(
        &self, block: &PublicAccessBlock) -> Result<()>;
    "s3:DeleteAccountPublicAccessBlock" fn delete_account_public_access_block(
        &self) -> Result<()>;
});

throttled!(Kms, kms {
    "kms:CreateKey" fn create_key(&self, description: &str, tags: &Tags) -> Result<KmsKey>;
    "kms:ListResourceTags" fn key_tags(&self, key_id: &str) -> Result<Tags>;
    "kms:DescribeKey" fn key_state(&self, key_id: &str) -> Result<KeyState>;
    "kms:DisableKey" fn disable_key(&self, key_id: &str) -> Result<()>;
    "kms:EnableKey" fn enable_key(&self, key_id: &str) -> Result<()>;
    "kms:ScheduleKeyDeletion" fn schedule_key_deletion(
        &self, key_id: &str, days: u32) -> Result<()>;
    "kms:CancelKeyDeletion" fn cancel_key_deletion(&self, key_id: &str) -> Result<()>;
    "kms:ListKeys" fn tagged(&self, key: &str, value: &str) -> Result<Vec<Resource>>;
});

throttled!(CloudTrail, cloudtrail {
    "cloudtrail:CreateTrail" fn create_trail(
        &self, trail: &str, bucket: &str, key_prefix: &str, tags: &Tags) -> Result<String>;
    "cloudtrail:ListTags" fn trail_tags(&self, trail: &str) -> Result<Tags>;
    "cloudtrail:DeleteTrail" fn delete_trail(&self, trail: &str) -> Result<()>;
    "cloudtrail:StartLogging" fn start_logging(&self, trail: &str) -> Result<()>;
    "cloudtrail:StopLogging" fn stop_logging(&self, trail: &str) -> Result<()>;
    "cloudtrail:GetTrailStatus" fn is_logging(&self, trail: &str) -> Result<bool>;
    "cloudtrail:LookupEvents" fn lookup_events(
        &self, names: &[&str], from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<AuditEvent>>;
});

#[async_trait]
impl<S: Sandbox> GuardDuty for Throttled<S> {
    async fn create_sample_findings(&self, finding_types: &[String]) -> Result<()> {
        self.gate.pass("guardduty:CreateSampleFindings").await;
        self.inner
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
        self.gate.pass("guardduty:CreateThreatIntelSet").await;
        self.inner
            .guardduty()
            .create_threat_intel_set(name, ips, tags)
            .await
    }

    async fn delete_threat_intel_set(&self, id: &str) -> Result<()> {
        self.gate.pass("guardduty:DeleteThreatIntelSet").await;
        self.inner.guardduty().delete_threat_intel_set(id).await
    }

    async fn threat_intel_set_tags(&self, id: &str) -> Result<Tags> {
        self.gate.pass("guardduty:GetThreatIntelSet").await;
        self.inner.guardduty().threat_intel_set_tags(id).await
    }

    async fn threat_intel_set_named(&self, name: &str) -> Result<Option<String>> {
        self.gate.pass("guardduty:ListThreatIntelSets").await;
        self.inner.guardduty().threat_intel_set_named(name).await
    }

    /// Read through the shared poller, which passes the gate when it fetches.
    async fn findings(&self, types: &[String], since: DateTime<Utc>) -> Result<Vec<Finding>> {
        self.inner.guardduty().findings(types, since).await
    }
}

/// Read through the shared poller, which passes the gate when it fetches.
#[async_trait]
impl<S: Sandbox> CloudWatch for Throttled<S> {
    async fn describe_alarms(&self, names: &[String]) -> Result<Vec<Alarm>> {
        self.inner.cloudwatch().describe_alarms(names).await
    }

    async fn alarm_history(
        &self,
        name: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<AlarmTransition>> {
        self.inner.cloudwatch().alarm_history(name, since).await
    }
}

/// Detection reads: through the shared poller, which passes the gate when it fetches.
#[async_trait]
impl<S: Sandbox> SecurityHub for Throttled<S> {
    async fn findings(&self, since: DateTime<Utc>) -> Result<Vec<HubFinding>> {
        self.inner.securityhub().findings(since).await
    }
}

/// Detection reads: through the shared poller, which passes the gate when it queries.
#[async_trait]
impl<S: Sandbox> Logs for Throttled<S> {
    async fn rows(&self, query: &LogQuery, since: DateTime<Utc>) -> Result<Vec<LogRow>> {
        self.inner.logs().rows(query, since).await
    }
}

/// `service:Operation` for a sandbox method name: `iam.list_users` → `iam:ListUsers`.
pub fn operation(call: &str) -> String {
    let (service, op) = call.split_once('.').unwrap_or(("other", call));
    let camel: String = op
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect();
    format!("{service}:{camel}")
}

/// The attacker's calls are made in the same account, so they count against it too.
#[async_trait]
impl<S: Sandbox> Actor for Throttled<S> {
    async fn call_as_on(
        &self,
        credentials: &Credentials,
        user_agent: &str,
        calls: &[String],
        object: Option<&ObjectRef>,
    ) -> Result<CallsAs> {
        for c in calls {
            self.gate.pass(&operation(c)).await;
        }
        self.inner
            .actor()
            .call_as_on(credentials, user_agent, calls, object)
            .await
    }

    async fn attacker_ip(&self) -> Result<String> {
        self.inner.actor().attacker_ip().await
    }
}

impl<S: Sandbox> Sandbox for Throttled<S> {
    fn target(&self) -> TargetInfo {
        self.inner.target()
    }

    fn iam(&self) -> &dyn Iam {
        self
    }

    fn ec2(&self) -> &dyn Ec2 {
        self
    }

    fn s3(&self) -> &dyn S3 {
        self
    }

    fn kms(&self) -> &dyn Kms {
        self
    }

    fn cloudtrail(&self) -> &dyn CloudTrail {
        self
    }

    fn guardduty(&self) -> &dyn GuardDuty {
        self
    }

    fn cloudwatch(&self) -> &dyn CloudWatch {
        self
    }

    fn securityhub(&self) -> &dyn SecurityHub {
        self
    }

    fn commands(&self) -> &dyn super::Commands {
        self.inner.commands()
    }

    fn logs(&self) -> &dyn Logs {
        self
    }

    fn events(&self) -> &dyn super::Events {
        self.inner.events()
    }

    fn actor(&self) -> &dyn Actor {
        self
    }

    fn push(&self) -> Option<&dyn Push> {
        self.inner.push()
    }

    fn policy(&self) -> &dyn TargetPolicy {
        self.inner.policy()
    }

    fn ground_truth(&self) -> Option<Vec<crate::sandbox::TruthEvent>> {
        self.inner.ground_truth()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{DetectionModel, SimAccount};
    use crate::throttle::Throttle;
    use std::sync::Arc;

    #[test]
    fn attacker_calls_name_their_operation() {
        assert_eq!(operation("iam.list_users"), "iam:ListUsers");
        assert_eq!(operation("ec2.describe_instances"), "ec2:DescribeInstances");
        assert_eq!(
            crate::throttle::limit_of(&operation("ec2.describe_instances")).family,
            "ec2:read"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn every_call_passes_the_gate_and_reaches_the_account() {
        let clock = Arc::new(crate::clock::Clock::virtual_at(Utc::now()));
        let sim = SimAccount::new(7, Arc::new(DetectionModel::builtin()), clock);
        let throttle = Arc::new(Throttle::new());
        let s = Throttled::new(sim, Gate::new(throttle.clone(), "us-east-1"));
        let start = tokio::time::Instant::now();
        s.iam().create_user("u", &Tags::new()).await.expect("user");
        for _ in 0..14 {
            s.iam().list_access_keys("u").await.expect("keys");
        }
        // 15 IAM calls on a bucket of 10 at 10 a second: the last is made at 0.5 s.
        assert_eq!(start.elapsed(), std::time::Duration::from_millis(500));
        assert_eq!(throttle.calls(), 15);
        // Detection reads are the poller's to count.
        s.guardduty().findings(&[], Utc::now()).await.expect("read");
        assert_eq!(throttle.calls(), 15);
        assert_eq!(s.target().account_id, crate::sim::ACCOUNT_ID);
    }
}
