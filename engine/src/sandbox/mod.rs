//! The one seam to the cloud: narrow traits per service, in the project's own types.
//!
//! Two implementations: the in-process simulator (`crate::sim`) and AWS through the
//! official SDK (`crate::aws`). Nothing above this module knows which one it talks to.
//! [`Throttled`] puts either behind its account's rate limits.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

mod throttled;
pub use throttled::{Throttled, operation};

/// What went wrong in a call to the cloud.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{operation}: {message}")]
pub struct SandboxError {
    /// The class of failure, to decide what to do about it.
    pub kind: ErrorKind,
    /// The API operation, such as `iam:CreateUser`.
    pub operation: String,
    /// What the provider said.
    pub message: String,
}

impl SandboxError {
    /// A new error.
    pub fn new(kind: ErrorKind, operation: &str, message: impl Into<String>) -> Self {
        SandboxError {
            kind,
            operation: operation.to_owned(),
            message: message.into(),
        }
    }
}

/// Classes of failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The resource does not exist.
    NotFound,
    /// The resource exists already.
    AlreadyExists,
    /// The resource is in use or in the wrong state.
    Conflict,
    /// The caller may not do this.
    AccessDenied,
    /// The request is malformed.
    InvalidInput,
    /// Throttled beyond the retries.
    Throttled,
    /// The endpoint does not implement the operation.
    Unsupported,
    /// Anything else.
    Other,
}

/// Result of a sandbox call.
pub type Result<T> = std::result::Result<T, SandboxError>;

/// Tags put on every resource a run creates.
pub type Tags = BTreeMap<String, String>;

/// The tag naming the run that created a resource: what makes a resource a run's own.
pub const RUN_TAG: &str = "gameday:run";
/// The tag naming the scenario of that run.
pub const SCENARIO_TAG: &str = "gameday:scenario";
/// The tag saying when that run started (RFC 3339).
pub const STARTED_TAG: &str = "gameday:started";

/// The kinds of resource gameday creates, in the order removal must go (instances before
/// their security groups, threat lists and trails before their buckets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceKind {
    /// A run's push delivery: its EventBridge rule and SQS queue, under one name.
    PushDelivery,
    /// A GuardDuty threat list (by id).
    ThreatList,
    /// A CloudTrail trail (by name).
    Trail,
    /// An EC2 instance (by id).
    Instance,
    /// An EBS snapshot (by id).
    Snapshot,
    /// An EC2 security group (by id).
    SecurityGroup,
    /// An internet gateway (by id), detached from its VPC before it goes.
    InternetGateway,
    /// A VPC (by id), with its routes and network ACL entries.
    Vpc,
    /// A VPC's main route table (by id): tagged with its VPC, and removed with it.
    RouteTable,
    /// A VPC's default network ACL (by id): tagged with its VPC, and removed with it.
    NetworkAcl,
    /// An IAM user (by name), with its keys and policies.
    User,
    /// An IAM role (by name), with its inline policies.
    Role,
    /// An S3 bucket (by name).
    Bucket,
    /// A KMS key (by id): removed by scheduling its deletion, which KMS keeps pending for
    /// at least seven days; a key pending deletion counts as removed.
    Key,
}

impl ResourceKind {
    /// For people.
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceKind::PushDelivery => "eventbridge rule and sqs queue",
            ResourceKind::ThreatList => "guardduty threat list",
            ResourceKind::Trail => "cloudtrail trail",
            ResourceKind::Instance => "ec2 instance",
            ResourceKind::Snapshot => "ec2 snapshot",
            ResourceKind::SecurityGroup => "ec2 security group",
            ResourceKind::InternetGateway => "ec2 internet gateway",
            ResourceKind::Vpc => "ec2 vpc",
            ResourceKind::RouteTable => "ec2 route table",
            ResourceKind::NetworkAcl => "ec2 network acl",
            ResourceKind::User => "iam user",
            ResourceKind::Role => "iam role",
            ResourceKind::Bucket => "s3 bucket",
            ResourceKind::Key => "kms key",
        }
    }
}

/// One resource, as the account identifies it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Resource {
    /// What it is.
    pub kind: ResourceKind,
    /// Its id (instances, groups, snapshots, threat lists) or name (the rest).
    pub id: String,
}

impl Resource {
    /// `kind` `id`.
    pub fn new(kind: ResourceKind, id: impl Into<String>) -> Self {
        Resource {
            kind,
            id: id.into(),
        }
    }
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind.as_str(), self.id)
    }
}

/// A secret value (a secret access key, a session token): usable in memory, never printed
/// or serialized.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }

    /// The secret itself, for the one call that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str("[redacted]")
    }
}

/// Credentials a step produced (an access key), for calls made as someone else.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: Secret,
}

/// Access key status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub enum KeyStatus {
    Active,
    Inactive,
}

impl KeyStatus {
    /// The AWS spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyStatus::Active => "Active",
            KeyStatus::Inactive => "Inactive",
        }
    }
}

/// An access key as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessKeyInfo {
    /// Its id.
    pub access_key_id: String,
    /// Its status.
    pub status: KeyStatus,
}

/// The account password policy (the fields gameday reads and restores).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct PasswordPolicy {
    pub minimum_password_length: u32,
    pub require_symbols: bool,
    pub require_numbers: bool,
    pub require_uppercase_characters: bool,
    pub require_lowercase_characters: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_password_age: Option<u32>,
}

