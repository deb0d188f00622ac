//! `ec2.instance_isolated`: whether an instance can no longer talk to anything.

use super::{Check, CheckSpec, Values, text};
use crate::sandbox::{Sandbox, SandboxError};
use crate::steps::Args;
use async_trait::async_trait;
use serde_json::{Value, json};

pub struct Ec2InstanceIsolated;

static SPEC: CheckSpec = CheckSpec {
    name: "ec2.instance_isolated",
    summary: "Whether every security group of the instance has no rules at all.",
    docs: "Reads the instance's security groups and their rules, and reports true when it \
           has at least one group and none of them has an inbound or outbound rule (what \
           ec2.isolate_instance leaves). Security groups do not cut connections already \
           tracked: isolation stops new ones. Network ACLs are not read.",
    inputs: &[text("instance_id", "The instance.")],
    values: Values::Bool,
    calls: &["ec2:DescribeInstances", "ec2:DescribeSecurityGroupRules"],
    audit_events: &["ec2:ModifyInstanceAttribute"],
    audit_resource: Some("instance_id"),
};

#[async_trait]
impl Check for Ec2InstanceIsolated {
    fn spec(&self) -> &'static CheckSpec {
        &SPEC
    }

    async fn probe(&self, sandbox: &dyn Sandbox, args: &Args) -> Result<Value, SandboxError> {
        let groups = sandbox
            .ec2()
            .instance_groups(args.str("instance_id")?)
            .await?;
        let mut isolated = !groups.is_empty();
        for g in &groups {
            let rules = sandbox.ec2().group_rules(g).await?;
            isolated &= rules.ingress.is_empty() && rules.egress.is_empty();
        }
        Ok(json!(isolated))
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::probe;
    use crate::sandbox::ErrorKind;
    use crate::steps::testing::Harness;
    use serde_json::json;

    #[tokio::test]
    async fn an_instance_is_isolated_once_its_groups_have_no_rules() {
        let h = Harness::new();
        let run = h
            .apply("ec2.run_instance", json!({"name": "gameday-t-web"}))
            .await
            .expect("instance");
        let id = run.outputs["instance_id"].clone();
        let isolated = async || {
            probe(&h, "ec2.instance_isolated", json!({"instance_id": id}))
                .await
                .expect("probes")
        };
        assert_eq!(
            isolated().await,
            false,
            "the default group lets traffic out"
        );
        h.apply("ec2.isolate_instance", json!({"instance_id": id}))
            .await
            .expect("isolates");
        assert_eq!(isolated().await, true);
    }

    #[tokio::test]
    async fn a_missing_instance_is_an_error_not_a_value() {
        let h = Harness::new();
        let err = probe(
            &h,
            "ec2.instance_isolated",
            json!({"instance_id": "i-0123456789abcdef0"}),
        )
        .await
        .expect_err("no such instance");
        assert_eq!(err.kind, ErrorKind::NotFound);
    }
}
