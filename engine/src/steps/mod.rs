//! Step kinds: what a scenario, a runbook action or a revert can do in an account.
//!
//! Each kind lives in its own file with its documentation, its revert and its tests, and
//! is listed once in [`REGISTRY`]. `gameday steps` prints the registry.

use crate::clock::Clock;
use crate::ownership::{self, Owner};
use crate::sandbox::{
    Credentials, ErrorKind, Resource, ResourceKind, Sandbox, SandboxError, Secret, Tags,
};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

mod api_call_as;
mod cloudtrail_create_trail;
mod cloudtrail_delete_trail;
mod cloudtrail_start_logging;
mod cloudtrail_stop_logging;
mod ec2_authorize_ingress;
mod ec2_create_internet_gateway;
mod ec2_create_network_acl_entry;
mod ec2_create_route;
mod ec2_create_security_group;
mod ec2_create_snapshot;
mod ec2_create_vpc;
mod ec2_delete_internet_gateway;
mod ec2_delete_network_acl_entry;
mod ec2_delete_route;
mod ec2_delete_security_group;
mod ec2_delete_snapshot;
mod ec2_delete_vpc;
mod ec2_detach_internet_gateway;
mod ec2_isolate_instance;
mod ec2_modify_vpc_attribute;
mod ec2_revoke_ingress;
mod ec2_run_instance;
mod ec2_set_instance_groups;
mod ec2_share_snapshot;
mod ec2_terminate_instance;
mod events_watch;
mod guardduty_create_sample_findings;
mod guardduty_create_threat_intel_set;
mod guardduty_delete_threat_intel_set;
mod iam_attach_user_policy;
mod iam_create_access_key;
mod iam_create_role;
mod iam_create_user;
mod iam_delete_access_key;
mod iam_delete_role;
mod iam_delete_role_policy;
mod iam_delete_user;
pub use crate::sandbox::gone_is_fine;
mod iam_delete_user_policy;
mod iam_detach_user_policy;
mod iam_put_role_policy;
mod iam_put_user_policy;
mod iam_restore_password_policy;
mod iam_update_access_key;
mod iam_update_account_password_policy;
mod iam_update_assume_role_policy;
mod kms_cancel_key_deletion;
mod kms_create_key;
mod kms_disable_key;
mod kms_enable_key;
mod kms_schedule_key_deletion;
mod s3_create_bucket;
mod s3_delete_account_public_access_block;
mod s3_delete_bucket;
mod s3_delete_bucket_logging;
mod s3_delete_bucket_policy;
mod s3_delete_objects;
mod s3_delete_public_access_block;
mod s3_put_account_public_access_block;
mod s3_put_bucket_acl;
mod s3_put_bucket_logging;
mod s3_put_bucket_policy;
mod s3_put_object;
mod s3_put_public_access_block;
mod s3_restore_bucket_policy;
mod wait;

#[cfg(test)]
pub(crate) mod testing;