/// IAM.
#[async_trait]
pub trait Iam: Send + Sync {
    /// CreateUser (tagged at creation); returns the ARN. A user of that name already there
    /// is [`ErrorKind::AlreadyExists`].
    async fn create_user(&self, user: &str, tags: &Tags) -> Result<String>;
    /// ListUserTags; [`ErrorKind::NotFound`] without the user.
    async fn user_tags(&self, user: &str) -> Result<Tags>;
    /// DeleteUser (fails while the user has keys or policies).
    async fn delete_user(&self, user: &str) -> Result<()>;
    /// CreateAccessKey.
    async fn create_access_key(&self, user: &str) -> Result<Credentials>;
    /// ListAccessKeys.
    async fn list_access_keys(&self, user: &str) -> Result<Vec<AccessKeyInfo>>;
    /// UpdateAccessKey.
    async fn update_access_key(&self, user: &str, key: &str, status: KeyStatus) -> Result<()>;
    /// DeleteAccessKey.
    async fn delete_access_key(&self, user: &str, key: &str) -> Result<()>;
    /// AttachUserPolicy.
    async fn attach_user_policy(&self, user: &str, policy_arn: &str) -> Result<()>;
    /// DetachUserPolicy.
    async fn detach_user_policy(&self, user: &str, policy_arn: &str) -> Result<()>;
    /// ListAttachedUserPolicies; returns ARNs.
    async fn list_attached_user_policies(&self, user: &str) -> Result<Vec<String>>;
    /// PutUserPolicy.
    async fn put_user_policy(&self, user: &str, name: &str, document: &str) -> Result<()>;
    /// DeleteUserPolicy.
    async fn delete_user_policy(&self, user: &str, name: &str) -> Result<()>;
    /// ListUserPolicies + GetUserPolicy: name → document.
    async fn user_policies(&self, user: &str) -> Result<BTreeMap<String, String>>;
    /// GetAccountPasswordPolicy; `None` when the account has none.
    async fn get_account_password_policy(&self) -> Result<Option<PasswordPolicy>>;
    /// UpdateAccountPasswordPolicy.
    async fn update_account_password_policy(&self, policy: &PasswordPolicy) -> Result<()>;
    /// DeleteAccountPasswordPolicy.
    async fn delete_account_password_policy(&self) -> Result<()>;
    /// CreateRole with trust policy `trust_policy` (tagged at creation); returns the ARN.
    /// A role of that name already there is [`ErrorKind::AlreadyExists`].
    async fn create_role(&self, role: &str, trust_policy: &str, tags: &Tags) -> Result<String>;
    /// ListRoleTags; [`ErrorKind::NotFound`] without the role.
    async fn role_tags(&self, role: &str) -> Result<Tags>;
    /// DeleteRole (fails while the role has policies).
    async fn delete_role(&self, role: &str) -> Result<()>;
    /// GetRole: the role's trust policy (AssumeRolePolicyDocument), as JSON text.
    async fn role_trust_policy(&self, role: &str) -> Result<String>;
    /// UpdateAssumeRolePolicy.
    async fn update_assume_role_policy(&self, role: &str, document: &str) -> Result<()>;
    /// PutRolePolicy.
    async fn put_role_policy(&self, role: &str, name: &str, document: &str) -> Result<()>;
    /// DeleteRolePolicy.
    async fn delete_role_policy(&self, role: &str, name: &str) -> Result<()>;
    /// ListRolePolicies + GetRolePolicy: name → document.
    async fn role_policies(&self, role: &str) -> Result<BTreeMap<String, String>>;
}

/// An instance as created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    /// Its id.
    pub instance_id: String,
    /// Its root volume.
    pub volume_id: String,
}

/// One security group rule (IPv4).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Rule {
    /// `tcp`, `udp`, `icmp` or `-1` (all).
    pub protocol: String,
    /// First port (0 with protocol -1).
    pub from_port: i32,
    /// Last port.
    pub to_port: i32,
    /// IPv4 CIDR.
    pub cidr: String,
}

/// A security group's rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupRules {
    /// Inbound.
    pub ingress: Vec<Rule>,
    /// Outbound.
    pub egress: Vec<Rule>,
}

/// A VPC as created, with the network ACL and route table AWS made with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vpc {
    /// Its id.
    pub vpc_id: String,
    /// Its default network ACL.
    pub network_acl_id: String,
    /// Its main route table.
    pub route_table_id: String,
}

/// One numbered entry of a network ACL (IPv4). The catch-all entry 32767, which every
/// ACL has and nobody can change, is never listed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AclEntry {
    /// 1 to 32766: entries are evaluated lowest first.
    pub rule_number: i32,
    /// Outbound (true) or inbound.
    pub egress: bool,
    /// The protocol number as text (`6` TCP, `17` UDP, `1` ICMP), or `-1` for all.
    pub protocol: String,
    /// The IPv4 range it applies to.
    pub cidr: String,
    /// First port (TCP and UDP; 0 otherwise).
    pub from_port: i32,
    /// Last port (TCP and UDP; 0 otherwise).
    pub to_port: i32,
    /// Allow (true) or deny.
    pub allow: bool,
}

/// One route of a route table.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Route {
    /// The IPv4 destination range.
    pub destination: String,
    /// Where it goes: a gateway id, or `local` for the VPC's own range.
    pub gateway_id: String,
}

/// A VPC's DNS attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct VpcDns {
    /// enableDnsSupport: whether the Amazon-provided resolver answers in the VPC.
    pub support: bool,
    /// enableDnsHostnames: whether instances get public DNS names.
    pub hostnames: bool,
}

