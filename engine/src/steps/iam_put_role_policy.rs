//! `iam.put_role_policy`: an inline policy on a role, such as an attacker's admin grant.

use super::{Applied, Args, Field, FieldType, OutputSpec, StepContext, StepKind, StepSpec};
use crate::sandbox::SandboxError;
use async_trait::async_trait;
pub struct IamPutRolePolicy;

static SPEC: StepSpec = StepSpec {
    name: "iam.put_role_policy",
    summary: "Add or replace an inline policy on a role.",
    docs: "Puts the inline policy `policy_name` on the role. An attacker who can call \
           PutRolePolicy on a role they can assume grants themselves anything this way, \
           without a managed policy to notice: the CIS IAM-policy-change filter counts \
           PutRolePolicy. As containment, an inline deny-all on a role stops every session \
           of it at the next request. A policy of the same name is replaced; clean-up puts \
           the old document back, or deletes the policy if there was none.",
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
        Field {
            name: "policy_document",
            ty: FieldType::Document,
            required: true,
            doc: "The policy document (a mapping, or its JSON text).",
        },
    ],
    outputs: &[OutputSpec {
        name: "policy_name",
        doc: "The inline policy's name.",
        secret: false,
    }],
    calls: &[
        "iam:ListRolePolicies",
        "iam:GetRolePolicy",
        "iam:PutRolePolicy",
    ],
    revert: "iam.delete_role_policy, or iam.put_role_policy with the old document if a policy of \
             that name existed",
    creates: None,
};

#[async_trait]
impl StepKind for IamPutRolePolicy {
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
        let document = args.document("policy_document")?;
        let iam = cx.sandbox.iam();
        let old = iam.role_policies(role).await?.remove(name);
        iam.put_role_policy(role, name, &document).await?;
        let applied = Applied::default().output("policy_name", name);
        Ok(
            match super::inline_policy_undo(
                ("iam.put_role_policy", "iam.delete_role_policy"),
                ("role_name", role),
                name,
                old,
                &document,
            ) {
                Some(undo) => applied.undo(undo),
                None => applied,
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::steps::testing::{Harness, role};
    use serde_json::{Value, json};

    fn admin() -> Value {
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
    }

    async fn policy(h: &Harness, name: &str) -> Option<Value> {
        let policies = h.sandbox.iam().role_policies("r").await.expect("policies");
        policies
            .get(name)
            .map(|doc| serde_json::from_str(doc).expect("json document"))
    }

    #[tokio::test]
    async fn puts_a_policy_and_reverts_by_deleting_it() {
        let h = Harness::new();
        role(&h, "r").await;
        let with = json!({"role_name": "r", "policy_name": "admin", "policy_document": admin()});
        let applied = h.apply("iam.put_role_policy", with).await.expect("applies");
        assert_eq!(applied.outputs["policy_name"], "admin");
        assert_eq!(policy(&h, "admin").await, Some(admin()));
        assert_eq!(applied.undo[0].action, "iam.delete_role_policy");
        h.revert(&applied).await.expect("reverts");
        assert_eq!(policy(&h, "admin").await, None);
    }

    #[tokio::test]
    async fn replacing_a_policy_reverts_to_the_old_document() {
        let h = Harness::new();
        let old = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}]});
        let iam = h.sandbox.iam();
        role(&h, "r").await;
        iam.put_role_policy("r", "p", &old.to_string())
            .await
            .expect("old policy");
        let with =
            json!({"role_name": "r", "policy_name": "p", "policy_document": admin().to_string()});
        let applied = h.apply("iam.put_role_policy", with).await.expect("applies");
        assert_eq!(policy(&h, "p").await, Some(admin()));
        assert_eq!(applied.undo[0].action, "iam.put_role_policy");
        h.revert(&applied).await.expect("reverts");
        assert_eq!(policy(&h, "p").await, Some(old));
    }

    #[tokio::test]
    async fn a_missing_role_is_not_found() {
        let h = Harness::new();
        let with = json!({"role_name": "nobody", "policy_name": "p", "policy_document": admin()});
        let err = h
            .apply("iam.put_role_policy", with)
            .await
            .expect_err("no role");
        assert_eq!(err.kind, crate::sandbox::ErrorKind::NotFound);
    }
}
