//! VPCs on AWS: the VPC half of the [`Ec2`](crate::sandbox::Ec2) trait, through the
//! official SDK. [`AwsEc2`](super::ec2::AwsEc2) delegates these calls here.

use super::sandbox_error;
use crate::sandbox::{AclEntry, ErrorKind, Result, Route, SandboxError, Tags, Vpc, VpcDns};
use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{
    AttributeBooleanValue, Filter, PortRange, ResourceType, RuleAction, Tag, VpcAttributeName,
};

fn filter(name: &str, value: &str) -> Filter {
    Filter::builder().name(name).values(value).build()
}

fn missing(operation: &str, id: &str) -> SandboxError {
    SandboxError::new(
        ErrorKind::NotFound,
        operation,
        format!("{id} does not exist"),
    )
}

/// CreateVpc (tagged), then its default network ACL and main route table found and tagged.
pub(super) async fn create_vpc(c: &Client, name: &str, cidr: &str, tags: &Tags) -> Result<Vpc> {
    const OP: &str = "ec2:CreateVpc";
    let out = c
        .create_vpc()
        .cidr_block(cidr)
        .tag_specifications(super::ec2::tag_spec(ResourceType::Vpc, tags, Some(name)))
        .send()
        .await
        .map_err(|e| sandbox_error(OP, e))?;
    let vpc_id = out
        .vpc()
        .and_then(|v| v.vpc_id())
        .ok_or_else(|| SandboxError::new(ErrorKind::Other, OP, "no VPC in the answer"))?
        .to_owned();
    const ACLS: &str = "ec2:DescribeNetworkAcls";
    let acls = c
        .describe_network_acls()
        .filters(filter("vpc-id", &vpc_id))
        .filters(filter("default", "true"))
        .send()
        .await
        .map_err(|e| sandbox_error(ACLS, e))?;
    let network_acl_id = acls
        .network_acls()
        .first()
        .and_then(|a| a.network_acl_id())
        .ok_or_else(|| missing(ACLS, &format!("the default network ACL of {vpc_id}")))?
        .to_owned();
    const TABLES: &str = "ec2:DescribeRouteTables";
    let tables = c
        .describe_route_tables()
        .filters(filter("vpc-id", &vpc_id))
        .filters(filter("association.main", "true"))
        .send()
        .await
        .map_err(|e| sandbox_error(TABLES, e))?;
    let route_table_id = tables
        .route_tables()
        .first()
        .and_then(|t| t.route_table_id())
        .ok_or_else(|| missing(TABLES, &format!("the main route table of {vpc_id}")))?
        .to_owned();
    if !tags.is_empty() {
        c.create_tags()
            .resources(&network_acl_id)
            .resources(&route_table_id)
            .set_tags(Some(
                tags.iter()
                    .map(|(k, v)| Tag::builder().key(k).value(v).build())
                    .collect(),
            ))
            .send()
            .await
            .map_err(|e| sandbox_error("ec2:CreateTags", e))?;
    }
    Ok(Vpc {
        vpc_id,
        network_acl_id,
        route_table_id,
    })
}

/// CreateInternetGateway (tagged).
pub(super) async fn create_internet_gateway(c: &Client, name: &str, tags: &Tags) -> Result<String> {
    const OP: &str = "ec2:CreateInternetGateway";
    let out = c
        .create_internet_gateway()
        .tag_specifications(super::ec2::tag_spec(
            ResourceType::InternetGateway,
            tags,
            Some(name),
        ))
        .send()
        .await
        .map_err(|e| sandbox_error(OP, e))?;
    out.internet_gateway()
        .and_then(|g| g.internet_gateway_id())
        .map(str::to_owned)
        .ok_or_else(|| SandboxError::new(ErrorKind::Other, OP, "no gateway in the answer"))
}

/// DescribeInternetGateways by id: the VPCs it is attached to.
pub(super) async fn internet_gateway_vpcs(c: &Client, gateway_id: &str) -> Result<Vec<String>> {
    const OP: &str = "ec2:DescribeInternetGateways";
    let out = c
        .describe_internet_gateways()
        .internet_gateway_ids(gateway_id)
        .send()
        .await
        .map_err(|e| sandbox_error(OP, e))?;
    let g = out
        .internet_gateways()
        .first()
        .ok_or_else(|| missing(OP, gateway_id))?;
    let mut vpcs: Vec<String> = g
        .attachments()
        .iter()
        .filter_map(|a| a.vpc_id().map(str::to_owned))
        .collect();
    vpcs.sort();
    Ok(vpcs)
}

/// DescribeInternetGateways attached to the VPC.
pub(super) async fn vpc_internet_gateways(c: &Client, vpc_id: &str) -> Result<Vec<String>> {
    let out = c
        .describe_internet_gateways()
        .filters(filter("attachment.vpc-id", vpc_id))
        .send()
        .await
        .map_err(|e| sandbox_error("ec2:DescribeInternetGateways", e))?;
    let mut ids: Vec<String> = out
        .internet_gateways()
        .iter()
        .filter_map(|g| g.internet_gateway_id().map(str::to_owned))
        .collect();
    ids.sort();
    Ok(ids)
}