/// EC2.
#[async_trait]
pub trait Ec2: Send + Sync {
    /// RunInstances (one instance) with no boot script.
    async fn run_instance(
        &self,
        name: &str,
        image_id: &str,
        instance_type: &str,
        security_group_ids: &[String],
        tags: &Tags,
    ) -> Result<Instance> {
        self.launch(name, image_id, instance_type, security_group_ids, &[], tags)
            .await
    }
    /// RunInstances (one instance) whose boot script resolves each of `dns_lookups`, a few
    /// times over some minutes, through the VPC's resolver (GuardDuty's test domains: see
    /// [`crate::catalogue::test_domains`]).
    async fn launch(
        &self,
        name: &str,
        image_id: &str,
        instance_type: &str,
        security_group_ids: &[String],
        dns_lookups: &[String],
        tags: &Tags,
    ) -> Result<Instance>;
    /// TerminateInstances.
    async fn terminate_instance(&self, instance_id: &str) -> Result<()>;
    /// DescribeInstances: the instance's security groups.
    async fn instance_groups(&self, instance_id: &str) -> Result<Vec<String>>;
    /// ModifyInstanceAttribute: replace the instance's security groups.
    async fn set_instance_groups(&self, instance_id: &str, group_ids: &[String]) -> Result<()>;
    /// CreateSecurityGroup; returns the group id.
    async fn create_security_group(
        &self,
        name: &str,
        description: &str,
        tags: &Tags,
    ) -> Result<String>;
    /// DeleteSecurityGroup.
    async fn delete_security_group(&self, group_id: &str) -> Result<()>;
    /// DescribeSecurityGroupRules.
    async fn group_rules(&self, group_id: &str) -> Result<GroupRules>;
    /// AuthorizeSecurityGroupIngress.
    async fn authorize_ingress(&self, group_id: &str, rule: &Rule) -> Result<()>;
    /// RevokeSecurityGroupIngress.
    async fn revoke_ingress(&self, group_id: &str, rule: &Rule) -> Result<()>;
    /// RevokeSecurityGroupEgress.
    async fn revoke_egress(&self, group_id: &str, rule: &Rule) -> Result<()>;
    /// CreateSnapshot; returns the snapshot id.
    async fn create_snapshot(
        &self,
        volume_id: &str,
        description: &str,
        tags: &Tags,
    ) -> Result<String>;
    /// DeleteSnapshot.
    async fn delete_snapshot(&self, snapshot_id: &str) -> Result<()>;
    /// The tags of an instance (`i-…`), security group (`sg-…`), snapshot (`snap-…`),
    /// VPC (`vpc-…`), internet gateway (`igw-…`), route table (`rtb-…`) or network ACL
    /// (`acl-…`); [`ErrorKind::NotFound`] when it does not exist (a terminated instance
    /// included).
    async fn tags_of(&self, id: &str) -> Result<Tags>;
    /// DescribeSecurityGroups by name: the id of the group called `name`, if any.
    async fn security_group_named(&self, name: &str) -> Result<Option<String>>;
    /// The instances (not terminated), security groups, snapshots, internet gateways and
    /// VPCs tagged `key` = `value`, found with a tag filter.
    async fn tagged(&self, key: &str, value: &str) -> Result<Vec<Resource>>;
    /// DescribeSnapshotAttribute createVolumePermission: the groups (`all`) it is shared with.
    async fn snapshot_groups(&self, snapshot_id: &str) -> Result<Vec<String>>;
    /// ModifySnapshotAttribute createVolumePermission add or remove a group.
    async fn modify_snapshot_groups(&self, snapshot_id: &str, group: &str, add: bool)
    -> Result<()>;
    /// CreateVpc (tagged, and named `name`), then CreateTags puts the same tags on its
    /// default network ACL and main route table, so that what is inside them is known as
    /// the run's. A range that is not IPv4 /16 to /28 is [`ErrorKind::InvalidInput`].
    async fn create_vpc(&self, name: &str, cidr: &str, tags: &Tags) -> Result<Vpc>;
    /// DeleteVpc: [`ErrorKind::Conflict`] while an internet gateway is attached.
    async fn delete_vpc(&self, vpc_id: &str) -> Result<()>;
    /// CreateInternetGateway (tagged, and named `name`); returns its id.
    async fn create_internet_gateway(&self, name: &str, tags: &Tags) -> Result<String>;
    /// AttachInternetGateway: [`ErrorKind::Conflict`] when it is attached already.
    async fn attach_internet_gateway(&self, gateway_id: &str, vpc_id: &str) -> Result<()>;
    /// DetachInternetGateway: [`ErrorKind::Conflict`] when it is not attached to `vpc_id`.
    async fn detach_internet_gateway(&self, gateway_id: &str, vpc_id: &str) -> Result<()>;
    /// DeleteInternetGateway: [`ErrorKind::Conflict`] while it is attached.
    async fn delete_internet_gateway(&self, gateway_id: &str) -> Result<()>;
    /// DescribeInternetGateways by id: the VPCs it is attached to;
    /// [`ErrorKind::NotFound`] without it.
    async fn internet_gateway_vpcs(&self, gateway_id: &str) -> Result<Vec<String>>;
    /// DescribeInternetGateways (attachment.vpc-id): the gateways attached to the VPC.
    async fn vpc_internet_gateways(&self, vpc_id: &str) -> Result<Vec<String>>;
    /// DescribeRouteTables: the table's routes, sorted.
    async fn routes(&self, route_table_id: &str) -> Result<Vec<Route>>;
    /// CreateRoute to a gateway: [`ErrorKind::AlreadyExists`] when the table has a route
    /// for that destination.
    async fn create_route(&self, route_table_id: &str, route: &Route) -> Result<()>;
    /// DeleteRoute: [`ErrorKind::NotFound`] without a route for that destination.
    async fn delete_route(&self, route_table_id: &str, destination: &str) -> Result<()>;
    /// DescribeNetworkAcls: the ACL's entries (without the catch-all), sorted.
    async fn network_acl_entries(&self, network_acl_id: &str) -> Result<Vec<AclEntry>>;
    /// CreateNetworkAclEntry: [`ErrorKind::AlreadyExists`] when the ACL has an entry of
    /// that number in that direction.
    async fn create_network_acl_entry(&self, network_acl_id: &str, entry: &AclEntry) -> Result<()>;
    /// DeleteNetworkAclEntry: [`ErrorKind::NotFound`] without that entry.
    async fn delete_network_acl_entry(
        &self,
        network_acl_id: &str,
        rule_number: i32,
        egress: bool,
    ) -> Result<()>;
    /// DescribeVpcAttribute, both DNS attributes.
    async fn vpc_dns(&self, vpc_id: &str) -> Result<VpcDns>;
    /// ModifyVpcAttribute, one call for each attribute given (AWS takes one a call).
    async fn set_vpc_dns(
        &self,
        vpc_id: &str,
        support: Option<bool>,
        hostnames: Option<bool>,
    ) -> Result<()>;
}

