//! `ec2.internet_gateway_attached`: whether a VPC has an internet gateway attached.

use super::{Check, CheckSpec, Values, text};
use crate::sandbox::{Sandbox, SandboxError};
use crate::steps::Args;
use async_trait::async_trait;
use serde_json::{Value, json};

pub struct Ec2InternetGatewayAttached;

static SPEC: CheckSpec = CheckSpec {
    name: "ec2.internet_gateway_attached",
    summary: "Whether any internet gateway is attached to a VPC.",
    docs: "Lists the internet gateways attached to the VPC (DescribeInternetGateways, \
           attachment.vpc-id) and reports true while there is one. A VPC meant to stay \
           isolated is contained when none is (`expect: false`): detaching is enough, and \
           keeps the gateway, with its tags and creation record, for the investigation.",
    inputs: &[text("vpc_id", "The VPC.")],
    values: Values::Bool,
    calls: &["ec2:DescribeInternetGateways"],
    audit_events: &["ec2:DetachInternetGateway"],
    audit_resource: Some("vpc_id"),
};

#[async_trait]
impl Check for Ec2InternetGatewayAttached {
    fn spec(&self) -> &'static CheckSpec {
        &SPEC
    }

    async fn probe(&self, sandbox: &dyn Sandbox, args: &Args) -> Result<Value, SandboxError> {
        let gateways = sandbox
            .ec2()
            .vpc_internet_gateways(args.str("vpc_id")?)
            .await?;
        Ok(json!(!gateways.is_empty()))
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::probe;
    use crate::steps::testing::Harness;
    use serde_json::json;

    #[tokio::test]
    async fn attached_until_detached() {
        let h = Harness::new();
        let ec2 = h.sandbox.ec2();
        let vpc = ec2
            .create_vpc("n", "10.0.0.0/16", &h.tags)
            .await
            .expect("vpc");
        let attached = async || {
            probe(
                &h,
                "ec2.internet_gateway_attached",
                json!({"vpc_id": vpc.vpc_id}),
            )
            .await
            .expect("probes")
        };
        assert_eq!(attached().await, false);
        let applied = h
            .apply(
                "ec2.create_internet_gateway",
                json!({"name": "g", "vpc_id": vpc.vpc_id}),
            )
            .await
            .expect("gateway");
        assert_eq!(attached().await, true);
        let igw = applied.outputs["internet_gateway_id"].as_str().expect("id");
        ec2.detach_internet_gateway(igw, &vpc.vpc_id)
            .await
            .expect("detach");
        assert_eq!(attached().await, false);
    }
}
