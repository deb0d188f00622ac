//! S3, CloudTrail and CloudWatch of the AWS sandbox against a real AWS-API server on
//! loopback (moto), held to the simulator's contract where both have the behaviour, and
//! to what the emulator lacks where it does not.

#![allow(clippy::unwrap_used, clippy::panic)]

use gameday_engine::aws::cloudtrail::AwsCloudTrail;
use gameday_engine::aws::cloudwatch::AwsCloudWatch;
use gameday_engine::aws::s3::AwsS3;
use gameday_engine::clock::Clock;
use gameday_engine::sandbox::{
    AlarmState, CloudTrail, CloudWatch, ErrorKind, PublicAccessBlock, S3, Tags,
};
use gameday_engine::sim::{DetectionModel, SimAccount};
use gameday_tests::contract::{config, kind};
use gameday_tests::moto::Moto;
use std::sync::Arc;

const PUBLIC: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::gd-contract-data/*"}]}"#;
const OPEN: PublicAccessBlock = PublicAccessBlock {
    block_public_acls: false,
    ignore_public_acls: false,
    block_public_policy: false,
    restrict_public_buckets: false,
};

/// `validates_policies`: AWS and the simulator refuse a policy that is not JSON; moto 5.2
/// stores it (an emulator gap, so the check is skipped there).
async fn s3_contract(s3: &dyn S3, who: &str, validates_policies: bool) {
    let tags = Tags::from([("gameday:run".to_owned(), "contract".to_owned())]);
    assert_eq!(
        kind(s3.bucket_tags("gd-contract-data").await),
        ErrorKind::NotFound,
        "{who}: no bucket yet"
    );
    s3.create_bucket("gd-contract-data", &tags).await.unwrap();
    assert_eq!(
        s3.bucket_tags("gd-contract-data").await.unwrap(),
        tags,
        "{who}: tagged for the run"
    );
    // CreateBucket of a bucket the account owns succeeds in us-east-1 (AWS's legacy
    // answer): a run must never adopt it.
    assert_eq!(
        kind(s3.create_bucket("gd-contract-data", &Tags::new()).await),
        ErrorKind::AlreadyExists,
        "{who}: a bucket that exists is not created again"
    );
    assert_eq!(
        s3.bucket_tags("gd-contract-data").await.unwrap(),
        tags,
        "{who}: and keeps its own tags"
    );
    // Objects: listed by prefix, and a bucket holding any is never deleted.
    s3.put_object("gd-contract-data", "gd-run/a.txt", "a")
        .await
        .unwrap();
    s3.put_object("gd-contract-data", "theirs.txt", "b")
        .await
        .unwrap();
    assert_eq!(
        s3.list_objects("gd-contract-data", "gd-run/")
            .await
            .unwrap(),
        ["gd-run/a.txt"],
        "{who}"
    );
    assert_eq!(
        kind(s3.delete_bucket("gd-contract-data").await),
        ErrorKind::Conflict,
        "{who}: a bucket is never emptied by DeleteBucket"
    );
    for key in ["gd-run/a.txt", "theirs.txt"] {
        s3.delete_object("gd-contract-data", key).await.unwrap();
    }
    assert!(
        s3.list_objects("gd-contract-data", "")
            .await
            .unwrap()
            .is_empty(),
        "{who}"
    );
    let block = s3
        .get_public_access_block("gd-contract-data")
        .await
        .unwrap();
    assert!(
        block.is_some_and(|b| b.block_public_policy && b.block_public_acls),
        "{who}: a new bucket blocks public access: {block:?}"
    );
    assert_eq!(
        s3.get_bucket_policy("gd-contract-data").await.unwrap(),
        None,
        "{who}"
    );
    // The attack: remove the block, then make the bucket public.
    s3.delete_public_access_block("gd-contract-data")
        .await
        .unwrap();
    assert_eq!(
        s3.get_public_access_block("gd-contract-data")
            .await
            .unwrap(),
        None,
        "{who}"
    );
    s3.put_bucket_policy("gd-contract-data", PUBLIC)
        .await
        .unwrap();
    let policy: serde_json::Value = serde_json::from_str(
        &s3.get_bucket_policy("gd-contract-data")
            .await
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(policy["Statement"][0]["Principal"], "*", "{who}");
    if validates_policies {
        assert_eq!(
            kind(s3.put_bucket_policy("gd-contract-data", "not json").await),
            ErrorKind::InvalidInput,
            "{who}"
        );
    }
    // The response: block again, remove the statement.
    s3.put_public_access_block("gd-contract-data", &OPEN)
        .await
        .unwrap();
    assert_eq!(
        s3.get_public_access_block("gd-contract-data")
            .await
            .unwrap(),
        Some(OPEN),
        "{who}"
    );
    s3.delete_bucket_policy("gd-contract-data").await.unwrap();
    assert_eq!(
        s3.get_bucket_policy("gd-contract-data").await.unwrap(),
        None,
        "{who}"
    );
    s3.delete_bucket("gd-contract-data").await.unwrap();
    assert_eq!(
        kind(s3.get_bucket_policy("gd-contract-data").await),
        ErrorKind::NotFound,
        "{who}"
    );
}

async fn trail_contract(trail: &dyn CloudTrail, s3: &dyn S3, who: &str) {
    let tags = Tags::from([("gameday:run".to_owned(), "contract".to_owned())]);
    s3.create_bucket("gd-contract-trail", &tags).await.unwrap();
    // CloudTrail may write only where the bucket's policy lets it.
    let policy = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},
         "Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::gd-contract-trail"},
        {"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},
         "Action":"s3:PutObject","Resource":"arn:aws:s3:::gd-contract-trail/gd-contract/AWSLogs/*",
         "Condition":{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control"}}}]}"#;
    s3.put_bucket_policy("gd-contract-trail", policy)
        .await
        .unwrap();
    assert_eq!(
        kind(trail.trail_tags("gd-contract").await),
        ErrorKind::NotFound,
        "{who}"
    );
    let arn = trail
        .create_trail("gd-contract", "gd-contract-trail", "gd-contract", &tags)
        .await
        .unwrap();
    assert!(arn.contains(":trail/gd-contract"), "{who}: {arn}");
    assert_eq!(
        trail.trail_tags("gd-contract").await.unwrap(),
        tags,
        "{who}"
    );
    assert_eq!(
        kind(
            trail
                .create_trail("gd-contract", "gd-contract-trail", "", &tags)
                .await
        ),
        ErrorKind::AlreadyExists,
        "{who}"
    );
    assert!(
        trail.is_logging("gd-contract").await.unwrap(),
        "{who}: created logging"
    );
    trail.stop_logging("gd-contract").await.unwrap();
    assert!(!trail.is_logging("gd-contract").await.unwrap(), "{who}");
    trail.start_logging("gd-contract").await.unwrap();
    assert!(trail.is_logging("gd-contract").await.unwrap(), "{who}");
    trail.delete_trail("gd-contract").await.unwrap();
    assert_eq!(
        kind(trail.is_logging("gd-contract").await),
        ErrorKind::NotFound,
        "{who}"
    );
    // What the trail delivered is under its prefix, and nowhere else.
    let delivered = s3.list_objects("gd-contract-trail", "").await.unwrap();
    assert!(
        delivered
            .iter()
            .all(|k| k.starts_with("gd-contract/AWSLogs/")),
        "{who}: {delivered:?}"
    );
    for key in delivered {
        s3.delete_object("gd-contract-trail", &key).await.unwrap();
    }
    s3.delete_bucket("gd-contract-trail").await.unwrap();
}

fn sim() -> SimAccount {
    let clock = Arc::new(Clock::virtual_at(chrono::Utc::now()));
    SimAccount::new(1, Arc::new(DetectionModel::builtin()), clock)
}

#[tokio::test]
async fn the_simulator_keeps_the_s3_and_cloudtrail_contracts() {
    let sim = sim();
    s3_contract(&sim, "sim", true).await;
    trail_contract(&sim, &sim, "sim").await;
}

#[tokio::test]
async fn aws_s3_and_cloudtrail_keep_them_against_the_emulator() {
    let moto = Moto::start();
    let config = config(&moto).await;
    let s3 = AwsS3::new(&config, true);
    s3_contract(&s3, "aws (moto)", false).await;
    trail_contract(&AwsCloudTrail::new(&config), &s3, "aws (moto)").await;
}

#[tokio::test]
async fn aws_cloudwatch_reads_alarm_states_and_says_what_the_endpoint_lacks() {
    let moto = Moto::start();
    moto.python(
        r#"
import boto3
cw = boto3.client("cloudwatch")
cw.put_metric_alarm(AlarmName="gd-contract-root", MetricName="RootUse", Namespace="CIS",
    Statistic="Sum", Period=300, EvaluationPeriods=1, Threshold=1,
    ComparisonOperator="GreaterThanOrEqualToThreshold")
cw.set_alarm_state(AlarmName="gd-contract-root", StateValue="ALARM", StateReason="drill")
"#,
    );
    let config = config(&moto).await;
    let cw = AwsCloudWatch::new(&config);
    let alarms = cw
        .describe_alarms(&["gd-contract-root".to_owned(), "gd-no-such".to_owned()])
        .await
        .unwrap();
    assert_eq!(
        alarms.len(),
        1,
        "alarms that do not exist are absent: {alarms:?}"
    );
    assert_eq!(alarms[0].state, AlarmState::Alarm);
    let age = chrono::Utc::now() - alarms[0].updated_at;
    assert!(
        age.num_seconds().abs() < 120,
        "the transition time is the provider's: {age}"
    );
    // moto has no DescribeAlarmHistory: the caller must be told, to fall back.
    let since = chrono::Utc::now() - chrono::Duration::hours(1);
    let err = cw
        .alarm_history("gd-contract-root", since)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Unsupported, "{err}");
}

#[tokio::test]
async fn the_simulators_cloudwatch_answers_the_same_way() {
    let sim = sim();
    let alarms = sim
        .describe_alarms(&["gd-no-such".to_owned()])
        .await
        .unwrap();
    assert!(alarms.is_empty());
}
