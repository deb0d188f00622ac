//! `ec2.ingress_open`: whether a security group still lets a range reach a port.

use super::{Check, CheckSpec, Values, int, text};
use crate::sandbox::{Sandbox, SandboxError};
use crate::steps::Args;
use async_trait::async_trait;
use serde_json::{Value, json};

pub struct Ec2IngressOpen;

static SPEC: CheckSpec = CheckSpec {
    name: "ec2.ingress_open",
    summary: "Whether a security group lets `cidr` reach `port`.",
    docs: "Reads the group's inbound rules and reports true when a rule for exactly `cidr` \
           covers `port` (its port range holds it, or it allows every protocol). A rule for \
           a wider or narrower range is not this one; containment is usually false.",
    inputs: &[
        text("group_id", "The security group."),
        int("port", "The port."),
        text("cidr", "The source range, such as 0.0.0.0/0."),
    ],
    values: Values::Bool,
    calls: &["ec2:DescribeSecurityGroupRules"],
    audit_events: &["ec2:RevokeSecurityGroupIngress"],
    audit_resource: Some("group_id"),
};

#[async_trait]
impl Check for Ec2IngressOpen {
    fn spec(&self) -> &'static CheckSpec {
        &SPEC
    }

    async fn probe(&self, sandbox: &dyn Sandbox, args: &Args) -> Result<Value, SandboxError> {
        let port = args.int("port")?;
        let cidr = args.str("cidr")?;
        let rules = sandbox.ec2().group_rules(args.str("group_id")?).await?;
        Ok(json!(rules.ingress.iter().any(|r| {
            r.cidr == cidr
                && (r.protocol == "-1"
                    || (i64::from(r.from_port) <= port && port <= i64::from(r.to_port)))
        })))
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::probe;
    use crate::steps::testing::Harness;
    use serde_json::json;

    #[tokio::test]
    async fn open_while_the_rule_for_that_range_and_port_is_there() {
        let h = Harness::new();
        let group = h
            .sandbox
            .ec2()
            .create_security_group("web", "web", &h.tags)
            .await
            .expect("group");
        let open = async |port: i64, cidr: &str| {
            probe(
                &h,
                "ec2.ingress_open",
                json!({"group_id": group, "port": port, "cidr": cidr}),
            )
            .await
            .expect("probes")
        };
        assert_eq!(open(22, "0.0.0.0/0").await, false);
        let ssh = json!({"group_id": group, "port": 22, "cidr": "0.0.0.0/0"});
        h.apply("ec2.authorize_ingress", ssh.clone())
            .await
            .expect("opens");
        assert_eq!(open(22, "0.0.0.0/0").await, true);
        assert_eq!(open(23, "0.0.0.0/0").await, false, "another port");
        assert_eq!(open(22, "10.0.0.0/8").await, false, "another range");
        h.apply("ec2.revoke_ingress", ssh).await.expect("closes");
        assert_eq!(open(22, "0.0.0.0/0").await, false);
    }
}
