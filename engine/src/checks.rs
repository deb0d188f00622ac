//! Containment checks: conditions on the account's state that say the attack is contained.
//!
//! Each check reads state through the sandbox and returns a value the scenario's `expect`
//! is compared with. Where the provider records who changed what and when (CloudTrail),
//! `audit_events` names the events that can make the condition true, so the time to
//! contain comes from the provider's record instead of the poll.

use crate::sandbox::{ErrorKind, Sandbox, SandboxError};
use crate::steps::{Args, Field, FieldType};
use serde::Serialize;
use serde_json::{Value, json};

/// What a check is.
#[derive(Debug, Serialize)]
pub struct CheckSpec {
    /// The name scenarios use in `respond[].check`.
    pub name: &'static str,
    /// One line.
    pub summary: &'static str,
    /// Inputs.
    pub inputs: &'static [Field],
    /// The values it reports.
    pub values: &'static str,
    /// The API calls it makes.
    pub calls: &'static [&'static str],
    /// CloudTrail events that can make the condition true.
    pub audit_events: &'static [&'static str],
    /// The input whose value names the resource in those events.
    pub audit_resource: Option<&'static str>,
}

const fn text(name: &'static str, doc: &'static str) -> Field {
    Field {
        name,
        ty: FieldType::String,
        required: true,
        doc,
    }
}

const fn int(name: &'static str, doc: &'static str) -> Field {
    Field {
        name,
        ty: FieldType::Integer,
        required: true,
        doc,
    }
}

/// Every containment check.
pub static CHECKS: &[CheckSpec] = &[
    CheckSpec {
        name: "iam.access_key_status",
        summary: "The status of an access key.",
        inputs: &[
            text("user_name", "The key's user."),
            text("access_key_id", "The key."),
        ],
        values: "Active | Inactive | Deleted",
        calls: &["iam:ListAccessKeys"],
        audit_events: &["iam:UpdateAccessKey", "iam:DeleteAccessKey"],
        audit_resource: Some("access_key_id"),
    },
    CheckSpec {
        name: "iam.user_has_deny_all",
        summary: "Whether an inline policy of the user denies every action.",
        inputs: &[text("user_name", "The user.")],
        values: "true | false",
        calls: &["iam:ListUserPolicies", "iam:GetUserPolicy"],
        audit_events: &["iam:PutUserPolicy"],
        audit_resource: Some("user_name"),
    },
    CheckSpec {
        name: "iam.password_policy_compliant",
        summary: "Whether the account password policy requires at least `minimum_length` characters.",
        inputs: &[int("minimum_length", "The shortest password allowed.")],
        values: "true | false",
        calls: &["iam:GetAccountPasswordPolicy"],
        audit_events: &["iam:UpdateAccountPasswordPolicy"],
        audit_resource: None,
    },
    CheckSpec {
        name: "ec2.instance_isolated",
        summary: "Whether every security group of the instance has no rules at all.",
        inputs: &[text("instance_id", "The instance.")],
        values: "true | false",
        calls: &["ec2:DescribeInstances", "ec2:DescribeSecurityGroupRules"],
        audit_events: &["ec2:ModifyInstanceAttribute"],
        audit_resource: Some("instance_id"),
    },
    CheckSpec {
        name: "ec2.ingress_open",
        summary: "Whether a security group lets `cidr` reach `port`.",
        inputs: &[
            text("group_id", "The security group."),
            int("port", "The port."),
            text("cidr", "The source range, such as 0.0.0.0/0."),
        ],
        values: "true | false",
        calls: &["ec2:DescribeSecurityGroupRules"],
        audit_events: &["ec2:RevokeSecurityGroupIngress"],
        audit_resource: Some("group_id"),
    },
    CheckSpec {
        name: "ec2.snapshot_public",
        summary: "Whether a snapshot is shared with everyone.",
        inputs: &[text("snapshot_id", "The snapshot.")],
        values: "true | false",
        calls: &["ec2:DescribeSnapshotAttribute"],
        audit_events: &["ec2:ModifySnapshotAttribute"],
        audit_resource: Some("snapshot_id"),
    },
    CheckSpec {
        name: "s3.bucket_public",
        summary: "Whether a bucket policy grants anonymous access that Block Public Access does not stop.",
        inputs: &[text("bucket", "The bucket.")],
        values: "true | false",
        calls: &["s3:GetBucketPolicy", "s3:GetPublicAccessBlock"],
        audit_events: &[
            "s3:PutPublicAccessBlock",
            "s3:DeleteBucketPolicy",
            "s3:PutBucketPolicy",
        ],
        audit_resource: Some("bucket"),
    },
    CheckSpec {
        name: "cloudtrail.trail_logging",
        summary: "Whether a trail is logging.",
        inputs: &[text("trail_name", "The trail.")],
        values: "true | false",
        calls: &["cloudtrail:GetTrailStatus"],
        audit_events: &["cloudtrail:StartLogging"],
        audit_resource: Some("trail_name"),
    },
];

