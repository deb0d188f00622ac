//! EC2 on AWS: the [`Ec2`] trait through the official SDK.

use super::sandbox_error;
use super::vpc;
use crate::sandbox::{
    AclEntry, Ec2, ErrorKind, GroupRules, Instance, Resource, ResourceKind, Result, Route, Rule,
    SandboxError, Tags, Vpc, VpcDns,
};
use async_trait::async_trait;
use aws_sdk_ec2::types::{
    Filter, InstanceType, IpPermission, IpRange, OperationType, ResourceType,
    SnapshotAttributeName, Tag, TagSpecification,
};

/// EC2 of one account and region.
#[derive(Debug, Clone)]
pub struct AwsEc2 {
    client: aws_sdk_ec2::Client,
}

impl AwsEc2 {
    /// EC2 through `config`.
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        AwsEc2 {
            client: aws_sdk_ec2::Client::new(config),
        }
    }

    /// The default VPC's default security group, where AWS puts an instance launched
    /// without groups.
    async fn default_group(&self) -> Result<String> {
        const OP: &str = "ec2:DescribeSecurityGroups";
        let out = self
            .client
            .describe_security_groups()
            .group_names("default")
            .send()
            .await
            .map_err(|e| sandbox_error(OP, e))?;
        out.security_groups()
            .first()
            .and_then(|g| g.group_id())
            .map(str::to_owned)
            .ok_or_else(|| {
                SandboxError::new(
                    ErrorKind::NotFound,
                    OP,
                    "the account has no default VPC: give the instance security_group_ids",
                )
            })
    }
}

pub(super) fn tag_spec(
    resource: ResourceType,
    tags: &Tags,
    name: Option<&str>,
) -> TagSpecification {
    let mut b = TagSpecification::builder().resource_type(resource);
    if let Some(n) = name {
        b = b.tags(Tag::builder().key("Name").value(n).build());
    }
    for (k, v) in tags {
        b = b.tags(Tag::builder().key(k).value(v).build());
    }
    b.build()
}

fn permission(rule: &Rule) -> IpPermission {
    let mut p = IpPermission::builder()
        .ip_protocol(&rule.protocol)
        .ip_ranges(IpRange::builder().cidr_ip(&rule.cidr).build());
    // "All traffic" carries no ports.
    if rule.protocol != "-1" {
        p = p.from_port(rule.from_port).to_port(rule.to_port);
    }
    p.build()
}

fn rules(perms: &[IpPermission]) -> Vec<Rule> {
    let mut out = Vec::new();
    for p in perms {
        let protocol = p.ip_protocol().unwrap_or("-1").to_owned();
        let (from_port, to_port) = if protocol == "-1" {
            (0, 0)
        } else {
            (p.from_port().unwrap_or(0), p.to_port().unwrap_or(0))
        };
        for r in p.ip_ranges() {
            if let Some(cidr) = r.cidr_ip() {
                out.push(Rule {
                    protocol: protocol.clone(),
                    from_port,
                    to_port,
                    cidr: cidr.to_owned(),
                });
            }
        }
    }
    out.sort();
    out
}