/// S3 Block Public Access settings of a bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct PublicAccessBlock {
    pub block_public_acls: bool,
    pub ignore_public_acls: bool,
    pub block_public_policy: bool,
    pub restrict_public_buckets: bool,
}

/// S3 Object Ownership of a bucket: whether ACLs are in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub enum ObjectOwnership {
    /// ACLs disabled: the bucket owner owns every object, and only an owner-only ACL is
    /// accepted (AWS's default for new buckets since April 2023).
    BucketOwnerEnforced,
    BucketOwnerPreferred,
    ObjectWriter,
}

impl ObjectOwnership {
    /// The AWS spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectOwnership::BucketOwnerEnforced => "BucketOwnerEnforced",
            ObjectOwnership::BucketOwnerPreferred => "BucketOwnerPreferred",
            ObjectOwnership::ObjectWriter => "ObjectWriter",
        }
    }

    /// Every setting, as AWS spells them.
    pub const ALL: &'static [&'static str] = &[
        "BucketOwnerEnforced",
        "BucketOwnerPreferred",
        "ObjectWriter",
    ];

    /// From the AWS spelling.
    pub fn parse(s: &str) -> Option<ObjectOwnership> {
        match s {
            "BucketOwnerEnforced" => Some(ObjectOwnership::BucketOwnerEnforced),
            "BucketOwnerPreferred" => Some(ObjectOwnership::BucketOwnerPreferred),
            "ObjectWriter" => Some(ObjectOwnership::ObjectWriter),
            _ => None,
        }
    }
}

/// The ACL group of anyone on the internet.
pub const ALL_USERS: &str = "http://acs.amazonaws.com/groups/global/AllUsers";
/// The ACL group of every authenticated AWS principal, in any account.
pub const AUTHENTICATED_USERS: &str = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
/// The ACL group S3 server access logging writes as.
pub const LOG_DELIVERY: &str = "http://acs.amazonaws.com/groups/s3/LogDelivery";

/// Who an ACL grant is for.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grantee {
    /// An account, by its canonical user id.
    CanonicalUser(String),
    /// A predefined group, by its URI ([`ALL_USERS`], [`AUTHENTICATED_USERS`], [`LOG_DELIVERY`]).
    Group(String),
}

/// One grant of a bucket ACL.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AclGrant {
    /// Who.
    pub grantee: Grantee,
    /// `READ`, `WRITE`, `READ_ACP`, `WRITE_ACP` or `FULL_CONTROL`.
    pub permission: String,
}

/// A bucket's ACL: its owner and its grants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketAcl {
    /// The owner's canonical user id.
    pub owner_id: String,
    /// The grants, in the order S3 lists them.
    pub grants: Vec<AclGrant>,
}

impl BucketAcl {
    /// The predefined groups outside the account (anyone, any AWS principal) it grants
    /// anything to.
    pub fn public_groups(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self
            .grants
            .iter()
            .filter_map(|g| match &g.grantee {
                Grantee::Group(uri) if uri == ALL_USERS || uri == AUTHENTICATED_USERS => {
                    Some(uri.as_str())
                }
                _ => None,
            })
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The same grants, in a canonical order, for comparing two ACLs.
    pub fn sorted(&self) -> BucketAcl {
        let mut grants = self.grants.clone();
        grants.sort();
        BucketAcl {
            owner_id: self.owner_id.clone(),
            grants,
        }
    }
}

/// The canned ACLs gameday can put on a bucket.
pub const CANNED_ACLS: &[&str] = &[
    "private",
    "public-read",
    "public-read-write",
    "authenticated-read",
    "log-delivery-write",
];

/// Where a bucket's server access logs go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketLogging {
    /// The bucket the logs are written to.
    pub target_bucket: String,
    /// The key prefix of the log objects (may be empty).
    pub target_prefix: String,
}

