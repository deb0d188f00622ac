//! `ec2.delete_security_group`: a security group.

use super::{Applied, Args, Field, FieldType, StepContext, StepKind, StepSpec, gone_is_fine};
use crate::sandbox::SandboxError;
use async_trait::async_trait;

pub struct Ec2DeleteSecurityGroup;

static SPEC: StepSpec = StepSpec {
    name: "ec2.delete_security_group",
    summary: "Delete a security group.",
    docs: "EC2 refuses (DependencyViolation) while an instance or network interface uses the \
           group or another group's rules refer to it. A group that does not exist counts as \
           deleted.",
    inputs: &[Field {
        name: "group_id",
        ty: FieldType::String,
        required: true,
        doc: "The security group id.",
    }],
    outputs: &[],
    calls: &["ec2:DeleteSecurityGroup"],
    revert: "none",
    creates: None,
};

#[async_trait]
impl StepKind for Ec2DeleteSecurityGroup {
    fn spec(&self) -> &'static StepSpec {
        &SPEC
    }

    fn guard(&self, args: &Args) -> Result<super::Guard, SandboxError> {
        Ok(super::Guard::Deletes(args.resource(
            crate::sandbox::ResourceKind::SecurityGroup,
            "group_id",
        )?))
    }

    async fn apply(&self, cx: &StepContext<'_>, args: &Args) -> Result<Applied, SandboxError> {
        let id = args.str("group_id")?;
        gone_is_fine(cx.sandbox.ec2().delete_security_group(id).await)?;
        Ok(Applied::default())
    }
}

#[cfg(test)]
mod tests {
    use crate::sandbox::ErrorKind;
    use crate::steps::testing::Harness;
    use serde_json::json;

    #[tokio::test]
    async fn deletes_a_group_and_a_second_time_is_fine() {
        let h = Harness::new();
        let id = h
            .sandbox
            .ec2()
            .create_security_group("g", "g", &h.tags)
            .await
            .expect("sg");
        let applied = h
            .apply("ec2.delete_security_group", json!({"group_id": id}))
            .await
            .expect("deletes");
        assert!(applied.undo.is_empty());
        assert_eq!(
            h.sandbox
                .ec2()
                .group_rules(&id)
                .await
                .expect_err("gone")
                .kind,
            ErrorKind::NotFound
        );
        h.apply("ec2.delete_security_group", json!({"group_id": id}))
            .await
            .expect("again is fine");
    }

    #[tokio::test]
    async fn a_group_in_use_is_not_deleted() {
        let h = Harness::new();
        let ec2 = h.sandbox.ec2();
        let id = ec2
            .create_security_group("g", "g", &h.tags)
            .await
            .expect("sg");
        let image =
            "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64";
        ec2.run_instance("n", image, "t3.micro", std::slice::from_ref(&id), &h.tags)
            .await
            .expect("run");
        let err = h
            .apply("ec2.delete_security_group", json!({"group_id": id}))
            .await
            .expect_err("in use");
        assert_eq!(err.kind, ErrorKind::Conflict);
        assert!(ec2.group_rules(&id).await.is_ok(), "still there");
    }
}
