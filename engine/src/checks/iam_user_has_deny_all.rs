//! `iam.user_has_deny_all`: whether a user is cut off by an inline deny-all policy.

use super::{Check, CheckSpec, Values, policy_denies_all, text};
use crate::sandbox::{Sandbox, SandboxError};
use crate::steps::Args;
use async_trait::async_trait;
use serde_json::{Value, json};

pub struct IamUserHasDenyAll;

static SPEC: CheckSpec = CheckSpec {
    name: "iam.user_has_deny_all",
    summary: "Whether an inline policy of the user denies every action.",
    docs: "Reads the user's inline policies and reports true when one of them has a `Deny` \
           statement on every action (`\"Action\": \"*\"`). An explicit deny wins over any \
           allow, so the user's keys and console sessions can do nothing more; managed \
           policies and permission boundaries are not read.",
    inputs: &[text("user_name", "The user.")],
    values: Values::Bool,
    calls: &["iam:ListUserPolicies", "iam:GetUserPolicy"],
    audit_events: &["iam:PutUserPolicy"],
    audit_resource: Some("user_name"),
};

#[async_trait]
impl Check for IamUserHasDenyAll {
    fn spec(&self) -> &'static CheckSpec {
        &SPEC
    }

    async fn probe(&self, sandbox: &dyn Sandbox, args: &Args) -> Result<Value, SandboxError> {
        let policies = sandbox.iam().user_policies(args.str("user_name")?).await?;
        Ok(json!(policies.values().any(|d| policy_denies_all(d))))
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::probe;
    use crate::steps::testing::Harness;
    use serde_json::json;

    #[tokio::test]
    async fn only_a_deny_of_every_action_counts() {
        let h = Harness::new();
        h.apply("iam.create_user", json!({"user_name": "victim"}))
            .await
            .expect("user");
        let denied = async || {
            probe(&h, "iam.user_has_deny_all", json!({"user_name": "victim"}))
                .await
                .expect("probes")
        };
        assert_eq!(denied().await, false);
        let put = async |name: &str, action: &str| {
            let document = json!({"Version": "2012-10-17",
                "Statement": [{"Effect": "Deny", "Action": action, "Resource": "*"}]});
            h.apply(
                "iam.put_user_policy",
                json!({"user_name": "victim", "policy_name": name, "policy_document": document}),
            )
            .await
            .expect("policy");
        };
        put("no-s3", "s3:*").await;
        assert_eq!(
            denied().await,
            false,
            "a deny of some actions is not a deny of all"
        );
        put("deny-all", "*").await;
        assert_eq!(denied().await, true);
    }
}
