//! `ec2.modify_vpc_attribute`: a VPC's DNS support or DNS hostnames turned on or off.

use super::{Applied, Args, Field, FieldType, StepContext, StepKind, StepSpec, Undo};
use crate::sandbox::{ResourceKind, SandboxError};
use async_trait::async_trait;
use serde_json::{Map, Value};

pub struct Ec2ModifyVpcAttribute;

static SPEC: StepSpec = StepSpec {
    name: "ec2.modify_vpc_attribute",
    summary: "Turn a VPC's DNS support or DNS hostnames on or off.",
    docs: "With DNS support off, the Amazon-provided resolver (the VPC's .2 address, \
           169.254.169.253) stops answering in the VPC: instances then resolve names through \
           whatever resolver they are configured with, and their queries no longer reach \
           the DNS logs GuardDuty analyses. The step reads both attributes first \
           (DescribeVpcAttribute), then sets each one given (one ModifyVpcAttribute call \
           each, an event of the CIS VPC-change filter, 4.14). The revert puts back the \
           values it read, for the attributes it changed.",
    inputs: &[
        Field {
            name: "vpc_id",
            ty: FieldType::String,
            required: true,
            doc: "The VPC.",
        },
        Field {
            name: "enable_dns_support",
            ty: FieldType::Bool,
            required: false,
            doc: "DNS support on (true) or off (false); not given leaves it.",
        },
        Field {
            name: "enable_dns_hostnames",
            ty: FieldType::Bool,
            required: false,
            doc: "DNS hostnames on (true) or off (false); not given leaves it.",
        },
    ],
    outputs: &[],
    calls: &["ec2:DescribeVpcAttribute", "ec2:ModifyVpcAttribute"],
    revert: "ec2.modify_vpc_attribute with the values the attributes had before",
    creates: None,
};

fn optional(args: &Args, name: &str) -> Result<Option<bool>, SandboxError> {
    match args.values().get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(_) => args.bool_or(name, false).map(Some),
    }
}

#[async_trait]
impl StepKind for Ec2ModifyVpcAttribute {
    fn spec(&self) -> &'static StepSpec {
        &SPEC
    }

    fn guard(&self, args: &Args) -> Result<super::Guard, SandboxError> {
        Ok(super::Guard::Inside(
            args.resource(ResourceKind::Vpc, "vpc_id")?,
        ))
    }

    async fn apply(&self, cx: &StepContext<'_>, args: &Args) -> Result<Applied, SandboxError> {
        let vpc = args.str("vpc_id")?;
        let support = optional(args, "enable_dns_support")?;
        let hostnames = optional(args, "enable_dns_hostnames")?;
        if support.is_none() && hostnames.is_none() {
            return Err(
                args.bad("give enable_dns_support, enable_dns_hostnames or both".to_owned())
            );
        }
        let ec2 = cx.sandbox.ec2();
        let before = ec2.vpc_dns(vpc).await?;
        ec2.set_vpc_dns(vpc, support, hostnames).await?;
        let mut undo = Map::new();
        if support.is_some_and(|s| s != before.support) {
            undo.insert("enable_dns_support".into(), before.support.into());
        }
        if hostnames.is_some_and(|h| h != before.hostnames) {
            undo.insert("enable_dns_hostnames".into(), before.hostnames.into());
        }
        if undo.is_empty() {
            return Ok(Applied::default());
        }
        undo.insert("vpc_id".into(), vpc.into());
        Ok(Applied::default().undo(Undo::new(
            "ec2.modify_vpc_attribute",
            Value::Object(undo),
            format!("dns attributes of vpc {vpc}"),
        )))
    }
}

#[cfg(test)]
mod tests {
    use crate::sandbox::{ErrorKind, VpcDns};
    use crate::steps::testing::Harness;
    use serde_json::json;

    #[tokio::test]
    async fn turns_dns_support_off_and_reverts_to_what_it_read() {
        let h = Harness::new();
        let ec2 = h.sandbox.ec2();
        let vpc = ec2
            .create_vpc("n", "10.0.0.0/16", &h.tags)
            .await
            .expect("vpc");
        let applied = h
            .apply(
                "ec2.modify_vpc_attribute",
                json!({"vpc_id": vpc.vpc_id, "enable_dns_support": false,
                    "enable_dns_hostnames": false}),
            )
            .await
            .expect("applies");
        assert_eq!(
            ec2.vpc_dns(&vpc.vpc_id).await.expect("dns"),
            VpcDns {
                support: false,
                hostnames: false
            }
        );
        // Hostnames were off already: only support is owed back.
        assert_eq!(applied.undo.len(), 1);
        assert!(!applied.undo[0].with.contains_key("enable_dns_hostnames"));
        h.revert(&applied).await.expect("reverts");
        assert_eq!(
            ec2.vpc_dns(&vpc.vpc_id).await.expect("dns"),
            VpcDns {
                support: true,
                hostnames: false
            }
        );
    }

    #[tokio::test]
    async fn nothing_to_change_is_refused() {
        let h = Harness::new();
        let err = h
            .apply(
                "ec2.modify_vpc_attribute",
                json!({"vpc_id": "vpc-0123456789abcdef0"}),
            )
            .await
            .expect_err("nothing given");
        assert_eq!(err.kind, ErrorKind::InvalidInput);
    }
}
