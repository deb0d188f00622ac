//! EC2: instances with their root volumes, security groups, snapshots.

use super::{Call, SimAccount, State, error, model};
use crate::sandbox::{
    AclEntry, Ec2, ErrorKind, FindingResource, GroupRules, Instance as Created, Resource,
    ResourceKind, Result, Route, Rule, SandboxError, Tags, Vpc, VpcDns,
};
use async_trait::async_trait;

/// An instance.
#[derive(Debug, Clone)]
pub(super) struct Instance {
    pub volume: String,
    pub groups: Vec<String>,
    pub tags: Tags,
    pub terminated: bool,
}

/// A security group.
#[derive(Debug, Clone)]
pub(super) struct Group {
    pub name: String,
    pub tags: Tags,
    pub rules: GroupRules,
}

/// An EBS snapshot.
#[derive(Debug, Clone)]
pub(super) struct Snapshot {
    pub tags: Tags,
    /// createVolumePermission groups (`all`).
    pub groups: Vec<String>,
}

/// The rule every new group starts with: all traffic out.
fn allow_all_out() -> Rule {
    Rule {
        protocol: "-1".to_owned(),
        from_port: 0,
        to_port: 0,
        cidr: "0.0.0.0/0".to_owned(),
    }
}

/// The VPC's default group, which instances launched without groups get. Not deletable.
pub(super) fn create_default_group(st: &mut State) {
    let id = st.fresh_id("sg-", 17, |st, id| st.groups.contains_key(id));
    st.groups.insert(
        id.clone(),
        Group {
            name: "default".to_owned(),
            tags: Tags::new(),
            rules: GroupRules {
                ingress: Vec::new(),
                egress: vec![allow_all_out()],
            },
        },
    );
    st.default_group = id;
}

fn about_instance(id: &str) -> FindingResource {
    FindingResource {
        instance_id: Some(id.to_owned()),
        ..FindingResource::default()
    }
}

fn no_instance(op: &str, id: &str) -> SandboxError {
    error(
        ErrorKind::NotFound,
        op,
        "InvalidInstanceID.NotFound",
        format!("The instance ID '{id}' does not exist"),
    )
}

fn no_group(op: &str, id: &str) -> SandboxError {
    error(
        ErrorKind::NotFound,
        op,
        "InvalidGroup.NotFound",
        format!("The security group '{id}' does not exist"),
    )
}

fn no_snapshot(op: &str, id: &str) -> SandboxError {
    error(
        ErrorKind::NotFound,
        op,
        "InvalidSnapshot.NotFound",
        format!("The snapshot '{id}' does not exist."),
    )
}

impl State {
    fn check_groups(&self, op: &str, ids: &[String]) -> Result<()> {
        match ids.iter().find(|g| !self.groups.contains_key(g.as_str())) {
            Some(missing) => Err(no_group(op, missing)),
            None => Ok(()),
        }
    }

    fn group_mut(&mut self, op: &str, id: &str) -> Result<&mut Group> {
        self.groups.get_mut(id).ok_or_else(|| no_group(op, id))
    }
}

/// A rule as EC2 stores it: protocol `-1` covers every port, so its ports do not matter.
fn normalize(op: &str, rule: &Rule) -> Result<Rule> {
    let bad = |why: &str| {
        error(
            ErrorKind::InvalidInput,
            op,
            "InvalidParameterValue",
            why.to_owned(),
        )
    };
    let protocol = rule.protocol.to_ascii_lowercase();
    let (from_port, to_port) = match protocol.as_str() {
        "-1" | "all" => (0, 0),
        "tcp" | "udp" => {
            if !(0..=65535).contains(&rule.from_port)
                || !(rule.from_port..=65535).contains(&rule.to_port)
            {
                return Err(bad("ports must be 0 to 65535, from no greater than to"));
            }
            (rule.from_port, rule.to_port)
        }
        "icmp" => (rule.from_port, rule.to_port),
        _ => return Err(bad("protocol must be tcp, udp, icmp or -1")),
    };
    if !super::detect::IpNet::parse(&rule.cidr)
        .is_some_and(|_| rule.cidr.contains('/') && !rule.cidr.contains(':'))
    {
        return Err(bad(&format!("`{}` is not an IPv4 CIDR block", rule.cidr)));
    }
    Ok(Rule {
        protocol: if protocol == "all" {
            "-1".to_owned()
        } else {
            protocol
        },
        from_port,
        to_port,
        cidr: rule.cidr.clone(),
    })
}

