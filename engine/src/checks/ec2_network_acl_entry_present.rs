//! `ec2.network_acl_entry_present`: whether a network ACL still has a numbered entry.

use super::{Check, CheckSpec, Values, int, text};
use crate::sandbox::{ErrorKind, Sandbox, SandboxError};
use crate::steps::{Args, Field, FieldType};
use async_trait::async_trait;
use serde_json::{Value, json};

pub struct Ec2NetworkAclEntryPresent;

static SPEC: CheckSpec = CheckSpec {
    name: "ec2.network_acl_entry_present",
    summary: "Whether a network ACL has an entry of a given number and direction.",
    docs: "Reads the ACL's entries (DescribeNetworkAcls) and reports true while one has \
           `rule_number` in the direction `egress` says, whatever it allows or denies. An \
           ACL that no longer exists has no entries. A deny entry an attacker added is \
           contained when it is gone (`expect: false`).",
    inputs: &[
        text("network_acl_id", "The network ACL."),
        int("rule_number", "The entry's number."),
        Field {
            name: "egress",
            ty: FieldType::Bool,
            required: false,
            doc: "true for the outbound entry; default false (inbound).",
        },
    ],
    values: Values::Bool,
    calls: &["ec2:DescribeNetworkAcls"],
    audit_events: &["ec2:DeleteNetworkAclEntry", "ec2:ReplaceNetworkAclEntry"],
    audit_resource: Some("network_acl_id"),
};

#[async_trait]
impl Check for Ec2NetworkAclEntryPresent {
    fn spec(&self) -> &'static CheckSpec {
        &SPEC
    }

    async fn probe(&self, sandbox: &dyn Sandbox, args: &Args) -> Result<Value, SandboxError> {
        let number = args.int("rule_number")?;
        let egress = args.bool_or("egress", false)?;
        match sandbox
            .ec2()
            .network_acl_entries(args.str("network_acl_id")?)
            .await
        {
            Ok(entries) => {
                Ok(json!(entries.iter().any(|e| {
                    i64::from(e.rule_number) == number && e.egress == egress
                })))
            }
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
    async fn present_in_its_direction_until_deleted() {
        let h = Harness::new();
        let vpc = h
            .sandbox
            .ec2()
            .create_vpc("n", "10.0.0.0/16", &h.tags)
            .await
            .expect("vpc");
        let present = async |egress: bool| {
            probe(
                &h,
                "ec2.network_acl_entry_present",
                json!({"network_acl_id": vpc.network_acl_id, "rule_number": 90, "egress": egress}),
            )
            .await
            .expect("probes")
        };
        assert_eq!(present(true).await, false);
        let applied = h
            .apply(
                "ec2.create_network_acl_entry",
                json!({"network_acl_id": vpc.network_acl_id, "rule_number": 90, "egress": true,
                    "cidr_block": "0.0.0.0/0", "from_port": 443, "rule_action": "deny"}),
            )
            .await
            .expect("entry");
        assert_eq!(present(true).await, true);
        assert_eq!(present(false).await, false, "the other direction");
        h.revert(&applied).await.expect("reverts");
        assert_eq!(present(true).await, false);
    }
}