/// Every step kind, in the order `gameday steps` lists them.
pub static REGISTRY: &[&dyn StepKind] = &[
    &iam_create_user::IamCreateUser,
    &iam_delete_user::IamDeleteUser,
    &iam_create_access_key::IamCreateAccessKey,
    &iam_update_access_key::IamUpdateAccessKey,
    &iam_delete_access_key::IamDeleteAccessKey,
    &iam_attach_user_policy::IamAttachUserPolicy,
    &iam_detach_user_policy::IamDetachUserPolicy,
    &iam_put_user_policy::IamPutUserPolicy,
    &iam_delete_user_policy::IamDeleteUserPolicy,
    &iam_update_account_password_policy::IamUpdateAccountPasswordPolicy,
    &iam_restore_password_policy::IamRestorePasswordPolicy,
    &iam_create_role::IamCreateRole,
    &iam_delete_role::IamDeleteRole,
    &iam_put_role_policy::IamPutRolePolicy,
    &iam_delete_role_policy::IamDeleteRolePolicy,
    &iam_update_assume_role_policy::IamUpdateAssumeRolePolicy,
    &ec2_run_instance::Ec2RunInstance,
    &ec2_terminate_instance::Ec2TerminateInstance,
    &ec2_create_security_group::Ec2CreateSecurityGroup,
    &ec2_delete_security_group::Ec2DeleteSecurityGroup,
    &ec2_authorize_ingress::Ec2AuthorizeIngress,
    &ec2_revoke_ingress::Ec2RevokeIngress,
    &ec2_isolate_instance::Ec2IsolateInstance,
    &ec2_set_instance_groups::Ec2SetInstanceGroups,
    &ec2_create_snapshot::Ec2CreateSnapshot,
    &ec2_delete_snapshot::Ec2DeleteSnapshot,
    &ec2_share_snapshot::Ec2ShareSnapshot,
    &ec2_create_vpc::Ec2CreateVpc,
    &ec2_delete_vpc::Ec2DeleteVpc,
    &ec2_modify_vpc_attribute::Ec2ModifyVpcAttribute,
    &ec2_create_internet_gateway::Ec2CreateInternetGateway,
    &ec2_detach_internet_gateway::Ec2DetachInternetGateway,
    &ec2_delete_internet_gateway::Ec2DeleteInternetGateway,
    &ec2_create_route::Ec2CreateRoute,
    &ec2_delete_route::Ec2DeleteRoute,
    &ec2_create_network_acl_entry::Ec2CreateNetworkAclEntry,
    &ec2_delete_network_acl_entry::Ec2DeleteNetworkAclEntry,
    &s3_create_bucket::S3CreateBucket,
    &s3_delete_bucket::S3DeleteBucket,
    &s3_delete_objects::S3DeleteObjects,
    &s3_put_object::S3PutObject,
    &s3_put_bucket_policy::S3PutBucketPolicy,
    &s3_delete_bucket_policy::S3DeleteBucketPolicy,
    &s3_restore_bucket_policy::S3RestoreBucketPolicy,
    &s3_delete_public_access_block::S3DeletePublicAccessBlock,
    &s3_put_public_access_block::S3PutPublicAccessBlock,
    &s3_put_bucket_acl::S3PutBucketAcl,
    &s3_put_bucket_logging::S3PutBucketLogging,
    &s3_delete_bucket_logging::S3DeleteBucketLogging,
    &s3_put_account_public_access_block::S3PutAccountPublicAccessBlock,
    &s3_delete_account_public_access_block::S3DeleteAccountPublicAccessBlock,
    &kms_create_key::KmsCreateKey,
    &kms_disable_key::KmsDisableKey,
    &kms_enable_key::KmsEnableKey,
    &kms_schedule_key_deletion::KmsScheduleKeyDeletion,
    &kms_cancel_key_deletion::KmsCancelKeyDeletion,
    &cloudtrail_create_trail::CloudtrailCreateTrail,
    &cloudtrail_delete_trail::CloudtrailDeleteTrail,
    &cloudtrail_stop_logging::CloudtrailStopLogging,
    &cloudtrail_start_logging::CloudtrailStartLogging,
    &guardduty_create_sample_findings::GuarddutyCreateSampleFindings,
    &guardduty_create_threat_intel_set::GuarddutyCreateThreatIntelSet,
    &guardduty_delete_threat_intel_set::GuarddutyDeleteThreatIntelSet,
    &api_call_as::ApiCallAs,
    &wait::Wait,
    &events_watch::EventsWatch,
    &events_watch::EventsUnwatch,
];

/// The step kind named `name`.
pub fn find(name: &str) -> Option<&'static dyn StepKind> {
    REGISTRY.iter().copied().find(|k| k.spec().name == name)
}

/// The type of a step input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    /// Text.
    String,
    /// A whole number.
    Integer,
    /// true or false.
    Bool,
    /// A list of text.
    StringList,
    /// A mapping (a JSON document such as an IAM policy), or its JSON text.
    Document,
    /// All outputs of an `iam.create_access_key` step: `${steps.ID}`.
    Credentials,
    /// A duration such as 90s.
    Duration,
    /// A list of API calls the attacker can make, as service.operation
    /// ([`crate::sandbox::ATTACKER_CALLS`]).
    Calls,
    /// A list of GuardDuty finding types.
    FindingTypes,
    /// A list of the domain names GuardDuty documents as test domains
    /// ([`crate::catalogue::TEST_DOMAINS`]).
    TestDomains,
}

