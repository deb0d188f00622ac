//! `ec2.delete_snapshot`: an EBS snapshot.

use super::{Applied, Args, Field, FieldType, StepContext, StepKind, StepSpec, gone_is_fine};
use crate::sandbox::SandboxError;
use async_trait::async_trait;

pub struct Ec2DeleteSnapshot;

static SPEC: StepSpec = StepSpec {
    name: "ec2.delete_snapshot",
    summary: "Delete an EBS snapshot.",
    docs: "Deletes the snapshot for good. EC2 refuses while a registered AMI uses it. A \
           snapshot that does not exist counts as deleted.",
    inputs: &[Field {
        name: "snapshot_id",
        ty: FieldType::String,
        required: true,
        doc: "The snapshot id.",
    }],
    outputs: &[],
    calls: &["ec2:DeleteSnapshot"],
    revert: "none",
    creates: None,
};

#[async_trait]
impl StepKind for Ec2DeleteSnapshot {
    fn spec(&self) -> &'static StepSpec {
        &SPEC
    }

    fn guard(&self, args: &Args) -> Result<super::Guard, SandboxError> {
        Ok(super::Guard::Deletes(args.resource(
            crate::sandbox::ResourceKind::Snapshot,
            "snapshot_id",
        )?))
    }

    async fn apply(&self, cx: &StepContext<'_>, args: &Args) -> Result<Applied, SandboxError> {
        let id = args.str("snapshot_id")?;
        gone_is_fine(cx.sandbox.ec2().delete_snapshot(id).await)?;
        Ok(Applied::default())
    }
}

#[cfg(test)]
mod tests {
    use crate::sandbox::ErrorKind;
    use crate::steps::testing::Harness;
    use serde_json::json;

    #[tokio::test]
    async fn deletes_and_a_second_time_is_fine() {
        let h = Harness::new();
        let ec2 = h.sandbox.ec2();
        let image =
            "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64";
        let instance = ec2
            .run_instance("n", image, "t3.micro", &[], &h.tags)
            .await
            .expect("run");
        let id = ec2
            .create_snapshot(&instance.volume_id, "d", &h.tags)
            .await
            .expect("snapshot");
        let applied = h
            .apply("ec2.delete_snapshot", json!({"snapshot_id": id}))
            .await
            .expect("deletes");
        assert!(applied.undo.is_empty());
        assert_eq!(
            ec2.snapshot_groups(&id).await.expect_err("gone").kind,
            ErrorKind::NotFound
        );
        h.apply("ec2.delete_snapshot", json!({"snapshot_id": id}))
            .await
            .expect("again is fine");
    }
}
