//! VPCs: their DNS attributes, main route table and default network ACL, and internet
//! gateways. As AWS makes them: a new VPC's route table holds the `local` route for its
//! range, its network ACL allows everything both ways (entry 100), DNS support is on and
//! DNS hostnames off.

use super::{Call, SimAccount, State, error};
use crate::sandbox::{
    AclEntry, ErrorKind, Resource, ResourceKind, Result, Route, SandboxError, Tags, Vpc as Created,
    VpcDns,
};

/// A VPC, with its main route table and default network ACL.
#[derive(Debug, Clone)]
pub(super) struct Vpc {
    pub tags: Tags,
    pub dns: VpcDns,
    pub route_table: String,
    pub route_table_tags: Tags,
    pub routes: Vec<Route>,
    pub network_acl: String,
    pub network_acl_tags: Tags,
    pub entries: Vec<AclEntry>,
}

/// An internet gateway.
#[derive(Debug, Clone)]
pub(super) struct Gateway {
    pub tags: Tags,
    pub vpc: Option<String>,
}

fn invalid(op: &str, why: impl std::fmt::Display) -> SandboxError {
    error(ErrorKind::InvalidInput, op, "InvalidParameterValue", why)
}

fn no_vpc(op: &str, id: &str) -> SandboxError {
    error(
        ErrorKind::NotFound,
        op,
        "InvalidVpcID.NotFound",
        format!("The vpc ID '{id}' does not exist"),
    )
}

fn no_gateway(op: &str, id: &str) -> SandboxError {
    error(
        ErrorKind::NotFound,
        op,
        "InvalidInternetGatewayID.NotFound",
        format!("The internetGateway ID '{id}' does not exist"),
    )
}

fn no_route_table(op: &str, id: &str) -> SandboxError {
    error(
        ErrorKind::NotFound,
        op,
        "InvalidRouteTableID.NotFound",
        format!("The routeTable ID '{id}' does not exist"),
    )
}

fn no_acl(op: &str, id: &str) -> SandboxError {
    error(
        ErrorKind::NotFound,
        op,
        "InvalidNetworkAclID.NotFound",
        format!("The network acl ID '{id}' does not exist"),
    )
}

/// Whether `cidr` is an IPv4 range of prefix length `min..=max`.
fn ipv4_range(cidr: &str, min: u8, max: u8) -> bool {
    let Some((addr, len)) = cidr.split_once('/') else {
        return false;
    };
    addr.parse::<std::net::Ipv4Addr>().is_ok()
        && len.parse::<u8>().is_ok_and(|l| (min..=max).contains(&l))
}

/// The entry every new network ACL has (besides the catch-all): allow everything.
fn allow_all(egress: bool) -> AclEntry {
    AclEntry {
        rule_number: 100,
        egress,
        protocol: "-1".to_owned(),
        cidr: "0.0.0.0/0".to_owned(),
        from_port: 0,
        to_port: 0,
        allow: true,
    }
}

/// An entry as EC2 stores it: ports only for TCP and UDP.
fn normalize(op: &str, entry: &AclEntry) -> Result<AclEntry> {
    if !(1..=32766).contains(&entry.rule_number) {
        return Err(invalid(op, "the rule number must be 1 to 32766"));
    }
    let number = if entry.protocol == "-1" {
        -1
    } else {
        entry
            .protocol
            .parse::<i32>()
            .ok()
            .filter(|p| (0..=255).contains(p))
            .ok_or_else(|| {
                invalid(
                    op,
                    format!("`{}` is not a protocol number or -1", entry.protocol),
                )
            })?
    };
    if !ipv4_range(&entry.cidr, 0, 32) {
        return Err(invalid(
            op,
            format!("`{}` is not an IPv4 CIDR block", entry.cidr),
        ));
    }
    let ported = number == 6 || number == 17;
    if ported
        && (!(0..=65535).contains(&entry.from_port)
            || !(entry.from_port..=65535).contains(&entry.to_port))
    {
        return Err(invalid(
            op,
            "ports must be 0 to 65535, from no greater than to",
        ));
    }
    let (from_port, to_port) = if ported {
        (entry.from_port, entry.to_port)
    } else {
        (0, 0)
    };
    Ok(AclEntry {
        from_port,
        to_port,
        ..entry.clone()
    })
}

impl State {
    fn vpc_mut(&mut self, op: &str, id: &str) -> Result<&mut Vpc> {
        self.vpcs.get_mut(id).ok_or_else(|| no_vpc(op, id))
    }

