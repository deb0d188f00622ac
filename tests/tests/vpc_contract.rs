//! VPCs of the AWS sandbox against a real AWS-API server on loopback (moto), held to the
//! simulator's contract: VPCs with their network ACL and route table, internet gateways,
//! routes, network ACL entries and DNS attributes, with their answers and error kinds, and
//! a killed run's VPC found by its tag and removed with the gateway it holds.

#![allow(clippy::unwrap_used, clippy::panic)]

use gameday_engine::aws::ec2::AwsEc2;
use gameday_engine::clock::Clock;
use gameday_engine::sandbox::{
    AclEntry, Ec2, ErrorKind, Resource, ResourceKind, Route, Tags, VpcDns,
};
use gameday_engine::sim::{DetectionModel, SimAccount};
use gameday_tests::contract::{config, kind};
use gameday_tests::moto::Moto;
use std::sync::Arc;

fn deny_https_out() -> AclEntry {
    AclEntry {
        rule_number: 90,
        egress: true,
        protocol: "6".into(),
        cidr: "0.0.0.0/0".into(),
        from_port: 443,
        to_port: 443,
        allow: false,
    }
}

fn allow_all(egress: bool) -> AclEntry {
    AclEntry {
        rule_number: 100,
        egress,
        protocol: "-1".into(),
        cidr: "0.0.0.0/0".into(),
        from_port: 0,
        to_port: 0,
        allow: true,
    }
}

async fn network_acl(ec2: &dyn Ec2, acl: &str, who: &str) {
    assert_eq!(
        ec2.network_acl_entries(acl).await.unwrap(),
        vec![allow_all(false), allow_all(true)],
        "{who}: a new VPC's ACL allows everything both ways"
    );
    ec2.create_network_acl_entry(acl, &deny_https_out())
        .await
        .unwrap();
    assert!(
        ec2.network_acl_entries(acl)
            .await
            .unwrap()
            .contains(&deny_https_out()),
        "{who}"
    );
    assert_eq!(
        kind(ec2.create_network_acl_entry(acl, &deny_https_out()).await),
        ErrorKind::AlreadyExists,
        "{who}"
    );
    ec2.delete_network_acl_entry(acl, 90, true).await.unwrap();
    // Deleting an entry that is not there is not held to the contract: AWS answers
    // InvalidNetworkAclEntry.NotFound, moto 5.2.5 a server error. The steps read the ACL
    // first and never ask.
    assert_eq!(
        ec2.network_acl_entries(acl).await.unwrap(),
        vec![allow_all(false), allow_all(true)],
        "{who}"
    );
    assert_eq!(
        kind(ec2.network_acl_entries("acl-0123456789abcdef0").await),
        ErrorKind::NotFound,
        "{who}"
    );
}

async fn gateway_and_route(
    ec2: &dyn Ec2,
    vpc: &str,
    table: &str,
    tags: &Tags,
    who: &str,
) -> String {
    let igw = ec2
        .create_internet_gateway("gd-contract-igw", tags)
        .await
        .unwrap();
    assert!(igw.starts_with("igw-"), "{who}: {igw}");
    assert!(
        ec2.internet_gateway_vpcs(&igw).await.unwrap().is_empty(),
        "{who}"
    );
    ec2.attach_internet_gateway(&igw, vpc).await.unwrap();
    assert_eq!(
        ec2.internet_gateway_vpcs(&igw).await.unwrap(),
        vec![vpc.to_owned()],
        "{who}"
    );
    assert_eq!(
        ec2.vpc_internet_gateways(vpc).await.unwrap(),
        vec![igw.clone()],
        "{who}"
    );
    let default = Route {
        destination: "0.0.0.0/0".into(),
        gateway_id: igw.clone(),
    };
    ec2.create_route(table, &default).await.unwrap();
    assert!(ec2.routes(table).await.unwrap().contains(&default), "{who}");
    assert_eq!(
        kind(ec2.create_route(table, &default).await),
        ErrorKind::AlreadyExists,
        "{who}"
    );
    ec2.delete_route(table, "0.0.0.0/0").await.unwrap();
    assert_eq!(
        ec2.routes(table).await.unwrap().len(),
        1,
        "{who}: the local route"
    );
    assert_eq!(
        kind(ec2.delete_route(table, "0.0.0.0/0").await),
        ErrorKind::NotFound,
        "{who}"
    );
    // AWS refuses DeleteVpc while a gateway is attached (DependencyViolation), as the
    // simulator does; moto 5.2.5 deletes the VPC. Not held to the contract: clean-up
    // removes gateways before VPCs either way.
    assert_eq!(
        kind(ec2.delete_internet_gateway(&igw).await),
        ErrorKind::Conflict,
        "{who}: an attached gateway"
    );
    igw
}

