//! `iam.update_assume_role_policy`: a role's trust policy replaced.

use super::{Applied, Args, Field, FieldType, StepContext, StepKind, StepSpec, Undo};
use crate::sandbox::SandboxError;
use async_trait::async_trait;
use serde_json::json;

pub struct IamUpdateAssumeRolePolicy;

static SPEC: StepSpec = StepSpec {
    name: "iam.update_assume_role_policy",
    summary: "Replace a role's trust policy (who may assume it).",
    docs: "Replaces the trust policy of the role with `policy_document`. An attacker who adds \
           their own account as a principal can assume the role from outside for as long as \
           the trust stays, whatever happens to the credentials they started with. Only use \
           it on a role the run created, and give that role no permissions: an account named \
           in the trust then gains nothing. The revert puts back the trust policy the role \
           had before, which the step reads first (GetRole). As containment, the same step \
           with the original document removes the outside principal.",
    inputs: &[
        Field {
            name: "role_name",
            ty: FieldType::String,
            required: true,
            doc: "The role.",
        },
        Field {
            name: "policy_document",
            ty: FieldType::Document,
            required: true,
            doc: "The new trust policy (a mapping, or its JSON text).",
        },
    ],
    outputs: &[],
    calls: &["iam:GetRole", "iam:UpdateAssumeRolePolicy"],
    revert: "iam.update_assume_role_policy with the trust policy the role had before",
    creates: None,
};

#[async_trait]
impl StepKind for IamUpdateAssumeRolePolicy {
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
        let document = args.document("policy_document")?;
        let iam = cx.sandbox.iam();
        let old = iam.role_trust_policy(role).await?;
        iam.update_assume_role_policy(role, &document).await?;
        let applied = Applied::default();
        Ok(
            if super::same_document(Some(&old), Some(&json!(document))) {
                applied
            } else {
                applied.undo(Undo::new(
                    "iam.update_assume_role_policy",
                    json!({ "role_name": role, "policy_document": old }),
                    format!("trust policy of iam role {role}"),
                ))
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::sandbox::ErrorKind;
    use crate::steps::testing::Harness;
    use serde_json::{Value, json};

    fn trust(principal: Value) -> Value {
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": principal, "Action": "sts:AssumeRole"}]})
    }

    async fn now(h: &Harness) -> Value {
        let doc = h.sandbox.iam().role_trust_policy("r").await.expect("trust");
        serde_json::from_str(&doc).expect("json")
    }

    #[tokio::test]
    async fn opens_the_trust_and_reverts_to_the_previous_document() {
        let h = Harness::new();
        let before = trust(json!({"Service": "ec2.amazonaws.com"}));
        let after = trust(json!({"AWS": "arn:aws:iam::444455556666:root"}));
        h.sandbox
            .iam()
            .create_role("r", &before.to_string(), &h.tags)
            .await
            .expect("role");
        let applied = h
            .apply(
                "iam.update_assume_role_policy",
                json!({"role_name": "r", "policy_document": after}),
            )
            .await
            .expect("applies");
        assert_eq!(now(&h).await, after);
        assert_eq!(applied.undo.len(), 1);
        h.revert(&applied).await.expect("reverts");
        assert_eq!(now(&h).await, before);
        // The same document again changes nothing and owes nothing.
        let same = h
            .apply(
                "iam.update_assume_role_policy",
                json!({"role_name": "r", "policy_document": before.to_string()}),
            )
            .await
            .expect("applies");
        assert!(same.undo.is_empty());
    }

    #[tokio::test]
    async fn a_missing_role_or_a_bad_document_is_refused() {
        let h = Harness::new();
        let with = json!({"role_name": "nobody", "policy_document": trust(json!("*"))});
        let err = h
            .apply("iam.update_assume_role_policy", with)
            .await
            .expect_err("no role");
        assert_eq!(err.kind, ErrorKind::NotFound);
        h.sandbox
            .iam()
            .create_role(
                "r",
                &trust(json!({"Service": "ec2.amazonaws.com"})).to_string(),
                &h.tags,
            )
            .await
            .expect("role");
        let bad = json!({"role_name": "r", "policy_document": "not json"});
        let err = h
            .apply("iam.update_assume_role_policy", bad)
            .await
            .expect_err("not a policy");
        assert_eq!(err.kind, ErrorKind::InvalidInput);
    }
}
