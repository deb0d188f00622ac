//! The built-in simulator of a sandbox AWS account (`--target sim`).
//!
//! An in-process model of the resources gameday's steps touch (IAM users and keys, EC2
//! instances, security groups and snapshots, S3 buckets, CloudTrail trails, GuardDuty threat
//! lists) plus a detection model ([`DetectionModel`], data in `model.yaml`): every mutating
//! call and every call made with someone's key is written to an audit log at the clock's
//! `now()`, and each detection rule it matches draws, from a seeded random stream, whether
//! and when GuardDuty creates a finding or a CloudWatch alarm goes into ALARM. Findings and
//! alarm states become visible when the run's clock reaches their time, so polling sees
//! them exactly as it would see AWS's, and [`SimAccount::truth`] tells tests what was due.
//!
//! Deterministic: the same seed and the same calls at the same clock instants give the same
//! ids, findings and times. Ids and detections draw from two separate streams, so changing
//! the model does not change the ids.
//!
//! Like AWS: new buckets have Block Public Access on and ACLs disabled, a public bucket
//! policy is refused while BlockPublicPolicy is set and a public ACL while BlockPublicAcls
//! is; server access logging needs a target bucket that lets the logging service write; a
//! KMS key pending deletion can only have its deletion cancelled, which leaves it disabled; CreateTrail needs a bucket policy letting CloudTrail
//! deliver; a user holds at most two keys; the VPC has an undeletable default group that
//! instances launched without groups get.
//!
//! Simplifications, on purpose: only successful mutating calls are audited (plus every call
//! made through [`Actor::call_as`], denied ones included); calls made through `call_as`
//! carry no arguments and change nothing; a stopped trail does not silence the CIS alarms;
//! a threat list takes effect at once; any password policy update counts as a change,
//! weaker or not; the account-level Block Public Access is kept and audited but does not
//! override the buckets' own settings.

use crate::clock::Clock;
use crate::sandbox::{
    Actor, AuditEvent, CloudTrail, CloudWatch, Ec2, ErrorKind, FindingResource, GuardDuty, Iam,
    Kms, S3, Sandbox, SandboxError, TargetInfo,
};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

mod actor;
mod cloudtrail;
mod commands;
mod detect;
mod ec2;
mod events;
mod iam;
mod kms;
mod logs;
mod model;
mod roles;
mod s3;
mod securityhub;
mod shared;
mod vpc;

#[cfg(test)]
mod tests;

pub use model::DetectionModel;
pub use shared::SharedSim;

/// The simulated account's id.
pub const ACCOUNT_ID: &str = "111122223333";
/// The simulated account's region.
pub const REGION: &str = "us-east-1";
/// The source IP of calls made with [`Actor::call_as`] (TEST-NET-2, RFC 5737).
pub const ATTACKER_IP: &str = "198.51.100.23";

pub use crate::sandbox::TruthEvent;

/// A simulated sandbox account. Cheap to create; `Send + Sync`; every call locks the state
/// briefly and never across an await.
pub struct SimAccount {
    account: String,
    region: String,
    model: Arc<DetectionModel>,
    clock: Arc<Clock>,
    state: Mutex<State>,
}

impl SimAccount {
    /// A fresh account whose random streams start from `seed`, detecting by `model`, on the
    /// run's `clock`.
    pub fn new(seed: u64, model: Arc<DetectionModel>, clock: Arc<Clock>) -> SimAccount {
        SimAccount::in_account(seed, model, clock, ACCOUNT_ID, REGION)
    }

