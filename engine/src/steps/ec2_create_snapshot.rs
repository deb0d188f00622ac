//! `ec2.create_snapshot`: a snapshot of an EBS volume, tagged for the run.

use super::{Applied, Args, Field, FieldType, OutputSpec, StepContext, StepKind, StepSpec, Undo};
use crate::sandbox::SandboxError;
use async_trait::async_trait;
use serde_json::json;

pub struct Ec2CreateSnapshot;

static SPEC: StepSpec = StepSpec {
    name: "ec2.create_snapshot",
    summary: "Snapshot an EBS volume, tagged for the run.",
    docs: "Starts a point-in-time snapshot of the volume (it completes in the background) \
           and returns its id. In a response, a snapshot preserves a disk as evidence before \
           anything destructive. Snapshots are billed for the data they hold until deleted.",
    inputs: &[
        Field {
            name: "volume_id",
            ty: FieldType::String,
            required: true,
            doc: "The volume id.",
        },
        Field {
            name: "description",
            ty: FieldType::String,
            required: false,
            doc: "The description; default \"gameday\".",
        },
    ],
    outputs: &[OutputSpec {
        name: "snapshot_id",
        doc: "The snapshot id.",
        secret: false,
    }],
    calls: &["ec2:CreateSnapshot"],
    revert: "ec2.delete_snapshot",
    creates: Some(super::Creates {
        kind: crate::sandbox::ResourceKind::Snapshot,
        name: None,
    }),
};

#[async_trait]
impl StepKind for Ec2CreateSnapshot {
    fn spec(&self) -> &'static StepSpec {
        &SPEC
    }

    async fn apply(&self, cx: &StepContext<'_>, args: &Args) -> Result<Applied, SandboxError> {
        let volume = args.str("volume_id")?;
        let description = args.str_or("description", "gameday")?;
        let id = cx
            .sandbox
            .ec2()
            .create_snapshot(volume, description, cx.tags)
            .await?;
        Ok(Applied::default()
            .output("snapshot_id", id.clone())
            .undo(Undo::new(
                "ec2.delete_snapshot",
                json!({ "snapshot_id": id }),
                format!("ebs snapshot {id} of {volume}"),
            )))
    }
}

#[cfg(test)]
mod tests {
    use crate::sandbox::ErrorKind;
    use crate::steps::testing::Harness;
    use serde_json::json;

    #[tokio::test]
    async fn snapshots_a_volume_and_reverts_by_deleting_it() {
        let h = Harness::new();
        let image =
            "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64";
        let instance = h
            .sandbox
            .ec2()
            .run_instance("n", image, "t3.micro", &[], &h.tags)
            .await
            .expect("run");
        let applied = h
            .apply(
                "ec2.create_snapshot",
                json!({"volume_id": instance.volume_id, "description": "evidence"}),
            )
            .await
            .expect("applies");
        let id = applied.outputs["snapshot_id"]
            .as_str()
            .expect("snapshot id")
            .to_owned();
        assert!(id.starts_with("snap-"), "{id}");
        assert!(
            h.sandbox
                .ec2()
                .snapshot_groups(&id)
                .await
                .expect("private")
                .is_empty()
        );
        h.revert(&applied).await.expect("reverts");
        assert_eq!(
            h.sandbox
                .ec2()
                .snapshot_groups(&id)
                .await
                .expect_err("gone")
                .kind,
            ErrorKind::NotFound
        );
    }

    #[tokio::test]
    async fn a_missing_volume_is_an_error() {
        let h = Harness::new();
        let err = h
            .apply(
                "ec2.create_snapshot",
                json!({"volume_id": "vol-0123456789abcdef0"}),
            )
            .await
            .expect_err("none");
        assert_eq!(err.kind, ErrorKind::NotFound);
    }
}
