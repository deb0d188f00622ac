//! `ec2.set_instance_groups`: replace an instance's security groups.

use super::{Applied, Args, Field, FieldType, StepContext, StepKind, StepSpec, Undo};
use crate::sandbox::SandboxError;
use async_trait::async_trait;
use serde_json::json;
use std::collections::BTreeSet;

pub struct Ec2SetInstanceGroups;

static SPEC: StepSpec = StepSpec {
    name: "ec2.set_instance_groups",
    summary: "Replace the security groups of an instance.",
    docs: "Sets the instance's groups to exactly `group_ids` (at least one; in the instance's \
           VPC). Security groups are stateful: connections already tracked under the old \
           groups are not cut. Also the revert of ec2.isolate_instance.",
    inputs: &[
        Field {
            name: "instance_id",
            ty: FieldType::String,
            required: true,
            doc: "The instance id.",
        },
        Field {
            name: "group_ids",
            ty: FieldType::StringList,
            required: true,
            doc: "The security group ids.",
        },
    ],
    outputs: &[],
    calls: &["ec2:DescribeInstances", "ec2:ModifyInstanceAttribute"],
    revert: "ec2.set_instance_groups back to the previous groups (none if they did not change)",
    creates: None,
};

#[async_trait]
impl StepKind for Ec2SetInstanceGroups {
    fn spec(&self) -> &'static StepSpec {
        &SPEC
    }

    fn guard(&self, args: &Args) -> Result<super::Guard, SandboxError> {
        Ok(super::Guard::Inside(args.resource(
            crate::sandbox::ResourceKind::Instance,
            "instance_id",
        )?))
    }

    async fn apply(&self, cx: &StepContext<'_>, args: &Args) -> Result<Applied, SandboxError> {
        let instance = args.str("instance_id")?;
        let groups = args.list("group_ids")?;
        if groups.is_empty() {
            return Err(
                args.bad("input `group_ids` must name at least one security group".to_owned())
            );
        }
        let ec2 = cx.sandbox.ec2();
        let previous = ec2.instance_groups(instance).await?;
        ec2.set_instance_groups(instance, &groups).await?;
        let same =
            previous.iter().collect::<BTreeSet<_>>() == groups.iter().collect::<BTreeSet<_>>();
        let mut applied = Applied::default();
        if !same {
            applied = applied.undo(Undo::new(
                "ec2.set_instance_groups",
                json!({ "instance_id": instance, "group_ids": previous }),
                format!("security groups of ec2 instance {instance}"),
            ));
        }
        Ok(applied)
    }
}

#[cfg(test)]
mod tests {
    use crate::steps::testing::Harness;
    use serde_json::json;

    #[tokio::test]
    async fn replaces_the_groups_and_reverts() {
        let h = Harness::new();
        let ec2 = h.sandbox.ec2();
        let a = ec2
            .create_security_group("a", "a", &h.tags)
            .await
            .expect("a");
        let b = ec2
            .create_security_group("b", "b", &h.tags)
            .await
            .expect("b");
        let image =
            "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64";
        let id = ec2
            .run_instance("n", image, "t3.micro", std::slice::from_ref(&a), &h.tags)
            .await
            .expect("run")
            .instance_id;
        let applied = h
            .apply(
                "ec2.set_instance_groups",
                json!({"instance_id": id, "group_ids": [b]}),
            )
            .await
            .expect("applies");
        assert_eq!(
            ec2.instance_groups(&id).await.expect("groups"),
            [b.as_str()]
        );
        assert_eq!(applied.undo[0].with["group_ids"], json!([a]));
        h.revert(&applied).await.expect("reverts");
        assert_eq!(
            ec2.instance_groups(&id).await.expect("groups"),
            [a.as_str()]
        );
        let same = h
            .apply(
                "ec2.set_instance_groups",
                json!({"instance_id": id, "group_ids": [a]}),
            )
            .await
            .expect("applies");
        assert!(same.undo.is_empty(), "nothing changed");
    }

    #[tokio::test]
    async fn refuses_an_empty_list() {
        let h = Harness::new();
        let err = h
            .apply(
                "ec2.set_instance_groups",
                json!({"instance_id": "i-0123456789abcdef0", "group_ids": []}),
            )
            .await
            .expect_err("refused");
        assert_eq!(err.kind, crate::sandbox::ErrorKind::InvalidInput);
    }
}