    fn with_route_table(&mut self, op: &str, id: &str) -> Result<&mut Vpc> {
        self.vpcs
            .values_mut()
            .find(|v| v.route_table == id)
            .ok_or_else(|| no_route_table(op, id))
    }

    fn with_acl(&mut self, op: &str, id: &str) -> Result<&mut Vpc> {
        self.vpcs
            .values_mut()
            .find(|v| v.network_acl == id)
            .ok_or_else(|| no_acl(op, id))
    }

    /// The tags of a VPC, internet gateway, route table or network ACL, by id.
    pub(super) fn network_tags(&self, id: &str) -> Option<Result<Tags>> {
        let prefix = id.split('-').next().unwrap_or_default();
        let found = match prefix {
            "vpc" => self.vpcs.get(id).map(|v| v.tags.clone()),
            "igw" => self.gateways.get(id).map(|g| g.tags.clone()),
            "rtb" => self
                .vpcs
                .values()
                .find(|v| v.route_table == id)
                .map(|v| v.route_table_tags.clone()),
            "acl" => self
                .vpcs
                .values()
                .find(|v| v.network_acl == id)
                .map(|v| v.network_acl_tags.clone()),
            _ => return None,
        };
        Some(found.ok_or_else(|| match prefix {
            "vpc" => no_vpc("ec2:DescribeVpcs", id),
            "igw" => no_gateway("ec2:DescribeInternetGateways", id),
            "rtb" => no_route_table("ec2:DescribeRouteTables", id),
            _ => no_acl("ec2:DescribeNetworkAcls", id),
        }))
    }

    /// The VPCs and internet gateways tagged `key` = `value`.
    pub(super) fn tagged_network(&self, key: &str, value: &str) -> Vec<Resource> {
        let has = |tags: &Tags| tags.get(key).is_some_and(|v| v == value);
        let gateways = self
            .gateways
            .iter()
            .filter(|(_, g)| has(&g.tags))
            .map(|(id, _)| Resource::new(ResourceKind::InternetGateway, id.clone()));
        let vpcs = self
            .vpcs
            .iter()
            .filter(|(_, v)| has(&v.tags))
            .map(|(id, _)| Resource::new(ResourceKind::Vpc, id.clone()));
        gateways.chain(vpcs).collect()
    }
}

impl SimAccount {
    pub(super) fn vpc_create(&self, name: &str, cidr: &str, tags: &Tags) -> Result<Created> {
        const OP: &str = "ec2:CreateVpc";
        if !ipv4_range(cidr, 16, 28) {
            return Err(error(
                ErrorKind::InvalidInput,
                OP,
                "InvalidVpc.Range",
                format!("The CIDR '{cidr}' is invalid: an IPv4 block from /16 to /28"),
            ));
        }
        let mut st = self.lock();
        let id = st.fresh_id("vpc-", 17, |st, id| st.vpcs.contains_key(id));
        let route_table = st.fresh_id("rtb-", 17, |st, id| {
            st.vpcs.values().any(|v| v.route_table == id)
        });
        let network_acl = st.fresh_id("acl-", 17, |st, id| {
            st.vpcs.values().any(|v| v.network_acl == id)
        });
        let mut named = tags.clone();
        named.insert("Name".to_owned(), name.to_owned());
        st.vpcs.insert(
            id.clone(),
            Vpc {
                tags: named,
                dns: VpcDns {
                    support: true,
                    hostnames: false,
                },
                route_table: route_table.clone(),
                route_table_tags: tags.clone(),
                routes: vec![Route {
                    destination: cidr.to_owned(),
                    gateway_id: "local".to_owned(),
                }],
                network_acl: network_acl.clone(),
                network_acl_tags: tags.clone(),
                entries: vec![allow_all(false), allow_all(true)],
            },
        );
        self.record(&mut st, Call::new(OP, &[&id]));
        self.record(
            &mut st,
            Call::new("ec2:CreateTags", &[&network_acl, &route_table]),
        );
        Ok(Created {
            vpc_id: id,
            network_acl_id: network_acl,
            route_table_id: route_table,
        })
    }

    pub(super) fn vpc_delete(&self, vpc_id: &str) -> Result<()> {
        const OP: &str = "ec2:DeleteVpc";
        let mut st = self.lock();
        st.vpc_mut(OP, vpc_id)?;
        if let Some((igw, _)) = st
            .gateways
            .iter()
            .find(|(_, g)| g.vpc.as_deref() == Some(vpc_id))
        {
            return Err(error(
                ErrorKind::Conflict,
                OP,
                "DependencyViolation",
                format!("The vpc '{vpc_id}' has dependencies and cannot be deleted ({igw})"),
            ));
        }
        st.vpcs.remove(vpc_id);
        self.record(&mut st, Call::new(OP, &[vpc_id]));
        Ok(())
    }