#[async_trait]
impl Ec2 for SimAccount {
    async fn launch(
        &self,
        name: &str,
        image_id: &str,
        instance_type: &str,
        security_group_ids: &[String],
        dns_lookups: &[String],
        tags: &Tags,
    ) -> Result<Created> {
        const OP: &str = "ec2:RunInstances";
        if !(image_id.starts_with("ami-") || image_id.starts_with("resolve:ssm:")) {
            return Err(error(
                ErrorKind::InvalidInput,
                OP,
                "InvalidAMIID.Malformed",
                format!("Invalid id: \"{image_id}\" (expecting \"ami-...\")"),
            ));
        }
        if instance_type.is_empty() || !instance_type.contains('.') {
            return Err(error(
                ErrorKind::InvalidInput,
                OP,
                "InvalidParameterValue",
                format!("`{instance_type}` is not an instance type"),
            ));
        }
        let mut st = self.lock();
        st.check_groups(OP, security_group_ids)?;
        let groups = if security_group_ids.is_empty() {
            vec![st.default_group.clone()]
        } else {
            security_group_ids.to_vec()
        };
        let id = st.fresh_id("i-", 17, |st, id| st.instances.contains_key(id));
        let volume = st.fresh_id("vol-", 17, |st, v| {
            st.instances.values().any(|i| i.volume == v)
        });
        let mut tags = tags.clone();
        tags.insert("Name".to_owned(), name.to_owned());
        st.instances.insert(
            id.clone(),
            Instance {
                volume: volume.clone(),
                groups,
                tags,
                terminated: false,
            },
        );
        self.record(
            &mut st,
            Call::new(OP, &[&id, &volume]).subject(about_instance(&id)),
        );
        // The boot script's lookups, as the resolver sees them; the model's latencies run
        // from the launch.
        for name in dns_lookups {
            self.record(&mut st, Call::dns_lookup(name, about_instance(&id)));
        }
        Ok(Created {
            instance_id: id,
            volume_id: volume,
        })
    }

    async fn terminate_instance(&self, instance_id: &str) -> Result<()> {
        const OP: &str = "ec2:TerminateInstances";
        let mut st = self.lock();
        let i = st
            .instances
            .get_mut(instance_id)
            .ok_or_else(|| no_instance(OP, instance_id))?;
        // Terminating a terminated instance succeeds, as in AWS.
        i.terminated = true;
        self.record(
            &mut st,
            Call::new(OP, &[instance_id]).subject(about_instance(instance_id)),
        );
        Ok(())
    }

    async fn instance_groups(&self, instance_id: &str) -> Result<Vec<String>> {
        let st = self.lock();
        st.instances
            .get(instance_id)
            .map(|i| i.groups.clone())
            .ok_or_else(|| no_instance("ec2:DescribeInstances", instance_id))
    }

    async fn set_instance_groups(&self, instance_id: &str, group_ids: &[String]) -> Result<()> {
        const OP: &str = "ec2:ModifyInstanceAttribute";
        if group_ids.is_empty() {
            return Err(error(
                ErrorKind::InvalidInput,
                OP,
                "InvalidParameterValue",
                "an instance needs at least one security group",
            ));
        }
        let mut st = self.lock();
        st.check_groups(OP, group_ids)?;
        let i = st
            .instances
            .get_mut(instance_id)
            .ok_or_else(|| no_instance(OP, instance_id))?;
        if i.terminated {
            return Err(error(
                ErrorKind::Conflict,
                OP,
                "IncorrectInstanceState",
                format!(
                    "The instance '{instance_id}' is not in a state from which it can be modified."
                ),
            ));
        }
        i.groups = group_ids.to_vec();
        let mut resources = vec![instance_id];
        resources.extend(group_ids.iter().map(String::as_str));
        self.record(
            &mut st,
            Call::new(OP, &resources).subject(about_instance(instance_id)),
        );
        Ok(())
    }

