//! Bucket ACLs and Object Ownership, server access logging, the account's Block Public
//! Access (S3 Control) and KMS keys of the AWS sandbox against a real AWS-API server on
//! loopback (moto), held to the simulator's contract where both have the behaviour.
//!
//! What moto 5.2 lacks, and so is held on the simulator alone (the step and sim tests):
//! ACLs refused on a bucket with ACLs disabled (BucketOwnerEnforced) or while
//! BlockPublicAcls is on, and KMS's state rules (enabling a key pending deletion,
//! cancelling a deletion never scheduled, scheduling one twice).

#![allow(clippy::unwrap_used, clippy::panic)]

use gameday_engine::aws::kms::AwsKms;
use gameday_engine::aws::s3::AwsS3;
use gameday_engine::clock::Clock;
use gameday_engine::sandbox::{
    ALL_USERS, AUTHENTICATED_USERS, BucketLogging, ErrorKind, Grantee, KeyState, Kms,
    ObjectOwnership, PublicAccessBlock, ResourceKind, S3, Tags,
};
use gameday_engine::sim::{DetectionModel, SimAccount};
use gameday_tests::contract::{config, kind};
use gameday_tests::moto::Moto;
use std::sync::Arc;

const OPEN_ACLS: PublicAccessBlock = PublicAccessBlock {
    block_public_acls: false,
    ignore_public_acls: false,
    block_public_policy: true,
    restrict_public_buckets: true,
};
const ALL: PublicAccessBlock = PublicAccessBlock {
    block_public_acls: true,
    ignore_public_acls: true,
    block_public_policy: true,
    restrict_public_buckets: true,
};

fn tags() -> Tags {
    Tags::from([("gameday:run".to_owned(), "contract".to_owned())])
}

/// The groups an ACL grants to, sorted.
fn groups(acl: &gameday_engine::sandbox::BucketAcl) -> Vec<String> {
    let mut g: Vec<String> = acl
        .grants
        .iter()
        .filter_map(|g| match &g.grantee {
            Grantee::Group(uri) => Some(format!("{uri} {}", g.permission)),
            Grantee::CanonicalUser(_) => None,
        })
        .collect();
    g.sort();
    g
}

async fn acl_contract(s3: &dyn S3, who: &str) {
    const B: &str = "gd-contract-acl";
    s3.create_bucket(B, &tags()).await.unwrap();
    assert_eq!(
        s3.bucket_ownership(B).await.unwrap(),
        Some(ObjectOwnership::BucketOwnerEnforced),
        "{who}: a new bucket has ACLs disabled"
    );
    let private = s3.get_bucket_acl(B).await.unwrap();
    assert!(groups(&private).is_empty(), "{who}: {private:?}");
    assert!(
        private
            .grants
            .iter()
            .all(|g| g.grantee == Grantee::CanonicalUser(private.owner_id.clone())),
        "{who}: only the owner: {private:?}"
    );
    s3.put_bucket_ownership(B, ObjectOwnership::BucketOwnerPreferred)
        .await
        .unwrap();
    assert_eq!(
        s3.bucket_ownership(B).await.unwrap(),
        Some(ObjectOwnership::BucketOwnerPreferred),
        "{who}"
    );
    s3.put_public_access_block(B, &OPEN_ACLS).await.unwrap();
    s3.put_bucket_canned_acl(B, "authenticated-read")
        .await
        .unwrap();
    let shared = s3.get_bucket_acl(B).await.unwrap();
    assert_eq!(
        groups(&shared),
        vec![format!("{AUTHENTICATED_USERS} READ")],
        "{who}"
    );
    assert_eq!(shared.public_groups(), vec![AUTHENTICATED_USERS], "{who}");
    s3.put_bucket_canned_acl(B, "public-read").await.unwrap();
    assert_eq!(
        s3.get_bucket_acl(B).await.unwrap().public_groups(),
        vec![ALL_USERS],
        "{who}"
    );
    // The whole ACL read before goes back as it was.
    s3.put_bucket_acl(B, &private).await.unwrap();
    assert_eq!(
        s3.get_bucket_acl(B).await.unwrap().sorted(),
        private.sorted(),
        "{who}: the recorded ACL restored"
    );
    assert_eq!(
        kind(s3.put_bucket_canned_acl(B, "everyone-please").await),
        ErrorKind::InvalidInput,
        "{who}"
    );
    assert_eq!(
        kind(s3.get_bucket_acl("gd-contract-none").await),
        ErrorKind::NotFound,
        "{who}"
    );
    s3.delete_bucket(B).await.unwrap();
}