/// An SDK tag list as [`Tags`].
fn tags(t: &[Tag]) -> Tags {
    t.iter()
        .map(|t| {
            (
                t.key().unwrap_or_default().to_owned(),
                t.value().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn not_found(operation: &str, id: &str) -> SandboxError {
    SandboxError::new(
        ErrorKind::NotFound,
        operation,
        format!("{id} does not exist"),
    )
}

/// The boot script of an instance that resolves `names`: five rounds a minute apart, so
/// that GuardDuty sees the lookups whatever the resolver caches. `getent` is in every
/// Linux image; a lookup that fails is fine (nothing need answer), and nothing connects.
pub fn boot_script(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
    format!(
        "#!/bin/sh\n\
         # gameday: resolve GuardDuty's test domains so that its DNS findings are raised.\n\
         for round in 1 2 3 4 5; do\n\
         \x20 for name in {}; do getent hosts \"$name\" >/dev/null 2>&1 || true; done\n\
         \x20 sleep 60\n\
         done\n",
        quoted.join(" ")
    )
}

#[async_trait]
impl Ec2 for AwsEc2 {
    async fn launch(
        &self,
        name: &str,
        image_id: &str,
        instance_type: &str,
        security_group_ids: &[String],
        dns_lookups: &[String],
        tags: &Tags,
    ) -> Result<Instance> {
        const OP: &str = "ec2:RunInstances";
        let user_data = (!dns_lookups.is_empty())
            .then(|| aws_smithy_types::base64::encode(boot_script(dns_lookups)));
        // Named, not left to the service: AWS would pick the default VPC's default group,
        // but an emulator may leave the instance in none, and isolating it must record a
        // group to put back.
        let groups = if security_group_ids.is_empty() {
            vec![self.default_group().await?]
        } else {
            security_group_ids.to_vec()
        };
        let out = self
            .client
            .run_instances()
            .image_id(image_id)
            .instance_type(InstanceType::from(instance_type))
            .min_count(1)
            .max_count(1)
            .set_security_group_ids(Some(groups))
            .set_user_data(user_data)
            .tag_specifications(tag_spec(ResourceType::Instance, tags, Some(name)))
            .tag_specifications(tag_spec(ResourceType::Volume, tags, Some(name)))
            .send()
            .await
            .map_err(|e| sandbox_error(OP, e))?;
        let instance = out
            .instances()
            .first()
            .ok_or_else(|| SandboxError::new(ErrorKind::Other, OP, "no instance in the answer"))?;
        let instance_id = instance.instance_id().unwrap_or_default().to_owned();
        let mut volume_id = instance
            .block_device_mappings()
            .iter()
            .find_map(|m| m.ebs().and_then(|e| e.volume_id()).map(str::to_owned));
        if volume_id.is_none() {
            // The root volume is attached moments after launch: ask for it.
            const VOL: &str = "ec2:DescribeVolumes";
            let vols = self
                .client
                .describe_volumes()
                .filters(
                    Filter::builder()
                        .name("attachment.instance-id")
                        .values(&instance_id)
                        .build(),
                )
                .send()
                .await
                .map_err(|e| sandbox_error(VOL, e))?;
            volume_id = vols
                .volumes()
                .first()
                .and_then(|v| v.volume_id())
                .map(str::to_owned);
        }
        Ok(Instance {
            instance_id,
            volume_id: volume_id.unwrap_or_default(),
        })
    }

    async fn terminate_instance(&self, instance_id: &str) -> Result<()> {
        self.client
            .terminate_instances()
            .instance_ids(instance_id)
            .send()
            .await
            .map_err(|e| sandbox_error("ec2:TerminateInstances", e))?;
        Ok(())
    }

    async fn instance_groups(&self, instance_id: &str) -> Result<Vec<String>> {
        const OP: &str = "ec2:DescribeInstances";
        let out = self
            .client
            .describe_instances()
            .instance_ids(instance_id)
            .send()
            .await
            .map_err(|e| sandbox_error(OP, e))?;
        let instance = out
            .reservations()
            .iter()
            .flat_map(|r| r.instances())
            .find(|i| i.instance_id() == Some(instance_id))
            .ok_or_else(|| {
                SandboxError::new(
                    ErrorKind::NotFound,
                    OP,
                    format!("InvalidInstanceID.NotFound: no instance {instance_id}"),
                )
            })?;
        let mut groups: Vec<String> = instance
            .security_groups()
            .iter()
            .filter_map(|g| g.group_id().map(str::to_owned))
            .collect();
        groups.sort();
        Ok(groups)
    }

    async fn set_instance_groups(&self, instance_id: &str, group_ids: &[String]) -> Result<()> {
        // ModifyInstanceAttribute replaces the groups (ModifyNetworkInterfaceAttribute on
        // some endpoints adds to them instead).
        self.client
            .modify_instance_attribute()
            .instance_id(instance_id)
            .set_groups(Some(group_ids.to_vec()))
            .send()
            .await
            .map_err(|e| sandbox_error("ec2:ModifyInstanceAttribute", e))?;
        Ok(())
    }

    async fn create_security_group(
        &self,
        name: &str,
        description: &str,
        tags: &Tags,
    ) -> Result<String> {
        let out = self
            .client
            .create_security_group()
            .group_name(name)
            .description(description)
            .tag_specifications(tag_spec(ResourceType::SecurityGroup, tags, None))
            .send()
            .await
            .map_err(|e| sandbox_error("ec2:CreateSecurityGroup", e))?;
        Ok(out.group_id().unwrap_or_default().to_owned())
    }

    async fn delete_security_group(&self, group_id: &str) -> Result<()> {
        self.client
            .delete_security_group()
            .group_id(group_id)
            .send()
            .await
            .map_err(|e| sandbox_error("ec2:DeleteSecurityGroup", e))?;
        Ok(())
    }

    async fn group_rules(&self, group_id: &str) -> Result<GroupRules> {
        const OP: &str = "ec2:DescribeSecurityGroups";
        let out = self
            .client
            .describe_security_groups()
            .group_ids(group_id)
            .send()
            .await
            .map_err(|e| sandbox_error(OP, e))?;
        let g = out.security_groups().first().ok_or_else(|| {
            SandboxError::new(
                ErrorKind::NotFound,
                OP,
                format!("InvalidGroup.NotFound: no group {group_id}"),
            )
        })?;
        Ok(GroupRules {
            ingress: rules(g.ip_permissions()),
            egress: rules(g.ip_permissions_egress()),
        })
    }

    async fn authorize_ingress(&self, group_id: &str, rule: &Rule) -> Result<()> {
        self.client
            .authorize_security_group_ingress()
            .group_id(group_id)
            .ip_permissions(permission(rule))
            .send()
            .await
            .map_err(|e| sandbox_error("ec2:AuthorizeSecurityGroupIngress", e))?;
        Ok(())
    }

    async fn revoke_ingress(&self, group_id: &str, rule: &Rule) -> Result<()> {
        self.client
            .revoke_security_group_ingress()
            .group_id(group_id)
            .ip_permissions(permission(rule))
            .send()
            .await
            .map_err(|e| sandbox_error("ec2:RevokeSecurityGroupIngress", e))?;
        Ok(())
    }

    async fn revoke_egress(&self, group_id: &str, rule: &Rule) -> Result<()> {
        self.client
            .revoke_security_group_egress()
            .group_id(group_id)
            .ip_permissions(permission(rule))
            .send()
            .await
            .map_err(|e| sandbox_error("ec2:RevokeSecurityGroupEgress", e))?;
        Ok(())
    }

    async fn create_snapshot(
        &self,
        volume_id: &str,
        description: &str,
        tags: &Tags,
    ) -> Result<String> {
        let out = self
            .client
            .create_snapshot()
            .volume_id(volume_id)
            .description(description)
            .tag_specifications(tag_spec(ResourceType::Snapshot, tags, None))
            .send()
            .await
            .map_err(|e| sandbox_error("ec2:CreateSnapshot", e))?;
        Ok(out.snapshot_id().unwrap_or_default().to_owned())
    }

    async fn delete_snapshot(&self, snapshot_id: &str) -> Result<()> {
        self.client
            .delete_snapshot()
            .snapshot_id(snapshot_id)
            .send()
            .await
            .map_err(|e| sandbox_error("ec2:DeleteSnapshot", e))?;
        Ok(())
    }

    async fn tags_of(&self, id: &str) -> Result<Tags> {
        use aws_sdk_ec2::types::InstanceStateName;
        if let Some(found) = self.network_tags(id).await {
            return found;
        }
        if id.starts_with("i-") {
            const OP: &str = "ec2:DescribeInstances";
            let out = self
                .client
                .describe_instances()
                .instance_ids(id)
                .send()
                .await
                .map_err(|e| sandbox_error(OP, e))?;
            return out
                .reservations()
                .iter()
                .flat_map(|r| r.instances())
                .find(|i| {
                    !matches!(
                        i.state().and_then(|s| s.name()),
                        Some(InstanceStateName::Terminated)
                    )
                })
                .map(|i| tags(i.tags()))
                .ok_or_else(|| not_found(OP, id));
        }
        if id.starts_with("sg-") {
            const OP: &str = "ec2:DescribeSecurityGroups";
            let out = self
                .client
                .describe_security_groups()
                .group_ids(id)
                .send()
                .await
                .map_err(|e| sandbox_error(OP, e))?;
            return out
                .security_groups()
                .first()
                .map(|g| tags(g.tags()))
                .ok_or_else(|| not_found(OP, id));
        }
        const OP: &str = "ec2:DescribeSnapshots";
        let out = self
            .client
            .describe_snapshots()
            .snapshot_ids(id)
            .send()
            .await
            .map_err(|e| sandbox_error(OP, e))?;
        out.snapshots()
            .first()
            .map(|s| tags(s.tags()))
            .ok_or_else(|| not_found(OP, id))
    }

    async fn security_group_named(&self, name: &str) -> Result<Option<String>> {
        let out = self
            .client
            .describe_security_groups()
            .filters(Filter::builder().name("group-name").values(name).build())
            .send()
            .await
            .map_err(|e| sandbox_error("ec2:DescribeSecurityGroups", e))?;
        Ok(out
            .security_groups()
            .first()
            .and_then(|g| g.group_id())
            .map(str::to_owned))
    }

    async fn tagged(&self, key: &str, value: &str) -> Result<Vec<Resource>> {
        use aws_sdk_ec2::types::InstanceStateName;
        let filter = Filter::builder()
            .name(format!("tag:{key}"))
            .values(value)
            .build();
        let mut found = Vec::new();
        let mut pages = self
            .client
            .describe_instances()
            .filters(filter.clone())
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| sandbox_error("ec2:DescribeInstances", e))?;
            for i in page.reservations().iter().flat_map(|r| r.instances()) {
                let gone = matches!(
                    i.state().and_then(|s| s.name()),
                    Some(InstanceStateName::Terminated | InstanceStateName::ShuttingDown)
                );
                if let (false, Some(id)) = (gone, i.instance_id()) {
                    found.push(Resource::new(ResourceKind::Instance, id));
                }
            }
        }
        let mut pages = self
            .client
            .describe_security_groups()
            .filters(filter.clone())
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| sandbox_error("ec2:DescribeSecurityGroups", e))?;
            found.extend(
                page.security_groups()
                    .iter()
                    .filter_map(|g| g.group_id())
                    .map(|id| Resource::new(ResourceKind::SecurityGroup, id)),
            );
        }
        let mut pages = self
            .client
            .describe_snapshots()
            .owner_ids("self")
            .filters(filter.clone())
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| sandbox_error("ec2:DescribeSnapshots", e))?;
            found.extend(
                page.snapshots()
                    .iter()
                    .filter_map(|s| s.snapshot_id())
                    .map(|id| Resource::new(ResourceKind::Snapshot, id)),
            );
        }
        found.extend(self.tagged_network(&filter).await?);
        Ok(found)
    }

    async fn snapshot_groups(&self, snapshot_id: &str) -> Result<Vec<String>> {
        let out = self
            .client
            .describe_snapshot_attribute()
            .snapshot_id(snapshot_id)
            .attribute(SnapshotAttributeName::CreateVolumePermission)
            .send()
            .await
            .map_err(|e| sandbox_error("ec2:DescribeSnapshotAttribute", e))?;
        let mut groups: Vec<String> = out
            .create_volume_permissions()
            .iter()
            .filter_map(|p| p.group().map(|g| g.as_str().to_owned()))
            .collect();
        groups.sort();
        Ok(groups)
    }

    async fn modify_snapshot_groups(
        &self,
        snapshot_id: &str,
        group: &str,
        add: bool,
    ) -> Result<()> {
        // The OperationType and GroupNames form: AWS takes it, and so do emulators that
        // lack the CreateVolumePermission.Add form.
        self.client
            .modify_snapshot_attribute()
            .snapshot_id(snapshot_id)
            .attribute(SnapshotAttributeName::CreateVolumePermission)
            .operation_type(if add {
                OperationType::Add
            } else {
                OperationType::Remove
            })
            .group_names(group)
            .send()
            .await
            .map_err(|e| sandbox_error("ec2:ModifySnapshotAttribute", e))?;
        Ok(())
    }

    async fn create_vpc(&self, name: &str, cidr: &str, tags: &Tags) -> Result<Vpc> {
        vpc::create_vpc(&self.client, name, cidr, tags).await
    }

    async fn delete_vpc(&self, vpc_id: &str) -> Result<()> {
        self.client
            .delete_vpc()
            .vpc_id(vpc_id)
            .send()
            .await
            .map_err(|e| sandbox_error("ec2:DeleteVpc", e))?;
        Ok(())
    }

    async fn create_internet_gateway(&self, name: &str, tags: &Tags) -> Result<String> {
        vpc::create_internet_gateway(&self.client, name, tags).await
    }

    async fn attach_internet_gateway(&self, gateway_id: &str, vpc_id: &str) -> Result<()> {
        self.client
            .attach_internet_gateway()
            .internet_gateway_id(gateway_id)
            .vpc_id(vpc_id)
            .send()
            .await
            .map_err(|e| sandbox_error("ec2:AttachInternetGateway", e))?;
        Ok(())
    }

    async fn detach_internet_gateway(&self, gateway_id: &str, vpc_id: &str) -> Result<()> {
        self.client
            .detach_internet_gateway()
            .internet_gateway_id(gateway_id)
            .vpc_id(vpc_id)
            .send()
            .await
            .map_err(|e| sandbox_error("ec2:DetachInternetGateway", e))?;
        Ok(())
    }

    async fn delete_internet_gateway(&self, gateway_id: &str) -> Result<()> {
        self.client
            .delete_internet_gateway()
            .internet_gateway_id(gateway_id)
            .send()
            .await
            .map_err(|e| sandbox_error("ec2:DeleteInternetGateway", e))?;
        Ok(())
    }

    async fn internet_gateway_vpcs(&self, gateway_id: &str) -> Result<Vec<String>> {
        vpc::internet_gateway_vpcs(&self.client, gateway_id).await
    }

    async fn vpc_internet_gateways(&self, vpc_id: &str) -> Result<Vec<String>> {
        vpc::vpc_internet_gateways(&self.client, vpc_id).await
    }

    async fn routes(&self, route_table_id: &str) -> Result<Vec<Route>> {
        vpc::routes(&self.client, route_table_id).await
    }

    async fn create_route(&self, route_table_id: &str, route: &Route) -> Result<()> {
        self.client
            .create_route()
            .route_table_id(route_table_id)
            .destination_cidr_block(&route.destination)
            .gateway_id(&route.gateway_id)
            .send()
            .await
            .map_err(|e| sandbox_error("ec2:CreateRoute", e))?;
        Ok(())
    }

    async fn delete_route(&self, route_table_id: &str, destination: &str) -> Result<()> {
        self.client
            .delete_route()
            .route_table_id(route_table_id)
            .destination_cidr_block(destination)
            .send()
            .await
            .map_err(|e| sandbox_error("ec2:DeleteRoute", e))?;
        Ok(())
    }

    async fn network_acl_entries(&self, network_acl_id: &str) -> Result<Vec<AclEntry>> {
        vpc::network_acl_entries(&self.client, network_acl_id).await
    }

    async fn create_network_acl_entry(&self, network_acl_id: &str, entry: &AclEntry) -> Result<()> {
        vpc::create_network_acl_entry(&self.client, network_acl_id, entry).await
    }

    async fn delete_network_acl_entry(
        &self,
        network_acl_id: &str,
        rule_number: i32,
        egress: bool,
    ) -> Result<()> {
        self.client
            .delete_network_acl_entry()
            .network_acl_id(network_acl_id)
            .rule_number(rule_number)
            .egress(egress)
            .send()
            .await
            .map_err(|e| sandbox_error("ec2:DeleteNetworkAclEntry", e))?;
        Ok(())
    }

    async fn vpc_dns(&self, vpc_id: &str) -> Result<VpcDns> {
        vpc::vpc_dns(&self.client, vpc_id).await
    }

    async fn set_vpc_dns(
        &self,
        vpc_id: &str,
        support: Option<bool>,
        hostnames: Option<bool>,
    ) -> Result<()> {
        vpc::set_vpc_dns(&self.client, vpc_id, support, hostnames).await
    }
}

