//! `iam.role_trusts_external`: whether a role's trust policy lets another account assume it.

use super::{Check, CheckSpec, Values, text};
use crate::sandbox::{Sandbox, SandboxError};
use crate::steps::Args;
use async_trait::async_trait;
use serde_json::{Value, json};

pub struct IamRoleTrustsExternal;

static SPEC: CheckSpec = CheckSpec {
    name: "iam.role_trusts_external",
    summary: "Whether a role's trust policy allows a principal of another account (or anyone).",
    docs: "Reads the role's trust policy (GetRole) and reports true when an `Allow` statement \
           names an AWS principal outside the account the role is in: another account's id \
           or ARN, or `\"*\"`. Service principals (ec2.amazonaws.com) and the account's own \
           principals do not count; federated principals and conditions (such as \
           sts:ExternalId) are not read, so a trust that only a condition narrows still \
           counts as open.",
    inputs: &[text("role_name", "The role.")],
    values: Values::Bool,
    calls: &["iam:GetRole"],
    audit_events: &["iam:UpdateAssumeRolePolicy"],
    audit_resource: Some("role_name"),
};

#[async_trait]
impl Check for IamRoleTrustsExternal {
    fn spec(&self) -> &'static CheckSpec {
        &SPEC
    }

    async fn probe(&self, sandbox: &dyn Sandbox, args: &Args) -> Result<Value, SandboxError> {
        let trust = sandbox
            .iam()
            .role_trust_policy(args.str("role_name")?)
            .await?;
        let account = sandbox.target().account_id;
        Ok(json!(trusts_outside(&trust, &account)))
    }
}

/// Whether trust policy `document` allows an AWS principal that is not of `account`.
fn trusts_outside(document: &str, account: &str) -> bool {
    let Ok(doc) = serde_json::from_str::<Value>(document) else {
        return false;
    };
    let outside = |p: &str| {
        p == "*"
            || match p.strip_prefix("arn:") {
                // arn:PARTITION:iam::ACCOUNT:…
                Some(arn) => arn.split(':').nth(3) != Some(account),
                None => p != account,
            }
    };
    super::statements(&doc).any(|s| {
        s.get("Effect").and_then(Value::as_str) == Some("Allow")
            && match s.get("Principal") {
                Some(Value::String(p)) => p == "*",
                Some(Value::Object(p)) => match p.get("AWS") {
                    Some(Value::String(one)) => outside(one),
                    Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).any(outside),
                    _ => false,
                },
                _ => false,
            }
    })
}

#[cfg(test)]
mod tests {
    use super::trusts_outside;
    use crate::checks::testing::probe;
    use crate::steps::testing::Harness;
    use serde_json::{Value, json};

    fn trust(principal: Value) -> String {
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": principal, "Action": "sts:AssumeRole"}]})
        .to_string()
    }

    #[test]
    fn only_principals_of_another_account_or_anyone_count() {
        let own = "111122223333";
        let open = [
            json!({"AWS": "arn:aws:iam::444455556666:root"}),
            json!({"AWS": "444455556666"}),
            json!({"AWS": ["arn:aws:iam::111122223333:root", "arn:aws:iam::444455556666:user/x"]}),
            json!({"AWS": "*"}),
            json!("*"),
        ];
        for p in open {
            assert!(trusts_outside(&trust(p.clone()), own), "{p}");
        }
        let closed = [
            json!({"Service": "ec2.amazonaws.com"}),
            json!({"AWS": "arn:aws:iam::111122223333:root"}),
            json!({"AWS": "111122223333"}),
        ];
        for p in closed {
            assert!(!trusts_outside(&trust(p.clone()), own), "{p}");
        }
        let denied = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny",
            "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]});
        assert!(!trusts_outside(&denied.to_string(), own));
    }

    #[tokio::test]
    async fn probes_the_roles_trust_in_its_own_account() {
        let h = Harness::new();
        let account = crate::sandbox::Sandbox::target(&h.sandbox).account_id;
        let iam = h.sandbox.iam();
        iam.create_role(
            "r",
            &trust(json!({"Service": "ec2.amazonaws.com"})),
            &h.tags,
        )
        .await
        .expect("role");
        let with = json!({"role_name": "r"});
        let value = async || {
            probe(&h, "iam.role_trusts_external", with.clone())
                .await
                .expect("probes")
        };
        assert_eq!(value().await, json!(false));
        iam.update_assume_role_policy(
            "r",
            &trust(json!({"AWS": "arn:aws:iam::444455556666:root"})),
        )
        .await
        .expect("opened");
        assert_eq!(value().await, json!(true));
        let own = trust(json!({"AWS": format!("arn:aws:iam::{account}:root")}));
        iam.update_assume_role_policy("r", &own).await.expect("own");
        assert_eq!(value().await, json!(false));
    }
}
