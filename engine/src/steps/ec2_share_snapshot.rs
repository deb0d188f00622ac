//! `ec2.share_snapshot`: make an EBS snapshot public, or private again.

use super::{Applied, Args, Field, FieldType, StepContext, StepKind, StepSpec, Undo};
use crate::sandbox::SandboxError;
use async_trait::async_trait;
use serde_json::json;

pub struct Ec2ShareSnapshot;

static SPEC: StepSpec = StepSpec {
    name: "ec2.share_snapshot",
    summary: "Share an EBS snapshot with everyone (group all), or stop sharing it.",
    docs: "Adds (or with remove: true, removes) the group in the snapshot's \
           createVolumePermission. With group all the snapshot is public: anyone in any AWS \
           account can create a volume from it and read its data, and a copy made meanwhile \
           stays theirs after the sharing is removed. Where the account or region blocks \
           public access to EBS snapshots, AWS refuses to share publicly.",
    inputs: &[
        Field {
            name: "snapshot_id",
            ty: FieldType::String,
            required: true,
            doc: "The snapshot id.",
        },
        Field {
            name: "group",
            ty: FieldType::String,
            required: false,
            doc: "The group to share with; default all (the only group EC2 has).",
        },
        Field {
            name: "remove",
            ty: FieldType::Bool,
            required: false,
            doc: "Stop sharing instead; default false.",
        },
    ],
    outputs: &[],
    calls: &[
        "ec2:DescribeSnapshotAttribute",
        "ec2:ModifySnapshotAttribute",
    ],
    revert: "ec2.share_snapshot the other way (none if the sharing did not change)",
    creates: None,
};

#[async_trait]
impl StepKind for Ec2ShareSnapshot {
    fn spec(&self) -> &'static StepSpec {
        &SPEC
    }

    fn guard(&self, args: &Args) -> Result<super::Guard, SandboxError> {
        Ok(super::Guard::Inside(args.resource(
            crate::sandbox::ResourceKind::Snapshot,
            "snapshot_id",
        )?))
    }

    async fn apply(&self, cx: &StepContext<'_>, args: &Args) -> Result<Applied, SandboxError> {
        let id = args.str("snapshot_id")?;
        let group = args.str_or("group", "all")?;
        let remove = args.bool_or("remove", false)?;
        let ec2 = cx.sandbox.ec2();
        let shared_before = ec2.snapshot_groups(id).await?.iter().any(|g| g == group);
        ec2.modify_snapshot_groups(id, group, !remove).await?;
        let mut applied = Applied::default();
        if shared_before == remove {
            applied = applied.undo(Undo::new(
                "ec2.share_snapshot",
                json!({ "snapshot_id": id, "group": group, "remove": !remove }),
                format!("sharing of ebs snapshot {id} with {group}"),
            ));
        }
        Ok(applied)
    }
}

#[cfg(test)]
mod tests {
    use crate::steps::testing::Harness;
    use serde_json::json;

    async fn snapshot(h: &Harness) -> String {
        let ec2 = h.sandbox.ec2();
        let image =
            "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64";
        let instance = ec2
            .run_instance("n", image, "t3.micro", &[], &h.tags)
            .await
            .expect("run");
        ec2.create_snapshot(&instance.volume_id, "d", &h.tags)
            .await
            .expect("snapshot")
    }

    #[tokio::test]
    async fn shares_publicly_and_reverts_to_private() {
        let h = Harness::new();
        let id = snapshot(&h).await;
        let applied = h
            .apply("ec2.share_snapshot", json!({"snapshot_id": id}))
            .await
            .expect("applies");
        assert_eq!(
            h.sandbox.ec2().snapshot_groups(&id).await.expect("groups"),
            ["all"]
        );
        assert_eq!(applied.undo[0].with["remove"], true);
        h.revert(&applied).await.expect("reverts");
        assert!(
            h.sandbox
                .ec2()
                .snapshot_groups(&id)
                .await
                .expect("groups")
                .is_empty()
        );
    }

    #[tokio::test]
    async fn unsharing_reverts_to_shared_and_a_no_op_has_no_undo() {
        let h = Harness::new();
        let id = snapshot(&h).await;
        let noop = h
            .apply(
                "ec2.share_snapshot",
                json!({"snapshot_id": id, "remove": true}),
            )
            .await
            .expect("applies");
        assert!(noop.undo.is_empty(), "it was not shared");
        h.sandbox
            .ec2()
            .modify_snapshot_groups(&id, "all", true)
            .await
            .expect("share");
        let applied = h
            .apply(
                "ec2.share_snapshot",
                json!({"snapshot_id": id, "group": "all", "remove": true}),
            )
            .await
            .expect("applies");
        assert!(
            h.sandbox
                .ec2()
                .snapshot_groups(&id)
                .await
                .expect("groups")
                .is_empty()
        );
        h.revert(&applied).await.expect("reverts");
        assert_eq!(
            h.sandbox.ec2().snapshot_groups(&id).await.expect("groups"),
            ["all"]
        );
    }
}