/// The check named `name`.
pub fn find(name: &str) -> Option<&'static CheckSpec> {
    CHECKS.iter().find(|c| c.name == name)
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

/// Reads the state `check` looks at.
pub async fn probe(
    sandbox: &dyn Sandbox,
    check: &CheckSpec,
    args: &Args,
) -> Result<Value, SandboxError> {
    match check.name {
        "iam.access_key_status" => {
            let user = args.str("user_name")?;
            let key = args.str("access_key_id")?;
            let keys = match sandbox.iam().list_access_keys(user).await {
                Err(e) if e.kind == ErrorKind::NotFound => Vec::new(),
                other => other?,
            };
            Ok(json!(
                keys.iter()
                    .find(|k| k.access_key_id == key)
                    .map(|k| k.status.as_str())
                    .unwrap_or("Deleted")
            ))
        }
        "iam.user_has_deny_all" => {
            let policies = sandbox.iam().user_policies(args.str("user_name")?).await?;
            Ok(json!(policies.values().any(|d| policy_denies_all(d))))
        }
        "iam.password_policy_compliant" => {
            let min = args.int("minimum_length")?;
            let policy = sandbox.iam().get_account_password_policy().await?;
            Ok(json!(policy.is_some_and(|p| i64::from(
                p.minimum_password_length
            ) >= min)))
        }
        "ec2.instance_isolated" => {
            let groups = sandbox
                .ec2()
                .instance_groups(args.str("instance_id")?)
                .await?;
            let mut isolated = !groups.is_empty();
            for g in &groups {
                let rules = sandbox.ec2().group_rules(g).await?;
                isolated &= rules.ingress.is_empty() && rules.egress.is_empty();
            }
            Ok(json!(isolated))
        }
        "ec2.ingress_open" => {
            let port = args.int("port")?;
            let cidr = args.str("cidr")?;
            let rules = sandbox.ec2().group_rules(args.str("group_id")?).await?;
            Ok(json!(rules.ingress.iter().any(|r| {
                r.cidr == cidr
                    && (r.protocol == "-1"
                        || (i64::from(r.from_port) <= port && port <= i64::from(r.to_port)))
            })))
        }
        "ec2.snapshot_public" => {
            let groups = sandbox
                .ec2()
                .snapshot_groups(args.str("snapshot_id")?)
                .await?;
            Ok(json!(groups.iter().any(|g| g == "all")))
        }
        "s3.bucket_public" => {
            let bucket = args.str("bucket")?;
            let policy = sandbox.s3().get_bucket_policy(bucket).await?;
            let block = sandbox.s3().get_public_access_block(bucket).await?;
            let blocked = block.is_some_and(|b| b.block_public_policy || b.restrict_public_buckets);
            Ok(json!(
                !blocked && policy.as_deref().is_some_and(policy_is_public)
            ))
        }
        "cloudtrail.trail_logging" => Ok(json!(
            sandbox
                .cloudtrail()
                .is_logging(args.str("trail_name")?)
                .await?
        )),
        other => Err(SandboxError::new(
            ErrorKind::Unsupported,
            other,
            "no such containment check",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
