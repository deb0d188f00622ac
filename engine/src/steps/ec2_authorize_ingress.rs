//! `ec2.authorize_ingress`: an inbound rule in a security group.

use super::{Applied, Args, Field, FieldType, StepContext, StepKind, StepSpec, Undo};
use crate::sandbox::{ErrorKind, Rule, SandboxError};
use async_trait::async_trait;
use serde_json::json;

pub struct Ec2AuthorizeIngress;

/// The inputs both `ec2.authorize_ingress` and `ec2.revoke_ingress` take.
pub(super) static RULE_INPUTS: &[Field] = &[
    Field {
        name: "group_id",
        ty: FieldType::String,
        required: true,
        doc: "The security group id.",
    },
    Field {
        name: "port",
        ty: FieldType::Integer,
        required: true,
        doc: "The port (the rule's first and last port).",
    },
    Field {
        name: "protocol",
        ty: FieldType::String,
        required: false,
        doc: "tcp, udp, icmp or -1 (all); default tcp.",
    },
    Field {
        name: "cidr",
        ty: FieldType::String,
        required: true,
        doc: "The IPv4 source range, such as 0.0.0.0/0.",
    },
];

static SPEC: StepSpec = StepSpec {
    name: "ec2.authorize_ingress",
    summary: "Allow inbound traffic to one port from an IPv4 range.",
    docs: "Adds an inbound rule for one port (from_port = to_port = port). 0.0.0.0/0 opens the \
           port to the whole internet: to anything in the groups' instances listening on it. \
           A rule that is already there is left as it is, and left there at clean-up.",
    inputs: RULE_INPUTS,
    outputs: &[],
    calls: &["ec2:AuthorizeSecurityGroupIngress"],
    revert: "ec2.revoke_ingress (none if the rule was there already)",
    creates: None,
};

/// The rule the inputs describe, and the inputs again for an undo.
pub(super) fn rule(args: &Args) -> Result<(&str, Rule, serde_json::Value), SandboxError> {
    let group = args.str("group_id")?;
    let port = args.int("port")?;
    let port = i32::try_from(port)
        .map_err(|_| args.bad(format!("input `port` is out of range: {port}")))?;
    let protocol = args.str_or("protocol", "tcp")?;
    let cidr = args.str("cidr")?;
    let with = json!({ "group_id": group, "port": port, "protocol": protocol, "cidr": cidr });
    Ok((
        group,
        Rule {
            protocol: protocol.to_owned(),
            from_port: port,
            to_port: port,
            cidr: cidr.to_owned(),
        },
        with,
    ))
}

/// How a rule reads for people.
pub(super) fn describe(group: &str, rule: &Rule) -> String {
    format!(
        "ingress {}/{} from {} in security group {group}",
        rule.protocol, rule.from_port, rule.cidr
    )
}

#[async_trait]
impl StepKind for Ec2AuthorizeIngress {
    fn spec(&self) -> &'static StepSpec {
        &SPEC
    }

    fn guard(&self, args: &Args) -> Result<super::Guard, SandboxError> {
        Ok(super::Guard::Inside(args.resource(
            crate::sandbox::ResourceKind::SecurityGroup,
            "group_id",
        )?))
    }

    async fn apply(&self, cx: &StepContext<'_>, args: &Args) -> Result<Applied, SandboxError> {
        let (group, rule, with) = rule(args)?;
        match cx.sandbox.ec2().authorize_ingress(group, &rule).await {
            Ok(()) => Ok(Applied::default().undo(Undo::new(
                "ec2.revoke_ingress",
                with,
                describe(group, &rule),
            ))),
            Err(e) if e.kind == ErrorKind::AlreadyExists => Ok(Applied::default()),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::sandbox::Rule;
    use crate::steps::testing::Harness;
    use serde_json::json;

    fn ssh() -> Rule {
        Rule {
            protocol: "tcp".into(),
            from_port: 22,
            to_port: 22,
            cidr: "0.0.0.0/0".into(),
        }
    }

    #[tokio::test]
    async fn opens_a_port_and_reverts_by_revoking() {
        let h = Harness::new();
        let sg = h
            .sandbox
            .ec2()
            .create_security_group("g", "g", &h.tags)
            .await
            .expect("sg");
        let with = json!({"group_id": sg, "port": 22, "cidr": "0.0.0.0/0"});
        let applied = h
            .apply("ec2.authorize_ingress", with)
            .await
            .expect("applies");
        assert_eq!(
            h.sandbox
                .ec2()
                .group_rules(&sg)
                .await
                .expect("rules")
                .ingress,
            [ssh()]
        );
        assert_eq!(applied.undo[0].action, "ec2.revoke_ingress");
        assert_eq!(applied.undo[0].with["protocol"], "tcp");
        h.revert(&applied).await.expect("reverts");
        assert!(
            h.sandbox
                .ec2()
                .group_rules(&sg)
                .await
                .expect("rules")
                .ingress
                .is_empty()
        );
    }

    #[tokio::test]
    async fn a_rule_that_was_there_stays_at_clean_up() {
        let h = Harness::new();
        let sg = h
            .sandbox
            .ec2()
            .create_security_group("g", "g", &h.tags)
            .await
            .expect("sg");
        h.sandbox
            .ec2()
            .authorize_ingress(&sg, &ssh())
            .await
            .expect("rule");
        let with = json!({"group_id": sg, "port": 22, "protocol": "tcp", "cidr": "0.0.0.0/0"});
        let applied = h
            .apply("ec2.authorize_ingress", with)
            .await
            .expect("applies");
        assert!(applied.undo.is_empty());
        assert_eq!(
            h.sandbox
                .ec2()
                .group_rules(&sg)
                .await
                .expect("rules")
                .ingress,
            [ssh()]
        );
    }
}