    async fn create_security_group(
        &self,
        name: &str,
        description: &str,
        tags: &Tags,
    ) -> Result<String> {
        const OP: &str = "ec2:CreateSecurityGroup";
        if name.is_empty() || name.len() > 255 || name.starts_with("sg-") {
            return Err(error(
                ErrorKind::InvalidInput,
                OP,
                "InvalidParameterValue",
                format!(
                    "`{name}` is not a valid group name: 1 to 255 characters, not starting with sg-"
                ),
            ));
        }
        if description.len() > 255 {
            return Err(error(
                ErrorKind::InvalidInput,
                OP,
                "InvalidParameterValue",
                "the description is over 255 characters",
            ));
        }
        let mut st = self.lock();
        if st.groups.values().any(|g| g.name == name) {
            return Err(error(
                ErrorKind::AlreadyExists,
                OP,
                "InvalidGroup.Duplicate",
                format!("The security group '{name}' already exists for VPC 'vpc-sim'"),
            ));
        }
        let id = st.fresh_id("sg-", 17, |st, id| st.groups.contains_key(id));
        st.groups.insert(
            id.clone(),
            Group {
                name: name.to_owned(),
                tags: tags.clone(),
                rules: GroupRules {
                    ingress: Vec::new(),
                    egress: vec![allow_all_out()],
                },
            },
        );
        self.record(&mut st, Call::new(OP, &[&id, name]));
        Ok(id)
    }

    async fn delete_security_group(&self, group_id: &str) -> Result<()> {
        const OP: &str = "ec2:DeleteSecurityGroup";
        let mut st = self.lock();
        if !st.groups.contains_key(group_id) {
            return Err(no_group(OP, group_id));
        }
        if group_id == st.default_group {
            return Err(error(
                ErrorKind::Conflict,
                OP,
                "CannotDelete",
                "the default security group cannot be deleted",
            ));
        }
        if let Some((user, _)) = st
            .instances
            .iter()
            .find(|(_, i)| !i.terminated && i.groups.iter().any(|g| g == group_id))
        {
            return Err(error(
                ErrorKind::Conflict,
                OP,
                "DependencyViolation",
                format!("resource {group_id} has a dependent object ({user})"),
            ));
        }
        st.groups.remove(group_id);
        self.record(&mut st, Call::new(OP, &[group_id]));
        Ok(())
    }

    async fn group_rules(&self, group_id: &str) -> Result<GroupRules> {
        let st = self.lock();
        st.groups
            .get(group_id)
            .map(|g| g.rules.clone())
            .ok_or_else(|| no_group("ec2:DescribeSecurityGroupRules", group_id))
    }

    async fn authorize_ingress(&self, group_id: &str, rule: &Rule) -> Result<()> {
        const OP: &str = "ec2:AuthorizeSecurityGroupIngress";
        let rule = normalize(OP, rule)?;
        let mut st = self.lock();
        let g = st.group_mut(OP, group_id)?;
        if g.rules.ingress.contains(&rule) {
            return Err(error(
                ErrorKind::AlreadyExists,
                OP,
                "InvalidPermission.Duplicate",
                format!(
                    "the specified rule \"peer: {}, {}, from port: {}, to port: {}, ALLOW\" already exists",
                    rule.cidr, rule.protocol, rule.from_port, rule.to_port
                ),
            ));
        }
        g.rules.ingress.push(rule);
        self.record(&mut st, Call::new(OP, &[group_id]));
        Ok(())
    }

    async fn revoke_ingress(&self, group_id: &str, rule: &Rule) -> Result<()> {
        const OP: &str = "ec2:RevokeSecurityGroupIngress";
        let rule = normalize(OP, rule)?;
        let mut st = self.lock();
        let g = st.group_mut(OP, group_id)?;
        let at = g
            .rules
            .ingress
            .iter()
            .position(|r| *r == rule)
            .ok_or_else(|| no_rule(OP))?;
        g.rules.ingress.remove(at);
        self.record(&mut st, Call::new(OP, &[group_id]));
        Ok(())
    }