impl FieldType {
    /// How the type reads in help and errors.
    pub fn describe(self) -> &'static str {
        match self {
            FieldType::String => "text",
            FieldType::Integer => "integer",
            FieldType::Bool => "boolean",
            FieldType::StringList => "list of text",
            FieldType::Document => "mapping",
            FieldType::Credentials => "credentials (${steps.ID} of iam.create_access_key)",
            FieldType::Duration => "duration",
            FieldType::Calls => "list of API calls (service.operation, such as iam.list_users)",
            FieldType::FindingTypes => "list of GuardDuty finding types",
            FieldType::TestDomains => "list of GuardDuty test domains",
        }
    }

    /// Whether a literal (reference-free) value fits this type.
    pub fn accepts(self, v: &Value) -> bool {
        match self {
            FieldType::String => v.is_string(),
            FieldType::Integer => v.is_i64() || v.is_u64(),
            FieldType::Bool => v.is_boolean(),
            FieldType::StringList
            | FieldType::Calls
            | FieldType::FindingTypes
            | FieldType::TestDomains => {
                v.as_array().is_some_and(|a| a.iter().all(Value::is_string))
            }
            FieldType::Document => v.is_object() || v.is_string(),
            FieldType::Credentials => v.is_object(),
            FieldType::Duration => v
                .as_str()
                .is_some_and(|s| s.parse::<crate::duration::Duration>().is_ok()),
        }
    }
}

/// One input of a step kind.
#[derive(Debug, Clone, Serialize)]
pub struct Field {
    /// Its key under `with`.
    pub name: &'static str,
    /// Its type.
    #[serde(rename = "type")]
    pub ty: FieldType,
    /// Whether it must be given.
    pub required: bool,
    /// What it is.
    pub doc: &'static str,
}

/// One output of a step kind.
#[derive(Debug, Clone, Serialize)]
pub struct OutputSpec {
    /// Its name in `${steps.ID.NAME}`.
    pub name: &'static str,
    /// What it is.
    pub doc: &'static str,
    /// Secrets are usable by later steps but never journaled or printed.
    pub secret: bool,
}

/// What a step kind is, for validation, help and plans.
#[derive(Debug, Clone, Serialize)]
pub struct StepSpec {
    /// The name scenarios use, such as `iam.create_user`.
    pub name: &'static str,
    /// One line.
    pub summary: &'static str,
    /// More: what it is for, and its safety notes.
    pub docs: &'static str,
    /// Inputs.
    pub inputs: &'static [Field],
    /// Outputs.
    pub outputs: &'static [OutputSpec],
    /// The API calls it makes, in order.
    pub calls: &'static [&'static str],
    /// How it is undone at clean-up.
    pub revert: &'static str,
    /// The resource it creates, if it creates one: it must not exist before, and is
    /// named after the run.
    pub creates: Option<Creates>,
}

impl StepSpec {
    /// The kind of resource the step creates and the input that names it, where a name
    /// is given (not an id the provider makes up).
    pub fn named_creation(&self) -> Option<(ResourceKind, &'static str)> {
        self.creates.and_then(|c| c.name.map(|n| (c.kind, n)))
    }
}

/// What a step kind creates.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Creates {
    /// The kind of resource.
    pub kind: ResourceKind,
    /// The input that names it; `None` where the provider gives it an id.
    pub name: Option<&'static str>,
}

/// What a step kind must find in the account before it runs as a revert (at clean-up,
/// or in `gameday cleanup --run` from a journal), so that no journal line, however it came
/// to be there, makes gameday delete or change what is not the run's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Guard {
    /// Not a revert: a journal naming it as one is refused.
    NotARevert,
    /// It deletes the resource: the resource must carry the run's tag.
    Deletes(Resource),
    /// It changes something inside the resource that cannot be tagged itself (an access
    /// key, a policy, a rule, an instance's groups, a snapshot's permissions, a trail's
    /// logging, objects): the resource must carry the run's tag.
    Inside(Resource),
    /// It restores a setting of the resource (`None`: of the account): on a resource the
    /// run owns, always; otherwise only while the setting still holds what the run's change
    /// left (see [`StepKind::restorable`]).
    Restores(Option<Resource>),
}

/// Whether a setting still holds what the run's change left, for [`Guard::Restores`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Restorable {
    /// It does: restore it.
    AsLeft,
    /// It holds what the run found already (a responder restored it): nothing to do.
    AlreadyRestored,
    /// Someone changed it since: leave it alone, saying how.
    ChangedSince(String),
}

