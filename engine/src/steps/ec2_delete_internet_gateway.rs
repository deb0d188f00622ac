//! `ec2.delete_internet_gateway`: an internet gateway detached from its VPC and deleted.

use super::{Applied, Args, Field, FieldType, StepContext, StepKind, StepSpec};
use crate::sandbox::{ResourceKind, SandboxError};
use async_trait::async_trait;

pub struct Ec2DeleteInternetGateway;

static SPEC: StepSpec = StepSpec {
    name: "ec2.delete_internet_gateway",
    summary: "Detach an internet gateway from its VPC and delete it.",
    docs: "Detaches the gateway from every VPC it is attached to, then deletes it. Routes \
           that pointed at it stay in their tables as blackhole routes. As a revert it only \
           touches a gateway tagged for the run. Both calls are events of the CIS \
           network-gateway filter (4.12).",
    inputs: &[Field {
        name: "internet_gateway_id",
        ty: FieldType::String,
        required: true,
        doc: "The gateway.",
    }],
    outputs: &[],
    calls: &[
        "ec2:DescribeInternetGateways",
        "ec2:DetachInternetGateway",
        "ec2:DeleteInternetGateway",
    ],
    revert: "none",
    creates: None,
};

#[async_trait]
impl StepKind for Ec2DeleteInternetGateway {
    fn spec(&self) -> &'static StepSpec {
        &SPEC
    }

    fn guard(&self, args: &Args) -> Result<super::Guard, SandboxError> {
        Ok(super::Guard::Deletes(args.resource(
            ResourceKind::InternetGateway,
            "internet_gateway_id",
        )?))
    }

    async fn apply(&self, cx: &StepContext<'_>, args: &Args) -> Result<Applied, SandboxError> {
        let id = args.str("internet_gateway_id")?;
        crate::ownership::delete_internet_gateway(cx.sandbox.ec2(), id).await?;
        Ok(Applied::default())
    }
}

#[cfg(test)]
mod tests {
    use crate::sandbox::ErrorKind;
    use crate::steps::testing::Harness;
    use serde_json::json;

    #[tokio::test]
    async fn detaches_then_deletes() {
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
        assert_eq!(
            ec2.delete_internet_gateway(&igw)
                .await
                .expect_err("attached")
                .kind,
            ErrorKind::Conflict
        );
        h.apply(
            "ec2.delete_internet_gateway",
            json!({"internet_gateway_id": igw}),
        )
        .await
        .expect("deletes");
        assert_eq!(
            ec2.internet_gateway_vpcs(&igw)
                .await
                .expect_err("gone")
                .kind,
            ErrorKind::NotFound
        );
        ec2.delete_vpc(&vpc.vpc_id)
            .await
            .expect("nothing holds the vpc");
    }
}