    async fn revoke_egress(&self, group_id: &str, rule: &Rule) -> Result<()> {
        const OP: &str = "ec2:RevokeSecurityGroupEgress";
        let rule = normalize(OP, rule)?;
        let mut st = self.lock();
        let g = st.group_mut(OP, group_id)?;
        let at = g
            .rules
            .egress
            .iter()
            .position(|r| *r == rule)
            .ok_or_else(|| no_rule(OP))?;
        g.rules.egress.remove(at);
        self.record(&mut st, Call::new(OP, &[group_id]));
        Ok(())
    }

    async fn create_snapshot(
        &self,
        volume_id: &str,
        description: &str,
        tags: &Tags,
    ) -> Result<String> {
        const OP: &str = "ec2:CreateSnapshot";
        if description.len() > 255 {
            return Err(error(
                ErrorKind::InvalidInput,
                OP,
                "InvalidParameterValue",
                "the description is over 255 characters",
            ));
        }
        let mut st = self.lock();
        // A terminated instance's root volume is deleted with it.
        let Some(instance) = st
            .instances
            .iter()
            .find(|(_, i)| !i.terminated && i.volume == volume_id)
            .map(|(id, _)| id.clone())
        else {
            return Err(error(
                ErrorKind::NotFound,
                OP,
                "InvalidVolume.NotFound",
                format!("The volume '{volume_id}' does not exist."),
            ));
        };
        let id = st.fresh_id("snap-", 17, |st, id| st.snapshots.contains_key(id));
        st.snapshots.insert(
            id.clone(),
            Snapshot {
                tags: tags.clone(),
                groups: Vec::new(),
            },
        );
        self.record(
            &mut st,
            Call::new(OP, &[&id, volume_id]).subject(about_instance(&instance)),
        );
        Ok(id)
    }

    async fn delete_snapshot(&self, snapshot_id: &str) -> Result<()> {
        const OP: &str = "ec2:DeleteSnapshot";
        let mut st = self.lock();
        if st.snapshots.remove(snapshot_id).is_none() {
            return Err(no_snapshot(OP, snapshot_id));
        }
        self.record(&mut st, Call::new(OP, &[snapshot_id]));
        Ok(())
    }

    async fn tags_of(&self, id: &str) -> Result<Tags> {
        let st = self.lock();
        if let Some(found) = st.network_tags(id) {
            return found;
        }
        if id.starts_with("i-") {
            st.instances
                .get(id)
                .filter(|i| !i.terminated)
                .map(|i| i.tags.clone())
                .ok_or_else(|| no_instance("ec2:DescribeInstances", id))
        } else if id.starts_with("sg-") {
            st.groups
                .get(id)
                .map(|g| g.tags.clone())
                .ok_or_else(|| no_group("ec2:DescribeSecurityGroups", id))
        } else {
            st.snapshots
                .get(id)
                .map(|s| s.tags.clone())
                .ok_or_else(|| no_snapshot("ec2:DescribeSnapshots", id))
        }
    }

    async fn security_group_named(&self, name: &str) -> Result<Option<String>> {
        let st = self.lock();
        Ok(st
            .groups
            .iter()
            .find(|(_, g)| g.name == name)
            .map(|(id, _)| id.clone()))
    }

    async fn tagged(&self, key: &str, value: &str) -> Result<Vec<Resource>> {
        let st = self.lock();
        let has = |tags: &Tags| tags.get(key).is_some_and(|v| v == value);
        let mut out = Vec::new();
        out.extend(
            st.instances
                .iter()
                .filter(|(_, i)| !i.terminated && has(&i.tags))
                .map(|(id, _)| Resource::new(ResourceKind::Instance, id.clone())),
        );
        out.extend(
            st.groups
                .iter()
                .filter(|(_, g)| has(&g.tags))
                .map(|(id, _)| Resource::new(ResourceKind::SecurityGroup, id.clone())),
        );
        out.extend(
            st.snapshots
                .iter()
                .filter(|(_, s)| has(&s.tags))
                .map(|(id, _)| Resource::new(ResourceKind::Snapshot, id.clone())),
        );
        out.extend(st.tagged_network(key, value));
        Ok(out)
    }