/// S3.
#[async_trait]
pub trait S3: Send + Sync {
    /// CreateBucket (+ PutBucketTagging); a new bucket blocks all public access, as AWS's
    /// default is. A bucket of that name already there, the account's own included (which
    /// CreateBucket in us-east-1 answers with success), is [`ErrorKind::AlreadyExists`].
    async fn create_bucket(&self, bucket: &str, tags: &Tags) -> Result<()>;
    /// DeleteBucket: [`ErrorKind::Conflict`] while it holds any object. Never empties it.
    async fn delete_bucket(&self, bucket: &str) -> Result<()>;
    /// HeadBucket + GetBucketTagging: the bucket's tags (none is an empty set);
    /// [`ErrorKind::NotFound`] without the bucket, [`ErrorKind::AccessDenied`] for a
    /// bucket that exists and is another account's.
    async fn bucket_tags(&self, bucket: &str) -> Result<Tags>;
    /// PutObject of a small text.
    async fn put_object(&self, bucket: &str, key: &str, body: &str) -> Result<()>;
    /// ListObjectsV2 (every page): the keys under `prefix`.
    async fn list_objects(&self, bucket: &str, prefix: &str) -> Result<Vec<String>>;
    /// DeleteObject.
    async fn delete_object(&self, bucket: &str, key: &str) -> Result<()>;
    /// GetBucketPolicy; `None` without one.
    async fn get_bucket_policy(&self, bucket: &str) -> Result<Option<String>>;
    /// PutBucketPolicy.
    async fn put_bucket_policy(&self, bucket: &str, policy: &str) -> Result<()>;
    /// DeleteBucketPolicy.
    async fn delete_bucket_policy(&self, bucket: &str) -> Result<()>;
    /// GetPublicAccessBlock; `None` without one.
    async fn get_public_access_block(&self, bucket: &str) -> Result<Option<PublicAccessBlock>>;
    /// PutPublicAccessBlock.
    async fn put_public_access_block(&self, bucket: &str, block: &PublicAccessBlock) -> Result<()>;
    /// DeletePublicAccessBlock.
    async fn delete_public_access_block(&self, bucket: &str) -> Result<()>;
    /// GetBucketOwnershipControls; `None` without any.
    async fn bucket_ownership(&self, bucket: &str) -> Result<Option<ObjectOwnership>>;
    /// PutBucketOwnershipControls.
    async fn put_bucket_ownership(&self, bucket: &str, ownership: ObjectOwnership) -> Result<()>;
    /// GetBucketAcl.
    async fn get_bucket_acl(&self, bucket: &str) -> Result<BucketAcl>;
    /// PutBucketAcl with a canned ACL (one of [`CANNED_ACLS`]). With ACLs disabled
    /// (BucketOwnerEnforced) only `private` is taken; a public ACL while BlockPublicAcls is
    /// on is [`ErrorKind::AccessDenied`].
    async fn put_bucket_canned_acl(&self, bucket: &str, acl: &str) -> Result<()>;
    /// PutBucketAcl with a whole ACL (AccessControlPolicy), as GetBucketAcl gave it.
    async fn put_bucket_acl(&self, bucket: &str, acl: &BucketAcl) -> Result<()>;
    /// GetBucketLogging; `None` while server access logging is off.
    async fn bucket_logging(&self, bucket: &str) -> Result<Option<BucketLogging>>;
    /// PutBucketLogging: on into `logging`, or off with `None`. The target bucket must
    /// exist and let the logging service write (a bucket policy for
    /// `logging.s3.amazonaws.com`, or the LogDelivery group's WRITE and READ_ACP grants),
    /// else [`ErrorKind::InvalidInput`].
    async fn put_bucket_logging(&self, bucket: &str, logging: Option<&BucketLogging>)
    -> Result<()>;
    /// S3 Control GetPublicAccessBlock of the account; `None` without one.
    async fn account_public_access_block(&self) -> Result<Option<PublicAccessBlock>>;
    /// S3 Control PutPublicAccessBlock of the account.
    async fn put_account_public_access_block(&self, block: &PublicAccessBlock) -> Result<()>;
    /// S3 Control DeletePublicAccessBlock of the account (none there already is fine).
    async fn delete_account_public_access_block(&self) -> Result<()>;
}

/// The state of a KMS key, as DescribeKey gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub enum KeyState {
    Creating,
    Enabled,
    Disabled,
    PendingDeletion,
    PendingImport,
    PendingReplicaDeletion,
    Unavailable,
    Updating,
}

impl KeyState {
    /// Every state, as AWS spells them.
    pub const ALL: &'static [&'static str] = &[
        "Creating",
        "Enabled",
        "Disabled",
        "PendingDeletion",
        "PendingImport",
        "PendingReplicaDeletion",
        "Unavailable",
        "Updating",
    ];

    /// The AWS spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyState::Creating => "Creating",
            KeyState::Enabled => "Enabled",
            KeyState::Disabled => "Disabled",
            KeyState::PendingDeletion => "PendingDeletion",
            KeyState::PendingImport => "PendingImport",
            KeyState::PendingReplicaDeletion => "PendingReplicaDeletion",
            KeyState::Unavailable => "Unavailable",
            KeyState::Updating => "Updating",
        }
    }

    /// From the AWS spelling.
    pub fn parse(s: &str) -> Option<KeyState> {
        Self::ALL.iter().position(|x| *x == s).map(|i| match i {
            0 => KeyState::Creating,
            1 => KeyState::Enabled,
            2 => KeyState::Disabled,
            3 => KeyState::PendingDeletion,
            4 => KeyState::PendingImport,
            5 => KeyState::PendingReplicaDeletion,
            6 => KeyState::Unavailable,
            _ => KeyState::Updating,
        })
    }
}

/// A KMS key as created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KmsKey {
    /// Its id (a UUID).
    pub key_id: String,
    /// Its ARN.
    pub arn: String,
}

/// The fewest days KMS lets a key wait in PendingDeletion (and the most).
pub const KEY_DELETION_DAYS: std::ops::RangeInclusive<u32> = 7..=30;

/// KMS: customer managed keys.
#[async_trait]
pub trait Kms: Send + Sync {
    /// CreateKey (a symmetric encryption key, tagged at creation).
    async fn create_key(&self, description: &str, tags: &Tags) -> Result<KmsKey>;
    /// ListResourceTags; [`ErrorKind::NotFound`] without the key.
    async fn key_tags(&self, key_id: &str) -> Result<Tags>;
    /// DescribeKey: its state; [`ErrorKind::NotFound`] without the key.
    async fn key_state(&self, key_id: &str) -> Result<KeyState>;
    /// DisableKey; [`ErrorKind::Conflict`] while pending deletion.
    async fn disable_key(&self, key_id: &str) -> Result<()>;
    /// EnableKey; [`ErrorKind::Conflict`] while pending deletion.
    async fn enable_key(&self, key_id: &str) -> Result<()>;
    /// ScheduleKeyDeletion after `days` (7 to 30); [`ErrorKind::Conflict`] when pending
    /// deletion already. The key is then PendingDeletion.
    async fn schedule_key_deletion(&self, key_id: &str, days: u32) -> Result<()>;
    /// CancelKeyDeletion; [`ErrorKind::Conflict`] when not pending deletion. The key is
    /// then Disabled, as KMS leaves it.
    async fn cancel_key_deletion(&self, key_id: &str) -> Result<()>;
    /// The keys (ListKeys + ListResourceTags + DescribeKey) tagged `key` = `value`, leaving
    /// out those pending deletion: they are as good as removed.
    async fn tagged(&self, key: &str, value: &str) -> Result<Vec<Resource>>;
}

