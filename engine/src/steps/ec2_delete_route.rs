//! `ec2.delete_route`: a route removed from a route table.

use super::{Applied, Args, Field, FieldType, StepContext, StepKind, StepSpec, Undo};
use crate::sandbox::{ErrorKind, ResourceKind, SandboxError, gone_is_fine};
use async_trait::async_trait;
use serde_json::json;

pub struct Ec2DeleteRoute;

static SPEC: StepSpec = StepSpec {
    name: "ec2.delete_route",
    summary: "Remove the route for a destination range from a route table.",
    docs: "Removes the route for `destination_cidr_block` (never the VPC's `local` route). \
           Traffic to that range from subnets using the table stops at once; connections \
           already open through it break. A route, or a table, that does not exist counts \
           as removed. DeleteRoute is an event of the CIS route-table filter (4.13).",
    inputs: &[
        Field {
            name: "route_table_id",
            ty: FieldType::String,
            required: true,
            doc: "The route table.",
        },
        Field {
            name: "destination_cidr_block",
            ty: FieldType::String,
            required: true,
            doc: "The IPv4 destination of the route.",
        },
    ],
    outputs: &[],
    calls: &["ec2:DescribeRouteTables", "ec2:DeleteRoute"],
    revert: "ec2.create_route with the gateway the route had (none if there was no route)",
    creates: None,
};

#[async_trait]
impl StepKind for Ec2DeleteRoute {
    fn spec(&self) -> &'static StepSpec {
        &SPEC
    }

    fn guard(&self, args: &Args) -> Result<super::Guard, SandboxError> {
        Ok(super::Guard::Inside(
            args.resource(ResourceKind::RouteTable, "route_table_id")?,
        ))
    }

    async fn apply(&self, cx: &StepContext<'_>, args: &Args) -> Result<Applied, SandboxError> {
        let table = args.str("route_table_id")?;
        let destination = args.str("destination_cidr_block")?;
        let ec2 = cx.sandbox.ec2();
        let old = match ec2.routes(table).await {
            Ok(routes) => routes
                .into_iter()
                .find(|r| r.destination == destination && r.gateway_id != "local"),
            Err(e) if e.kind == ErrorKind::NotFound => return Ok(Applied::default()),
            Err(e) => return Err(e),
        };
        let Some(old) = old else {
            return Ok(Applied::default());
        };
        gone_is_fine(ec2.delete_route(table, destination).await)?;
        Ok(Applied::default().undo(Undo::new(
            "ec2.create_route",
            json!({ "route_table_id": table, "destination_cidr_block": destination,
                    "gateway_id": old.gateway_id }),
            format!("route {destination} in route table {table}"),
        )))
    }
}

#[cfg(test)]
mod tests {
    use crate::steps::testing::Harness;
    use serde_json::json;

    #[tokio::test]
    async fn removes_the_route_and_reverts_by_adding_it_back() {
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
        h.apply(
            "ec2.create_route",
            json!({"route_table_id": vpc.route_table_id,
                "destination_cidr_block": "0.0.0.0/0", "gateway_id": igw}),
        )
        .await
        .expect("route");
        let with = json!({"route_table_id": vpc.route_table_id,
            "destination_cidr_block": "0.0.0.0/0"});
        let applied = h
            .apply("ec2.delete_route", with.clone())
            .await
            .expect("applies");
        assert_eq!(
            ec2.routes(&vpc.route_table_id).await.expect("routes").len(),
            1
        );
        assert_eq!(applied.undo[0].with["gateway_id"], igw.as_str());
        h.revert(&applied).await.expect("reverts");
        assert_eq!(
            ec2.routes(&vpc.route_table_id).await.expect("routes").len(),
            2
        );
        // The local route is never removed; a missing route owes nothing.
        let local = json!({"route_table_id": vpc.route_table_id,
            "destination_cidr_block": "10.0.0.0/16"});
        let none = h.apply("ec2.delete_route", local).await.expect("applies");
        assert!(none.undo.is_empty());
        assert_eq!(
            ec2.routes(&vpc.route_table_id).await.expect("routes").len(),
            2
        );
    }
}