    /// [`SimAccount::new`], as account `account` in `region`: what ARNs and
    /// [`Sandbox::target`] say.
    pub fn in_account(
        seed: u64,
        model: Arc<DetectionModel>,
        clock: Arc<Clock>,
        account: &str,
        region: &str,
    ) -> SimAccount {
        let mut ids = ChaCha8Rng::seed_from_u64(seed);
        ids.set_stream(1);
        let mut draws = ChaCha8Rng::seed_from_u64(seed);
        draws.set_stream(2);
        let alarms = vec![Vec::new(); model.alarms.len()];
        let mut state = State {
            ids,
            draws,
            seq: 0,
            users: BTreeMap::new(),
            roles: BTreeMap::new(),
            vpcs: BTreeMap::new(),
            gateways: BTreeMap::new(),
            key_owner: BTreeMap::new(),
            password_policy: None,
            instances: BTreeMap::new(),
            groups: BTreeMap::new(),
            default_group: String::new(),
            snapshots: BTreeMap::new(),
            buckets: BTreeMap::new(),
            account_public_access_block: None,
            keys: BTreeMap::new(),
            trails: BTreeMap::new(),
            threat_sets: BTreeMap::new(),
            audit: Vec::new(),
            findings: Vec::new(),
            truth: Vec::new(),
            alarms,
        };
        ec2::create_default_group(&mut state);
        SimAccount {
            account: account.to_owned(),
            region: region.to_owned(),
            model,
            clock,
            state: Mutex::new(state),
        }
    }

    /// Ground truth: every detection the model scheduled (a finding created, an alarm's
    /// transition into ALARM), in the order the causing events happened.
    pub fn truth(&self) -> Vec<TruthEvent> {
        let st = self.lock();
        let mut all: Vec<(u64, TruthEvent)> = st.truth.clone();
        for (rule, breaches) in self.model.alarms.iter().zip(&st.alarms) {
            for b in breaches {
                all.push((
                    b.cause.seq,
                    TruthEvent {
                        source: crate::scenario::Source::CLOUDWATCH,
                        name: rule.name.clone(),
                        resource: FindingResource::default(),
                        caused_by: b.cause.event.clone(),
                        act_at: b.cause.act_at,
                        detected_at: b.start,
                    },
                ));
            }
        }
        all.sort_by_key(|(seq, _)| *seq);
        all.into_iter().map(|(_, t)| t).collect()
    }

    /// ARNs of the resources that exist now and carry the tag `gameday:run` = `run_id`,
    /// sorted (for leak checks).
    pub fn tagged_resources(&self, run_id: &str) -> Vec<String> {
        let st = self.lock();
        let (region, account) = (&self.region, &self.account);
        let tagged =
            |tags: &crate::sandbox::Tags| tags.get("gameday:run").is_some_and(|v| v == run_id);
        let mut out = Vec::new();
        out.extend(
            st.users
                .values()
                .filter(|u| tagged(&u.tags))
                .map(|u| u.arn.clone()),
        );
        out.extend(
            st.roles
                .values()
                .filter(|r| tagged(&r.tags))
                .map(|r| r.arn.clone()),
        );
        out.extend(
            st.instances
                .iter()
                .filter(|(_, i)| !i.terminated && tagged(&i.tags))
                .map(|(id, _)| format!("arn:aws:ec2:{region}:{account}:instance/{id}")),
        );
        out.extend(
            st.groups
                .iter()
                .filter(|(_, g)| tagged(&g.tags))
                .map(|(id, _)| format!("arn:aws:ec2:{region}:{account}:security-group/{id}")),
        );
        out.extend(
            st.snapshots
                .iter()
                .filter(|(_, s)| tagged(&s.tags))
                .map(|(id, _)| format!("arn:aws:ec2:{region}::snapshot/{id}")),
        );
        out.extend(
            st.gateways
                .iter()
                .filter(|(_, g)| tagged(&g.tags))
                .map(|(id, _)| format!("arn:aws:ec2:{region}:{account}:internet-gateway/{id}")),
        );
        out.extend(
            st.vpcs
                .iter()
                .filter(|(_, v)| tagged(&v.tags))
                .map(|(id, _)| format!("arn:aws:ec2:{region}:{account}:vpc/{id}")),
        );
        out.extend(
            st.buckets
                .iter()
                .filter(|(_, b)| tagged(&b.tags))
                .map(|(name, _)| format!("arn:aws:s3:::{name}")),
        );
        out.extend(
            st.keys
                .iter()
                .filter(|(_, k)| {
                    k.state != crate::sandbox::KeyState::PendingDeletion && tagged(&k.tags)
                })
                .map(|(id, _)| format!("arn:aws:kms:{region}:{account}:key/{id}")),
        );
        out.extend(
            st.trails
                .values()
                .filter(|t| tagged(&t.tags))
                .map(|t| t.arn.clone()),
        );
        out.extend(
            st.threat_sets
                .iter()
                .filter(|(_, s)| tagged(&s.tags))
                .map(|(id, _)| format!("arn:aws:guardduty:{region}:{account}:detector/{DETECTOR_ID}/threatintelset/{id}")),
        );
        out.sort();
        out
    }

