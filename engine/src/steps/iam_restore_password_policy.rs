//! `iam.restore_password_policy`: put back a password policy saved by
//! `iam.update_account_password_policy`.

use super::{Applied, Args, Field, FieldType, StepContext, StepKind, StepSpec, gone_is_fine};
use crate::sandbox::{PasswordPolicy, SandboxError};
use async_trait::async_trait;
use serde_json::Value;

pub struct IamRestorePasswordPolicy;

static SPEC: StepSpec = StepSpec {
    name: "iam.restore_password_policy",
    summary: "Restore a saved account password policy, or delete the policy if there was none.",
    docs: "The revert of iam.update_account_password_policy. With a saved policy it sets that \
           policy again (UpdateAccountPasswordPolicy); without one (absent or null) it deletes \
           the account's password policy (DeleteAccountPasswordPolicy), which counts as done \
           when the account has none. Only the fields gameday saves are restored: see \
           iam.update_account_password_policy. The password policy is the account's, never \
           a run's: as a revert it runs only while the account still has the policy the run \
           set (`left`); a policy someone changed since is left alone, and one already back \
           to the saved policy counts as restored.",
    inputs: &[
        Field {
            name: "policy",
            ty: FieldType::Document,
            required: false,
            doc: "The saved policy: minimum_password_length, require_symbols, require_numbers, \
                  require_uppercase_characters, require_lowercase_characters and optionally \
                  max_password_age; null or absent for none.",
        },
        Field {
            name: "left",
            ty: FieldType::Document,
            required: false,
            doc: "In a revert: what the change it undoes left. On what the run does not own, \
                  the revert runs only while this still holds.",
        },
    ],
    outputs: &[],
    calls: &[
        "iam:UpdateAccountPasswordPolicy",
        "iam:DeleteAccountPasswordPolicy",
    ],
    revert: "none",
    creates: None,
};

#[async_trait]
impl StepKind for IamRestorePasswordPolicy {
    fn spec(&self) -> &'static StepSpec {
        &SPEC
    }

    fn guard(&self, _args: &Args) -> Result<super::Guard, SandboxError> {
        Ok(super::Guard::Restores(None))
    }

    async fn restorable(
        &self,
        cx: &StepContext<'_>,
        args: &Args,
    ) -> Result<super::Restorable, SandboxError> {
        let saved = |name: &str| -> Result<Option<PasswordPolicy>, SandboxError> {
            match args.values().get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => serde_json::from_value(v.clone()).map(Some).map_err(|e| {
                    args.bad(format!(
                        "input `{name}` is not a saved password policy: {e}"
                    ))
                }),
            }
        };
        if args.values().get("left").is_none() {
            return Ok(super::Restorable::ChangedSince(
                "the policy the run set was not recorded".to_owned(),
            ));
        }
        let now = cx.sandbox.iam().get_account_password_policy().await?;
        Ok(if now == saved("left")? {
            super::Restorable::AsLeft
        } else if now == saved("policy")? {
            super::Restorable::AlreadyRestored
        } else {
            super::Restorable::ChangedSince(
                "the account's password policy is neither the one the run set nor the one it found"
                    .to_owned(),
            )
        })
    }

    async fn apply(&self, cx: &StepContext<'_>, args: &Args) -> Result<Applied, SandboxError> {
        let iam = cx.sandbox.iam();
        match args.values().get("policy") {
            None | Some(Value::Null) => gone_is_fine(iam.delete_account_password_policy().await)?,
            Some(_) => {
                let policy: PasswordPolicy = serde_json::from_str(&args.document("policy")?)
                    .map_err(|e| {
                        args.bad(format!(
                            "input `policy` is not a saved password policy: {e}"
                        ))
                    })?;
                iam.update_account_password_policy(&policy).await?;
            }
        }
        Ok(Applied::default())
    }
}

#[cfg(test)]
mod tests {
    use crate::sandbox::{ErrorKind, PasswordPolicy};
    use crate::steps::testing::Harness;
    use serde_json::json;

    #[tokio::test]
    async fn restores_a_saved_policy_then_deletes_it() {
        let h = Harness::new();
        let saved = PasswordPolicy {
            minimum_password_length: 12,
            require_numbers: true,
            max_password_age: Some(30),
            ..PasswordPolicy::default()
        };
        let with = json!({"policy": serde_json::to_value(&saved).expect("json")});
        let applied = h
            .apply("iam.restore_password_policy", with)
            .await
            .expect("restores");
        assert!(applied.undo.is_empty());
        assert_eq!(
            h.sandbox
                .iam()
                .get_account_password_policy()
                .await
                .expect("get"),
            Some(saved)
        );
        h.apply("iam.restore_password_policy", json!({"policy": null}))
            .await
            .expect("deletes");
        assert_eq!(
            h.sandbox
                .iam()
                .get_account_password_policy()
                .await
                .expect("get"),
            None
        );
        h.apply("iam.restore_password_policy", json!({}))
            .await
            .expect("no policy to delete is fine");
    }

    #[tokio::test]
    async fn refuses_a_document_that_is_not_a_policy() {
        let h = Harness::new();
        let err = h
            .apply(
                "iam.restore_password_policy",
                json!({"policy": {"length": 3}}),
            )
            .await
            .expect_err("refused");
        assert_eq!(err.kind, ErrorKind::InvalidInput);
    }
}
