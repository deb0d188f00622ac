//! The simulated attacker on AWS, against the emulator: read calls (and the one object
//! write) made with the key the scenario created and the scenario's user agent in place of
//! the SDK's, as the provider's logs (here, the emulator's recording) show them.

#![allow(clippy::unwrap_used, clippy::panic)]

use gameday_engine::aws::actor::{AwsActor, CALLS};
use gameday_engine::aws::iam::AwsIam;
use gameday_engine::aws::s3::AwsS3;
use gameday_engine::sandbox::{Actor, ErrorKind, Iam, ObjectRef, S3, Tags};
use gameday_tests::contract::{config, kind, target};
use gameday_tests::moto::Moto;

const KALI: &str = "aws-cli/2.15.0 Python/3.11.8 Linux/6.6.9-amd64 kali/2024.1 botocore/2.0";

#[tokio::test]
async fn the_attackers_calls_carry_its_key_and_user_agent() {
    let moto = Moto::start();
    let iam = AwsIam::new(&config(&moto).await);
    iam.create_user("gd-attack-victim", &Tags::new())
        .await
        .unwrap();
    let key = iam.create_access_key("gd-attack-victim").await.unwrap();

    let s3 = AwsS3::new(&config(&moto).await, true);
    s3.create_bucket("gd-attack-data", &Tags::new())
        .await
        .unwrap();
    s3.put_object("gd-attack-data", "run7/payroll.csv", "x")
        .await
        .unwrap();
    let object = ObjectRef {
        bucket: "gd-attack-data".into(),
        key: "run7/payroll.csv".into(),
    };

    let actor = AwsActor::new(&target(&moto), "us-east-1", Some("run7"));
    moto.record();
    let calls: Vec<String> = CALLS.iter().map(|c| (*c).to_owned()).collect();
    let done = actor
        .call_as_on(&key, KALI, &calls, Some(&object))
        .await
        .unwrap();
    assert_eq!(done.made as usize, CALLS.len(), "{done:?}");
    assert_eq!(done.denied, 0);

    let recorded = moto.recorded();
    assert_eq!(
        recorded.len(),
        CALLS.len(),
        "one request a call, nothing else"
    );
    for r in &recorded {
        assert_eq!(r["headers"]["User-Agent"], KALI, "{r}");
        let auth = r["headers"]["Authorization"].as_str().unwrap_or_default();
        assert!(
            auth.contains(&format!("Credential={}/", key.access_key_id)),
            "signed with the attacker's key: {auth}"
        );
    }
    // The object calls named the bucket and key; the put wrote where it was told, and
    // nothing else.
    let paths: Vec<&str> = recorded
        .iter()
        .filter_map(|r| r["url"].as_str())
        .filter(|p| p.contains("gd-attack-data"))
        .collect();
    assert_eq!(paths.len(), 4, "{paths:?}");
    assert_eq!(
        s3.list_objects("gd-attack-data", "").await.unwrap(),
        ["run7/payroll.csv"]
    );
}

#[tokio::test]
async fn object_calls_need_their_object_and_fail_as_s3_does() {
    let moto = Moto::start();
    let iam = AwsIam::new(&config(&moto).await);
    iam.create_user("gd-attack-victim", &Tags::new())
        .await
        .unwrap();
    let key = iam.create_access_key("gd-attack-victim").await.unwrap();
    let actor = AwsActor::new(&target(&moto), "us-east-1", None);
    let err = actor
        .call_as(&key, KALI, &["s3.list_objects".to_owned()])
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidInput, "{err}");
    let missing = ObjectRef {
        bucket: "gd-attack-none".into(),
        key: "k".into(),
    };
    let err = actor
        .call_as_on(&key, KALI, &["s3.list_objects".to_owned()], Some(&missing))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound, "{err}");
    let s3 = AwsS3::new(&config(&moto).await, true);
    s3.create_bucket("gd-attack-none", &Tags::new())
        .await
        .unwrap();
    let err = actor
        .call_as_on(&key, KALI, &["s3.get_object".to_owned()], Some(&missing))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound, "{err}");
}

#[tokio::test]
async fn only_read_calls_are_possible_and_the_attacker_ip_must_be_configured() {
    let moto = Moto::start();
    let actor = AwsActor::new(&target(&moto), "us-east-1", None);
    let key = gameday_engine::sandbox::Credentials {
        access_key_id: "AKIAEXAMPLE000000000".into(),
        secret_access_key: gameday_engine::sandbox::Secret::new("x".repeat(40)),
    };
    let err = actor
        .call_as(&key, KALI, &["iam.delete_user".to_owned()])
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidInput);
    assert!(
        err.message.contains("iam.list_users"),
        "lists what can be called: {err}"
    );

    assert_eq!(kind(actor.attacker_ip().await), ErrorKind::InvalidInput);
    let mut with_ip = target(&moto);
    with_ip.attacker_ip = Some("203.0.113.9".into());
    let actor = AwsActor::new(&with_ip, "us-east-1", None);
    assert_eq!(actor.attacker_ip().await.unwrap(), "203.0.113.9");
}