/// CloudTrail.
#[async_trait]
pub trait CloudTrail: Send + Sync {
    /// CreateTrail (tagged at creation, delivering under `key_prefix` of `bucket`) +
    /// StartLogging; returns the ARN.
    async fn create_trail(
        &self,
        trail: &str,
        bucket: &str,
        key_prefix: &str,
        tags: &Tags,
    ) -> Result<String>;
    /// GetTrail + ListTags: the trail's tags; [`ErrorKind::NotFound`] without it.
    async fn trail_tags(&self, trail: &str) -> Result<Tags>;
    /// DeleteTrail.
    async fn delete_trail(&self, trail: &str) -> Result<()>;
    /// StartLogging.
    async fn start_logging(&self, trail: &str) -> Result<()>;
    /// StopLogging.
    async fn stop_logging(&self, trail: &str) -> Result<()>;
    /// GetTrailStatus: is it logging?
    async fn is_logging(&self, trail: &str) -> Result<bool>;
    /// LookupEvents: management events named `names` between `from` and `to`.
    async fn lookup_events(
        &self,
        names: &[&str],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<AuditEvent>>;
}

/// A management event as CloudTrail records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// `service:Operation`, such as `iam:UpdateAccessKey`.
    pub name: String,
    /// When it happened, by the provider's clock.
    pub at: DateTime<Utc>,
    /// Resource identifiers it touched (user names, key ids, group ids…).
    pub resources: Vec<String>,
}

/// The resource a GuardDuty finding is about, as far as gameday matches on it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct FindingResource {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trail_name: Option<String>,
}

impl FindingResource {
    /// The value of a `match` key; `None` for keys the finding does not carry.
    pub fn get(&self, key: &str) -> Option<&str> {
        match key {
            "access_key_id" => self.access_key_id.as_deref(),
            "user_name" => self.user_name.as_deref(),
            "instance_id" => self.instance_id.as_deref(),
            "bucket" => self.bucket.as_deref(),
            "trail_name" => self.trail_name.as_deref(),
            _ => None,
        }
    }

    /// The keys a scenario's `match` may use.
    pub const KEYS: &'static [&'static str] = &[
        "access_key_id",
        "user_name",
        "instance_id",
        "bucket",
        "trail_name",
    ];
}

/// A GuardDuty finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The finding id.
    pub id: String,
    /// The finding type.
    pub finding_type: String,
    /// First occurrence, by GuardDuty's clock.
    pub created_at: DateTime<Utc>,
    /// Last update.
    pub updated_at: DateTime<Utc>,
    /// Title (text from the cloud: strip control sequences before display).
    pub title: String,
    /// Severity, 1–10.
    pub severity: f64,
    /// What it is about.
    pub resource: FindingResource,
    /// The caller's user agent, when the finding carries it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// A sample finding from CreateSampleFindings.
    pub sample: bool,
}

/// GuardDuty.
#[async_trait]
pub trait GuardDuty: Send + Sync {
    /// CreateSampleFindings.
    async fn create_sample_findings(&self, finding_types: &[String]) -> Result<()>;
    /// CreateThreatIntelSet (activated); returns its id.
    async fn create_threat_intel_set(
        &self,
        name: &str,
        ips: &[String],
        tags: &Tags,
    ) -> Result<String>;
    /// DeleteThreatIntelSet.
    async fn delete_threat_intel_set(&self, id: &str) -> Result<()>;
    /// GetThreatIntelSet: the list's tags; [`ErrorKind::NotFound`] without it.
    async fn threat_intel_set_tags(&self, id: &str) -> Result<Tags>;
    /// ListThreatIntelSets + GetThreatIntelSet: the id of the list called `name`, if any.
    async fn threat_intel_set_named(&self, name: &str) -> Result<Option<String>>;
    /// ListFindings + GetFindings: unarchived findings of `types` updated at or after `since`.
    async fn findings(&self, types: &[String], since: DateTime<Utc>) -> Result<Vec<Finding>>;
}

/// A Security Hub finding (AWS Security Finding Format), as far as gameday matches on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HubFinding {
    /// Its id (for GuardDuty's, the GuardDuty finding's ARN).
    pub id: String,
    /// The product that made it, such as `GuardDuty`.
    pub product_name: String,
    /// The rule or detector that made it (for GuardDuty, its detector).
    pub generator_id: String,
    /// ASFF types, such as `TTPs/Discovery/PenTest:IAMUser-KaliLinux`.
    pub types: Vec<String>,
    /// Its title.
    pub title: String,
    /// The ids of the resources it is about (ARNs, access key ids, instance ids…).
    pub resources: Vec<String>,
    /// When the product created it (`CreatedAt`): the detection time.
    pub created_at: DateTime<Utc>,
}

/// Security Hub.
#[async_trait]
pub trait SecurityHub: Send + Sync {
    /// GetFindings (every page): active findings created at or after `since`.
    async fn findings(&self, since: DateTime<Utc>) -> Result<Vec<HubFinding>>;
}

/// A CloudWatch Logs Insights query over named log groups, as a `logs` detection asks it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LogQuery {
    /// The log groups, by name (at most 50, as StartQuery takes).
    pub log_groups: Vec<String>,
    /// The whole query text, as StartQuery is given it.
    pub query: String,
}

/// One row a Logs Insights query answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogRow {
    /// Its `@ptr`: which log event it is, unique in the account.
    pub ptr: String,
    /// Its `@timestamp`: the log event's own time.
    pub at: DateTime<Utc>,
    /// Its `@message`.
    pub message: String,
    /// Its `@log` (the log group, as Insights names it) and `@logStream`.
    pub log_group: String,
    /// The log stream.
    pub log_stream: String,
}