/// DescribeRouteTables by id: its IPv4 routes.
pub(super) async fn routes(c: &Client, route_table_id: &str) -> Result<Vec<Route>> {
    const OP: &str = "ec2:DescribeRouteTables";
    let out = c
        .describe_route_tables()
        .route_table_ids(route_table_id)
        .send()
        .await
        .map_err(|e| sandbox_error(OP, e))?;
    let table = out
        .route_tables()
        .first()
        .ok_or_else(|| missing(OP, route_table_id))?;
    let mut routes: Vec<Route> = table
        .routes()
        .iter()
        .filter_map(|r| {
            Some(Route {
                destination: r.destination_cidr_block()?.to_owned(),
                gateway_id: r.gateway_id().unwrap_or_default().to_owned(),
            })
        })
        .collect();
    routes.sort();
    Ok(routes)
}

/// DescribeNetworkAcls by id: its IPv4 entries, without the catch-all.
pub(super) async fn network_acl_entries(c: &Client, network_acl_id: &str) -> Result<Vec<AclEntry>> {
    const OP: &str = "ec2:DescribeNetworkAcls";
    let out = c
        .describe_network_acls()
        .network_acl_ids(network_acl_id)
        .send()
        .await
        .map_err(|e| sandbox_error(OP, e))?;
    let acl = out
        .network_acls()
        .first()
        .ok_or_else(|| missing(OP, network_acl_id))?;
    let mut entries: Vec<AclEntry> = acl
        .entries()
        .iter()
        .filter(|e| e.rule_number().is_some_and(|n| n < 32767))
        .filter_map(|e| {
            let protocol = e.protocol().unwrap_or("-1").to_owned();
            let ported = protocol == "6" || protocol == "17";
            let (from_port, to_port) = match (ported, e.port_range()) {
                (true, Some(p)) => (p.from().unwrap_or(0), p.to().unwrap_or(0)),
                _ => (0, 0),
            };
            Some(AclEntry {
                rule_number: e.rule_number()?,
                egress: e.egress().unwrap_or(false),
                protocol,
                cidr: e.cidr_block()?.to_owned(),
                from_port,
                to_port,
                allow: e.rule_action() == Some(&RuleAction::Allow),
            })
        })
        .collect();
    entries.sort();
    Ok(entries)
}

/// CreateNetworkAclEntry.
pub(super) async fn create_network_acl_entry(
    c: &Client,
    network_acl_id: &str,
    entry: &AclEntry,
) -> Result<()> {
    let mut call = c
        .create_network_acl_entry()
        .network_acl_id(network_acl_id)
        .rule_number(entry.rule_number)
        .egress(entry.egress)
        .protocol(&entry.protocol)
        .cidr_block(&entry.cidr)
        .rule_action(if entry.allow {
            RuleAction::Allow
        } else {
            RuleAction::Deny
        });
    if entry.protocol == "6" || entry.protocol == "17" {
        call = call.port_range(
            PortRange::builder()
                .from(entry.from_port)
                .to(entry.to_port)
                .build(),
        );
    }
    call.send()
        .await
        .map_err(|e| sandbox_error("ec2:CreateNetworkAclEntry", e))?;
    Ok(())
}

/// DescribeVpcAttribute, once for each DNS attribute.
pub(super) async fn vpc_dns(c: &Client, vpc_id: &str) -> Result<VpcDns> {
    const OP: &str = "ec2:DescribeVpcAttribute";
    let support = c
        .describe_vpc_attribute()
        .vpc_id(vpc_id)
        .attribute(VpcAttributeName::EnableDnsSupport)
        .send()
        .await
        .map_err(|e| sandbox_error(OP, e))?;
    let hostnames = c
        .describe_vpc_attribute()
        .vpc_id(vpc_id)
        .attribute(VpcAttributeName::EnableDnsHostnames)
        .send()
        .await
        .map_err(|e| sandbox_error(OP, e))?;
    Ok(VpcDns {
        support: support
            .enable_dns_support()
            .and_then(AttributeBooleanValue::value)
            .unwrap_or(false),
        hostnames: hostnames
            .enable_dns_hostnames()
            .and_then(AttributeBooleanValue::value)
            .unwrap_or(false),
    })
}

/// ModifyVpcAttribute, one call for each attribute given.
pub(super) async fn set_vpc_dns(
    c: &Client,
    vpc_id: &str,
    support: Option<bool>,
    hostnames: Option<bool>,
) -> Result<()> {
    const OP: &str = "ec2:ModifyVpcAttribute";
    let value = |b: bool| AttributeBooleanValue::builder().value(b).build();
    if let Some(s) = support {
        c.modify_vpc_attribute()
            .vpc_id(vpc_id)
            .enable_dns_support(value(s))
            .send()
            .await
            .map_err(|e| sandbox_error(OP, e))?;
    }
    if let Some(h) = hostnames {
        c.modify_vpc_attribute()
            .vpc_id(vpc_id)
            .enable_dns_hostnames(value(h))
            .send()
            .await
            .map_err(|e| sandbox_error(OP, e))?;
    }
    Ok(())
}
