//! `iam.delete_role`: a run's role, with its inline policies.

use super::{Applied, Args, Field, FieldType, StepContext, StepKind, StepSpec, gone_is_fine};
use crate::sandbox::SandboxError;
use async_trait::async_trait;

pub struct IamDeleteRole;

static SPEC: StepSpec = StepSpec {
    name: "iam.delete_role",
    summary: "Delete an IAM role, its inline policies first.",
    docs: "IAM refuses to delete a role that still has policies, so this step deletes the \
           role's inline policies, then the role. That is right for a role the run created \
           and wrong during an incident: the role's policies and trust policy are the \
           evidence of what the attacker set up. A role that does not exist counts as \
           deleted. It does not detach managed policies nor remove instance profiles (a \
           run's roles have none); with any of those, DeleteRole fails.",
    inputs: &[Field {
        name: "role_name",
        ty: FieldType::String,
        required: true,
        doc: "The role name.",
    }],
    outputs: &[],
    calls: &[
        "iam:ListRolePolicies",
        "iam:GetRolePolicy",
        "iam:DeleteRolePolicy",
        "iam:DeleteRole",
    ],
    revert: "none",
    creates: None,
};

#[async_trait]
impl StepKind for IamDeleteRole {
    fn spec(&self) -> &'static StepSpec {
        &SPEC
    }

    fn guard(&self, args: &Args) -> Result<super::Guard, SandboxError> {
        Ok(super::Guard::Deletes(args.resource(
            crate::sandbox::ResourceKind::Role,
            "role_name",
        )?))
    }

    async fn apply(&self, cx: &StepContext<'_>, args: &Args) -> Result<Applied, SandboxError> {
        let role = args.str("role_name")?;
        gone_is_fine(crate::ownership::delete_role(cx.sandbox.iam(), role).await)?;
        Ok(Applied::default())
    }
}

#[cfg(test)]
mod tests {
    use crate::sandbox::ErrorKind;
    use crate::steps::testing::{ADMIN, Harness, role};
    use serde_json::json;

    #[tokio::test]
    async fn deletes_a_role_with_its_inline_policies_and_a_missing_one_is_fine() {
        let h = Harness::new();
        let iam = h.sandbox.iam();
        role(&h, "r").await;
        iam.put_role_policy("r", "inline", ADMIN)
            .await
            .expect("inline");
        let err = iam.delete_role("r").await.expect_err("policies first");
        assert_eq!(err.kind, ErrorKind::Conflict);
        let applied = h
            .apply("iam.delete_role", json!({"role_name": "r"}))
            .await
            .expect("deletes");
        assert!(applied.undo.is_empty(), "a deletion has no undo");
        let gone = iam.role_tags("r").await.expect_err("role gone");
        assert_eq!(gone.kind, ErrorKind::NotFound);
        h.apply("iam.delete_role", json!({"role_name": "r"}))
            .await
            .expect("gone is fine");
    }
}
