//! The IAM half of the AWS sandbox against a real AWS-API server on loopback (moto), held
//! to the same contract as the simulator: every call, answer and error kind the steps rely
//! on is checked against both, so a scenario that passes on one behaves the same on the
//! other.

#![allow(clippy::unwrap_used, clippy::panic)]

use gameday_engine::aws::iam::AwsIam;
use gameday_engine::clock::Clock;
use gameday_engine::sandbox::{ErrorKind, Iam, KeyStatus, PasswordPolicy, Tags};
use gameday_engine::sim::{DetectionModel, SimAccount};
use gameday_tests::contract::{config, kind};
use gameday_tests::moto::Moto;
use std::sync::Arc;

const READ_ONLY: &str = "arn:aws:iam::aws:policy/ReadOnlyAccess";
const DENY_ALL: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}"#;

/// Everything the IAM steps rely on, in the order a game day uses it.
async fn contract(iam: &dyn Iam, who: &str) {
    let tags = Tags::from([("gameday:run".to_owned(), "contract".to_owned())]);
    assert_eq!(
        kind(iam.user_tags("gd-contract-alice").await),
        ErrorKind::NotFound,
        "{who}"
    );
    let arn = iam.create_user("gd-contract-alice", &tags).await.unwrap();
    assert!(arn.ends_with(":user/gd-contract-alice"), "{who}: {arn}");
    assert_eq!(
        iam.user_tags("gd-contract-alice").await.unwrap(),
        tags,
        "{who}: tagged at creation"
    );
    assert_eq!(
        kind(iam.create_user("gd-contract-alice", &tags).await),
        ErrorKind::AlreadyExists,
        "{who}"
    );

    let k1 = iam.create_access_key("gd-contract-alice").await.unwrap();
    let k2 = iam.create_access_key("gd-contract-alice").await.unwrap();
    assert!(k1.access_key_id.starts_with("AKIA"), "{who}");
    assert_eq!(k1.secret_access_key.expose().len(), 40, "{who}");
    assert_eq!(
        kind(iam.create_access_key("gd-contract-alice").await),
        ErrorKind::Conflict,
        "{who}: at most two keys a user"
    );
    iam.update_access_key("gd-contract-alice", &k1.access_key_id, KeyStatus::Inactive)
        .await
        .unwrap();
    let keys = iam.list_access_keys("gd-contract-alice").await.unwrap();
    let status = |id: &str| {
        keys.iter()
            .find(|k| k.access_key_id == id)
            .map(|k| k.status)
    };
    assert_eq!(
        status(&k1.access_key_id),
        Some(KeyStatus::Inactive),
        "{who}"
    );
    assert_eq!(status(&k2.access_key_id), Some(KeyStatus::Active), "{who}");
    assert_eq!(
        kind(
            iam.update_access_key(
                "gd-contract-alice",
                "AKIANOSUCHKEY0000000",
                KeyStatus::Active
            )
            .await
        ),
        ErrorKind::NotFound,
        "{who}"
    );

    iam.attach_user_policy("gd-contract-alice", READ_ONLY)
        .await
        .unwrap();
    assert_eq!(
        iam.list_attached_user_policies("gd-contract-alice")
            .await
            .unwrap(),
        vec![READ_ONLY.to_owned()],
        "{who}"
    );
    iam.put_user_policy("gd-contract-alice", "deny-all", DENY_ALL)
        .await
        .unwrap();
    let inline = iam.user_policies("gd-contract-alice").await.unwrap();
    let doc: serde_json::Value = serde_json::from_str(&inline["deny-all"]).unwrap();
    assert_eq!(
        doc,
        serde_json::from_str::<serde_json::Value>(DENY_ALL).unwrap(),
        "{who}"
    );

    assert_eq!(
        kind(iam.delete_user("gd-contract-alice").await),
        ErrorKind::Conflict,
        "{who}: a user with keys and policies cannot be deleted"
    );
    for k in [&k1, &k2] {
        iam.delete_access_key("gd-contract-alice", &k.access_key_id)
            .await
            .unwrap();
    }
    iam.detach_user_policy("gd-contract-alice", READ_ONLY)
        .await
        .unwrap();
    iam.delete_user_policy("gd-contract-alice", "deny-all")
        .await
        .unwrap();
    assert_eq!(
        kind(
            iam.delete_user_policy("gd-contract-alice", "deny-all")
                .await
        ),
        ErrorKind::NotFound,
        "{who}"
    );
    iam.delete_user("gd-contract-alice").await.unwrap();
    assert_eq!(
        kind(iam.delete_user("gd-contract-alice").await),
        ErrorKind::NotFound,
        "{who}"
    );
    assert_eq!(
        kind(iam.list_access_keys("gd-contract-alice").await),
        ErrorKind::NotFound,
        "{who}"
    );

    let before = iam.get_account_password_policy().await.unwrap();
    let policy = PasswordPolicy {
        minimum_password_length: 14,
        require_symbols: true,
        require_numbers: true,
        require_uppercase_characters: true,
        require_lowercase_characters: false,
        max_password_age: Some(90),
    };
    iam.update_account_password_policy(&policy).await.unwrap();
    assert_eq!(
        iam.get_account_password_policy().await.unwrap(),
        Some(policy.clone()),
        "{who}"
    );
    // A policy whose passwords never expire reads back as set: clean-up compares them.
    let never = PasswordPolicy {
        max_password_age: None,
        ..policy
    };
    iam.update_account_password_policy(&never).await.unwrap();
    assert_eq!(
        iam.get_account_password_policy().await.unwrap(),
        Some(never),
        "{who}"
    );
    iam.delete_account_password_policy().await.unwrap();
    assert_eq!(
        iam.get_account_password_policy().await.unwrap(),
        None,
        "{who}"
    );
    assert_eq!(
        kind(iam.delete_account_password_policy().await),
        ErrorKind::NotFound,
        "{who}"
    );
    if let Some(p) = before {
        iam.update_account_password_policy(&p).await.unwrap();
    }
}

