//! `ec2.create_vpc`: a VPC, tagged for the run, with its network ACL and route table.

use super::{Applied, Args, Field, FieldType, OutputSpec, StepContext, StepKind, StepSpec, Undo};
use crate::sandbox::{ResourceKind, SandboxError};
use async_trait::async_trait;
use serde_json::json;

pub struct Ec2CreateVpc;

static SPEC: StepSpec = StepSpec {
    name: "ec2.create_vpc",
    summary: "Create a VPC tagged for the run, with no subnets and no gateway.",
    docs: "Creates an isolated VPC: AWS gives it a main route table holding only the `local` \
           route for its range and a default network ACL allowing all traffic both ways; DNS \
           support is on and DNS hostnames off. The step tags the VPC (named `name`), and \
           tags its network ACL and route table with the run's tags too (CreateTags), so \
           that a revert of a change inside them can tell they are the run's. CreateVpc is \
           an event of the CIS VPC-change filter (4.14); tagging is in none of the CIS \
           network filters.",
    inputs: &[
        Field {
            name: "name",
            ty: FieldType::String,
            required: true,
            doc: "Its Name tag.",
        },
        Field {
            name: "cidr_block",
            ty: FieldType::String,
            required: false,
            doc: "Its IPv4 range, /16 to /28; default 10.42.0.0/16.",
        },
    ],
    outputs: &[
        OutputSpec {
            name: "vpc_id",
            doc: "The VPC id.",
            secret: false,
        },
        OutputSpec {
            name: "network_acl_id",
            doc: "Its default network ACL.",
            secret: false,
        },
        OutputSpec {
            name: "route_table_id",
            doc: "Its main route table.",
            secret: false,
        },
    ],
    calls: &[
        "ec2:CreateVpc",
        "ec2:DescribeNetworkAcls",
        "ec2:DescribeRouteTables",
        "ec2:CreateTags",
    ],
    revert: "ec2.delete_vpc",
    creates: Some(super::Creates {
        kind: ResourceKind::Vpc,
        name: None,
    }),
};

#[async_trait]
impl StepKind for Ec2CreateVpc {
    fn spec(&self) -> &'static StepSpec {
        &SPEC
    }

    async fn apply(&self, cx: &StepContext<'_>, args: &Args) -> Result<Applied, SandboxError> {
        let name = args.str("name")?;
        let cidr = args.str_or("cidr_block", "10.42.0.0/16")?;
        let vpc = cx.sandbox.ec2().create_vpc(name, cidr, cx.tags).await?;
        Ok(Applied::default()
            .output("vpc_id", vpc.vpc_id.clone())
            .output("network_acl_id", vpc.network_acl_id)
            .output("route_table_id", vpc.route_table_id)
            .undo(Undo::new(
                "ec2.delete_vpc",
                json!({ "vpc_id": vpc.vpc_id }),
                format!("vpc {} ({name})", vpc.vpc_id),
            )))
    }
}

#[cfg(test)]
mod tests {
    use crate::sandbox::{ErrorKind, Route};
    use crate::steps::testing::Harness;
    use serde_json::json;

    #[tokio::test]
    async fn creates_an_isolated_tagged_vpc_and_reverts_it() {
        let h = Harness::new();
        let applied = h
            .apply(
                "ec2.create_vpc",
                json!({"name": "gameday-t-net", "cidr_block": "10.1.0.0/16"}),
            )
            .await
            .expect("applies");
        let out = |k: &str| applied.outputs[k].as_str().expect("output").to_owned();
        let (vpc, acl, rtb) = (out("vpc_id"), out("network_acl_id"), out("route_table_id"));
        assert!(vpc.starts_with("vpc-") && acl.starts_with("acl-") && rtb.starts_with("rtb-"));
        let ec2 = h.sandbox.ec2();
        for id in [&vpc, &acl, &rtb] {
            assert_eq!(ec2.tags_of(id).await.expect("tags")["gameday:run"], "t");
        }
        assert_eq!(
            ec2.routes(&rtb).await.expect("routes"),
            [Route {
                destination: "10.1.0.0/16".into(),
                gateway_id: "local".into()
            }]
        );
        assert!(ec2.vpc_dns(&vpc).await.expect("dns").support);
        h.revert(&applied).await.expect("reverts");
        assert_eq!(
            ec2.tags_of(&vpc).await.expect_err("gone").kind,
            ErrorKind::NotFound
        );
        assert_eq!(
            ec2.routes(&rtb).await.expect_err("gone with it").kind,
            ErrorKind::NotFound
        );
    }

    #[tokio::test]
    async fn a_range_aws_would_refuse_is_refused() {
        let h = Harness::new();
        let err = h
            .apply(
                "ec2.create_vpc",
                json!({"name": "n", "cidr_block": "10.0.0.0/8"}),
            )
            .await
            .expect_err("too wide");
        assert_eq!(err.kind, ErrorKind::InvalidInput);
    }
}
