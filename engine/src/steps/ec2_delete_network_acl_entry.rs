//! `ec2.delete_network_acl_entry`: a numbered entry removed from a network ACL.

use super::ec2_create_network_acl_entry::{describe, inputs};
use super::{Applied, Args, Field, FieldType, StepContext, StepKind, StepSpec, Undo};
use crate::sandbox::{ErrorKind, ResourceKind, SandboxError, gone_is_fine};
use async_trait::async_trait;

pub struct Ec2DeleteNetworkAclEntry;

static SPEC: StepSpec = StepSpec {
    name: "ec2.delete_network_acl_entry",
    summary: "Remove a numbered entry from a network ACL.",
    docs: "Removes the entry `rule_number` in the given direction; the traffic it allowed or \
           denied falls to the next entry by number. An entry, or an ACL, that does not \
           exist counts as removed. DeleteNetworkAclEntry is an event of the CIS \
           network-ACL filter (4.11).",
    inputs: &[
        Field {
            name: "network_acl_id",
            ty: FieldType::String,
            required: true,
            doc: "The network ACL.",
        },
        Field {
            name: "rule_number",
            ty: FieldType::Integer,
            required: true,
            doc: "The entry's number.",
        },
        Field {
            name: "egress",
            ty: FieldType::Bool,
            required: false,
            doc: "true for the outbound entry; default false (inbound).",
        },
    ],
    outputs: &[],
    calls: &["ec2:DescribeNetworkAcls", "ec2:DeleteNetworkAclEntry"],
    revert: "ec2.create_network_acl_entry with the entry as it was (none if there was none)",
    creates: None,
};

#[async_trait]
impl StepKind for Ec2DeleteNetworkAclEntry {
    fn spec(&self) -> &'static StepSpec {
        &SPEC
    }

    fn guard(&self, args: &Args) -> Result<super::Guard, SandboxError> {
        Ok(super::Guard::Inside(
            args.resource(ResourceKind::NetworkAcl, "network_acl_id")?,
        ))
    }

    async fn apply(&self, cx: &StepContext<'_>, args: &Args) -> Result<Applied, SandboxError> {
        let acl = args.str("network_acl_id")?;
        let number = args.int("rule_number")?;
        let number = i32::try_from(number)
            .map_err(|_| args.bad(format!("input `rule_number` is out of range: {number}")))?;
        let egress = args.bool_or("egress", false)?;
        let ec2 = cx.sandbox.ec2();
        let old = match ec2.network_acl_entries(acl).await {
            Ok(entries) => entries
                .into_iter()
                .find(|e| e.rule_number == number && e.egress == egress),
            Err(e) if e.kind == ErrorKind::NotFound => return Ok(Applied::default()),
            Err(e) => return Err(e),
        };
        let Some(old) = old else {
            return Ok(Applied::default());
        };
        gone_is_fine(ec2.delete_network_acl_entry(acl, number, egress).await)?;
        Ok(Applied::default().undo(Undo::new(
            "ec2.create_network_acl_entry",
            inputs(acl, &old),
            describe(acl, number, egress),
        )))
    }
}

#[cfg(test)]
mod tests {
    use crate::steps::testing::Harness;
    use serde_json::json;

    #[tokio::test]
    async fn removes_the_entry_and_reverts_by_putting_it_back() {
        let h = Harness::new();
        let ec2 = h.sandbox.ec2();
        let vpc = ec2
            .create_vpc("n", "10.0.0.0/16", &h.tags)
            .await
            .expect("vpc");
        h.apply(
            "ec2.create_network_acl_entry",
            json!({"network_acl_id": vpc.network_acl_id, "rule_number": 90, "egress": true,
                "cidr_block": "0.0.0.0/0", "from_port": 443, "rule_action": "deny"}),
        )
        .await
        .expect("entry");
        let with_deny = ec2
            .network_acl_entries(&vpc.network_acl_id)
            .await
            .expect("entries");
        let applied = h
            .apply(
                "ec2.delete_network_acl_entry",
                json!({"network_acl_id": vpc.network_acl_id, "rule_number": 90, "egress": true}),
            )
            .await
            .expect("applies");
        assert_eq!(
            ec2.network_acl_entries(&vpc.network_acl_id)
                .await
                .expect("entries")
                .len(),
            2
        );
        h.revert(&applied).await.expect("reverts");
        assert_eq!(
            ec2.network_acl_entries(&vpc.network_acl_id)
                .await
                .expect("entries"),
            with_deny
        );
        // The inbound entry 90 never existed: nothing to remove, nothing owed.
        let none = h
            .apply(
                "ec2.delete_network_acl_entry",
                json!({"network_acl_id": vpc.network_acl_id, "rule_number": 90}),
            )
            .await
            .expect("applies");
        assert!(none.undo.is_empty());
    }
}