    /// The audit log so far, oldest first: every successful mutating call and every call
    /// made through `Actor::call_as`.
    pub fn audit_log(&self) -> Vec<AuditRecord> {
        let st = self.lock();
        st.audit
            .iter()
            .map(|a| AuditRecord {
                event: a.event.clone(),
                user_agent: a.caller.as_ref().map(|c| c.user_agent.clone()),
                access_key_id: a.caller.as_ref().map(|c| c.access_key_id.clone()),
                user_name: a.caller.as_ref().map(|c| c.user_name.clone()),
                source_ip: a.caller.as_ref().map(|c| c.source_ip.clone()),
                attributes: model::ATTRIBUTES
                    .iter()
                    .filter(|(_, bit)| a.flags & bit != 0)
                    .map(|(name, _)| *name)
                    .collect(),
            })
            .collect()
    }

    /// IAM, without importing [`Sandbox`] (tests hold a `SimAccount`, not a `dyn Sandbox`).
    pub fn iam(&self) -> &dyn Iam {
        self
    }

    /// EC2, as [`SimAccount::iam`].
    pub fn ec2(&self) -> &dyn Ec2 {
        self
    }

    /// S3, as [`SimAccount::iam`].
    pub fn s3(&self) -> &dyn S3 {
        self
    }

    /// KMS, as [`SimAccount::iam`].
    pub fn kms(&self) -> &dyn Kms {
        self
    }

    /// CloudTrail, as [`SimAccount::iam`].
    pub fn cloudtrail(&self) -> &dyn CloudTrail {
        self
    }

    /// GuardDuty, as [`SimAccount::iam`].
    pub fn guardduty(&self) -> &dyn GuardDuty {
        self
    }

    /// CloudWatch, as [`SimAccount::iam`].
    pub fn cloudwatch(&self) -> &dyn CloudWatch {
        self
    }

