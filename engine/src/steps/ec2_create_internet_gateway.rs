//! `ec2.create_internet_gateway`: an internet gateway, tagged for the run, attached to a
//! VPC if one is given.

use super::{Applied, Args, Field, FieldType, OutputSpec, StepContext, StepKind, StepSpec, Undo};
use crate::sandbox::{ResourceKind, SandboxError, gone_is_fine};
use async_trait::async_trait;
use serde_json::json;

pub struct Ec2CreateInternetGateway;

static SPEC: StepSpec = StepSpec {
    name: "ec2.create_internet_gateway",
    summary: "Create an internet gateway tagged for the run, and attach it to a VPC.",
    docs: "An internet gateway attached to a VPC is what lets its subnets reach the internet \
           and be reached from it, once a route sends traffic there (and instances have \
           public addresses). Attaching one to a VPC that was meant to stay isolated opens \
           an exfiltration path. Only attach it to a VPC the run created. CreateInternetGateway \
           and AttachInternetGateway are events of the CIS network-gateway filter (4.12). \
           The revert detaches the gateway and deletes it.",
    inputs: &[
        Field {
            name: "name",
            ty: FieldType::String,
            required: true,
            doc: "Its Name tag.",
        },
        Field {
            name: "vpc_id",
            ty: FieldType::String,
            required: false,
            doc: "The VPC to attach it to; none leaves it detached.",
        },
    ],
    outputs: &[OutputSpec {
        name: "internet_gateway_id",
        doc: "The gateway id.",
        secret: false,
    }],
    calls: &["ec2:CreateInternetGateway", "ec2:AttachInternetGateway"],
    revert: "ec2.delete_internet_gateway",
    creates: Some(super::Creates {
        kind: ResourceKind::InternetGateway,
        name: None,
    }),
};

#[async_trait]
impl StepKind for Ec2CreateInternetGateway {
    fn spec(&self) -> &'static StepSpec {
        &SPEC
    }

    async fn apply(&self, cx: &StepContext<'_>, args: &Args) -> Result<Applied, SandboxError> {
        let name = args.str("name")?;
        let vpc = args.str_or("vpc_id", "")?;
        let ec2 = cx.sandbox.ec2();
        let id = ec2.create_internet_gateway(name, cx.tags).await?;
        if !vpc.is_empty()
            && let Err(e) = ec2.attach_internet_gateway(&id, vpc).await
        {
            // The gateway is not journaled yet: remove it rather than leave it behind.
            gone_is_fine(ec2.delete_internet_gateway(&id).await)?;
            return Err(e);
        }
        Ok(Applied::default()
            .output("internet_gateway_id", id.clone())
            .undo(Undo::new(
                "ec2.delete_internet_gateway",
                json!({ "internet_gateway_id": id }),
                format!("internet gateway {id} ({name})"),
            )))
    }
}

#[cfg(test)]
mod tests {
    use crate::sandbox::ErrorKind;
    use crate::steps::testing::Harness;
    use serde_json::json;

    #[tokio::test]
    async fn creates_and_attaches_then_reverts_by_detaching_and_deleting() {
        let h = Harness::new();
        let ec2 = h.sandbox.ec2();
        let vpc = ec2
            .create_vpc("n", "10.0.0.0/16", &h.tags)
            .await
            .expect("vpc");
        let applied = h
            .apply(
                "ec2.create_internet_gateway",
                json!({"name": "gameday-t-igw", "vpc_id": vpc.vpc_id}),
            )
            .await
            .expect("applies");
        let igw = applied.outputs["internet_gateway_id"]
            .as_str()
            .expect("id")
            .to_owned();
        assert!(igw.starts_with("igw-"), "{igw}");
        assert_eq!(ec2.tags_of(&igw).await.expect("tags")["gameday:run"], "t");
        assert_eq!(
            ec2.vpc_internet_gateways(&vpc.vpc_id).await.expect("igws"),
            vec![igw.clone()]
        );
        h.revert(&applied).await.expect("reverts");
        assert!(
            ec2.vpc_internet_gateways(&vpc.vpc_id)
                .await
                .expect("igws")
                .is_empty()
        );
        assert_eq!(
            ec2.tags_of(&igw).await.expect_err("gone").kind,
            ErrorKind::NotFound
        );
    }

    #[tokio::test]
    async fn a_failed_attach_leaves_no_gateway() {
        let h = Harness::new();
        let err = h
            .apply(
                "ec2.create_internet_gateway",
                json!({"name": "g", "vpc_id": "vpc-0123456789abcdef0"}),
            )
            .await
            .expect_err("no such vpc");
        assert_eq!(err.kind, ErrorKind::NotFound);
        assert!(h.sandbox.tagged_resources("t").is_empty());
    }
}
