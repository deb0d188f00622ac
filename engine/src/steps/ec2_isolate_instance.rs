//! `ec2.isolate_instance`: move an instance into a security group that allows nothing.

use super::{
    Applied, Args, Field, FieldType, OutputSpec, StepContext, StepKind, StepSpec, Undo,
    gone_is_fine,
};
use crate::sandbox::{Ec2, SandboxError};
use async_trait::async_trait;
use serde_json::json;

pub struct Ec2IsolateInstance;

static SPEC: StepSpec = StepSpec {
    name: "ec2.isolate_instance",
    summary: "Isolate an instance: replace its security groups with one that allows no traffic.",
    docs: "Creates a security group gameday-isolation-<instance id> (tagged for the run) in \
           the default VPC, so the instance must be in that VPC; revokes the group's \
           outbound rules, so that it allows nothing in or out; then makes it the instance's \
           only group. The instance keeps running, with its memory and disks intact for \
           forensics. Security groups are stateful and changing them does not cut \
           connections that are already tracked: an attacker's open session can go on after \
           isolation. Cut those at the subnet's network ACL, which is stateless, or by \
           stopping the instance. If a call fails after the group was created, the step \
           deletes the group before it reports the failure.",
    inputs: &[Field {
        name: "instance_id",
        ty: FieldType::String,
        required: true,
        doc: "The instance id.",
    }],
    outputs: &[OutputSpec {
        name: "isolation_group_id",
        doc: "The isolation group's id.",
        secret: false,
    }],
    calls: &[
        "ec2:DescribeInstances",
        "ec2:CreateSecurityGroup",
        "ec2:DescribeSecurityGroupRules",
        "ec2:RevokeSecurityGroupEgress",
        "ec2:ModifyInstanceAttribute",
    ],
    revert: "ec2.set_instance_groups back to the previous groups, then ec2.delete_security_group \
             of the isolation group",
    creates: None,
};

/// Empties the new group's rules and puts the instance in it alone.
async fn isolate(ec2: &dyn Ec2, instance: &str, group: &str) -> Result<(), SandboxError> {
    for rule in ec2.group_rules(group).await?.egress {
        gone_is_fine(ec2.revoke_egress(group, &rule).await)?;
    }
    ec2.set_instance_groups(instance, &[group.to_owned()]).await
}

#[async_trait]
impl StepKind for Ec2IsolateInstance {
    fn spec(&self) -> &'static StepSpec {
        &SPEC
    }

    async fn apply(&self, cx: &StepContext<'_>, args: &Args) -> Result<Applied, SandboxError> {
        let instance = args.str("instance_id")?;
        let ec2 = cx.sandbox.ec2();
        let previous = ec2.instance_groups(instance).await?;
        let name = cx.name(&format!("isolation-{instance}"));
        let description = format!("gameday: isolation of {instance}");
        let group = ec2
            .create_security_group(&name, &description, cx.tags)
            .await?;
        if let Err(e) = isolate(ec2, instance, &group).await {
            // Best effort: the failure to report is the first one.
            let _ = ec2.delete_security_group(&group).await;
            return Err(e);
        }
        Ok(Applied::default()
            .output("isolation_group_id", group.clone())
            .undo(Undo::new(
                "ec2.delete_security_group",
                json!({ "group_id": group }),
                format!("security group {group} ({name})"),
            ))
            .undo(Undo::new(
                "ec2.set_instance_groups",
                json!({ "instance_id": instance, "group_ids": previous }),
                format!("security groups of ec2 instance {instance}"),
            )))
    }
}

#[cfg(test)]
mod tests {
    use crate::sandbox::ErrorKind;
    use crate::steps::testing::Harness;
    use serde_json::json;

    #[tokio::test]
    async fn isolates_and_reverts_groups_before_deleting_the_isolation_group() {
        let h = Harness::new();
        let ec2 = h.sandbox.ec2();
        let web = ec2
            .create_security_group("web", "web", &h.tags)
            .await
            .expect("sg");
        let image =
            "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64";
        let id = ec2
            .run_instance("n", image, "t3.micro", std::slice::from_ref(&web), &h.tags)
            .await
            .expect("run")
            .instance_id;
        let applied = h
            .apply("ec2.isolate_instance", json!({"instance_id": id}))
            .await
            .expect("applies");
        let iso = applied.outputs["isolation_group_id"]
            .as_str()
            .expect("group id")
            .to_owned();
        assert_ne!(iso, web);
        assert_eq!(
            ec2.instance_groups(&id).await.expect("groups"),
            [iso.as_str()]
        );
        let rules = ec2.group_rules(&iso).await.expect("rules");
        assert!(
            rules.ingress.is_empty() && rules.egress.is_empty(),
            "{rules:?}"
        );
        // Reverse order at clean-up: groups back first, then the isolation group deleted.
        let actions: Vec<&str> = applied.undo.iter().map(|u| u.action.as_str()).collect();
        assert_eq!(
            actions,
            ["ec2.delete_security_group", "ec2.set_instance_groups"]
        );
        h.revert(&applied).await.expect("reverts");
        assert_eq!(ec2.instance_groups(&id).await.expect("groups"), [web]);
        assert_eq!(
            ec2.group_rules(&iso).await.expect_err("deleted").kind,
            ErrorKind::NotFound
        );
    }

    #[tokio::test]
    async fn a_missing_instance_creates_no_group() {
        let h = Harness::new();
        let err = h
            .apply(
                "ec2.isolate_instance",
                json!({"instance_id": "i-0123456789abcdef0"}),
            )
            .await
            .expect_err("no such instance");
        assert_eq!(err.kind, ErrorKind::NotFound);
        let name = "gameday-isolation-i-0123456789abcdef0";
        h.sandbox
            .ec2()
            .create_security_group(name, "d", &h.tags)
            .await
            .expect("the name is still free");
    }
}
