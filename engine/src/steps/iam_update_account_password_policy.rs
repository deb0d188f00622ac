//! `iam.update_account_password_policy`: set the account's password policy.

use super::{Applied, Args, Field, FieldType, StepContext, StepKind, StepSpec, Undo};
use crate::sandbox::{ErrorKind, PasswordPolicy, SandboxError};
use async_trait::async_trait;
use serde_json::{Value, json};

pub struct IamUpdateAccountPasswordPolicy;

static SPEC: StepSpec = StepSpec {
    name: "iam.update_account_password_policy",
    summary: "Set the account password policy (weaken it in an attack, restore it in a response).",
    docs: "Saves the current policy, then sets a new one. The policy is account-wide: it \
           applies to every IAM user's console password, not only the run's. Settings this \
           step does not take (password reuse prevention, hard expiry, letting users change \
           their own password) return to their AWS defaults, as UpdateAccountPasswordPolicy \
           does with every parameter left out, and clean-up restores only the fields listed \
           here. A policy change does not touch passwords already set: they stay valid until \
           they are changed or expire.",
    inputs: &[
        Field {
            name: "minimum_password_length",
            ty: FieldType::Integer,
            required: true,
            doc: "Minimum length (AWS allows 6 to 128).",
        },
        Field {
            name: "require_symbols",
            ty: FieldType::Bool,
            required: false,
            doc: "Require a symbol; default false.",
        },
        Field {
            name: "require_numbers",
            ty: FieldType::Bool,
            required: false,
            doc: "Require a number; default false.",
        },
        Field {
            name: "require_uppercase_characters",
            ty: FieldType::Bool,
            required: false,
            doc: "Require an uppercase letter; default false.",
        },
        Field {
            name: "require_lowercase_characters",
            ty: FieldType::Bool,
            required: false,
            doc: "Require a lowercase letter; default false.",
        },
        Field {
            name: "max_password_age",
            ty: FieldType::Integer,
            required: false,
            doc: "Days before a password expires (1 to 1095); default: never.",
        },
    ],
    outputs: &[],
    calls: &[
        "iam:GetAccountPasswordPolicy",
        "iam:UpdateAccountPasswordPolicy",
    ],
    revert: "iam.restore_password_policy with the saved policy (deleting the policy if the \
             account had none)",
    creates: None,
};

/// A non-negative integer input.
fn count(args: &Args, name: &str) -> Result<u32, SandboxError> {
    u32::try_from(args.int(name)?)
        .map_err(|_| args.bad(format!("input `{name}` must not be negative")))
}

#[async_trait]
impl StepKind for IamUpdateAccountPasswordPolicy {
    fn spec(&self) -> &'static StepSpec {
        &SPEC
    }

    async fn apply(&self, cx: &StepContext<'_>, args: &Args) -> Result<Applied, SandboxError> {
        let max_password_age = match args.values().get("max_password_age") {
            None | Some(Value::Null) => None,
            Some(_) => Some(count(args, "max_password_age")?),
        };
        let policy = PasswordPolicy {
            minimum_password_length: count(args, "minimum_password_length")?,
            require_symbols: args.bool_or("require_symbols", false)?,
            require_numbers: args.bool_or("require_numbers", false)?,
            require_uppercase_characters: args.bool_or("require_uppercase_characters", false)?,
            require_lowercase_characters: args.bool_or("require_lowercase_characters", false)?,
            max_password_age,
        };
        let iam = cx.sandbox.iam();
        let saved = iam.get_account_password_policy().await?;
        iam.update_account_password_policy(&policy).await?;
        let saved = match saved {
            Some(p) => serde_json::to_value(p).map_err(|e| {
                SandboxError::new(
                    ErrorKind::Other,
                    SPEC.name,
                    format!("cannot save the policy: {e}"),
                )
            })?,
            None => Value::Null,
        };
        Ok(Applied::default().undo(Undo::new(
            "iam.restore_password_policy",
            json!({ "policy": saved, "left": policy }),
            "account password policy",
        )))
    }
}

#[cfg(test)]
mod tests {
    use crate::sandbox::{ErrorKind, PasswordPolicy};
    use crate::steps::testing::Harness;
    use serde_json::json;

    fn weak() -> serde_json::Value {
        json!({"minimum_password_length": 6, "require_symbols": false})
    }

    #[tokio::test]
    async fn sets_the_policy_and_reverts_to_none() {
        let h = Harness::new();
        assert_eq!(
            h.sandbox
                .iam()
                .get_account_password_policy()
                .await
                .expect("get"),
            None
        );
        let applied = h
            .apply("iam.update_account_password_policy", weak())
            .await
            .expect("applies");
        let set = h
            .sandbox
            .iam()
            .get_account_password_policy()
            .await
            .expect("get")
            .expect("a policy");
        assert_eq!(
            set,
            PasswordPolicy {
                minimum_password_length: 6,
                ..PasswordPolicy::default()
            }
        );
        assert_eq!(applied.undo[0].action, "iam.restore_password_policy");
        assert_eq!(applied.undo[0].with["policy"], serde_json::Value::Null);
        h.revert(&applied).await.expect("reverts");
        assert_eq!(
            h.sandbox
                .iam()
                .get_account_password_policy()
                .await
                .expect("get"),
            None
        );
    }

    #[tokio::test]
    async fn reverts_to_the_previous_policy() {
        let h = Harness::new();
        let strong = PasswordPolicy {
            minimum_password_length: 14,
            require_symbols: true,
            require_numbers: true,
            require_uppercase_characters: true,
            require_lowercase_characters: true,
            max_password_age: Some(90),
        };
        h.sandbox
            .iam()
            .update_account_password_policy(&strong)
            .await
            .expect("strong");
        let applied = h
            .apply("iam.update_account_password_policy", weak())
            .await
            .expect("applies");
        let set = h
            .sandbox
            .iam()
            .get_account_password_policy()
            .await
            .expect("get")
            .expect("a policy");
        assert_eq!(set.minimum_password_length, 6);
        assert_eq!(set.max_password_age, None);
        h.revert(&applied).await.expect("reverts");
        assert_eq!(
            h.sandbox
                .iam()
                .get_account_password_policy()
                .await
                .expect("get"),
            Some(strong)
        );
    }

    #[tokio::test]
    async fn a_negative_length_is_refused_before_any_call() {
        let h = Harness::new();
        let err = h
            .apply(
                "iam.update_account_password_policy",
                json!({"minimum_password_length": -1}),
            )
            .await
            .expect_err("refused");
        assert_eq!(err.kind, ErrorKind::InvalidInput);
        assert_eq!(
            h.sandbox
                .iam()
                .get_account_password_policy()
                .await
                .expect("get"),
            None
        );
    }
}