/// How to undo one change: another step kind with its inputs. Journaled, so clean-up can
/// run from the journal alone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Undo {
    /// The step kind that undoes the change.
    pub action: String,
    /// Its inputs (never secrets).
    pub with: Map<String, Value>,
    /// The resource, for people: `iam user gameday-ab12-mallory`.
    pub resource: String,
}

impl Undo {
    /// An undo of `action` with `with` for `resource`.
    pub fn new(action: &str, with: Value, resource: impl Into<String>) -> Self {
        Undo {
            action: action.to_owned(),
            with: match with {
                Value::Object(m) => m,
                _ => Map::new(),
            },
            resource: resource.into(),
        }
    }
}

/// What a step did.
#[derive(Debug, Clone, Default)]
pub struct Applied {
    /// Outputs later steps may reference.
    pub outputs: Map<String, Value>,
    /// Outputs that are secrets: usable by later steps, never journaled.
    pub secrets: Vec<(String, Secret)>,
    /// How to undo what it changed, in the order it changed things.
    pub undo: Vec<Undo>,
}

impl Applied {
    /// Adds an output.
    pub fn output(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.outputs.insert(name.to_owned(), value.into());
        self
    }

    /// Adds an undo.
    pub fn undo(mut self, undo: Undo) -> Self {
        self.undo.push(undo);
        self
    }
}

/// What a step runs with.
pub struct StepContext<'a> {
    /// The account.
    pub sandbox: &'a dyn Sandbox,
    /// The run's clock (for `wait`).
    pub clock: &'a Clock,
    /// Tags for every resource created.
    pub tags: &'a Tags,
    /// The run: what owns the resources it creates.
    pub run_id: &'a str,
    /// The prefix of the names of the resources it creates.
    pub prefix: &'a str,
    /// Ends the run early: a step that waits stops waiting when it fires.
    pub abort: Option<&'a crate::abort::Abort>,
}

impl StepContext<'_> {
    /// A name for a resource the run creates: `<prefix>-<run id>-<what>`.
    pub fn name(&self, what: &str) -> String {
        format!("{}-{}-{what}", self.prefix, self.run_id)
    }
}

/// A step kind.
#[async_trait]
pub trait StepKind: Send + Sync {
    /// What it is.
    fn spec(&self) -> &'static StepSpec;
    /// Does it, with inputs already checked against the spec and references resolved.
    async fn apply(&self, cx: &StepContext<'_>, args: &Args) -> Result<Applied, SandboxError>;

    /// As a revert: what it touches, and so what must be the run's (see [`Guard`]).
    fn guard(&self, args: &Args) -> Result<Guard, SandboxError> {
        let _ = args;
        Ok(Guard::NotARevert)
    }

    /// For a [`Guard::Restores`] revert on what the run does not own: whether the setting
    /// still holds what the run's change left, as recorded in the revert's inputs.
    async fn restorable(
        &self,
        cx: &StepContext<'_>,
        args: &Args,
    ) -> Result<Restorable, SandboxError> {
        let _ = (cx, args);
        Ok(Restorable::ChangedSince(
            "the change it restores was not recorded".to_owned(),
        ))
    }
}

/// A step's resolved inputs, with typed accessors.
#[derive(Debug, Clone, Default)]
pub struct Args {
    op: &'static str,
    values: Map<String, Value>,
    secrets: Vec<(String, Secret)>,
}

impl Args {
    /// Inputs of step kind `op`; `secrets` are the secret outputs the references reached.
    pub fn new(
        op: &'static str,
        values: Map<String, Value>,
        secrets: Vec<(String, Secret)>,
    ) -> Self {
        Args {
            op,
            values,
            secrets,
        }
    }

    fn bad(&self, message: String) -> SandboxError {
        SandboxError::new(ErrorKind::InvalidInput, self.op, message)
    }

    /// A required text input.
    pub fn str(&self, name: &str) -> Result<&str, SandboxError> {
        self.values
            .get(name)
            .and_then(Value::as_str)
            .ok_or_else(|| self.bad(format!("input `{name}` must be text")))
    }

