//! GuardDuty findings as the AWS detection watcher reads them, against the emulator with
//! the tests' extension: a finding put in at a known `createdAt` comes back with that time
//! to the millisecond, its resource and user agent; samples are marked; archived and older
//! findings are left out.

#![allow(clippy::unwrap_used, clippy::panic)]

use gameday_engine::aws::guardduty::AwsFindings;
use gameday_engine::sandbox::ErrorKind;
use gameday_tests::contract::{config, kind};
use gameday_tests::moto::Moto;
use serde_json::json;

const KALI: &str = "PenTest:IAMUser/KaliLinux";
const THREAT: &str = "UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom";

#[tokio::test]
async fn findings_come_back_with_the_providers_time_resource_and_user_agent() {
    let moto = Moto::start();
    let gd = AwsFindings::new(&config(&moto).await);
    assert_eq!(
        kind(gd.findings(&[KALI.to_owned()], chrono::Utc::now()).await),
        ErrorKind::NotFound,
        "no detector: GuardDuty is not enabled"
    );
    let created = "2026-03-10T09:04:12.345Z";
    moto.inject_finding(&json!({
        "type": KALI,
        "createdAt": created,
        "resource": {"accessKeyId": "AKIAGAMEDAYTEST00001", "userName": "gameday-run1-ci-deploy"},
        "userAgent": "aws-cli/2.15 Python/3.11 Linux/6.5.0-kali3-amd64",
        "title": "API ListUsers was invoked from a Kali Linux computer."
    }));
    moto.inject_finding(&json!({"type": THREAT, "createdAt": "2026-03-10T09:05:00.000Z"}));
    // An old one, before the run started.
    moto.inject_finding(&json!({"type": KALI, "createdAt": "2026-03-10T08:00:00.000Z"}));

    let since = chrono::DateTime::parse_from_rfc3339("2026-03-10T09:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let found = gd.findings(&[KALI.to_owned()], since).await.unwrap();
    assert_eq!(found.len(), 1, "by type, and not before the run: {found:?}");
    let f = &found[0];
    assert_eq!(
        f.created_at
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        created
    );
    assert_eq!(
        f.resource.access_key_id.as_deref(),
        Some("AKIAGAMEDAYTEST00001")
    );
    assert_eq!(
        f.resource.user_name.as_deref(),
        Some("gameday-run1-ci-deploy")
    );
    assert!(f.user_agent.as_deref().is_some_and(|u| u.contains("kali")));
    assert!(f.title.contains("Kali"));
    assert!(!f.sample);

    let both = gd
        .findings(&[KALI.to_owned(), THREAT.to_owned()], since)
        .await
        .unwrap();
    assert_eq!(both.len(), 2);
    assert!(both[0].created_at < both[1].created_at, "oldest first");
}

#[tokio::test]
async fn sample_findings_are_marked_and_archived_ones_left_out() {
    let moto = Moto::start();
    moto.python(
        r#"
import boto3
boto3.client("guardduty").create_detector(Enable=True)
"#,
    );
    let gd = AwsFindings::new(&config(&moto).await);
    let before = chrono::Utc::now() - chrono::Duration::seconds(5);
    gd.create_sample_findings(&[KALI.to_owned()]).await.unwrap();
    let found = gd.findings(&[KALI.to_owned()], before).await.unwrap();
    assert_eq!(found.len(), 1);
    assert!(
        found[0].sample,
        "a sample finding proves nothing about detection"
    );
    let id = found[0].id.clone();
    moto.python(&format!(
        r#"
import boto3
gd = boto3.client("guardduty")
gd.archive_findings(DetectorId=gd.list_detectors()["DetectorIds"][0], FindingIds=["{id}"])
"#
    ));
    assert!(
        gd.findings(&[KALI.to_owned()], before)
            .await
            .unwrap()
            .is_empty()
    );
}
