//! `ec2.route_present`: whether a route table still routes a destination somewhere.

use super::{Check, CheckSpec, Values, text};
use crate::sandbox::{ErrorKind, Sandbox, SandboxError};
use crate::steps::Args;
use async_trait::async_trait;
use serde_json::{Value, json};

pub struct Ec2RoutePresent;

static SPEC: CheckSpec = CheckSpec {
    name: "ec2.route_present",
    summary: "Whether a route table has a route for a destination range.",
    docs: "Reads the table's routes (DescribeRouteTables) and reports true while one has \
           exactly `destination_cidr_block` as its destination, whatever its target. A \
           route table that no longer exists has no routes. A default route to an internet \
           gateway added to an isolated VPC is contained when it is gone (`expect: false`).",
    inputs: &[
        text("route_table_id", "The route table."),
        text(
            "destination_cidr_block",
            "The destination, such as 0.0.0.0/0.",
        ),
    ],
    values: Values::Bool,
    calls: &["ec2:DescribeRouteTables"],
    audit_events: &["ec2:DeleteRoute"],
    audit_resource: Some("route_table_id"),
};

#[async_trait]
impl Check for Ec2RoutePresent {
    fn spec(&self) -> &'static CheckSpec {
        &SPEC
    }

    async fn probe(&self, sandbox: &dyn Sandbox, args: &Args) -> Result<Value, SandboxError> {
        let destination = args.str("destination_cidr_block")?;
        match sandbox.ec2().routes(args.str("route_table_id")?).await {
            Ok(routes) => Ok(json!(routes.iter().any(|r| r.destination == destination))),
            Err(e) if e.kind == ErrorKind::NotFound => Ok(json!(false)),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::probe;
    use crate::steps::testing::Harness;
    use serde_json::json;

    #[tokio::test]
    async fn present_while_the_route_is_there() {
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
        let present = async |destination: &str| {
            probe(
                &h,
                "ec2.route_present",
                json!({"route_table_id": vpc.route_table_id, "destination_cidr_block": destination}),
            )
            .await
            .expect("probes")
        };
        assert_eq!(present("0.0.0.0/0").await, false);
        assert_eq!(present("10.0.0.0/16").await, true, "the local route");
        let applied = h
            .apply(
                "ec2.create_route",
                json!({"route_table_id": vpc.route_table_id,
                    "destination_cidr_block": "0.0.0.0/0", "gateway_id": igw}),
            )
            .await
            .expect("route");
        assert_eq!(present("0.0.0.0/0").await, true);
        h.revert(&applied).await.expect("reverts");
        assert_eq!(present("0.0.0.0/0").await, false);
        let gone = probe(
            &h,
            "ec2.route_present",
            json!({"route_table_id": "rtb-0123456789abcdef0", "destination_cidr_block": "0.0.0.0/0"}),
        )
        .await
        .expect("probes");
        assert_eq!(gone, false);
    }
}
