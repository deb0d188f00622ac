//! `ec2.create_network_acl_entry`: a numbered allow or deny entry in a network ACL.

use super::{Applied, Args, Field, FieldType, StepContext, StepKind, StepSpec, Undo};
use crate::sandbox::{AclEntry, ResourceKind, SandboxError};
use async_trait::async_trait;
use serde_json::{Value, json};

pub struct Ec2CreateNetworkAclEntry;

static SPEC: StepSpec = StepSpec {
    name: "ec2.create_network_acl_entry",
    summary: "Add an allow or deny entry to a network ACL.",
    docs: "Network ACLs are stateless and evaluated lowest rule number first, before any \
           security group: a deny entry numbered below the ACL's allow-all entry (100 in a \
           default ACL) blocks that traffic for every subnet associated with the ACL, \
           whatever the security groups allow. A deny of outbound TCP 443 cuts agents, log \
           shippers and the SSM agent off from their endpoints. An entry of that number \
           and direction already there is refused, and nothing changes. \
           CreateNetworkAclEntry is an event of the CIS network-ACL filter (4.11). The \
           revert deletes the entry.",
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
            doc: "1 to 32766; lower numbers are evaluated first.",
        },
        Field {
            name: "egress",
            ty: FieldType::Bool,
            required: false,
            doc: "true for outbound traffic; default false (inbound).",
        },
        Field {
            name: "protocol",
            ty: FieldType::String,
            required: false,
            doc: "tcp, udp, icmp, -1 (all) or a protocol number; default tcp.",
        },
        Field {
            name: "cidr_block",
            ty: FieldType::String,
            required: true,
            doc: "The IPv4 range: the destination of outbound traffic, the source of inbound.",
        },
        Field {
            name: "from_port",
            ty: FieldType::Integer,
            required: false,
            doc: "First port (TCP and UDP); default 0.",
        },
        Field {
            name: "to_port",
            ty: FieldType::Integer,
            required: false,
            doc: "Last port (TCP and UDP); default from_port.",
        },
        Field {
            name: "rule_action",
            ty: FieldType::String,
            required: true,
            doc: "allow or deny.",
        },
    ],
    outputs: &[],
    calls: &["ec2:CreateNetworkAclEntry"],
    revert: "ec2.delete_network_acl_entry",
    creates: None,
};

/// The protocol number EC2 stores for a protocol name or number.
pub(super) fn protocol_number(args: &Args, protocol: &str) -> Result<String, SandboxError> {
    Ok(match protocol.to_ascii_lowercase().as_str() {
        "tcp" => "6".to_owned(),
        "udp" => "17".to_owned(),
        "icmp" => "1".to_owned(),
        "-1" | "all" => "-1".to_owned(),
        n if n.parse::<u8>().is_ok() => n.to_owned(),
        _ => {
            return Err(args.bad(format!(
                "input `protocol` must be tcp, udp, icmp, -1 or a protocol number, not `{protocol}`"
            )));
        }
    })
}

/// The entry the inputs describe.
fn entry(args: &Args) -> Result<AclEntry, SandboxError> {
    let small = |name: &str, v: i64| {
        i32::try_from(v).map_err(|_| args.bad(format!("input `{name}` is out of range: {v}")))
    };
    let from_port = small("from_port", args.int_or("from_port", 0)?)?;
    let to_port = small("to_port", args.int_or("to_port", i64::from(from_port))?)?;
    let allow = match args.str("rule_action")? {
        "allow" => true,
        "deny" => false,
        other => {
            return Err(args.bad(format!(
                "input `rule_action` must be allow or deny, not `{other}`"
            )));
        }
    };
    let protocol = protocol_number(args, args.str_or("protocol", "tcp")?)?;
    let ported = protocol == "6" || protocol == "17";
    Ok(AclEntry {
        rule_number: small("rule_number", args.int("rule_number")?)?,
        egress: args.bool_or("egress", false)?,
        protocol,
        cidr: args.str("cidr_block")?.to_owned(),
        from_port: if ported { from_port } else { 0 },
        to_port: if ported { to_port } else { 0 },
        allow,
    })
}

/// The inputs that create `entry` in `acl` again.
pub(super) fn inputs(acl: &str, entry: &AclEntry) -> Value {
    json!({
        "network_acl_id": acl,
        "rule_number": entry.rule_number,
        "egress": entry.egress,
        "protocol": entry.protocol,
        "cidr_block": entry.cidr,
        "from_port": entry.from_port,
        "to_port": entry.to_port,
        "rule_action": if entry.allow { "allow" } else { "deny" },
    })
}

/// How an entry reads for people.
pub(super) fn describe(acl: &str, rule_number: i32, egress: bool) -> String {
    let way = if egress { "outbound" } else { "inbound" };
    format!("{way} entry {rule_number} of network acl {acl}")
}

#[async_trait]
impl StepKind for Ec2CreateNetworkAclEntry {
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
        let entry = entry(args)?;
        cx.sandbox
            .ec2()
            .create_network_acl_entry(acl, &entry)
            .await?;
        Ok(Applied::default().undo(Undo::new(
            "ec2.delete_network_acl_entry",
            json!({ "network_acl_id": acl, "rule_number": entry.rule_number,
                    "egress": entry.egress }),
            describe(acl, entry.rule_number, entry.egress),
        )))
    }
}

#[cfg(test)]
mod tests {
    use crate::sandbox::{AclEntry, ErrorKind};
    use crate::steps::testing::Harness;
    use serde_json::json;

    #[tokio::test]
    async fn denies_outbound_https_and_reverts_by_deleting_the_entry() {
        let h = Harness::new();
        let ec2 = h.sandbox.ec2();
        let vpc = ec2
            .create_vpc("n", "10.0.0.0/16", &h.tags)
            .await
            .expect("vpc");
        let before = ec2
            .network_acl_entries(&vpc.network_acl_id)
            .await
            .expect("entries");
        let with = json!({"network_acl_id": vpc.network_acl_id, "rule_number": 90,
            "egress": true, "protocol": "tcp", "cidr_block": "0.0.0.0/0",
            "from_port": 443, "to_port": 443, "rule_action": "deny"});
        let applied = h
            .apply("ec2.create_network_acl_entry", with.clone())
            .await
            .expect("applies");
        let entries = ec2
            .network_acl_entries(&vpc.network_acl_id)
            .await
            .expect("entries");
        assert!(entries.contains(&AclEntry {
            rule_number: 90,
            egress: true,
            protocol: "6".into(),
            cidr: "0.0.0.0/0".into(),
            from_port: 443,
            to_port: 443,
            allow: false,
        }));
        assert_eq!(
            h.apply("ec2.create_network_acl_entry", with)
                .await
                .expect_err("taken")
                .kind,
            ErrorKind::AlreadyExists
        );
        h.revert(&applied).await.expect("reverts");
        assert_eq!(
            ec2.network_acl_entries(&vpc.network_acl_id)
                .await
                .expect("entries"),
            before
        );
    }

    #[tokio::test]
    async fn an_unknown_action_or_protocol_is_refused_before_any_call() {
        let h = Harness::new();
        for (protocol, action) in [("tcp", "block"), ("gre!", "deny")] {
            let with = json!({"network_acl_id": "acl-0123456789abcdef0", "rule_number": 90,
                "protocol": protocol, "cidr_block": "0.0.0.0/0", "rule_action": action});
            let err = h
                .apply("ec2.create_network_acl_entry", with)
                .await
                .expect_err("refused");
            assert_eq!(err.kind, ErrorKind::InvalidInput, "{protocol} {action}");
        }
    }
}