    pub(super) fn gateway_create(&self, name: &str, tags: &Tags) -> Result<String> {
        const OP: &str = "ec2:CreateInternetGateway";
        let mut st = self.lock();
        let id = st.fresh_id("igw-", 17, |st, id| st.gateways.contains_key(id));
        let mut tags = tags.clone();
        tags.insert("Name".to_owned(), name.to_owned());
        st.gateways.insert(id.clone(), Gateway { tags, vpc: None });
        self.record(&mut st, Call::new(OP, &[&id]));
        Ok(id)
    }

    pub(super) fn gateway_attach(&self, gateway_id: &str, vpc_id: &str) -> Result<()> {
        const OP: &str = "ec2:AttachInternetGateway";
        let mut st = self.lock();
        st.vpc_mut(OP, vpc_id)?;
        let g = st
            .gateways
            .get_mut(gateway_id)
            .ok_or_else(|| no_gateway(OP, gateway_id))?;
        if let Some(other) = &g.vpc {
            return Err(error(
                ErrorKind::Conflict,
                OP,
                "Resource.AlreadyAssociated",
                format!("resource {gateway_id} is already attached to network {other}"),
            ));
        }
        g.vpc = Some(vpc_id.to_owned());
        self.record(&mut st, Call::new(OP, &[gateway_id, vpc_id]));
        Ok(())
    }

    pub(super) fn gateway_detach(&self, gateway_id: &str, vpc_id: &str) -> Result<()> {
        const OP: &str = "ec2:DetachInternetGateway";
        let mut st = self.lock();
        let g = st
            .gateways
            .get_mut(gateway_id)
            .ok_or_else(|| no_gateway(OP, gateway_id))?;
        if g.vpc.as_deref() != Some(vpc_id) {
            return Err(error(
                ErrorKind::Conflict,
                OP,
                "Gateway.NotAttached",
                format!("resource {gateway_id} is not attached to network {vpc_id}"),
            ));
        }
        g.vpc = None;
        self.record(&mut st, Call::new(OP, &[gateway_id, vpc_id]));
        Ok(())
    }

    pub(super) fn gateway_delete(&self, gateway_id: &str) -> Result<()> {
        const OP: &str = "ec2:DeleteInternetGateway";
        let mut st = self.lock();
        let g = st
            .gateways
            .get(gateway_id)
            .ok_or_else(|| no_gateway(OP, gateway_id))?;
        if let Some(vpc) = &g.vpc {
            return Err(error(
                ErrorKind::Conflict,
                OP,
                "DependencyViolation",
                format!("The internetGateway '{gateway_id}' has dependencies ({vpc})"),
            ));
        }
        st.gateways.remove(gateway_id);
        self.record(&mut st, Call::new(OP, &[gateway_id]));
        Ok(())
    }

    pub(super) fn gateway_vpcs(&self, gateway_id: &str) -> Result<Vec<String>> {
        let st = self.lock();
        st.gateways
            .get(gateway_id)
            .map(|g| g.vpc.iter().cloned().collect())
            .ok_or_else(|| no_gateway("ec2:DescribeInternetGateways", gateway_id))
    }

    pub(super) fn vpc_gateways(&self, vpc_id: &str) -> Vec<String> {
        let st = self.lock();
        st.gateways
            .iter()
            .filter(|(_, g)| g.vpc.as_deref() == Some(vpc_id))
            .map(|(id, _)| id.clone())
            .collect()
    }

    pub(super) fn route_list(&self, route_table_id: &str) -> Result<Vec<Route>> {
        let mut st = self.lock();
        let mut routes = st
            .with_route_table("ec2:DescribeRouteTables", route_table_id)?
            .routes
            .clone();
        routes.sort();
        Ok(routes)
    }

