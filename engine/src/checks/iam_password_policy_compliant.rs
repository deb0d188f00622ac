//! `iam.password_policy_compliant`: whether the account password policy is strong again.

use super::{Check, CheckSpec, Values, int};
use crate::sandbox::{Sandbox, SandboxError};
use crate::steps::Args;
use async_trait::async_trait;
use serde_json::{Value, json};

pub struct IamPasswordPolicyCompliant;

static SPEC: CheckSpec = CheckSpec {
    name: "iam.password_policy_compliant",
    summary: "Whether the account password policy requires at least `minimum_length` characters.",
    docs: "Reads the account password policy and reports true when it exists and requires \
           passwords of at least `minimum_length` characters; an account without a password \
           policy is not compliant. The other settings (symbols, numbers, age) are not read.",
    inputs: &[int("minimum_length", "The shortest password allowed.")],
    values: Values::Bool,
    calls: &["iam:GetAccountPasswordPolicy"],
    audit_events: &["iam:UpdateAccountPasswordPolicy"],
    audit_resource: None,
};

#[async_trait]
impl Check for IamPasswordPolicyCompliant {
    fn spec(&self) -> &'static CheckSpec {
        &SPEC
    }

    async fn probe(&self, sandbox: &dyn Sandbox, args: &Args) -> Result<Value, SandboxError> {
        let min = args.int("minimum_length")?;
        let policy = sandbox.iam().get_account_password_policy().await?;
        Ok(json!(policy.is_some_and(|p| i64::from(
            p.minimum_password_length
        ) >= min)))
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::probe;
    use crate::steps::testing::Harness;
    use serde_json::json;

    #[tokio::test]
    async fn compares_the_minimum_length_and_no_policy_is_not_compliant() {
        let h = Harness::new();
        let compliant = async |min: i64| {
            probe(
                &h,
                "iam.password_policy_compliant",
                json!({"minimum_length": min}),
            )
            .await
            .expect("probes")
        };
        assert_eq!(compliant(8).await, false, "no policy at all");
        h.apply(
            "iam.update_account_password_policy",
            json!({"minimum_password_length": 6}),
        )
        .await
        .expect("weakens");
        assert_eq!(compliant(8).await, false);
        assert_eq!(compliant(6).await, true);
        h.apply(
            "iam.update_account_password_policy",
            json!({"minimum_password_length": 14}),
        )
        .await
        .expect("restores");
        assert_eq!(compliant(8).await, true);
    }
}