/// CloudWatch Logs Insights.
#[async_trait]
pub trait Logs: Send + Sync {
    /// The rows of `query` whose `@timestamp` is at or after `since`, oldest first.
    async fn rows(&self, query: &LogQuery, since: DateTime<Utc>) -> Result<Vec<LogRow>>;
}

/// An event of the account's EventBridge bus: its id, its `time`, and the whole event.
#[derive(Debug, Clone, PartialEq)]
pub struct BusEvent {
    /// Its `id`.
    pub id: String,
    /// Its `time`: when the service that sent it says it happened.
    pub time: DateTime<Utc>,
    /// The event, as EventBridge delivers it.
    pub event: serde_json::Value,
}

impl BusEvent {
    /// The event `event`, if it has an `id` and a `time` (RFC 3339).
    pub fn read(event: serde_json::Value) -> Option<BusEvent> {
        let time = event["time"].as_str()?.parse::<DateTime<Utc>>().ok()?;
        Some(BusEvent {
            id: event["id"].as_str()?.to_owned(),
            time,
            event,
        })
    }
}

/// The account's EventBridge events, as they reach the run.
#[async_trait]
pub trait Events: Send + Sync {
    /// The events whose `time` is at or after `since` that have reached the run, oldest
    /// first.
    async fn events(&self, since: DateTime<Utc>) -> Result<Vec<BusEvent>>;
}

/// One detection an external detector reported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommandHit {
    /// When the detector says it detected (its own timestamp).
    pub at: DateTime<Utc>,
    /// Its id in the detector (an alert, an incident, a page).
    pub id: String,
    /// What it says.
    #[serde(default)]
    pub title: String,
}

/// The target's external detectors (`commands` in its configuration): SIEMs and paging
/// tools, reached by programs the target names.
#[async_trait]
pub trait Commands: Send + Sync {
    /// Runs detector `name` once with `env` added to its environment; what it reported.
    /// A detector the target lacks, one that fails, times out or prints anything but
    /// JSON lines is [`ErrorKind::InvalidInput`]; an exit status of 75 (EX_TEMPFAIL) is
    /// [`ErrorKind::Other`]: the run tries again at its next poll.
    async fn run(&self, name: &str, env: &[(String, String)]) -> Result<Vec<CommandHit>>;

    /// The detectors the target names, or `None` where any name is modelled (the
    /// simulator).
    fn names(&self) -> Option<Vec<String>> {
        None
    }
}

/// A CloudWatch alarm's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[allow(missing_docs)]
pub enum AlarmState {
    Ok,
    Alarm,
    InsufficientData,
}

/// An alarm as described.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alarm {
    /// Its name.
    pub name: String,
    /// Its state.
    pub state: AlarmState,
    /// When it entered that state (StateUpdatedTimestamp).
    pub updated_at: DateTime<Utc>,
}

/// One state change of an alarm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlarmTransition {
    /// The alarm.
    pub name: String,
    /// The new state.
    pub state: AlarmState,
    /// When.
    pub at: DateTime<Utc>,
}

/// CloudWatch.
#[async_trait]
pub trait CloudWatch: Send + Sync {
    /// DescribeAlarms by name; alarms that do not exist are absent from the answer.
    async fn describe_alarms(&self, names: &[String]) -> Result<Vec<Alarm>>;
    /// DescribeAlarmHistory (state updates) since `since`; `Unsupported` where the endpoint
    /// lacks it.
    async fn alarm_history(&self, name: &str, since: DateTime<Utc>)
    -> Result<Vec<AlarmTransition>>;
}

/// What `api.call_as` did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallsAs {
    /// Calls that succeeded.
    pub made: u32,
    /// Calls refused with AccessDenied.
    pub denied: u32,
}

/// The calls an [`Actor`] makes on every target, as `service.operation`: read calls,
/// and one write of an object the run removes again (`s3.put_object`). Validation refuses any other in a scenario or runbook, so that a call
/// name that AWS would not take is found before a run, not half-way through its attack.
pub const ATTACKER_CALLS: &[&str] = &[
    "sts.get_caller_identity",
    "iam.list_users",
    "iam.list_roles",
    "ec2.describe_instances",
    "s3.list_buckets",
    "guardduty.list_detectors",
    "s3.list_objects",
    "s3.get_object",
    "s3.get_object_acl",
    "s3.put_object",
];

/// The attacker's calls on the objects of one bucket (S3 data events): they need
/// `api.call_as`'s `bucket`, and all but `s3.list_objects` its `key`. `s3.put_object` is
/// the one write: a few bytes under `key`, which the run deletes again.
pub const ATTACKER_OBJECT_CALLS: &[&str] = &[
    "s3.list_objects",
    "s3.get_object",
    "s3.get_object_acl",
    "s3.put_object",
];

/// The first of `calls` that acts on an object ([`ATTACKER_OBJECT_CALLS`]) when `object`
/// is not given: a call that cannot be made.
pub fn object_call_without_object<'a>(
    calls: &'a [String],
    object: Option<&ObjectRef>,
) -> Option<&'a String> {
    if object.is_some() {
        return None;
    }
    calls
        .iter()
        .find(|c| ATTACKER_OBJECT_CALLS.contains(&c.as_str()))
}

/// The S3 object the attacker's object calls act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectRef {
    /// The bucket.
    pub bucket: String,
    /// The key (`s3.list_objects` lists the whole bucket whatever it is).
    pub key: String,
}

