//! `iam.delete_role_policy`: an inline policy of a role.

use super::{Applied, Args, Field, FieldType, StepContext, StepKind, StepSpec, gone_is_fine};
use crate::sandbox::SandboxError;
use async_trait::async_trait;

pub struct IamDeleteRolePolicy;

static SPEC: StepSpec = StepSpec {
    name: "iam.delete_role_policy",
    summary: "Delete an inline policy of a role.",
    docs: "Deletes the role's inline policy named `policy_name`: the containment of an \
           inline grant an attacker added, once its document is saved as evidence (the \
           deletion keeps no copy; CloudTrail's PutRolePolicy event has it). A role, or a \
           policy, that does not exist counts as deleted.",
    inputs: &[
        Field {
            name: "role_name",
            ty: FieldType::String,
            required: true,
            doc: "The role.",
        },
        Field {
            name: "policy_name",
            ty: FieldType::String,
            required: true,
            doc: "The inline policy's name.",
        },
    ],
    outputs: &[],
    calls: &["iam:DeleteRolePolicy"],
    revert: "none",
    creates: None,
};

#[async_trait]
impl StepKind for IamDeleteRolePolicy {
    fn spec(&self) -> &'static StepSpec {
        &SPEC
    }

    fn guard(&self, args: &Args) -> Result<super::Guard, SandboxError> {
        Ok(super::Guard::Inside(args.resource(
            crate::sandbox::ResourceKind::Role,
            "role_name",
        )?))
    }

    async fn apply(&self, cx: &StepContext<'_>, args: &Args) -> Result<Applied, SandboxError> {
        let role = args.str("role_name")?;
        let name = args.str("policy_name")?;
        gone_is_fine(cx.sandbox.iam().delete_role_policy(role, name).await)?;
        Ok(Applied::default())
    }
}

#[cfg(test)]
mod tests {
    use crate::steps::testing::{ADMIN, Harness, role};
    use serde_json::json;

    #[tokio::test]
    async fn deletes_one_policy_and_a_second_time_is_fine() {
        let h = Harness::new();
        let iam = h.sandbox.iam();
        role(&h, "r").await;
        iam.put_role_policy("r", "a", ADMIN).await.expect("a");
        iam.put_role_policy("r", "b", ADMIN).await.expect("b");
        let with = json!({"role_name": "r", "policy_name": "a"});
        let applied = h
            .apply("iam.delete_role_policy", with.clone())
            .await
            .expect("deletes");
        assert!(applied.undo.is_empty());
        let names: Vec<String> = iam
            .role_policies("r")
            .await
            .expect("policies")
            .into_keys()
            .collect();
        assert_eq!(names, ["b"]);
        h.apply("iam.delete_role_policy", with)
            .await
            .expect("already gone is fine");
    }
}