    /// Calls as another principal, as [`SimAccount::iam`].
    pub fn actor(&self) -> &dyn Actor {
        self
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves consistent data (each call validates before
        // it mutates), so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records a successful mutating call made by the engine and schedules what it triggers.
    fn record(&self, st: &mut State, call: Call<'_>) {
        let now = self.clock.now();
        st.record(&self.model, now, call, None);
    }
}

/// The GuardDuty detector id of the simulated account.
const DETECTOR_ID: &str = "12abc34d567e8fa901bc2d34e56789f0";

/// The whole simulated account.
struct State {
    /// Ids of new resources.
    ids: ChaCha8Rng,
    /// Detection draws.
    draws: ChaCha8Rng,
    /// Counts scheduled detections, to keep truth in schedule order.
    seq: u64,
    users: BTreeMap<String, iam::User>,
    roles: BTreeMap<String, roles::Role>,
    /// Access key id → owner.
    key_owner: BTreeMap<String, String>,
    password_policy: Option<crate::sandbox::PasswordPolicy>,
    instances: BTreeMap<String, ec2::Instance>,
    groups: BTreeMap<String, ec2::Group>,
    default_group: String,
    snapshots: BTreeMap<String, ec2::Snapshot>,
    vpcs: BTreeMap<String, vpc::Vpc>,
    gateways: BTreeMap<String, vpc::Gateway>,
    buckets: BTreeMap<String, s3::Bucket>,
    /// The account-level Block Public Access (S3 Control); none in a fresh account.
    account_public_access_block: Option<crate::sandbox::PublicAccessBlock>,
    keys: BTreeMap<String, kms::Key>,
    trails: BTreeMap<String, cloudtrail::Trail>,
    threat_sets: BTreeMap<String, detect::ThreatSet>,
    audit: Vec<Audit>,
    findings: Vec<detect::StoredFinding>,
    /// Findings created, with their schedule sequence.
    truth: Vec<(u64, TruthEvent)>,
    /// Per model alarm (same index), its ALARM intervals, disjoint and sorted.
    alarms: Vec<Vec<detect::Breach>>,
}

impl State {
    /// `n` random characters of `alphabet`.
    fn chars(&mut self, alphabet: &[u8], n: usize) -> String {
        (0..n)
            .map(|_| alphabet[self.ids.random_range(0..alphabet.len())] as char)
            .collect()
    }

    /// A fresh id `prefix-<n hex>` not in use by `taken`.
    fn fresh_id(&mut self, prefix: &str, n: usize, taken: impl Fn(&State, &str) -> bool) -> String {
        loop {
            let id = format!("{prefix}{}", detect::hex(&mut self.ids, n));
            if !taken(self, &id) {
                return id;
            }
        }
    }
}

/// One entry of the audit log: the CloudTrail event plus what the detection model may test.
#[derive(Debug, Clone)]
struct Audit {
    event: AuditEvent,
    /// For calls made with a key: who, how, from where.
    caller: Option<Caller>,
    /// Attribute bits (`model::DENIED`…).
    flags: u16,
}

/// One entry of the simulator's audit log, as tests and tools inspect it: the CloudTrail
/// event, who made it, and the attributes the detection model can test.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditRecord {
    /// The event, as `CloudTrail::lookup_events` returns it.
    pub event: AuditEvent,
    /// The caller's user agent (calls made through `Actor::call_as`).
    pub user_agent: Option<String>,
    /// The caller's access key (calls made through `Actor::call_as`).
    pub access_key_id: Option<String>,
    /// The caller (calls made through `Actor::call_as`).
    pub user_name: Option<String>,
    /// The caller's source IP (calls made through `Actor::call_as`).
    pub source_ip: Option<String>,
    /// The model attributes that are true for it, such as `denied` or `public_policy`.
    pub attributes: Vec<&'static str>,
}

/// The principal behind a call made with [`Actor::call_as`].
#[derive(Debug, Clone)]
struct Caller {
    user_agent: String,
    user_agent_lower: String,
    access_key_id: String,
    user_name: String,
    source_ip: String,
}

/// A call to audit, as the service modules describe it.
struct Call<'a> {
    /// `service:Operation`.
    name: &'a str,
    /// Resource ids it touched.
    resources: Vec<String>,
    /// What a finding would be about.
    subject: FindingResource,
    /// Attribute bits.
    flags: u16,
    /// For a DNS lookup (no API call, and so not audited): the name looked up.
    domain: Option<String>,
}

impl<'a> Call<'a> {
    fn new(name: &'a str, resources: &[&str]) -> Self {
        Call {
            name,
            resources: resources.iter().map(|r| (*r).to_owned()).collect(),
            subject: FindingResource::default(),
            flags: 0,
            domain: None,
        }
    }

    /// An instance's lookup of `domain` through the VPC's resolver, which GuardDuty's DNS
    /// findings come from.
    fn dns_lookup(domain: &str, subject: FindingResource) -> Self {
        Call {
            name: "dns:Query",
            resources: Vec::new(),
            subject,
            flags: 0,
            domain: Some(domain.to_owned()),
        }
    }

    fn subject(mut self, subject: FindingResource) -> Self {
        self.subject = subject;
        self
    }

    fn flags(mut self, flags: u16) -> Self {
        self.flags |= flags;
        self
    }
}

/// An error as AWS would give it: the class, the operation, the AWS error code and message.
fn error(
    kind: ErrorKind,
    operation: &str,
    code: &str,
    message: impl std::fmt::Display,
) -> SandboxError {
    SandboxError::new(kind, operation, format!("{code}: {message}"))
}

impl Sandbox for SimAccount {
    fn target(&self) -> TargetInfo {
        TargetInfo {
            name: "sim".to_owned(),
            kind: crate::sandbox::TargetKind::Sim,
            account_id: self.account.clone(),
            region: self.region.clone(),
        }
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

    fn securityhub(&self) -> &dyn crate::sandbox::SecurityHub {
        self
    }

    fn commands(&self) -> &dyn crate::sandbox::Commands {
        self
    }

    fn logs(&self) -> &dyn crate::sandbox::Logs {
        self
    }

    fn events(&self) -> &dyn crate::sandbox::Events {
        self
    }

    fn actor(&self) -> &dyn Actor {
        self
    }

    fn ground_truth(&self) -> Option<Vec<TruthEvent>> {
        Some(self.truth())
    }
}
