//! `ec2.create_security_group`: a security group, tagged for the run.

use super::{Applied, Args, Field, FieldType, OutputSpec, StepContext, StepKind, StepSpec, Undo};
use crate::sandbox::SandboxError;
use async_trait::async_trait;
use serde_json::json;

pub struct Ec2CreateSecurityGroup;

static SPEC: StepSpec = StepSpec {
    name: "ec2.create_security_group",
    summary: "Create a security group in the default VPC, tagged for the run.",
    docs: "A new group allows no inbound traffic and all outbound traffic (one egress rule: \
           every protocol to 0.0.0.0/0). Group names are unique per VPC, so use a name that \
           carries ${run.id}.",
    inputs: &[
        Field {
            name: "group_name",
            ty: FieldType::String,
            required: true,
            doc: "The group name.",
        },
        Field {
            name: "description",
            ty: FieldType::String,
            required: false,
            doc: "The description; default \"gameday\".",
        },
    ],
    outputs: &[OutputSpec {
        name: "group_id",
        doc: "The security group id.",
        secret: false,
    }],
    calls: &["ec2:CreateSecurityGroup"],
    revert: "ec2.delete_security_group",
    creates: Some(super::Creates {
        kind: crate::sandbox::ResourceKind::SecurityGroup,
        name: Some("group_name"),
    }),
};

#[async_trait]
impl StepKind for Ec2CreateSecurityGroup {
    fn spec(&self) -> &'static StepSpec {
        &SPEC
    }

    async fn apply(&self, cx: &StepContext<'_>, args: &Args) -> Result<Applied, SandboxError> {
        let name = args.str("group_name")?;
        let description = args.str_or("description", "gameday")?;
        let id = cx
            .sandbox
            .ec2()
            .create_security_group(name, description, cx.tags)
            .await?;
        Ok(Applied::default()
            .output("group_id", id.clone())
            .undo(Undo::new(
                "ec2.delete_security_group",
                json!({ "group_id": id }),
                format!("security group {id} ({name})"),
            )))
    }
}

#[cfg(test)]
mod tests {
    use crate::sandbox::ErrorKind;
    use crate::steps::testing::Harness;
    use serde_json::json;

    #[tokio::test]
    async fn creates_a_group_that_only_allows_egress_and_reverts_it() {
        let h = Harness::new();
        let applied = h
            .apply(
                "ec2.create_security_group",
                json!({"group_name": "gameday-t-web"}),
            )
            .await
            .expect("applies");
        let id = applied.outputs["group_id"]
            .as_str()
            .expect("group id")
            .to_owned();
        assert!(id.starts_with("sg-"), "{id}");
        let rules = h.sandbox.ec2().group_rules(&id).await.expect("rules");
        assert!(rules.ingress.is_empty());
        assert_eq!(rules.egress.len(), 1);
        assert_eq!(rules.egress[0].protocol, "-1");
        assert_eq!(rules.egress[0].cidr, "0.0.0.0/0");
        h.revert(&applied).await.expect("reverts");
        assert_eq!(
            h.sandbox
                .ec2()
                .group_rules(&id)
                .await
                .expect_err("gone")
                .kind,
            ErrorKind::NotFound
        );
    }
}