    /// An optional text input.
    pub fn str_or<'a>(&'a self, name: &str, default: &'a str) -> Result<&'a str, SandboxError> {
        match self.values.get(name) {
            None | Some(Value::Null) => Ok(default),
            Some(_) => self.str(name),
        }
    }

    /// A required integer input.
    pub fn int(&self, name: &str) -> Result<i64, SandboxError> {
        self.values
            .get(name)
            .and_then(|v| {
                v.as_i64()
                    .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            })
            .ok_or_else(|| self.bad(format!("input `{name}` must be an integer")))
    }

    /// An optional integer input.
    pub fn int_or(&self, name: &str, default: i64) -> Result<i64, SandboxError> {
        match self.values.get(name) {
            None | Some(Value::Null) => Ok(default),
            Some(_) => self.int(name),
        }
    }

    /// An optional boolean input.
    pub fn bool_or(&self, name: &str, default: bool) -> Result<bool, SandboxError> {
        match self.values.get(name) {
            None | Some(Value::Null) => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(Value::String(s)) if s == "true" || s == "false" => Ok(s == "true"),
            Some(_) => Err(self.bad(format!("input `{name}` must be true or false"))),
        }
    }

    /// An optional list of text input.
    pub fn list(&self, name: &str) -> Result<Vec<String>, SandboxError> {
        match self.values.get(name) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| self.bad(format!("input `{name}` must be a list of text")))
                })
                .collect(),
            Some(Value::String(s)) => Ok(vec![s.clone()]),
            Some(_) => Err(self.bad(format!("input `{name}` must be a list of text"))),
        }
    }

    /// A document input as JSON text (a mapping is serialized).
    pub fn document(&self, name: &str) -> Result<String, SandboxError> {
        match self.values.get(name) {
            Some(Value::String(s)) => Ok(s.clone()),
            Some(v @ Value::Object(_)) => Ok(v.to_string()),
            _ => Err(self.bad(format!("input `{name}` must be a mapping"))),
        }
    }

    /// A credentials input: the outputs of an `iam.create_access_key` step.
    pub fn credentials(&self, name: &str) -> Result<Credentials, SandboxError> {
        let obj = self
            .values
            .get(name)
            .and_then(Value::as_object)
            .ok_or_else(|| {
                self.bad(format!(
                    "input `{name}` must be `${{steps.ID}}` of an iam.create_access_key step"
                ))
            })?;
        let access_key_id = obj
            .get("access_key_id")
            .and_then(Value::as_str)
            .ok_or_else(|| self.bad(format!("input `{name}` has no access_key_id")))?;
        let secret = self
            .secrets
            .iter()
            .find(|(k, _)| k == "secret_access_key")
            .map(|(_, s)| s.clone())
            .ok_or_else(|| self.bad(format!("input `{name}` has no secret_access_key")))?;
        Ok(Credentials {
            access_key_id: access_key_id.to_owned(),
            secret_access_key: secret,
        })
    }

    /// The resource of `kind` that text input `name` names.
    pub fn resource(&self, kind: ResourceKind, name: &str) -> Result<Resource, SandboxError> {
        Ok(Resource::new(kind, self.str(name)?))
    }

    /// The inputs, for the journal (never secrets: those live apart).
    pub fn values(&self) -> &Map<String, Value> {
        &self.values
    }
}

/// How one revert went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reverted {
    /// Undone.
    Done,
    /// Nothing to undo: what it names is gone, or already as the run found it.
    AlreadyDone(String),
    /// Not the run's: left alone, and why.
    NotOurs(String),
    /// It failed.
    Failed(String),
}

impl Reverted {
    /// Whether clean-up got what it wanted (undone, or nothing to undo).
    pub fn ok(&self) -> bool {
        matches!(self, Reverted::Done | Reverted::AlreadyDone(_))
    }
}

