//! `ec2.snapshot_public`: whether anyone can create a volume from a snapshot.

use super::{Check, CheckSpec, Values, text};
use crate::sandbox::{Sandbox, SandboxError};
use crate::steps::Args;
use async_trait::async_trait;
use serde_json::{Value, json};

pub struct Ec2SnapshotPublic;

static SPEC: CheckSpec = CheckSpec {
    name: "ec2.snapshot_public",
    summary: "Whether a snapshot is shared with everyone.",
    docs: "Reads the snapshot's createVolumePermission and reports true while it holds the \
           group `all` (public: any AWS account can copy the disk). Sharing with named \
           accounts is not public and is not reported.",
    inputs: &[text("snapshot_id", "The snapshot.")],
    values: Values::Bool,
    calls: &["ec2:DescribeSnapshotAttribute"],
    audit_events: &["ec2:ModifySnapshotAttribute"],
    audit_resource: Some("snapshot_id"),
};

#[async_trait]
impl Check for Ec2SnapshotPublic {
    fn spec(&self) -> &'static CheckSpec {
        &SPEC
    }

    async fn probe(&self, sandbox: &dyn Sandbox, args: &Args) -> Result<Value, SandboxError> {
        let groups = sandbox
            .ec2()
            .snapshot_groups(args.str("snapshot_id")?)
            .await?;
        Ok(json!(groups.iter().any(|g| g == "all")))
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::probe;
    use crate::steps::testing::Harness;
    use serde_json::json;

    #[tokio::test]
    async fn public_while_shared_with_all() {
        let h = Harness::new();
        let run = h
            .apply("ec2.run_instance", json!({"name": "gameday-t-db"}))
            .await
            .expect("instance");
        let snapshot = h
            .apply(
                "ec2.create_snapshot",
                json!({"volume_id": run.outputs["volume_id"]}),
            )
            .await
            .expect("snapshot")
            .outputs["snapshot_id"]
            .clone();
        let public = async || {
            probe(&h, "ec2.snapshot_public", json!({"snapshot_id": snapshot}))
                .await
                .expect("probes")
        };
        assert_eq!(public().await, false);
        let shared = h
            .apply("ec2.share_snapshot", json!({"snapshot_id": snapshot}))
            .await
            .expect("shares");
        assert_eq!(public().await, true);
        h.revert(&shared).await.expect("unshares");
        assert_eq!(public().await, false);
    }
}