async fn contract(ec2: &dyn Ec2, who: &str) {
    let tags = Tags::from([("gameday:run".to_owned(), "contract".to_owned())]);
    assert_eq!(
        kind(
            ec2.create_vpc("gd-contract-wide", "10.0.0.0/8", &tags)
                .await
        ),
        ErrorKind::InvalidInput,
        "{who}"
    );
    let vpc = ec2
        .create_vpc("gd-contract-net", "10.42.0.0/16", &tags)
        .await
        .unwrap();
    assert!(vpc.vpc_id.starts_with("vpc-"), "{who}: {vpc:?}");
    for id in [&vpc.vpc_id, &vpc.network_acl_id, &vpc.route_table_id] {
        assert_eq!(
            ec2.tags_of(id)
                .await
                .unwrap()
                .get("gameday:run")
                .map(String::as_str),
            Some("contract"),
            "{who}: {id}"
        );
    }
    assert_eq!(
        ec2.routes(&vpc.route_table_id).await.unwrap(),
        vec![Route {
            destination: "10.42.0.0/16".into(),
            gateway_id: "local".into()
        }],
        "{who}"
    );
    network_acl(ec2, &vpc.network_acl_id, who).await;
    assert_eq!(
        ec2.vpc_dns(&vpc.vpc_id).await.unwrap(),
        VpcDns {
            support: true,
            hostnames: false
        },
        "{who}"
    );
    ec2.set_vpc_dns(&vpc.vpc_id, Some(false), None)
        .await
        .unwrap();
    assert!(!ec2.vpc_dns(&vpc.vpc_id).await.unwrap().support, "{who}");
    ec2.set_vpc_dns(&vpc.vpc_id, Some(true), None)
        .await
        .unwrap();
    assert!(ec2.vpc_dns(&vpc.vpc_id).await.unwrap().support, "{who}");

    let igw = gateway_and_route(ec2, &vpc.vpc_id, &vpc.route_table_id, &tags, who).await;
    // A killed run's leftovers: the gateway and the VPC are found by their tag, and go
    // as clean-up removes them: the gateway detached first.
    let found = ec2.tagged("gameday:run", "contract").await.unwrap();
    for r in [
        Resource::new(ResourceKind::InternetGateway, igw.clone()),
        Resource::new(ResourceKind::Vpc, vpc.vpc_id.clone()),
    ] {
        assert!(found.contains(&r), "{who}: {r} in {found:?}");
    }
    ec2.detach_internet_gateway(&igw, &vpc.vpc_id)
        .await
        .unwrap();
    assert_eq!(
        kind(ec2.detach_internet_gateway(&igw, &vpc.vpc_id).await),
        ErrorKind::Conflict,
        "{who}: not attached any more"
    );
    ec2.delete_internet_gateway(&igw).await.unwrap();
    ec2.delete_vpc(&vpc.vpc_id).await.unwrap();
    assert_eq!(
        kind(ec2.tags_of(&vpc.vpc_id).await),
        ErrorKind::NotFound,
        "{who}"
    );
    assert_eq!(kind(ec2.tags_of(&igw).await), ErrorKind::NotFound, "{who}");
    assert_eq!(
        kind(ec2.internet_gateway_vpcs(&igw).await),
        ErrorKind::NotFound,
        "{who}"
    );
    assert!(
        ec2.tagged("gameday:run", "contract")
            .await
            .unwrap()
            .is_empty(),
        "{who}"
    );
}

#[tokio::test]
async fn the_simulator_keeps_the_vpc_contract() {
    let clock = Arc::new(Clock::virtual_at(chrono::Utc::now()));
    let sim = SimAccount::new(1, Arc::new(DetectionModel::builtin()), clock);
    contract(&sim, "sim").await;
}

#[tokio::test]
async fn aws_vpcs_keep_the_same_contract_against_the_emulator() {
    let moto = Moto::start();
    let config = config(&moto).await;
    contract(&AwsEc2::new(&config), "aws (moto)").await;
}
