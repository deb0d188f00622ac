//! `ec2.create_route`: a route to an internet gateway in a route table.

use super::{Applied, Args, Field, FieldType, StepContext, StepKind, StepSpec, Undo};
use crate::sandbox::{ResourceKind, Route, SandboxError};
use async_trait::async_trait;
use serde_json::json;

pub struct Ec2CreateRoute;

static SPEC: StepSpec = StepSpec {
    name: "ec2.create_route",
    summary: "Add a route sending a destination range to a gateway.",
    docs: "Adds a route for `destination_cidr_block` to `gateway_id` (an internet gateway \
           attached to the table's VPC). A default route (0.0.0.0/0) to an internet gateway \
           in a VPC's main route table gives every subnet that uses the table a path to \
           and from the internet. A table that already routes that destination is refused, \
           and nothing changes. CreateRoute is an event of the CIS route-table filter \
           (4.13). The revert deletes the route.",
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
            doc: "The IPv4 destination, such as 0.0.0.0/0.",
        },
        Field {
            name: "gateway_id",
            ty: FieldType::String,
            required: true,
            doc: "The internet gateway the route sends traffic to.",
        },
    ],
    outputs: &[],
    calls: &["ec2:CreateRoute"],
    revert: "ec2.delete_route",
    creates: None,
};

#[async_trait]
impl StepKind for Ec2CreateRoute {
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
        let route = Route {
            destination: destination.to_owned(),
            gateway_id: args.str("gateway_id")?.to_owned(),
        };
        cx.sandbox.ec2().create_route(table, &route).await?;
        Ok(Applied::default().undo(Undo::new(
            "ec2.delete_route",
            json!({ "route_table_id": table, "destination_cidr_block": destination }),
            format!(
                "route {destination} to {} in route table {table}",
                route.gateway_id
            ),
        )))
    }
}

#[cfg(test)]
mod tests {
    use crate::sandbox::{ErrorKind, Route};
    use crate::steps::testing::Harness;
    use serde_json::json;

    #[tokio::test]
    async fn adds_a_default_route_and_reverts_by_deleting_it() {
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
        let with = json!({"route_table_id": vpc.route_table_id,
            "destination_cidr_block": "0.0.0.0/0", "gateway_id": igw});
        let applied = h
            .apply("ec2.create_route", with.clone())
            .await
            .expect("applies");
        let routes = ec2.routes(&vpc.route_table_id).await.expect("routes");
        assert!(routes.contains(&Route {
            destination: "0.0.0.0/0".into(),
            gateway_id: igw.clone()
        }));
        assert_eq!(
            h.apply("ec2.create_route", with)
                .await
                .expect_err("already routed")
                .kind,
            ErrorKind::AlreadyExists
        );
        h.revert(&applied).await.expect("reverts");
        assert_eq!(
            ec2.routes(&vpc.route_table_id).await.expect("routes").len(),
            1,
            "only the local route"
        );
    }

    #[tokio::test]
    async fn a_gateway_of_another_network_is_refused() {
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
        let with = json!({"route_table_id": vpc.route_table_id,
            "destination_cidr_block": "0.0.0.0/0", "gateway_id": igw});
        assert_eq!(
            h.apply("ec2.create_route", with)
                .await
                .expect_err("detached")
                .kind,
            ErrorKind::InvalidInput
        );
    }
}