/// Applies one revert, once its [`Guard`] holds: a revert that would delete or change what
/// is not the run's is refused, whatever the journal that asked for it says. A resource
/// already gone (a responder removed it, say) counts as reverted.
pub async fn revert(cx: &StepContext<'_>, u: &Undo) -> Reverted {
    let Some(kind) = find(&u.action) else {
        return Reverted::NotOurs(format!("`{}` is not a step kind", u.action));
    };
    let args = Args::new(kind.spec().name, u.with.clone(), Vec::new());
    match check(cx, kind, &args).await {
        Ok(None) => {}
        Ok(Some(refused)) => return refused,
        Err(e) => return Reverted::Failed(format!("checking whose it is: {e}")),
    }
    match kind.apply(cx, &args).await {
        Ok(_) => Reverted::Done,
        Err(e) if e.kind == ErrorKind::NotFound => Reverted::AlreadyDone("already gone".into()),
        Err(e) => Reverted::Failed(e.to_string()),
    }
}

/// What revert `u` would come to, without running it (read-only calls): `None` when it
/// would go ahead.
pub async fn verdict(cx: &StepContext<'_>, u: &Undo) -> Result<Option<Reverted>, SandboxError> {
    match find(&u.action) {
        None => Ok(Some(Reverted::NotOurs(format!(
            "`{}` is not a step kind",
            u.action
        )))),
        Some(kind) => {
            let args = Args::new(kind.spec().name, u.with.clone(), Vec::new());
            check(cx, kind, &args).await
        }
    }
}

/// `None` when the revert may go ahead; otherwise what it comes to without running.
async fn check(
    cx: &StepContext<'_>,
    kind: &dyn StepKind,
    args: &Args,
) -> Result<Option<Reverted>, SandboxError> {
    let restorable = async || {
        Ok(match kind.restorable(cx, args).await? {
            Restorable::AsLeft => None,
            Restorable::AlreadyRestored => {
                Some(Reverted::AlreadyDone("already as the run found it".into()))
            }
            Restorable::ChangedSince(why) => Some(Reverted::NotOurs(format!(
                "changed since the run's change ({why}): left alone"
            ))),
        })
    };
    match kind.guard(args)? {
        Guard::NotARevert => Ok(Some(Reverted::NotOurs(format!(
            "`{}` is not a revert: refused",
            kind.spec().name
        )))),
        Guard::Deletes(r) | Guard::Inside(r) => {
            Ok(match ownership::owner(cx.sandbox, &r, cx.run_id).await? {
                Owner::Run => None,
                Owner::Gone => Some(Reverted::AlreadyDone(format!("{r} is already gone"))),
                Owner::Other(why) => Some(Reverted::NotOurs(format!("{why}: left alone"))),
            })
        }
        Guard::Restores(Some(r)) => match ownership::owner(cx.sandbox, &r, cx.run_id).await? {
            Owner::Run => Ok(None),
            Owner::Gone => Ok(Some(Reverted::AlreadyDone(format!("{r} is already gone")))),
            Owner::Other(_) => restorable().await,
        },
        Guard::Restores(None) => restorable().await,
    }
}

/// How to undo putting inline policy `name` with `document` on an IAM user or role: `kinds`
/// are the put and delete step kinds of the holder, `holder` its input key
/// (`user_name`, `role_name`) and name, `old` the document the put replaced. Deletes a
/// new policy, puts a replaced one back, and owes nothing when the document did not change.
pub(crate) fn inline_policy_undo(
    kinds: (&str, &str),
    holder: (&str, &str),
    name: &str,
    old: Option<String>,
    document: &str,
) -> Option<Undo> {
    let (put, delete) = kinds;
    let (key, who) = holder;
    let resource = format!(
        "inline policy {name} of iam {} {who}",
        key.trim_end_matches("_name")
    );
    match old {
        None => Some(Undo::new(
            delete,
            serde_json::json!({ key: who, "policy_name": name }),
            resource,
        )),
        Some(old) if !same_document(Some(&old), Some(&Value::from(document))) => Some(Undo::new(
            put,
            serde_json::json!({ key: who, "policy_name": name, "policy_document": old }),
            resource,
        )),
        Some(_) => None,
    }
}

/// Whether a policy document the account holds (`now`, JSON text) is the `recorded` one
/// (JSON text, a mapping, or null for none), compared as JSON: providers reformat them.
pub(crate) fn same_document(now: Option<&str>, recorded: Option<&Value>) -> bool {
    let parse = |s: &str| serde_json::from_str::<Value>(s).unwrap_or(Value::String(s.to_owned()));
    let recorded = match recorded {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(parse(s)),
        Some(v) => Some(v.clone()),
    };
    now.map(parse) == recorded
}
