//! `ec2.delete_vpc`: a VPC the run created, removed with the gateways it holds.

use super::{Applied, Args, Field, FieldType, StepContext, StepKind, StepSpec};
use crate::sandbox::{ResourceKind, SandboxError};
use async_trait::async_trait;

pub struct Ec2DeleteVpc;

static SPEC: StepSpec = StepSpec {
    name: "ec2.delete_vpc",
    summary: "Delete a VPC, detaching its internet gateways first.",
    docs: "Detaches every internet gateway attached to the VPC, deletes those that carry the \
           VPC's own run tag, then deletes the VPC with its route table and network ACL. As \
           a revert it only touches a VPC tagged for the run. DeleteVpc is an event of the \
           CIS VPC-change filter (4.14), and detaching and deleting gateways of the \
           network-gateway filter (4.12).",
    inputs: &[Field {
        name: "vpc_id",
        ty: FieldType::String,
        required: true,
        doc: "The VPC.",
    }],
    outputs: &[],
    calls: &[
        "ec2:DescribeVpcs",
        "ec2:DescribeInternetGateways",
        "ec2:DetachInternetGateway",
        "ec2:DeleteInternetGateway",
        "ec2:DeleteVpc",
    ],
    revert: "none",
    creates: None,
};

#[async_trait]
impl StepKind for Ec2DeleteVpc {
    fn spec(&self) -> &'static StepSpec {
        &SPEC
    }

    fn guard(&self, args: &Args) -> Result<super::Guard, SandboxError> {
        Ok(super::Guard::Deletes(
            args.resource(ResourceKind::Vpc, "vpc_id")?,
        ))
    }

    async fn apply(&self, cx: &StepContext<'_>, args: &Args) -> Result<Applied, SandboxError> {
        crate::ownership::delete_vpc(cx.sandbox.ec2(), args.str("vpc_id")?).await?;
        Ok(Applied::default())
    }
}

#[cfg(test)]
mod tests {
    use crate::sandbox::ErrorKind;
    use crate::steps::testing::Harness;
    use serde_json::json;

    #[tokio::test]
    async fn detaches_and_deletes_the_runs_gateway_then_the_vpc() {
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
            ec2.delete_vpc(&vpc.vpc_id).await.expect_err("in use").kind,
            ErrorKind::Conflict
        );
        h.apply("ec2.delete_vpc", json!({"vpc_id": vpc.vpc_id}))
            .await
            .expect("deletes");
        assert_eq!(
            ec2.tags_of(&vpc.vpc_id).await.expect_err("gone").kind,
            ErrorKind::NotFound
        );
        assert_eq!(
            ec2.tags_of(&igw).await.expect_err("gone").kind,
            ErrorKind::NotFound
        );
    }

    #[tokio::test]
    async fn a_gateway_of_someone_else_is_detached_and_left() {
        let h = Harness::new();
        let ec2 = h.sandbox.ec2();
        let vpc = ec2
            .create_vpc("n", "10.0.0.0/16", &h.tags)
            .await
            .expect("vpc");
        let theirs = ec2
            .create_internet_gateway("theirs", &Default::default())
            .await
            .expect("igw");
        ec2.attach_internet_gateway(&theirs, &vpc.vpc_id)
            .await
            .expect("attach");
        h.apply("ec2.delete_vpc", json!({"vpc_id": vpc.vpc_id}))
            .await
            .expect("deletes");
        assert!(
            ec2.internet_gateway_vpcs(&theirs)
                .await
                .expect("still there")
                .is_empty()
        );
    }
}
