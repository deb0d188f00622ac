//! `ec2.detach_internet_gateway`: an internet gateway detached from a VPC, and kept.

use super::{Applied, Args, Field, FieldType, StepContext, StepKind, StepSpec};
use crate::sandbox::{SandboxError, gone_is_fine};
use async_trait::async_trait;

pub struct Ec2DetachInternetGateway;

static SPEC: StepSpec = StepSpec {
    name: "ec2.detach_internet_gateway",
    summary: "Detach an internet gateway from a VPC, keeping the gateway.",
    docs: "Cuts the VPC off from the internet at once: routes to the gateway become \
           blackhole routes and established connections through it break. The gateway \
           itself stays, with its tags, for the investigation; delete it once the \
           incident is understood. A gateway already detached, or gone, counts as \
           detached. DetachInternetGateway is an event of the CIS network-gateway filter \
           (4.12). As a containment it is not undone at clean-up: putting the internet \
           back on an isolated VPC is nobody's intent, and the gateway's own revert \
           deletes it detached or not.",
    inputs: &[
        Field {
            name: "internet_gateway_id",
            ty: FieldType::String,
            required: true,
            doc: "The gateway.",
        },
        Field {
            name: "vpc_id",
            ty: FieldType::String,
            required: true,
            doc: "The VPC it is attached to.",
        },
    ],
    outputs: &[],
    calls: &["ec2:DescribeInternetGateways", "ec2:DetachInternetGateway"],
    revert: "none",
    creates: None,
};

#[async_trait]
impl StepKind for Ec2DetachInternetGateway {
    fn spec(&self) -> &'static StepSpec {
        &SPEC
    }

    async fn apply(&self, cx: &StepContext<'_>, args: &Args) -> Result<Applied, SandboxError> {
        let gateway = args.str("internet_gateway_id")?;
        let vpc = args.str("vpc_id")?;
        let ec2 = cx.sandbox.ec2();
        let attached = match ec2.internet_gateway_vpcs(gateway).await {
            Ok(vpcs) => vpcs.iter().any(|v| v == vpc),
            Err(e) if e.kind == crate::sandbox::ErrorKind::NotFound => false,
            Err(e) => return Err(e),
        };
        if attached {
            gone_is_fine(ec2.detach_internet_gateway(gateway, vpc).await)?;
        }
        Ok(Applied::default())
    }
}

#[cfg(test)]
mod tests {
    use crate::steps::testing::Harness;
    use serde_json::json;

    #[tokio::test]
    async fn detaches_and_keeps_the_gateway_and_owes_nothing() {
        let h = Harness::new();
        let ec2 = h.sandbox.ec2();
        let vpc = ec2
            .create_vpc("n", "10.0.0.0/16", &h.tags)
            .await
            .expect("vpc");
        let igw = ec2
            .create_internet_gateway("g", &h.tags)
            .await
            .expect("igw");
        ec2.attach_internet_gateway(&igw, &vpc.vpc_id)
            .await
            .expect("attach");
        let with = json!({"internet_gateway_id": igw, "vpc_id": vpc.vpc_id});
        let applied = h
            .apply("ec2.detach_internet_gateway", with.clone())
            .await
            .expect("applies");
        assert!(applied.undo.is_empty());
        assert!(
            ec2.internet_gateway_vpcs(&igw)
                .await
                .expect("kept")
                .is_empty()
        );
        // Again, and on a gateway that is gone: nothing to do.
        h.apply("ec2.detach_internet_gateway", with)
            .await
            .expect("already detached");
        let gone = json!({"internet_gateway_id": "igw-0123456789abcdef0", "vpc_id": vpc.vpc_id});
        h.apply("ec2.detach_internet_gateway", gone)
            .await
            .expect("gone");
    }
}