    pub(super) fn route_create(&self, route_table_id: &str, route: &Route) -> Result<()> {
        const OP: &str = "ec2:CreateRoute";
        if !ipv4_range(&route.destination, 0, 32) {
            return Err(invalid(
                OP,
                format!("`{}` is not an IPv4 CIDR block", route.destination),
            ));
        }
        let mut st = self.lock();
        let gateway_vpc = st
            .gateways
            .get(&route.gateway_id)
            .ok_or_else(|| no_gateway(OP, &route.gateway_id))?
            .vpc
            .clone();
        let (vpc_id, vpc) = st
            .vpcs
            .iter_mut()
            .find(|(_, v)| v.route_table == route_table_id)
            .ok_or_else(|| no_route_table(OP, route_table_id))?;
        if gateway_vpc.as_deref() != Some(vpc_id.as_str()) {
            return Err(invalid(
                OP,
                format!(
                    "route table {route_table_id} and network gateway {} belong to different networks",
                    route.gateway_id
                ),
            ));
        }
        if vpc
            .routes
            .iter()
            .any(|r| r.destination == route.destination)
        {
            return Err(error(
                ErrorKind::AlreadyExists,
                OP,
                "RouteAlreadyExists",
                format!(
                    "The route identified by {} already exists.",
                    route.destination
                ),
            ));
        }
        vpc.routes.push(route.clone());
        self.record(
            &mut st,
            Call::new(OP, &[route_table_id, route.gateway_id.as_str()]),
        );
        Ok(())
    }

    pub(super) fn route_delete(&self, route_table_id: &str, destination: &str) -> Result<()> {
        const OP: &str = "ec2:DeleteRoute";
        let mut st = self.lock();
        let vpc = st.with_route_table(OP, route_table_id)?;
        let Some(at) = vpc
            .routes
            .iter()
            .position(|r| r.destination == destination && r.gateway_id != "local")
        else {
            return Err(error(
                ErrorKind::NotFound,
                OP,
                "InvalidRoute.NotFound",
                format!(
                    "no route with destination-cidr-block {destination} in route table {route_table_id}"
                ),
            ));
        };
        vpc.routes.remove(at);
        self.record(&mut st, Call::new(OP, &[route_table_id]));
        Ok(())
    }

    pub(super) fn acl_entries(&self, network_acl_id: &str) -> Result<Vec<AclEntry>> {
        let mut st = self.lock();
        let mut entries = st
            .with_acl("ec2:DescribeNetworkAcls", network_acl_id)?
            .entries
            .clone();
        entries.sort();
        Ok(entries)
    }

    pub(super) fn acl_entry_create(&self, network_acl_id: &str, entry: &AclEntry) -> Result<()> {
        const OP: &str = "ec2:CreateNetworkAclEntry";
        let entry = normalize(OP, entry)?;
        let mut st = self.lock();
        let vpc = st.with_acl(OP, network_acl_id)?;
        if vpc
            .entries
            .iter()
            .any(|e| e.rule_number == entry.rule_number && e.egress == entry.egress)
        {
            return Err(error(
                ErrorKind::AlreadyExists,
                OP,
                "NetworkAclEntryAlreadyExists",
                format!(
                    "The network acl entry identified by {} already exists.",
                    entry.rule_number
                ),
            ));
        }
        vpc.entries.push(entry);
        self.record(&mut st, Call::new(OP, &[network_acl_id]));
        Ok(())
    }

    pub(super) fn acl_entry_delete(
        &self,
        network_acl_id: &str,
        rule_number: i32,
        egress: bool,
    ) -> Result<()> {
        const OP: &str = "ec2:DeleteNetworkAclEntry";
        let mut st = self.lock();
        let vpc = st.with_acl(OP, network_acl_id)?;
        let Some(at) = vpc
            .entries
            .iter()
            .position(|e| e.rule_number == rule_number && e.egress == egress)
        else {
            return Err(error(
                ErrorKind::NotFound,
                OP,
                "InvalidNetworkAclEntry.NotFound",
                format!(
                    "The network acl entry identified by {rule_number} (egress {egress}) does not exist"
                ),
            ));
        };
        vpc.entries.remove(at);
        self.record(&mut st, Call::new(OP, &[network_acl_id]));
        Ok(())
    }

    pub(super) fn dns_of(&self, vpc_id: &str) -> Result<VpcDns> {
        let mut st = self.lock();
        Ok(st.vpc_mut("ec2:DescribeVpcAttribute", vpc_id)?.dns)
    }

    pub(super) fn dns_set(
        &self,
        vpc_id: &str,
        support: Option<bool>,
        hostnames: Option<bool>,
    ) -> Result<()> {
        const OP: &str = "ec2:ModifyVpcAttribute";
        let mut st = self.lock();
        let vpc = st.vpc_mut(OP, vpc_id)?;
        let mut dns = vpc.dns;
        if let Some(s) = support {
            dns.support = s;
        }
        if let Some(h) = hostnames {
            dns.hostnames = h;
        }
        let calls = usize::from(support.is_some()) + usize::from(hostnames.is_some());
        vpc.dns = dns;
        for _ in 0..calls {
            self.record(&mut st, Call::new(OP, &[vpc_id]));
        }
        Ok(())
    }
}
