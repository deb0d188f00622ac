//! `ec2.revoke_ingress`: remove an inbound rule from a security group.

use super::ec2_authorize_ingress::{RULE_INPUTS, describe, rule};
use super::{Applied, Args, StepContext, StepKind, StepSpec, Undo, gone_is_fine};
use crate::sandbox::{ErrorKind, SandboxError};
use async_trait::async_trait;

pub struct Ec2RevokeIngress;

static SPEC: StepSpec = StepSpec {
    name: "ec2.revoke_ingress",
    summary: "Remove an inbound rule for one port from a security group.",
    docs: "Removes the inbound rule that ec2.authorize_ingress with the same inputs adds. \
           Security groups are stateful: connections already established through the rule \
           (an open SSH session, for instance) are not cut when it is removed; only new \
           connections are refused. A rule, or a group, that does not exist counts as removed.",
    inputs: RULE_INPUTS,
    outputs: &[],
    calls: &[
        "ec2:DescribeSecurityGroupRules",
        "ec2:RevokeSecurityGroupIngress",
    ],
    revert: "ec2.authorize_ingress (none if the rule was not there)",
    creates: None,
};

#[async_trait]
impl StepKind for Ec2RevokeIngress {
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
        let ec2 = cx.sandbox.ec2();
        let existed = match ec2.group_rules(group).await {
            Ok(rules) => rules.ingress.contains(&rule),
            Err(e) if e.kind == ErrorKind::NotFound => return Ok(Applied::default()),
            Err(e) => return Err(e),
        };
        gone_is_fine(ec2.revoke_ingress(group, &rule).await)?;
        let mut applied = Applied::default();
        if existed {
            applied = applied.undo(Undo::new(
                "ec2.authorize_ingress",
                with,
                describe(group, &rule),
            ));
        }
        Ok(applied)
    }
}

#[cfg(test)]
mod tests {
    use crate::sandbox::Rule;
    use crate::steps::testing::Harness;
    use serde_json::json;

    fn rule(port: i32) -> Rule {
        Rule {
            protocol: "tcp".into(),
            from_port: port,
            to_port: port,
            cidr: "0.0.0.0/0".into(),
        }
    }

    #[tokio::test]
    async fn removes_the_rule_and_reverts_by_authorizing_it() {
        let h = Harness::new();
        let ec2 = h.sandbox.ec2();
        let sg = ec2
            .create_security_group("g", "g", &h.tags)
            .await
            .expect("sg");
        ec2.authorize_ingress(&sg, &rule(22)).await.expect("ssh");
        ec2.authorize_ingress(&sg, &rule(443)).await.expect("https");
        let with = json!({"group_id": sg, "protocol": "tcp", "port": 22, "cidr": "0.0.0.0/0"});
        let applied = h.apply("ec2.revoke_ingress", with).await.expect("applies");
        assert_eq!(
            ec2.group_rules(&sg).await.expect("rules").ingress,
            [rule(443)]
        );
        assert_eq!(applied.undo[0].action, "ec2.authorize_ingress");
        h.revert(&applied).await.expect("reverts");
        let mut ingress = ec2.group_rules(&sg).await.expect("rules").ingress;
        ingress.sort();
        assert_eq!(ingress, [rule(22), rule(443)]);
    }

    #[tokio::test]
    async fn a_missing_rule_or_group_has_nothing_to_undo() {
        let h = Harness::new();
        let sg = h
            .sandbox
            .ec2()
            .create_security_group("g", "g", &h.tags)
            .await
            .expect("sg");
        let with = json!({"group_id": sg, "port": 22, "cidr": "0.0.0.0/0"});
        let applied = h
            .apply("ec2.revoke_ingress", with)
            .await
            .expect("no rule is fine");
        assert!(applied.undo.is_empty());
        assert!(
            h.sandbox
                .ec2()
                .group_rules(&sg)
                .await
                .expect("rules")
                .ingress
                .is_empty()
        );
        let gone = json!({"group_id": "sg-0123456789abcdef0", "port": 22, "cidr": "0.0.0.0/0"});
        let applied = h
            .apply("ec2.revoke_ingress", gone)
            .await
            .expect("no group is fine");
        assert!(applied.undo.is_empty());
    }
}
