//! `iam.create_role`: a role, named and tagged for the run.

use super::{Applied, Args, Field, FieldType, OutputSpec, StepContext, StepKind, StepSpec, Undo};
use crate::sandbox::SandboxError;
use async_trait::async_trait;
use serde_json::json;

pub struct IamCreateRole;

static SPEC: StepSpec = StepSpec {
    name: "iam.create_role",
    summary: "Create an IAM role with a trust policy, tagged for the run.",
    docs: "Creates a role with the run's tags and the trust policy `trust_policy` (who may \
           assume it). Use a name that carries ${run.id}, and trust a service (such as \
           ec2.amazonaws.com) rather than an account: a role the run creates should grant \
           nothing to anyone outside it. The role has no permissions until a step gives it \
           some.",
    inputs: &[
        Field {
            name: "role_name",
            ty: FieldType::String,
            required: true,
            doc: "The role name.",
        },
        Field {
            name: "trust_policy",
            ty: FieldType::Document,
            required: true,
            doc: "The trust policy (AssumeRolePolicyDocument), a mapping or its JSON text.",
        },
    ],
    outputs: &[
        OutputSpec {
            name: "role_name",
            doc: "The role name.",
            secret: false,
        },
        OutputSpec {
            name: "arn",
            doc: "The role's ARN.",
            secret: false,
        },
    ],
    calls: &["iam:CreateRole"],
    revert: "iam.delete_role (its inline policies first)",
    creates: Some(super::Creates {
        kind: crate::sandbox::ResourceKind::Role,
        name: Some("role_name"),
    }),
};

#[async_trait]
impl StepKind for IamCreateRole {
    fn spec(&self) -> &'static StepSpec {
        &SPEC
    }

    async fn apply(&self, cx: &StepContext<'_>, args: &Args) -> Result<Applied, SandboxError> {
        let role = args.str("role_name")?;
        let trust = args.document("trust_policy")?;
        let arn = cx.sandbox.iam().create_role(role, &trust, cx.tags).await?;
        Ok(Applied::default()
            .output("role_name", role)
            .output("arn", arn)
            .undo(Undo::new(
                "iam.delete_role",
                json!({ "role_name": role }),
                format!("iam role {role}"),
            )))
    }
}

#[cfg(test)]
mod tests {
    use crate::sandbox::ErrorKind;
    use crate::steps::testing::Harness;
    use serde_json::json;

    fn ec2_trust() -> serde_json::Value {
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    }

    #[tokio::test]
    async fn creates_a_tagged_role_and_reverts_it() {
        let h = Harness::new();
        let with = json!({"role_name": "gameday-t-ops", "trust_policy": ec2_trust()});
        let applied = h
            .apply("iam.create_role", with.clone())
            .await
            .expect("applies");
        assert_eq!(applied.outputs["role_name"], "gameday-t-ops");
        assert!(
            applied.outputs["arn"]
                .as_str()
                .expect("arn")
                .ends_with(":role/gameday-t-ops")
        );
        let iam = h.sandbox.iam();
        assert_eq!(
            iam.role_tags("gameday-t-ops").await.expect("tags"),
            h.tags,
            "tagged at creation"
        );
        let trust: serde_json::Value =
            serde_json::from_str(&iam.role_trust_policy("gameday-t-ops").await.expect("trust"))
                .expect("json");
        assert_eq!(trust, ec2_trust());
        let again = h.apply("iam.create_role", with).await.expect_err("taken");
        assert_eq!(again.kind, ErrorKind::AlreadyExists);
        h.revert(&applied).await.expect("reverts");
        let gone = iam.role_tags("gameday-t-ops").await.expect_err("gone");
        assert_eq!(gone.kind, ErrorKind::NotFound);
    }
}
