//! Containment checks: conditions on the account's state that say the attack is contained.
//!
//! Each check lives in its own file with its documentation and its tests, and is listed
//! once in [`CHECKS`]; `gameday steps` prints them. A check reads state through the sandbox
//! and reports one of the values its spec declares ([`Values`]), which a scenario's
//! `expect` is compared with (validation refuses an `expect` the check can never report).
//! Where the provider records who changed what and when (CloudTrail), `audit_events` names
//! the events that can make the condition true, so the time to contain comes from the
//! provider's record instead of the poll.

use crate::sandbox::{Sandbox, SandboxError};
use crate::steps::{Args, Field, FieldType};
use async_trait::async_trait;
use serde::{Serialize, Serializer};
use serde_json::Value;

mod cloudtrail_trail_logging;
mod ec2_ingress_open;
mod ec2_instance_isolated;
mod ec2_internet_gateway_attached;
mod ec2_network_acl_entry_present;
mod ec2_route_present;
mod ec2_snapshot_public;
mod ec2_vpc_dns_support;
mod iam_access_key_status;
mod iam_password_policy_compliant;
mod iam_role_has_inline_policy;
mod iam_role_trusts_external;
mod iam_user_has_deny_all;
mod kms_key_state;
mod s3_account_public_access_blocked;
mod s3_bucket_acl_public;
mod s3_bucket_logging_enabled;
mod s3_bucket_public;

#[cfg(test)]
mod testing;

/// Every containment check, in the order `gameday steps` lists them.
pub static CHECKS: &[&dyn Check] = &[
    &iam_access_key_status::IamAccessKeyStatus,
    &iam_user_has_deny_all::IamUserHasDenyAll,
    &iam_password_policy_compliant::IamPasswordPolicyCompliant,
    &iam_role_has_inline_policy::IamRoleHasInlinePolicy,
    &iam_role_trusts_external::IamRoleTrustsExternal,
    &ec2_instance_isolated::Ec2InstanceIsolated,
    &ec2_ingress_open::Ec2IngressOpen,
    &ec2_snapshot_public::Ec2SnapshotPublic,
    &ec2_network_acl_entry_present::Ec2NetworkAclEntryPresent,
    &ec2_internet_gateway_attached::Ec2InternetGatewayAttached,
    &ec2_route_present::Ec2RoutePresent,
    &ec2_vpc_dns_support::Ec2VpcDnsSupport,
    &s3_bucket_public::S3BucketPublic,
    &s3_bucket_acl_public::S3BucketAclPublic,
    &s3_bucket_logging_enabled::S3BucketLoggingEnabled,
    &s3_account_public_access_blocked::S3AccountPublicAccessBlocked,
    &kms_key_state::KmsKeyState,
    &cloudtrail_trail_logging::CloudtrailTrailLogging,
];

/// The check named `name`.
pub fn find(name: &str) -> Option<&'static dyn Check> {
    CHECKS.iter().copied().find(|c| c.spec().name == name)
}

/// The names of every check, in registry order.
pub fn names() -> impl Iterator<Item = &'static str> + Clone {
    CHECKS.iter().map(|c| c.spec().name)
}

/// A containment check.
#[async_trait]
pub trait Check: Send + Sync {
    /// What it is.
    fn spec(&self) -> &'static CheckSpec;
    /// Reads the state it looks at, with inputs already checked against the spec and
    /// references resolved; the value is one of `spec().values`.
    async fn probe(&self, sandbox: &dyn Sandbox, args: &Args) -> Result<Value, SandboxError>;
}

/// What a check is, for validation, help and plans.
#[derive(Debug, Serialize)]
pub struct CheckSpec {
    /// The name scenarios use in `respond[].check`.
    pub name: &'static str,
    /// One line.
    pub summary: &'static str,
    /// More: what exactly it looks at, and what it does not see.
    pub docs: &'static str,
    /// Inputs.
    pub inputs: &'static [Field],
    /// The values it reports: what `expect` may be.
    pub values: Values,
    /// The API calls it makes.
    pub calls: &'static [&'static str],
    /// CloudTrail events that can make the condition true.
    pub audit_events: &'static [&'static str],
    /// The input whose value names the resource in those events.
    pub audit_resource: Option<&'static str>,
}

/// The values a check can report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Values {
    /// `true` or `false` (YAML booleans, not text).
    Bool,
    /// One of these texts.
    Text(&'static [&'static str]),
}

impl Values {
    /// Each value, as JSON.
    pub fn all(self) -> Vec<Value> {
        match self {
            Values::Bool => vec![Value::Bool(true), Value::Bool(false)],
            Values::Text(texts) => texts.iter().map(|t| Value::from(*t)).collect(),
        }
    }