    async fn snapshot_groups(&self, snapshot_id: &str) -> Result<Vec<String>> {
        let st = self.lock();
        st.snapshots
            .get(snapshot_id)
            .map(|s| s.groups.clone())
            .ok_or_else(|| no_snapshot("ec2:DescribeSnapshotAttribute", snapshot_id))
    }

    async fn modify_snapshot_groups(
        &self,
        snapshot_id: &str,
        group: &str,
        add: bool,
    ) -> Result<()> {
        const OP: &str = "ec2:ModifySnapshotAttribute";
        if group != "all" {
            return Err(error(
                ErrorKind::InvalidInput,
                OP,
                "InvalidParameterValue",
                format!("`{group}` is not a group: the only group is `all`"),
            ));
        }
        let mut st = self.lock();
        let s = st
            .snapshots
            .get_mut(snapshot_id)
            .ok_or_else(|| no_snapshot(OP, snapshot_id))?;
        // Adding a present group or removing an absent one succeeds and changes nothing.
        if add && !s.groups.iter().any(|g| g == group) {
            s.groups.push(group.to_owned());
        } else if !add {
            s.groups.retain(|g| g != group);
        }
        let flags = if add { model::SNAPSHOT_SHARED } else { 0 };
        self.record(&mut st, Call::new(OP, &[snapshot_id, group]).flags(flags));
        Ok(())
    }

    async fn create_vpc(&self, name: &str, cidr: &str, tags: &Tags) -> Result<Vpc> {
        self.vpc_create(name, cidr, tags)
    }

    async fn delete_vpc(&self, vpc_id: &str) -> Result<()> {
        self.vpc_delete(vpc_id)
    }

    async fn create_internet_gateway(&self, name: &str, tags: &Tags) -> Result<String> {
        self.gateway_create(name, tags)
    }

    async fn attach_internet_gateway(&self, gateway_id: &str, vpc_id: &str) -> Result<()> {
        self.gateway_attach(gateway_id, vpc_id)
    }

    async fn detach_internet_gateway(&self, gateway_id: &str, vpc_id: &str) -> Result<()> {
        self.gateway_detach(gateway_id, vpc_id)
    }

    async fn delete_internet_gateway(&self, gateway_id: &str) -> Result<()> {
        self.gateway_delete(gateway_id)
    }

    async fn internet_gateway_vpcs(&self, gateway_id: &str) -> Result<Vec<String>> {
        self.gateway_vpcs(gateway_id)
    }

    async fn vpc_internet_gateways(&self, vpc_id: &str) -> Result<Vec<String>> {
        Ok(self.vpc_gateways(vpc_id))
    }

    async fn routes(&self, route_table_id: &str) -> Result<Vec<Route>> {
        self.route_list(route_table_id)
    }

    async fn create_route(&self, route_table_id: &str, route: &Route) -> Result<()> {
        self.route_create(route_table_id, route)
    }

    async fn delete_route(&self, route_table_id: &str, destination: &str) -> Result<()> {
        self.route_delete(route_table_id, destination)
    }

    async fn network_acl_entries(&self, network_acl_id: &str) -> Result<Vec<AclEntry>> {
        self.acl_entries(network_acl_id)
    }

    async fn create_network_acl_entry(&self, network_acl_id: &str, entry: &AclEntry) -> Result<()> {
        self.acl_entry_create(network_acl_id, entry)
    }

    async fn delete_network_acl_entry(
        &self,
        network_acl_id: &str,
        rule_number: i32,
        egress: bool,
    ) -> Result<()> {
        self.acl_entry_delete(network_acl_id, rule_number, egress)
    }

    async fn vpc_dns(&self, vpc_id: &str) -> Result<VpcDns> {
        self.dns_of(vpc_id)
    }

    async fn set_vpc_dns(
        &self,
        vpc_id: &str,
        support: Option<bool>,
        hostnames: Option<bool>,
    ) -> Result<()> {
        self.dns_set(vpc_id, support, hostnames)
    }
}

fn no_rule(op: &str) -> SandboxError {
    error(
        ErrorKind::NotFound,
        op,
        "InvalidPermission.NotFound",
        "The specified rule does not exist in this security group.",
    )
}
