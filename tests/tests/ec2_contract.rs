//! EC2 of the AWS sandbox against a real AWS-API server on loopback (moto), held to the
//! simulator's contract: the security-group, instance-isolation and snapshot-sharing calls
//! the steps use, with their answers and error kinds.

#![allow(clippy::unwrap_used, clippy::panic)]

use gameday_engine::aws::ec2::AwsEc2;
use gameday_engine::clock::Clock;
use gameday_engine::sandbox::{Ec2, ErrorKind, Rule, Tags};
use gameday_engine::sim::{DetectionModel, SimAccount};
use gameday_tests::contract::{config, kind};
use gameday_tests::moto::Moto;
use std::sync::Arc;

fn ssh() -> Rule {
    Rule {
        protocol: "tcp".into(),
        from_port: 22,
        to_port: 22,
        cidr: "0.0.0.0/0".into(),
    }
}

async fn contract(ec2: &dyn Ec2, who: &str) {
    let tags = Tags::from([("gameday:run".to_owned(), "contract".to_owned())]);
    assert_eq!(
        ec2.security_group_named("gd-contract-web").await.unwrap(),
        None,
        "{who}"
    );
    let web = ec2
        .create_security_group("gd-contract-web", "web tier", &tags)
        .await
        .unwrap();
    assert!(web.starts_with("sg-"), "{who}: {web}");
    assert_eq!(
        ec2.security_group_named("gd-contract-web").await.unwrap(),
        Some(web.clone()),
        "{who}"
    );
    assert_eq!(ec2.tags_of(&web).await.unwrap(), tags, "{who}");
    assert_eq!(
        kind(
            ec2.create_security_group("gd-contract-web", "again", &tags)
                .await
        ),
        ErrorKind::AlreadyExists,
        "{who}"
    );
    // The attack: SSH open to the world.
    ec2.authorize_ingress(&web, &ssh()).await.unwrap();
    assert_eq!(
        ec2.group_rules(&web).await.unwrap().ingress,
        vec![ssh()],
        "{who}"
    );
    assert_eq!(
        kind(ec2.authorize_ingress(&web, &ssh()).await),
        ErrorKind::AlreadyExists,
        "{who}"
    );
    ec2.revoke_ingress(&web, &ssh()).await.unwrap();
    assert!(
        ec2.group_rules(&web).await.unwrap().ingress.is_empty(),
        "{who}"
    );

    // Isolation: an instance moved into a group with no rules at all.
    let instance = ec2
        .run_instance(
            "gd-contract-app",
            "ami-12c6146b",
            "t3.micro",
            std::slice::from_ref(&web),
            &tags,
        )
        .await
        .unwrap();
    assert!(instance.instance_id.starts_with("i-"), "{who}");
    assert!(
        instance.volume_id.starts_with("vol-"),
        "{who}: {instance:?}"
    );
    assert_eq!(
        ec2.instance_groups(&instance.instance_id).await.unwrap(),
        vec![web.clone()],
        "{who}"
    );
    let isolation = ec2
        .create_security_group("gd-contract-isolation", "no traffic", &tags)
        .await
        .unwrap();
    let everything = Rule {
        protocol: "-1".into(),
        from_port: 0,
        to_port: 0,
        cidr: "0.0.0.0/0".into(),
    };
    assert_eq!(
        ec2.group_rules(&isolation).await.unwrap().egress,
        vec![everything.clone()],
        "{who}: a new group lets everything out"
    );
    ec2.revoke_egress(&isolation, &everything).await.unwrap();
    assert_eq!(
        ec2.group_rules(&isolation).await.unwrap(),
        Default::default(),
        "{who}"
    );
    ec2.set_instance_groups(&instance.instance_id, std::slice::from_ref(&isolation))
        .await
        .unwrap();
    assert_eq!(
        ec2.instance_groups(&instance.instance_id).await.unwrap(),
        vec![isolation.clone()],
        "{who}: the groups are replaced, not added to"
    );

    // Snapshot sharing.
    let snap = ec2
        .create_snapshot(&instance.volume_id, "evidence", &tags)
        .await
        .unwrap();
    assert!(snap.starts_with("snap-"), "{who}");
    // Everything the run tagged is found by its tag, each with its tags.
    let mut found = ec2.tagged("gameday:run", "contract").await.unwrap();
    found.sort();
    let ids: Vec<&str> = found.iter().map(|r| r.id.as_str()).collect();
    for id in [&instance.instance_id, &web, &isolation, &snap] {
        assert!(ids.contains(&id.as_str()), "{who}: {id} in {ids:?}");
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
    assert!(
        ec2.tagged("gameday:run", "another")
            .await
            .unwrap()
            .is_empty(),
        "{who}"
    );
    assert!(
        ec2.snapshot_groups(&snap).await.unwrap().is_empty(),
        "{who}"
    );
    ec2.modify_snapshot_groups(&snap, "all", true)
        .await
        .unwrap();
    assert_eq!(
        ec2.snapshot_groups(&snap).await.unwrap(),
        vec!["all".to_owned()],
        "{who}"
    );
    ec2.modify_snapshot_groups(&snap, "all", false)
        .await
        .unwrap();
    assert!(
        ec2.snapshot_groups(&snap).await.unwrap().is_empty(),
        "{who}"
    );

    // Clean-up, and what is gone is not found.
    ec2.delete_snapshot(&snap).await.unwrap();
    assert_eq!(
        kind(ec2.snapshot_groups(&snap).await),
        ErrorKind::NotFound,
        "{who}"
    );
    assert_eq!(kind(ec2.tags_of(&snap).await), ErrorKind::NotFound, "{who}");
    ec2.terminate_instance(&instance.instance_id).await.unwrap();
    assert_eq!(
        kind(ec2.tags_of(&instance.instance_id).await),
        ErrorKind::NotFound,
        "{who}: a terminated instance is gone"
    );
    ec2.delete_security_group(&web).await.unwrap();
    assert_eq!(
        kind(ec2.group_rules(&web).await),
        ErrorKind::NotFound,
        "{who}"
    );
    assert_eq!(
        kind(ec2.instance_groups("i-0123456789abcdef0").await),
        ErrorKind::NotFound,
        "{who}"
    );
}

#[tokio::test]
async fn the_simulator_keeps_the_ec2_contract() {
    let clock = Arc::new(Clock::virtual_at(chrono::Utc::now()));
    let sim = SimAccount::new(1, Arc::new(DetectionModel::builtin()), clock);
    contract(&sim, "sim").await;
}

#[tokio::test]
async fn aws_ec2_keeps_the_same_contract_against_the_emulator() {
    let moto = Moto::start();
    let config = config(&moto).await;
    contract(&AwsEc2::new(&config), "aws (moto)").await;
}

/// An instance launched to resolve GuardDuty's test domains carries a boot script that
/// looks up those names and nothing else, and only they: the launch of a plain instance
/// has no user data.
#[tokio::test]
async fn an_instance_resolving_test_domains_boots_a_script_that_only_looks_them_up() {
    let moto = Moto::start();
    let ec2 = AwsEc2::new(&config(&moto).await);
    let tags = Tags::from([("gameday:run".to_owned(), "contract".to_owned())]);
    let lookups = [
        "c2.guarddutyc2activityb.com".to_owned(),
        "guarddutydgaactivity.com".to_owned(),
    ];
    let beacon = ec2
        .launch(
            "gd-beacon",
            "ami-12c6146b",
            "t3.micro",
            &[],
            &lookups,
            &tags,
        )
        .await
        .unwrap();
    let plain = ec2
        .run_instance("gd-plain", "ami-12c6146b", "t3.micro", &[], &tags)
        .await
        .unwrap();
    let user_data = |id: &str| {
        moto.python_output(&format!(
            "import boto3, base64\n\
             a = boto3.client('ec2').describe_instance_attribute(InstanceId='{id}', Attribute='userData')\n\
             v = a.get('UserData', {{}}).get('Value')\n\
             print(base64.b64decode(v).decode() if v else '', end='')"
        ))
    };
    let script = user_data(&beacon.instance_id);
    assert_eq!(
        script,
        gameday_engine::aws::ec2::boot_script(&lookups),
        "the script as launched"
    );
    assert!(script.starts_with("#!/bin/sh\n"), "{script}");
    for d in &lookups {
        assert!(script.contains(&format!("'{d}'")), "{script}");
    }
    assert!(
        !script.contains("curl") && !script.contains("wget") && !script.contains("nc "),
        "looks up, never connects: {script}"
    );
    assert_eq!(user_data(&plain.instance_id), "");
    // Launched without groups, an instance is in the VPC's default group, as on AWS: so
    // isolating it records a group to put back.
    assert_eq!(
        ec2.instance_groups(&plain.instance_id).await.unwrap().len(),
        1
    );
}