async fn logging_contract(s3: &dyn S3, who: &str) {
    const B: &str = "gd-contract-logged";
    const LOGS: &str = "gd-contract-logs";
    s3.create_bucket(B, &tags()).await.unwrap();
    s3.create_bucket(LOGS, &tags()).await.unwrap();
    assert_eq!(s3.bucket_logging(B).await.unwrap(), None, "{who}: off");
    let into = BucketLogging {
        target_bucket: LOGS.to_owned(),
        target_prefix: "gd-run/".to_owned(),
    };
    assert_eq!(
        kind(s3.put_bucket_logging(B, Some(&into)).await),
        ErrorKind::InvalidInput,
        "{who}: a target that does not let the logging service write is refused"
    );
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"S3ServerAccessLogs","Effect":"Allow","Principal":{{"Service":"logging.s3.amazonaws.com"}},"Action":"s3:PutObject","Resource":"arn:aws:s3:::{LOGS}/*"}}]}}"#
    );
    s3.put_bucket_policy(LOGS, &policy).await.unwrap();
    s3.put_bucket_logging(B, Some(&into)).await.unwrap();
    assert_eq!(
        s3.bucket_logging(B).await.unwrap(),
        Some(into.clone()),
        "{who}"
    );
    s3.put_bucket_logging(B, None).await.unwrap();
    assert_eq!(
        s3.bucket_logging(B).await.unwrap(),
        None,
        "{who}: off again"
    );
    let missing = BucketLogging {
        target_bucket: "gd-contract-none".to_owned(),
        target_prefix: String::new(),
    };
    assert_eq!(
        kind(s3.put_bucket_logging(B, Some(&missing)).await),
        ErrorKind::InvalidInput,
        "{who}: a target that does not exist"
    );
    s3.delete_bucket_policy(LOGS).await.unwrap();
    // An emulator may deliver access logs at once; AWS within hours. Either way they are
    // under the prefix the run chose.
    for key in s3.list_objects(LOGS, "").await.unwrap() {
        assert!(key.starts_with("gd-run/"), "{who}: {key}");
        s3.delete_object(LOGS, &key).await.unwrap();
    }
    s3.delete_bucket(B).await.unwrap();
    s3.delete_bucket(LOGS).await.unwrap();
}

async fn account_block_contract(s3: &dyn S3, who: &str) {
    assert_eq!(
        s3.account_public_access_block().await.unwrap(),
        None,
        "{who}: none in a fresh account"
    );
    s3.put_account_public_access_block(&ALL).await.unwrap();
    assert_eq!(
        s3.account_public_access_block().await.unwrap(),
        Some(ALL),
        "{who}"
    );
    s3.put_account_public_access_block(&OPEN_ACLS)
        .await
        .unwrap();
    assert_eq!(
        s3.account_public_access_block().await.unwrap(),
        Some(OPEN_ACLS),
        "{who}"
    );
    s3.delete_account_public_access_block().await.unwrap();
    assert_eq!(
        s3.account_public_access_block().await.unwrap(),
        None,
        "{who}"
    );
    s3.delete_account_public_access_block()
        .await
        .expect("none there already is fine");
}

async fn kms_contract(kms: &dyn Kms, who: &str) {
    let key = kms.create_key("gameday contract", &tags()).await.unwrap();
    assert!(key.arn.ends_with(&key.key_id), "{who}: {key:?}");
    assert_eq!(kms.key_tags(&key.key_id).await.unwrap(), tags(), "{who}");
    assert_eq!(
        kms.key_state(&key.key_id).await.unwrap(),
        KeyState::Enabled,
        "{who}"
    );
    let listed = kms.tagged("gameday:run", "contract").await.unwrap();
    assert_eq!(listed.len(), 1, "{who}: {listed:?}");
    assert_eq!(listed[0].kind, ResourceKind::Key, "{who}");
    kms.disable_key(&key.key_id).await.unwrap();
    assert_eq!(
        kms.key_state(&key.key_id).await.unwrap(),
        KeyState::Disabled,
        "{who}"
    );
    kms.enable_key(&key.key_id).await.unwrap();
    kms.schedule_key_deletion(&key.key_id, 7).await.unwrap();
    assert_eq!(
        kms.key_state(&key.key_id).await.unwrap(),
        KeyState::PendingDeletion,
        "{who}"
    );
    assert!(
        kms.tagged("gameday:run", "contract")
            .await
            .unwrap()
            .is_empty(),
        "{who}: a key pending deletion is as good as removed"
    );
    assert_eq!(
        kms.key_tags(&key.key_id).await.unwrap(),
        tags(),
        "{who}: and still answers for its tags"
    );
    kms.cancel_key_deletion(&key.key_id).await.unwrap();
    assert_eq!(
        kms.key_state(&key.key_id).await.unwrap(),
        KeyState::Disabled,
        "{who}: cancelling leaves the key disabled"
    );
    kms.enable_key(&key.key_id).await.unwrap();
    assert_eq!(
        kms.key_state(&key.key_id).await.unwrap(),
        KeyState::Enabled,
        "{who}"
    );
    assert_eq!(
        kind(kms.schedule_key_deletion(&key.key_id, 3).await),
        ErrorKind::InvalidInput,
        "{who}: fewer than seven days"
    );
    const NONE: &str = "00000000-0000-0000-0000-000000000000";
    assert_eq!(
        kind(kms.key_state(NONE).await),
        ErrorKind::NotFound,
        "{who}"
    );
    assert_eq!(kind(kms.key_tags(NONE).await), ErrorKind::NotFound, "{who}");
    kms.schedule_key_deletion(&key.key_id, 7).await.unwrap();
}

fn sim() -> SimAccount {
    let clock = Arc::new(Clock::virtual_at(chrono::Utc::now()));
    SimAccount::new(1, Arc::new(DetectionModel::builtin()), clock)
}

#[tokio::test]
async fn the_simulator_keeps_the_exposure_and_key_contracts() {
    let sim = sim();
    acl_contract(&sim, "sim").await;
    logging_contract(&sim, "sim").await;
    account_block_contract(&sim, "sim").await;
    kms_contract(&sim, "sim").await;
}

#[tokio::test]
async fn aws_keeps_them_against_the_emulator() {
    let moto = Moto::start();
    let config = config(&moto).await;
    let s3 = AwsS3::new(&config, true).for_account("123456789012");
    acl_contract(&s3, "aws (moto)").await;
    logging_contract(&s3, "aws (moto)").await;
    account_block_contract(&s3, "aws (moto)").await;
    kms_contract(&AwsKms::new(&config), "aws (moto)").await;
}