impl AwsEc2 {
    /// The tags of a VPC, internet gateway, route table or network ACL (by the prefix of
    /// `id`); `None` for other ids.
    async fn network_tags(&self, id: &str) -> Option<Result<Tags>> {
        let c = &self.client;
        let prefix = id.split('-').next().unwrap_or_default();
        Some(match prefix {
            "vpc" => {
                const OP: &str = "ec2:DescribeVpcs";
                match c.describe_vpcs().vpc_ids(id).send().await {
                    Ok(out) => out
                        .vpcs()
                        .first()
                        .map(|v| tags(v.tags()))
                        .ok_or_else(|| not_found(OP, id)),
                    Err(e) => Err(sandbox_error(OP, e)),
                }
            }
            "igw" => {
                const OP: &str = "ec2:DescribeInternetGateways";
                match c
                    .describe_internet_gateways()
                    .internet_gateway_ids(id)
                    .send()
                    .await
                {
                    Ok(out) => out
                        .internet_gateways()
                        .first()
                        .map(|g| tags(g.tags()))
                        .ok_or_else(|| not_found(OP, id)),
                    Err(e) => Err(sandbox_error(OP, e)),
                }
            }
            "rtb" => {
                const OP: &str = "ec2:DescribeRouteTables";
                match c.describe_route_tables().route_table_ids(id).send().await {
                    Ok(out) => out
                        .route_tables()
                        .first()
                        .map(|t| tags(t.tags()))
                        .ok_or_else(|| not_found(OP, id)),
                    Err(e) => Err(sandbox_error(OP, e)),
                }
            }
            "acl" => {
                const OP: &str = "ec2:DescribeNetworkAcls";
                match c.describe_network_acls().network_acl_ids(id).send().await {
                    Ok(out) => out
                        .network_acls()
                        .first()
                        .map(|a| tags(a.tags()))
                        .ok_or_else(|| not_found(OP, id)),
                    Err(e) => Err(sandbox_error(OP, e)),
                }
            }
            _ => return None,
        })
    }

    /// The internet gateways and VPCs that `filter` (a tag filter) selects.
    async fn tagged_network(&self, filter: &Filter) -> Result<Vec<Resource>> {
        let mut found = Vec::new();
        let mut pages = self
            .client
            .describe_internet_gateways()
            .filters(filter.clone())
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| sandbox_error("ec2:DescribeInternetGateways", e))?;
            found.extend(
                page.internet_gateways()
                    .iter()
                    .filter_map(|g| g.internet_gateway_id())
                    .map(|id| Resource::new(ResourceKind::InternetGateway, id)),
            );
        }
        let mut pages = self
            .client
            .describe_vpcs()
            .filters(filter.clone())
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| sandbox_error("ec2:DescribeVpcs", e))?;
            found.extend(
                page.vpcs()
                    .iter()
                    .filter_map(|v| v.vpc_id())
                    .map(|id| Resource::new(ResourceKind::Vpc, id)),
            );
        }
        Ok(found)
    }
}
