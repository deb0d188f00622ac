//! `ec2.run_instance`: one instance, named and tagged for the run.

use super::{Applied, Args, Field, FieldType, OutputSpec, StepContext, StepKind, StepSpec, Undo};
use crate::sandbox::SandboxError;
use async_trait::async_trait;
use serde_json::json;

pub struct Ec2RunInstance;

/// The latest Amazon Linux 2023 AMI, through its public SSM parameter.
const DEFAULT_IMAGE: &str =
    "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64";

static SPEC: StepSpec = StepSpec {
    name: "ec2.run_instance",
    summary: "Launch one EC2 instance, tagged for the run.",
    docs: "Launches one instance with the run's tags and a Name tag, in the default subnet of \
           the account's default VPC. Without security_group_ids it gets that VPC's default \
           security group. The instance is billed while it exists: clean-up terminates it, \
           and its root volume is deleted with it. The default image is the latest Amazon \
           Linux 2023 AMI for x86_64, resolved by AWS from its public SSM parameter; an \
           instance_type of another architecture needs an image_id to match. With \
           `dns_lookups`, its boot script resolves each of those names five times, a minute \
           apart, through the VPC's resolver: GuardDuty's test domains only (validation \
           refuses any other name), each of which raises its DNS finding about the instance \
           (c2.guarddutyc2activityb.com: Backdoor:EC2/C&CActivity.B!DNS, and so on; \
           `gameday detectors` and docs/library.md list them). Nothing connects anywhere.",
    inputs: &[
        Field {
            name: "name",
            ty: FieldType::String,
            required: true,
            doc: "The Name tag.",
        },
        Field {
            name: "instance_type",
            ty: FieldType::String,
            required: false,
            doc: "The instance type; default t3.micro.",
        },
        Field {
            name: "image_id",
            ty: FieldType::String,
            required: false,
            doc: "An AMI id or a resolve:ssm: parameter; default the latest Amazon Linux 2023 (x86_64).",
        },
        Field {
            name: "security_group_ids",
            ty: FieldType::StringList,
            required: false,
            doc: "Security groups; default the VPC's default group.",
        },
        Field {
            name: "dns_lookups",
            ty: FieldType::TestDomains,
            required: false,
            doc: "GuardDuty test domains the boot script resolves; default none.",
        },
    ],
    outputs: &[
        OutputSpec {
            name: "instance_id",
            doc: "The instance id.",
            secret: false,
        },
        OutputSpec {
            name: "volume_id",
            doc: "Its root volume's id.",
            secret: false,
        },
    ],
    calls: &["ec2:DescribeSecurityGroups", "ec2:RunInstances"],
    revert: "ec2.terminate_instance",
    creates: Some(super::Creates {
        kind: crate::sandbox::ResourceKind::Instance,
        name: Some("name"),
    }),
};

#[async_trait]
impl StepKind for Ec2RunInstance {
    fn spec(&self) -> &'static StepSpec {
        &SPEC
    }

    async fn apply(&self, cx: &StepContext<'_>, args: &Args) -> Result<Applied, SandboxError> {
        let name = args.str("name")?;
        let instance_type = args.str_or("instance_type", "t3.micro")?;
        let image_id = args.str_or("image_id", DEFAULT_IMAGE)?;
        let groups = args.list("security_group_ids")?;
        let lookups = args.list("dns_lookups")?;
        if let Some((message, hint)) = lookups
            .iter()
            .find_map(|d| crate::catalogue::test_domain_problem(d))
        {
            return Err(SandboxError::new(
                crate::sandbox::ErrorKind::InvalidInput,
                SPEC.name,
                format!("{message} ({hint})"),
            ));
        }
        let instance = cx
            .sandbox
            .ec2()
            .launch(name, image_id, instance_type, &groups, &lookups, cx.tags)
            .await?;
        let id = instance.instance_id;
        Ok(Applied::default()
            .output("instance_id", id.clone())
            .output("volume_id", instance.volume_id)
            .undo(Undo::new(
                "ec2.terminate_instance",
                json!({ "instance_id": id }),
                format!("ec2 instance {id} ({name})"),
            )))
    }
}

#[cfg(test)]
mod tests {
    use crate::steps::testing::Harness;
    use serde_json::json;

    #[tokio::test]
    async fn launches_in_the_given_groups_and_reverts_by_terminating() {
        let h = Harness::new();
        let ec2 = h.sandbox.ec2();
        let sg = ec2
            .create_security_group("web", "web tier", &h.tags)
            .await
            .expect("sg");
        let applied = h
            .apply(
                "ec2.run_instance",
                json!({"name": "gameday-t-db", "security_group_ids": [sg]}),
            )
            .await
            .expect("applies");
        let id = applied.outputs["instance_id"]
            .as_str()
            .expect("instance id")
            .to_owned();
        let volume = applied.outputs["volume_id"]
            .as_str()
            .expect("volume id")
            .to_owned();
        assert!(id.starts_with("i-"), "{id}");
        assert!(volume.starts_with("vol-"), "{volume}");
        assert_eq!(
            ec2.instance_groups(&id).await.expect("groups"),
            [sg.as_str()]
        );
        assert_eq!(applied.undo[0].action, "ec2.terminate_instance");
        h.revert(&applied).await.expect("reverts");
        // A terminated instance cannot change groups, and its root volume went with it.
        assert!(
            ec2.set_instance_groups(&id, &[sg]).await.is_err(),
            "instance terminated"
        );
        assert!(
            ec2.create_snapshot(&volume, "after", &h.tags)
                .await
                .is_err(),
            "root volume deleted"
        );
    }

    #[tokio::test]
    async fn it_resolves_only_guardduty_test_domains() {
        let h = Harness::new();
        let err = h
            .apply(
                "ec2.run_instance",
                json!({"name": "n", "dns_lookups": ["c2.guarddutyc2activityb.com", "example.com"]}),
            )
            .await
            .expect_err("not a test domain");
        assert!(err.message.contains("example.com"), "{err}");
        assert!(
            h.sandbox.tagged_resources("t").is_empty(),
            "nothing launched"
        );
        let applied = h
            .apply(
                "ec2.run_instance",
                json!({"name": "n", "dns_lookups": ["c2.guarddutyc2activityb.com"]}),
            )
            .await
            .expect("applies");
        assert_eq!(applied.undo[0].action, "ec2.terminate_instance");
    }

    #[tokio::test]
    async fn without_groups_it_gets_the_default_group() {
        let h = Harness::new();
        let applied = h
            .apply("ec2.run_instance", json!({"name": "n"}))
            .await
            .expect("applies");
        let id = applied.outputs["instance_id"]
            .as_str()
            .expect("instance id");
        let groups = h.sandbox.ec2().instance_groups(id).await.expect("groups");
        assert_eq!(groups.len(), 1, "{groups:?}");
    }
}