    /// Whether a check with these values can report `v`.
    pub fn contains(self, v: &Value) -> bool {
        match (self, v) {
            (Values::Bool, Value::Bool(_)) => true,
            (Values::Text(texts), Value::String(s)) => texts.contains(&s.as_str()),
            _ => false,
        }
    }

    /// How they read in help and errors: `Active | Inactive | Deleted`, `true | false`.
    pub fn describe(self) -> String {
        match self {
            Values::Bool => "true | false".to_owned(),
            Values::Text(texts) => texts.join(" | "),
        }
    }
}

/// As the list of the values.
impl Serialize for Values {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.all().serialize(s)
    }
}

/// A required text input.
const fn text(name: &'static str, doc: &'static str) -> Field {
    Field {
        name,
        ty: FieldType::String,
        required: true,
        doc,
    }
}

/// A required integer input.
const fn int(name: &'static str, doc: &'static str) -> Field {
    Field {
        name,
        ty: FieldType::Integer,
        required: true,
        doc,
    }
}

/// Whether an IAM-style policy document allows anyone (`"*"`) to do something.
pub fn policy_is_public(document: &str) -> bool {
    let Ok(doc) = serde_json::from_str::<Value>(document) else {
        return false;
    };
    statements(&doc).any(|s| {
        s.get("Effect").and_then(Value::as_str) == Some("Allow")
            && match s.get("Principal") {
                Some(Value::String(p)) => p == "*",
                Some(Value::Object(p)) => p.get("AWS").is_some_and(contains_star),
                _ => false,
            }
    })
}

/// Whether a policy document denies every action.
pub fn policy_denies_all(document: &str) -> bool {
    let Ok(doc) = serde_json::from_str::<Value>(document) else {
        return false;
    };
    statements(&doc).any(|s| {
        s.get("Effect").and_then(Value::as_str) == Some("Deny")
            && s.get("Action").is_some_and(contains_star)
    })
}

fn statements(doc: &Value) -> impl Iterator<Item = &Value> {
    let list: Vec<&Value> = match doc.get("Statement") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => Vec::new(),
    };
    list.into_iter()
}

fn contains_star(v: &Value) -> bool {
    match v {
        Value::String(s) => s == "*",
        Value::Array(items) => items.iter().any(|i| i.as_str() == Some("*")),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_registry_names_each_check_once_with_its_docs_and_values() {
        let mut names: Vec<&str> = names().collect();
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n, "a check is listed twice");
        for c in CHECKS {
            let s = c.spec();
            assert!(find(s.name).is_some_and(|f| std::ptr::eq(f.spec(), s)));
            assert!(!s.docs.is_empty() && !s.calls.is_empty(), "{}", s.name);
            assert!(!s.values.all().is_empty(), "{}", s.name);
            if let Some(r) = s.audit_resource {
                assert!(s.inputs.iter().any(|f| f.name == r), "{}: {r}", s.name);
            }
        }
        assert!(find("iam.access_key_state").is_none());
    }

    #[test]
    fn values_say_what_expect_may_be() {
        let status = Values::Text(&["Active", "Inactive", "Deleted"]);
        assert!(status.contains(&json!("Inactive")));
        assert!(!status.contains(&json!("Disabled")));
        assert!(!status.contains(&json!(true)));
        assert_eq!(status.describe(), "Active | Inactive | Deleted");
        assert!(Values::Bool.contains(&json!(false)));
        assert!(
            !Values::Bool.contains(&json!("true")),
            "text is not a boolean"
        );
        assert_eq!(Values::Bool.describe(), "true | false");
        assert_eq!(
            serde_json::to_value(Values::Bool).expect("serializes"),
            json!([true, false])
        );
        assert_eq!(
            serde_json::to_value(status).expect("serializes"),
            json!(["Active", "Inactive", "Deleted"])
        );
    }

    #[test]
    fn recognises_public_and_deny_all_policies() {
        let public = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}"#;
        let aws_star =
            r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":"s3:*"}}"#;
        let private = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::1:root"},"Action":"*"}]}"#;
        assert!(policy_is_public(public));
        assert!(policy_is_public(aws_star));
        assert!(!policy_is_public(private));
        assert!(!policy_is_public("not json"));
        assert!(policy_denies_all(
            r#"{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}"#
        ));
        assert!(!policy_denies_all(
            r#"{"Statement":[{"Effect":"Deny","Action":"s3:*"}]}"#
        ));
    }
}