/// Calls made as another principal, with a chosen user agent.
#[async_trait]
pub trait Actor: Send + Sync {
    /// Makes each of `calls` (`service.operation`, such as `iam.list_users`) with
    /// `credentials` and `user_agent`.
    async fn call_as(
        &self,
        credentials: &Credentials,
        user_agent: &str,
        calls: &[String],
    ) -> Result<CallsAs> {
        self.call_as_on(credentials, user_agent, calls, None).await
    }
    /// As [`Actor::call_as`], with the object the S3 object calls
    /// ([`ATTACKER_OBJECT_CALLS`]) act on; without one they fail as invalid input.
    async fn call_as_on(
        &self,
        credentials: &Credentials,
        user_agent: &str,
        calls: &[String],
        object: Option<&ObjectRef>,
    ) -> Result<CallsAs>;
    /// The source IP the attacker's calls come from, as the provider will see it.
    async fn attacker_ip(&self) -> Result<String>;
}

/// Detections pushed to the run (EventBridge → SQS on AWS), beside the polls.
#[async_trait]
pub trait Push: Send + Sync {
    /// Whether runs open it (the target asks for it); closing works either way.
    fn enabled(&self) -> bool;
    /// Creates what delivers them, tagged with `tags`, and starts receiving: a rule on
    /// GuardDuty findings and alarm changes when `findings`, and one rule for each of
    /// `patterns` (EventBridge event patterns); returns the name that [`Push::close`]
    /// takes.
    async fn open(
        &self,
        tags: &Tags,
        patterns: &[serde_json::Value],
        findings: bool,
    ) -> Result<String>;
    /// Stops receiving and removes what `open` created under `name` (either half of it
    /// already gone included).
    async fn close(&self, name: &str) -> Result<()>;
    /// The tags of what `open` created under `name` (the queue's, else the rule's);
    /// [`ErrorKind::NotFound`] when neither exists.
    async fn tags(&self, name: &str) -> Result<Tags>;
}

/// The kinds of target: what a configuration can name, and what a run's journal says it ran on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    /// An AWS account, through the AWS SDK.
    Aws,
    /// An account of the built-in simulator, with the id `allowed_accounts` gives, for
    /// plans: every run of a plan execution on it shares one simulated account per region,
    /// its poller and its rate limits, as runs share an AWS account. Rehearses a plan's
    /// fan-out offline, in virtual time if the plan asks.
    Sim,
}

impl TargetKind {
    /// The lowercase name, as the journal and the configuration write it.
    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::Aws => "aws",
            TargetKind::Sim => "sim",
        }
    }
}

impl fmt::Display for TargetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a sandbox is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TargetInfo {
    /// The target's name (`sim`, or a target from the config).
    pub name: String,
    /// The simulator or AWS.
    pub kind: TargetKind,
    /// The account id.
    pub account_id: String,
    /// The region.
    pub region: String,
}

/// What a target asks of every run on it: not a cloud service, but the rules a run keeps
/// there (from the target's configuration, and from the other runs sharing its account).
pub trait TargetPolicy: Send + Sync {
    /// Alarms that abort a run when they go into ALARM.
    fn stop_alarms(&self) -> &[String] {
        &[]
    }
    /// Whether a containment probe may be made now, within the account's budget of
    /// probes shared by every run there.
    fn try_probe(&self) -> bool {
        true
    }
    /// How much poll intervals are spread (0.1: ±10 %) so concurrent runs do not poll in
    /// step; the simulator keeps them exact.
    fn poll_jitter(&self) -> f64 {
        0.0
    }
    /// Tags put on every resource, beside gameday's own.
    fn extra_tags(&self) -> Tags {
        Tags::new()
    }
}

/// A target that asks nothing of its runs: one simulated account, one run.
pub struct NoPolicy;

impl TargetPolicy for NoPolicy {}

/// A sandbox account: every service gameday touches.
pub trait Sandbox: Send + Sync {
    /// What this sandbox is.
    fn target(&self) -> TargetInfo;
    /// IAM.
    fn iam(&self) -> &dyn Iam;
    /// EC2.
    fn ec2(&self) -> &dyn Ec2;
    /// S3.
    fn s3(&self) -> &dyn S3;
    /// KMS.
    fn kms(&self) -> &dyn Kms;
    /// CloudTrail.
    fn cloudtrail(&self) -> &dyn CloudTrail;
    /// GuardDuty.
    fn guardduty(&self) -> &dyn GuardDuty;
    /// CloudWatch.
    fn cloudwatch(&self) -> &dyn CloudWatch;
    /// Security Hub.
    fn securityhub(&self) -> &dyn SecurityHub;
    /// External detectors.
    fn commands(&self) -> &dyn Commands;
    /// CloudWatch Logs Insights.
    fn logs(&self) -> &dyn Logs;
    /// EventBridge events.
    fn events(&self) -> &dyn Events;
    /// Calls as another principal.
    fn actor(&self) -> &dyn Actor;
    /// Pushed detections, where the target can have them.
    fn push(&self) -> Option<&dyn Push> {
        None
    }
    /// What the target asks of every run on it, beside its services.
    fn policy(&self) -> &dyn TargetPolicy {
        &NoPolicy
    }
    /// The simulator's ground truth of what it scheduled; `None` for real accounts.
    fn ground_truth(&self) -> Option<Vec<TruthEvent>> {
        None
    }
}

/// Treats NotFound as success: for reverts of things a responder may already have removed.
pub fn gone_is_fine(r: Result<()>) -> Result<()> {
    match r {
        Err(e) if e.kind == ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

/// One detection the model scheduled: the ground truth a run's measurements are checked
/// against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TruthEvent {
    /// The detector.
    pub source: crate::scenario::Source,
    /// The finding type or the alarm name.
    pub name: String,
    /// What the finding is about (empty for alarms).
    pub resource: FindingResource,
    /// The audit event that caused it, such as `cloudtrail:StopLogging`.
    pub caused_by: String,
    /// When that event happened.
    pub act_at: DateTime<Utc>,
    /// The finding's createdAt, or the alarm's transition into ALARM.
    pub detected_at: DateTime<Utc>,
}
