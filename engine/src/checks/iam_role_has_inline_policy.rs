//! `iam.role_has_inline_policy`: whether a role still has a named inline policy.

use super::{Check, CheckSpec, Values, text};
use crate::sandbox::{Sandbox, SandboxError};
use crate::steps::Args;
use async_trait::async_trait;
use serde_json::{Value, json};

pub struct IamRoleHasInlinePolicy;

static SPEC: CheckSpec = CheckSpec {
    name: "iam.role_has_inline_policy",
    summary: "Whether a role has the inline policy of a given name.",
    docs: "Lists the role's inline policies (ListRolePolicies) and reports true while one is \
           called `policy_name`. A grant an attacker put on a role is contained when it is \
           gone (`expect: false`); save its document first, as deleting it keeps no copy. \
           Managed policies attached to the role are not read.",
    inputs: &[
        text("role_name", "The role."),
        text("policy_name", "The inline policy's name."),
    ],
    values: Values::Bool,
    calls: &["iam:ListRolePolicies", "iam:GetRolePolicy"],
    audit_events: &["iam:DeleteRolePolicy"],
    audit_resource: Some("role_name"),
};

#[async_trait]
impl Check for IamRoleHasInlinePolicy {
    fn spec(&self) -> &'static CheckSpec {
        &SPEC
    }

    async fn probe(&self, sandbox: &dyn Sandbox, args: &Args) -> Result<Value, SandboxError> {
        let policies = sandbox.iam().role_policies(args.str("role_name")?).await?;
        Ok(json!(policies.contains_key(args.str("policy_name")?)))
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::probe;
    use crate::steps::testing::{ADMIN, Harness, role};
    use serde_json::json;

    #[tokio::test]
    async fn true_while_the_named_policy_is_there() {
        let h = Harness::new();
        let iam = h.sandbox.iam();
        let admin = ADMIN;
        role(&h, "r").await;
        let with = json!({"role_name": "r", "policy_name": "admin"});
        let value = async || {
            probe(&h, "iam.role_has_inline_policy", with.clone())
                .await
                .expect("probes")
        };
        assert_eq!(value().await, json!(false));
        iam.put_role_policy("r", "other", admin)
            .await
            .expect("other");
        assert_eq!(value().await, json!(false), "another name does not count");
        iam.put_role_policy("r", "admin", admin)
            .await
            .expect("admin");
        assert_eq!(value().await, json!(true));
        iam.delete_role_policy("r", "admin").await.expect("deleted");
        assert_eq!(value().await, json!(false));
    }
}
