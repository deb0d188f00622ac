//! `ec2.vpc_dns_support`: whether a VPC's Amazon-provided DNS resolver answers.

use super::{Check, CheckSpec, Values, text};
use crate::sandbox::{Sandbox, SandboxError};
use crate::steps::Args;
use async_trait::async_trait;
use serde_json::{Value, json};

pub struct Ec2VpcDnsSupport;

static SPEC: CheckSpec = CheckSpec {
    name: "ec2.vpc_dns_support",
    summary: "Whether DNS support (the Amazon-provided resolver) is on in a VPC.",
    docs: "Reads the VPC's enableDnsSupport attribute (DescribeVpcAttribute). With it off, \
           instances cannot use the Amazon-provided resolver, and the queries they make \
           elsewhere never reach the DNS logs GuardDuty reads. Contained when it is back \
           on (`expect: true`).",
    inputs: &[text("vpc_id", "The VPC.")],
    values: Values::Bool,
    calls: &["ec2:DescribeVpcAttribute"],
    audit_events: &["ec2:ModifyVpcAttribute"],
    audit_resource: Some("vpc_id"),
};

#[async_trait]
impl Check for Ec2VpcDnsSupport {
    fn spec(&self) -> &'static CheckSpec {
        &SPEC
    }

    async fn probe(&self, sandbox: &dyn Sandbox, args: &Args) -> Result<Value, SandboxError> {
        let dns = sandbox.ec2().vpc_dns(args.str("vpc_id")?).await?;
        Ok(json!(dns.support))
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::probe;
    use crate::steps::testing::Harness;
    use serde_json::json;

    #[tokio::test]
    async fn follows_the_attribute() {
        let h = Harness::new();
        let vpc = h
            .sandbox
            .ec2()
            .create_vpc("n", "10.0.0.0/16", &h.tags)
            .await
            .expect("vpc");
        let on = async || {
            probe(&h, "ec2.vpc_dns_support", json!({"vpc_id": vpc.vpc_id}))
                .await
                .expect("probes")
        };
        assert_eq!(on().await, true);
        let applied = h
            .apply(
                "ec2.modify_vpc_attribute",
                json!({"vpc_id": vpc.vpc_id, "enable_dns_support": false}),
            )
            .await
            .expect("off");
        assert_eq!(on().await, false);
        h.revert(&applied).await.expect("reverts");
        assert_eq!(on().await, true);
    }
}