/// Everything the role steps and checks rely on: a role, its trust, its inline policies.
async fn role_contract(iam: &dyn Iam, who: &str) {
    let tags = Tags::from([("gameday:run".to_owned(), "contract".to_owned())]);
    let json = |s: &str| serde_json::from_str::<serde_json::Value>(s).unwrap();
    let role = "gd-contract-deploy";
    assert_eq!(
        kind(iam.role_tags(role).await),
        ErrorKind::NotFound,
        "{who}"
    );
    assert_eq!(
        kind(iam.role_trust_policy(role).await),
        ErrorKind::NotFound,
        "{who}"
    );
    let arn = iam.create_role(role, EC2_TRUST, &tags).await.unwrap();
    assert!(arn.ends_with(":role/gd-contract-deploy"), "{who}: {arn}");
    assert_eq!(
        iam.role_tags(role).await.unwrap(),
        tags,
        "{who}: tagged at creation"
    );
    assert_eq!(
        kind(iam.create_role(role, EC2_TRUST, &tags).await),
        ErrorKind::AlreadyExists,
        "{who}"
    );
    // The trust reads back as the same document (IAM answers it URL-encoded).
    assert_eq!(
        json(&iam.role_trust_policy(role).await.unwrap()),
        json(EC2_TRUST),
        "{who}"
    );
    iam.update_assume_role_policy(role, OUTSIDE_TRUST)
        .await
        .unwrap();
    assert_eq!(
        json(&iam.role_trust_policy(role).await.unwrap()),
        json(OUTSIDE_TRUST),
        "{who}"
    );
    assert_eq!(
        kind(
            iam.update_assume_role_policy("gd-contract-nobody", EC2_TRUST)
                .await
        ),
        ErrorKind::NotFound,
        "{who}"
    );

    assert!(iam.role_policies(role).await.unwrap().is_empty(), "{who}");
    iam.put_role_policy(role, "break-glass", ADMIN)
        .await
        .unwrap();
    let policies = iam.role_policies(role).await.unwrap();
    assert_eq!(
        policies.keys().collect::<Vec<_>>(),
        ["break-glass"],
        "{who}"
    );
    assert_eq!(json(&policies["break-glass"]), json(ADMIN), "{who}");
    assert_eq!(
        kind(iam.put_role_policy("gd-contract-nobody", "p", ADMIN).await),
        ErrorKind::NotFound,
        "{who}"
    );
    assert_eq!(
        kind(iam.delete_role(role).await),
        ErrorKind::Conflict,
        "{who}: policies first"
    );
    iam.delete_role_policy(role, "break-glass").await.unwrap();
    assert_eq!(
        kind(iam.delete_role_policy(role, "break-glass").await),
        ErrorKind::NotFound,
        "{who}"
    );
    iam.delete_role(role).await.unwrap();
    assert_eq!(
        kind(iam.role_tags(role).await),
        ErrorKind::NotFound,
        "{who}"
    );
    assert_eq!(
        kind(iam.delete_role(role).await),
        ErrorKind::NotFound,
        "{who}"
    );
}

const EC2_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
const OUTSIDE_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"sts:AssumeRole"}]}"#;
const ADMIN: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

#[tokio::test]
async fn the_simulator_keeps_the_iam_contract() {
    let clock = Arc::new(Clock::virtual_at(chrono::Utc::now()));
    let sim = SimAccount::new(1, Arc::new(DetectionModel::builtin()), clock);
    contract(&sim, "sim").await;
    role_contract(&sim, "sim").await;
}

#[tokio::test]
async fn aws_iam_keeps_the_same_contract_against_the_emulator() {
    let moto = Moto::start();
    // The emulator's fixed test credentials, as a principal's own keys.
    let config = config(&moto).await;
    contract(&AwsIam::new(&config), "aws (moto)").await;
    role_contract(&AwsIam::new(&config), "aws (moto)").await;
}
