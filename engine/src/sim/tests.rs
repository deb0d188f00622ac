//! Tests of the simulator: the account's behaviour, and the detection schedule against the
//! run's virtual clock.

use super::*;
use crate::duration::Duration;
use crate::sandbox::{
    AlarmState, AlarmTransition, CallsAs, Credentials, KeyStatus, ObjectRef, PublicAccessBlock,
    Rule, Tags,
};
use chrono::{DateTime, Utc};

fn start() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
        .expect("valid")
        .with_timezone(&Utc)
}

fn account(seed: u64, model: DetectionModel) -> (SimAccount, Arc<Clock>) {
    let clock = Arc::new(Clock::virtual_at(start()));
    (SimAccount::new(seed, Arc::new(model), clock.clone()), clock)
}

/// The built-in model with every probability 1, so schedules do not depend on the seed.
fn certain_model() -> DetectionModel {
    let text = include_str!("model.yaml").replace("probability: 0.98", "probability: 1.0");
    DetectionModel::from_yaml(&text).expect("valid model")
}

/// A model with one Kali rule and one alarm on StopLogging, with fixed latencies.
fn fixed_model(probability: f64) -> DetectionModel {
    DetectionModel::from_yaml(&format!(
        r#"
guardduty:
  - finding_type: "PenTest:IAMUser/KaliLinux"
    severity: 5
    title: "API {{event}} was invoked from a Kali Linux computer by {{user_name}}."
    on: {{ user_agent_contains: [Kali] }}
    probability: {probability}
    latency: {{ median: 4m, p95: 4m }}
alarms:
  - name: trail-changes
    on: {{ events: ["cloudtrail:StopLogging"] }}
    probability: {probability}
    latency: {{ median: 7m, p95: 7m, min: 5m }}
    period: 5m
"#
    ))
    .expect("valid model")
}

fn tags(run: &str) -> Tags {
    Tags::from([("gameday:run".to_owned(), run.to_owned())])
}

async fn at(clock: &Clock, t: DateTime<Utc>) {
    clock.sleep_until(clock.since_start(t)).await;
}

/// A user with ReadOnlyAccess and an access key.
async fn victim(sim: &SimAccount, name: &str) -> Credentials {
    sim.create_user(name, &tags("r1")).await.expect("user");
    sim.attach_user_policy(name, iam::READ_ONLY_ACCESS)
        .await
        .expect("policy");
    sim.create_access_key(name).await.expect("key")
}

/// A bucket whose policy lets CloudTrail deliver to it.
async fn trail_bucket(sim: &SimAccount, bucket: &str, tags: &Tags) {
    sim.create_bucket(bucket, tags).await.expect("bucket");
    let policy = serde_json::json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
         "Action": "s3:GetBucketAcl", "Resource": format!("arn:aws:s3:::{bucket}")},
        {"Effect": "Allow", "Principal": {"Service": ["cloudtrail.amazonaws.com"]},
         "Action": ["s3:PutObject"], "Resource": format!("arn:aws:s3:::{bucket}/AWSLogs/*")}
    ]});
    sim.put_bucket_policy(bucket, &policy.to_string())
        .await
        .expect("bucket policy");
}

fn calls(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

const KALI: &str = "aws-cli/2.15.0 Python/3.11.6 Linux/6.5.0-kali3-amd64 exe/x86_64.kali.2024";

#[test]
fn the_builtin_model_parses_and_covers_the_documented_detections() {
    let m = DetectionModel::builtin();
    let types: Vec<&str> = m.finding_types().collect();
    for t in [
        "PenTest:IAMUser/KaliLinux",
        "PenTest:IAMUser/ParrotLinux",
        "PenTest:IAMUser/PentooLinux",
        "UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom",
        "Recon:IAMUser/MaliciousIPCaller.Custom",
        "PenTest:S3/KaliLinux",
        "Discovery:S3/MaliciousIPCaller.Custom",
        "UnauthorizedAccess:S3/MaliciousIPCaller.Custom",
        "Backdoor:EC2/C&CActivity.B!DNS",
        "CryptoCurrency:EC2/BitcoinTool.B!DNS",
        "Trojan:EC2/DGADomainRequest.C!DNS",
        "Stealth:IAMUser/CloudTrailLoggingDisabled",
        "Stealth:IAMUser/PasswordPolicyChange",
        "Policy:S3/BucketBlockPublicAccessDisabled",
        "Policy:S3/BucketAnonymousAccessGranted",
        "Policy:S3/BucketPublicAccessGranted",
        "Policy:S3/AccountBlockPublicAccessDisabled",
        "Stealth:S3/ServerAccessLoggingDisabled",
    ] {
        assert!(types.contains(&t), "{t} missing");
    }
    let alarms: Vec<&str> = m.alarm_names().collect();
    assert_eq!(
        alarms,
        [
            "cis-cloudtrail-changes",
            "cis-iam-policy-changes",
            "cis-security-group-changes",
            "cis-access-key-created",
            "cis-snapshot-shared",
            "cis-unauthorized-api-calls",
            "iam-role-trust-changes",
            "cis-password-policy-changes",
            "cis-nacl-changes",
            "cis-network-gateway-changes",
            "cis-route-table-changes",
            "cis-vpc-changes",
            "cis-s3-bucket-policy-changes",
            "cis-kms-key-disabled-or-deleted",
        ]
    );
}

#[test]
fn a_bad_model_reports_every_problem() {
    let err = DetectionModel::from_yaml(
        r#"
guardduty:
  - finding_type: "X:Y/Z"
    severity: 11
    title: "about {nope}"
    on: { events: [StopLogging], where: { sneaky: true } }
    probability: 1.5
    latency: { median: 5m, p95: 1m }
alarms:
  - { name: a, on: {}, probability: 1, latency: { median: 1m, p95: 2m }, period: 5m }
  - { name: a, on: {}, probability: 1, latency: { median: 1m, p95: 2m }, period: 5m }
"#,
    )
    .expect_err("invalid");
    for needle in [
        "severity 11",
        "{nope}",
        "`sneaky` is unknown",
        "`StopLogging` must be written `service:Operation`",
        "probability 1.5",
        "p95 1m is below the median 5m",
        "alarms[1] (a): another alarm has the same name",
    ] {
        assert!(err.contains(needle), "`{needle}` not in:\n{err}");
    }
    let err = DetectionModel::from_yaml("guardduty: []\nalarmz: []\n").expect_err("unknown key");
    assert!(err.contains("alarmz"), "{err}");
    let err = DetectionModel::from_yaml(
        "alarms:\n  - { name: a, on: {}, probability: 1, latency: { median: 4 minutes, p95: 2m }, period: 5m }\n",
    )
    .expect_err("bad duration");
    assert!(err.contains("4 minutes"), "{err}");
}

#[test]
fn latencies_follow_the_lognormal_with_the_given_median_and_p95() {
    let m = DetectionModel::from_yaml(
        "alarms:\n  - { name: a, on: {}, probability: 1, latency: { median: 4m, p95: 9m, min: 2m }, period: 5m }\n",
    )
    .expect("valid");
    let chance = m.alarms[0].chance;
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let mut ms: Vec<u64> = (0..20_000)
        .map(|_| chance.draw(&mut rng).expect("probability 1").as_millis())
        .collect();
    ms.sort_unstable();
    let median = ms[ms.len() / 2] as f64 / 60_000.0;
    let p95 = ms[ms.len() * 95 / 100] as f64 / 60_000.0;
    assert!((median - 4.0).abs() < 0.15, "median {median} min");
    assert!((p95 - 9.0).abs() < 0.4, "p95 {p95} min");
    assert_eq!(ms[0], 120_000, "clamped to the minimum");
}

#[tokio::test]
async fn a_kali_call_schedules_one_finding_visible_from_its_created_at() {
    let (sim, clock) = account(1, DetectionModel::builtin());
    let key = victim(&sim, "mallory").await;
    clock.sleep(Duration::from_secs(60)).await;
    let act = clock.now();
    let made = sim
        .call_as(
            &key,
            KALI,
            &calls(&[
                "iam.list_users",
                "ec2.describe_instances",
                "s3.list_buckets",
            ]),
        )
        .await
        .expect("calls");
    assert_eq!(made, CallsAs { made: 3, denied: 0 });

    let pentest: Vec<TruthEvent> = sim
        .truth()
        .into_iter()
        .filter(|t| t.name == "PenTest:IAMUser/KaliLinux")
        .collect();
    assert_eq!(pentest.len(), 1, "{pentest:?}");
    let truth = &pentest[0];
    assert_eq!(truth.source, crate::scenario::Source::GUARDDUTY);
    assert_eq!(truth.caused_by, "iam:ListUsers");
    assert_eq!(truth.act_at, act);
    assert_eq!(
        truth.resource.access_key_id.as_deref(),
        Some(key.access_key_id.as_str())
    );
    assert_eq!(truth.resource.user_name.as_deref(), Some("mallory"));
    assert!(
        truth.detected_at >= act + chrono::Duration::seconds(30),
        "{truth:?}"
    );

    let kali = vec!["PenTest:IAMUser/KaliLinux".to_owned()];
    at(
        &clock,
        truth.detected_at - chrono::Duration::milliseconds(1),
    )
    .await;
    assert!(
        sim.findings(&kali, start())
            .await
            .expect("findings")
            .is_empty(),
        "seen before createdAt"
    );
    assert!(
        sim.findings(&[], start())
            .await
            .expect("findings")
            .is_empty()
    );

    at(&clock, truth.detected_at).await;
    let found = sim.findings(&kali, start()).await.expect("findings");
    assert_eq!(found.len(), 1);
    let f = &found[0];
    assert_eq!(f.created_at, truth.detected_at);
    assert_eq!(f.resource, truth.resource);
    assert_eq!(f.user_agent.as_deref(), Some(KALI));
    assert!(!f.sample);
    assert_eq!(
        f.title,
        "API iam:ListUsers was invoked from a Kali Linux computer."
    );
    assert_eq!(f.id.len(), 32);

    let other = vec!["PenTest:IAMUser/ParrotLinux".to_owned()];
    assert!(
        sim.findings(&other, start())
            .await
            .expect("findings")
            .is_empty()
    );
    let later = truth.detected_at + chrono::Duration::seconds(1);
    assert!(
        sim.findings(&kali, later)
            .await
            .expect("findings")
            .is_empty(),
        "updatedAt before since"
    );

    let audit = sim.audit_log();
    let list_users = audit
        .iter()
        .find(|a| a.event.name == "iam:ListUsers")
        .expect("audited");
    assert_eq!(list_users.user_agent.as_deref(), Some(KALI));
    assert_eq!(list_users.source_ip.as_deref(), Some(ATTACKER_IP));
    assert_eq!(list_users.user_name.as_deref(), Some("mallory"));
    assert_eq!(list_users.event.at, act);
}

/// The same scenario-like sequence of calls, at the same clock times.
async fn script(seed: u64) -> (Vec<TruthEvent>, Vec<String>) {
    let (sim, clock) = account(seed, DetectionModel::builtin());
    let key = victim(&sim, "mallory").await;
    let mut ids = vec![key.access_key_id.clone()];
    trail_bucket(&sim, "gameday-r1-trail", &tags("r1")).await;
    sim.create_trail("gameday-r1", "gameday-r1-trail", "", &tags("r1"))
        .await
        .expect("trail");
    let group = sim
        .create_security_group("gameday-r1-web", "web", &tags("r1"))
        .await
        .expect("group");
    let instance = sim
        .run_instance(
            "web",
            "ami-0123456789abcdef0",
            "t3.micro",
            std::slice::from_ref(&group),
            &tags("r1"),
        )
        .await
        .expect("instance");
    ids.extend([group, instance.instance_id, instance.volume_id]);
    clock.sleep(Duration::from_secs(30)).await;
    sim.call_as(&key, KALI, &calls(&["iam.list_users", "iam.create_user"]))
        .await
        .expect("calls");
    clock.sleep(Duration::from_secs(10)).await;
    sim.stop_logging("gameday-r1").await.expect("stop");
    sim.update_account_password_policy(&crate::sandbox::PasswordPolicy {
        minimum_password_length: 6,
        ..Default::default()
    })
    .await
    .expect("policy");
    clock.sleep(Duration::from_secs(3600)).await;
    let findings = sim.findings(&[], start()).await.expect("findings");
    ids.extend(
        findings
            .into_iter()
            .map(|f| format!("{} {} {}", f.id, f.finding_type, f.created_at)),
    );
    (sim.truth(), ids)
}

#[tokio::test]
async fn the_same_seed_gives_the_same_ids_and_schedule_and_another_seed_other_latencies() {
    let (truth_a, ids_a) = script(42).await;
    let (truth_b, ids_b) = script(42).await;
    assert!(truth_a.len() >= 5, "{truth_a:?}");
    assert_eq!(truth_a, truth_b);
    assert_eq!(ids_a, ids_b);

    let (truth_c, ids_c) = script(43).await;
    assert_ne!(ids_a[..4], ids_c[..4], "ids come from the seed");
    let latencies = |t: &[TruthEvent]| -> Vec<(String, DateTime<Utc>)> {
        t.iter().map(|e| (e.name.clone(), e.detected_at)).collect()
    };
    assert_ne!(latencies(&truth_a), latencies(&truth_c));
    for t in truth_a.iter().chain(&truth_c) {
        assert!(t.detected_at > t.act_at, "{t:?}");
    }
}

#[tokio::test]
async fn stop_logging_raises_the_trail_finding_and_the_cloudtrail_alarm() {
    let (sim, clock) = account(7, certain_model());
    trail_bucket(&sim, "gameday-r1-trail", &tags("r1")).await;
    let arn = sim
        .create_trail("gameday-r1", "gameday-r1-trail", "", &tags("r1"))
        .await
        .expect("trail");
    assert_eq!(
        arn,
        "arn:aws:cloudtrail:us-east-1:111122223333:trail/gameday-r1"
    );
    assert!(sim.is_logging("gameday-r1").await.expect("status"));
    // The trail bucket's policy is a bucket policy change, which CIS 4.8 counts.
    let not_s3 = || -> Vec<TruthEvent> {
        sim.truth()
            .into_iter()
            .filter(|t| t.name != "cis-s3-bucket-policy-changes")
            .collect()
    };
    assert!(
        not_s3().is_empty(),
        "creating a trail is not an attack: {:?}",
        sim.truth()
    );

    clock.sleep(Duration::from_secs(120)).await;
    let act = clock.now();
    sim.stop_logging("gameday-r1").await.expect("stop");
    assert!(!sim.is_logging("gameday-r1").await.expect("status"));

    assert_eq!(
        Sandbox::ground_truth(&sim),
        Some(sim.truth()),
        "the run journals it"
    );
    let truth = not_s3();
    assert_eq!(truth.len(), 2, "{truth:?}");
    let finding = truth
        .iter()
        .find(|t| t.name == "Stealth:IAMUser/CloudTrailLoggingDisabled")
        .expect("finding scheduled");
    assert_eq!(finding.resource.trail_name.as_deref(), Some("gameday-r1"));
    assert_eq!(finding.caused_by, "cloudtrail:StopLogging");
    let alarm = truth
        .iter()
        .find(|t| t.name == "cis-cloudtrail-changes")
        .expect("alarm scheduled");
    assert_eq!(alarm.source, crate::scenario::Source::CLOUDWATCH);
    assert_eq!(alarm.act_at, act);
    assert!(
        alarm.detected_at >= act + chrono::Duration::minutes(5),
        "{alarm:?}"
    );

    let names = vec![
        "cis-cloudtrail-changes".to_owned(),
        "no-such-alarm".to_owned(),
    ];
    let before = sim.describe_alarms(&names).await.expect("alarms");
    assert_eq!(before.len(), 1, "unknown alarms are absent");
    assert_eq!(before[0].state, AlarmState::Ok);
    assert_eq!(before[0].updated_at, start());

    at(&clock, alarm.detected_at).await;
    let during = sim.describe_alarms(&names).await.expect("alarms");
    assert_eq!(during[0].state, AlarmState::Alarm);
    assert_eq!(during[0].updated_at, alarm.detected_at);
    let history = sim
        .alarm_history("cis-cloudtrail-changes", start())
        .await
        .expect("history");
    assert_eq!(
        history,
        vec![AlarmTransition {
            name: "cis-cloudtrail-changes".to_owned(),
            state: AlarmState::Alarm,
            at: alarm.detected_at,
        }]
    );

    let ok_at = alarm.detected_at + chrono::Duration::minutes(5);
    at(&clock, ok_at).await;
    let after = sim.describe_alarms(&names).await.expect("alarms");
    assert_eq!(
        (after[0].state, after[0].updated_at),
        (AlarmState::Ok, ok_at)
    );
    let history = sim
        .alarm_history(
            "cis-cloudtrail-changes",
            alarm.detected_at + chrono::Duration::seconds(1),
        )
        .await;
    assert_eq!(
        history.expect("history").len(),
        1,
        "only the return to OK is after `since`"
    );
    assert!(
        sim.alarm_history("no-such-alarm", start())
            .await
            .expect("history")
            .is_empty()
    );

    let events = sim
        .lookup_events(&["cloudtrail:StopLogging"], start(), clock.now())
        .await
        .expect("events");
    assert_eq!(events.len(), 1);
    assert_eq!(
        (events[0].at, events[0].resources.clone()),
        (act, vec!["gameday-r1".to_owned()])
    );
    assert!(
        sim.lookup_events(
            &["cloudtrail:StopLogging"],
            start(),
            act - chrono::Duration::seconds(1)
        )
        .await
        .expect("events")
        .is_empty()
    );
}

#[tokio::test]
async fn an_alarm_triggered_again_while_in_alarm_stays_there_longer() {
    let (sim, clock) = account(1, fixed_model(1.0));
    trail_bucket(&sim, "trail-bucket", &Tags::new()).await;
    sim.create_trail("trail-t", "trail-bucket", "", &Tags::new())
        .await
        .expect("trail");
    let first = clock.now();
    sim.stop_logging("trail-t").await.expect("stop");
    clock.sleep(Duration::from_secs(60)).await;
    sim.start_logging("trail-t").await.expect("start");
    sim.stop_logging("trail-t").await.expect("stop again");

    let truth = sim.truth();
    assert_eq!(truth.len(), 1, "one transition: {truth:?}");
    assert_eq!(truth[0].detected_at, first + chrono::Duration::minutes(7));
    clock.sleep(Duration::from_secs(3600)).await;
    let history = sim
        .alarm_history("trail-changes", start())
        .await
        .expect("history");
    let states: Vec<(AlarmState, DateTime<Utc>)> =
        history.iter().map(|h| (h.state, h.at)).collect();
    assert_eq!(
        states,
        vec![
            (AlarmState::Alarm, first + chrono::Duration::minutes(7)),
            (AlarmState::Ok, first + chrono::Duration::minutes(13)),
        ]
    );
}

#[tokio::test]
async fn guardduty_aggregates_repeats_into_the_first_finding() {
    let (sim, clock) = account(1, fixed_model(1.0));
    let key = victim(&sim, "mallory").await;
    let first = clock.now();
    sim.call_as(&key, KALI, &calls(&["iam.list_users"]))
        .await
        .expect("calls");
    clock.sleep(Duration::from_secs(600)).await;
    let second = clock.now();
    sim.call_as(&key, KALI, &calls(&["iam.list_roles"]))
        .await
        .expect("calls");
    assert_eq!(sim.truth().len(), 1);

    let found = sim.findings(&[], start()).await.expect("findings");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].created_at, first + chrono::Duration::minutes(4));
    assert_eq!(
        found[0].updated_at, found[0].created_at,
        "the repeat is not visible yet"
    );
    assert_eq!(
        found[0].title,
        "API iam:ListUsers was invoked from a Kali Linux computer by mallory."
    );

    clock.sleep(Duration::from_secs(600)).await;
    let found = sim.findings(&[], second).await.expect("findings");
    assert_eq!(found.len(), 1, "updated by the repeat");
    assert_eq!(found[0].created_at, first + chrono::Duration::minutes(4));
    assert_eq!(found[0].updated_at, second + chrono::Duration::minutes(4));

    // Another key is another resource: another finding.
    let other = victim(&sim, "trent").await;
    sim.call_as(&other, KALI, &calls(&["iam.list_users"]))
        .await
        .expect("calls");
    assert_eq!(sim.truth().len(), 2);
}

#[tokio::test]
async fn a_probability_of_zero_never_schedules() {
    let (sim, clock) = account(5, fixed_model(0.0));
    trail_bucket(&sim, "trail-bucket", &Tags::new()).await;
    sim.create_trail("trail-t", "trail-bucket", "", &Tags::new())
        .await
        .expect("trail");
    for i in 0..200 {
        let key = victim(&sim, &format!("u{i}")).await;
        sim.call_as(
            &key,
            KALI,
            &calls(&["iam.list_users", "ec2.describe_instances"]),
        )
        .await
        .expect("calls");
        sim.stop_logging("trail-t").await.expect("stop");
        clock.sleep(Duration::from_secs(60)).await;
    }
    clock.sleep(Duration::from_secs(86_400)).await;
    assert!(sim.truth().is_empty());
    assert!(
        sim.findings(&[], start())
            .await
            .expect("findings")
            .is_empty()
    );
    let alarms = sim
        .describe_alarms(&["trail-changes".to_owned()])
        .await
        .expect("alarms");
    assert_eq!(alarms[0].state, AlarmState::Ok);
}

#[tokio::test]
async fn delete_user_fails_while_the_user_has_keys_or_policies() {
    let (sim, _clock) = account(1, DetectionModel::builtin());
    let key = victim(&sim, "mallory").await;
    let err = sim.delete_user("mallory").await.expect_err("has a key");
    assert_eq!(
        (err.kind, err.operation.as_str()),
        (ErrorKind::Conflict, "iam:DeleteUser")
    );
    assert!(err.message.starts_with("DeleteConflict"), "{err}");
    sim.delete_access_key("mallory", &key.access_key_id)
        .await
        .expect("delete key");
    let err = sim.delete_user("mallory").await.expect_err("has a policy");
    assert_eq!(err.kind, ErrorKind::Conflict);
    sim.detach_user_policy("mallory", iam::READ_ONLY_ACCESS)
        .await
        .expect("detach");
    sim.put_user_policy(
        "mallory",
        "deny",
        r#"{"Statement":{"Effect":"Deny","Action":"*","Resource":"*"}}"#,
    )
    .await
    .expect("put");
    assert_eq!(
        sim.delete_user("mallory").await.expect_err("inline").kind,
        ErrorKind::Conflict
    );
    sim.delete_user_policy("mallory", "deny")
        .await
        .expect("delete policy");
    sim.delete_user("mallory").await.expect("deleted");
    assert_eq!(
        sim.delete_user("mallory").await.expect_err("gone").kind,
        ErrorKind::NotFound
    );
    assert_eq!(
        sim.create_user("bob", &Tags::new()).await.expect("user"),
        "arn:aws:iam::111122223333:user/bob"
    );
    assert_eq!(
        sim.create_user("bob", &Tags::new())
            .await
            .expect_err("dup")
            .kind,
        ErrorKind::AlreadyExists
    );
}

#[tokio::test]
async fn iam_keys_and_policies_behave_like_iam() {
    let (sim, _clock) = account(1, DetectionModel::builtin());
    let key = victim(&sim, "mallory").await;
    assert!(key.access_key_id.starts_with("AKIA") && key.access_key_id.len() == 20);
    assert_eq!(key.secret_access_key.expose().len(), 40);
    sim.create_access_key("mallory").await.expect("second key");
    assert_eq!(
        sim.create_access_key("mallory")
            .await
            .expect_err("third")
            .kind,
        ErrorKind::Conflict
    );
    sim.update_access_key("mallory", &key.access_key_id, KeyStatus::Inactive)
        .await
        .expect("update");
    let keys = sim.list_access_keys("mallory").await.expect("keys");
    assert_eq!(keys.len(), 2);
    assert_eq!(
        (keys[0].access_key_id.as_str(), keys[0].status),
        (key.access_key_id.as_str(), KeyStatus::Inactive)
    );
    assert_eq!(
        sim.update_access_key("mallory", "AKIANOPE", KeyStatus::Active)
            .await
            .expect_err("no key")
            .kind,
        ErrorKind::NotFound
    );
    assert_eq!(
        sim.attach_user_policy("mallory", "arn:aws:iam::111122223333:policy/Mine")
            .await
            .expect_err("x")
            .kind,
        ErrorKind::NotFound
    );
    assert_eq!(
        sim.attach_user_policy("mallory", "AdministratorAccess")
            .await
            .expect_err("x")
            .kind,
        ErrorKind::InvalidInput
    );
    assert_eq!(
        sim.put_user_policy("mallory", "p", "{not json")
            .await
            .expect_err("x")
            .kind,
        ErrorKind::InvalidInput
    );
    assert_eq!(
        sim.list_attached_user_policies("mallory")
            .await
            .expect("list"),
        vec![iam::READ_ONLY_ACCESS]
    );

    assert_eq!(sim.get_account_password_policy().await.expect("get"), None);
    assert_eq!(
        sim.delete_account_password_policy()
            .await
            .expect_err("none")
            .kind,
        ErrorKind::NotFound
    );
    let weak = crate::sandbox::PasswordPolicy {
        minimum_password_length: 6,
        ..Default::default()
    };
    sim.update_account_password_policy(&weak)
        .await
        .expect("update");
    assert_eq!(
        sim.get_account_password_policy().await.expect("get"),
        Some(weak)
    );
}

#[tokio::test]
async fn call_as_authorises_with_the_tiny_policy_model() {
    let (sim, _clock) = account(1, certain_model());
    let key = victim(&sim, "reader").await;
    let r = sim
        .call_as(
            &key,
            "aws-cli/2",
            &calls(&[
                "iam.list_users",
                "iam.create_user",
                "sts.get_caller_identity",
            ]),
        )
        .await
        .expect("calls");
    assert_eq!(r, CallsAs { made: 2, denied: 1 });
    let denied: Vec<AuditRecord> = sim
        .audit_log()
        .into_iter()
        .filter(|a| a.attributes.contains(&"denied"))
        .collect();
    assert_eq!(denied.len(), 1);
    assert_eq!(denied[0].event.name, "iam:CreateUser");
    assert_eq!(
        denied[0].access_key_id.as_deref(),
        Some(key.access_key_id.as_str())
    );
    assert!(
        sim.truth()
            .iter()
            .any(|t| t.name == "cis-unauthorized-api-calls" && t.caused_by == "iam:CreateUser"),
        "{:?}",
        sim.truth()
    );

    sim.attach_user_policy("reader", iam::ADMINISTRATOR_ACCESS)
        .await
        .expect("admin");
    let r = sim
        .call_as(&key, "x", &calls(&["iam.create_user"]))
        .await
        .expect("calls");
    assert_eq!(r, CallsAs { made: 1, denied: 0 });
    sim.put_user_policy(
        "reader",
        "quarantine",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":["*"],"Resource":"*"}]}"#,
    )
    .await
    .expect("deny all");
    let r = sim
        .call_as(&key, "x", &calls(&["iam.list_users", "iam.create_user"]))
        .await
        .expect("calls");
    assert_eq!(r, CallsAs { made: 0, denied: 2 });

    let nobody = {
        sim.create_user("intern", &Tags::new()).await.expect("user");
        sim.create_access_key("intern").await.expect("key")
    };
    let r = sim
        .call_as(&nobody, "x", &calls(&["s3.list_buckets"]))
        .await
        .expect("calls");
    assert_eq!(r, CallsAs { made: 0, denied: 1 });

    let wrong = Credentials {
        access_key_id: key.access_key_id.clone(),
        secret_access_key: crate::sandbox::Secret::new("wrong"),
    };
    assert_eq!(
        sim.call_as(&wrong, "x", &calls(&["iam.list_users"]))
            .await
            .expect_err("bad secret")
            .kind,
        ErrorKind::AccessDenied
    );
    sim.update_access_key("reader", &key.access_key_id, KeyStatus::Inactive)
        .await
        .expect("deactivate");
    let before = sim.audit_log().len();
    let err = sim
        .call_as(&key, "x", &calls(&["iam.list_users"]))
        .await
        .expect_err("inactive");
    assert_eq!(err.kind, ErrorKind::AccessDenied);
    assert!(err.message.contains("InvalidClientTokenId"), "{err}");
    assert_eq!(
        sim.audit_log().len(),
        before,
        "a call that never authenticated is not audited"
    );
    assert_eq!(
        sim.call_as(&key, "x", &calls(&["nonsense"]))
            .await
            .expect_err("bad")
            .kind,
        ErrorKind::InvalidInput
    );
    assert_eq!(sim.attacker_ip().await.expect("ip"), "198.51.100.23");
}

#[tokio::test]
async fn calls_from_a_listed_ip_raise_the_custom_threat_list_finding() {
    let (sim, _clock) = account(1, certain_model());
    let key = victim(&sim, "reporting").await;
    sim.call_as(&key, "aws-cli/2", &calls(&["iam.list_users"]))
        .await
        .expect("calls");
    let findings = |sim: &SimAccount| -> Vec<TruthEvent> {
        sim.truth()
            .into_iter()
            .filter(|t| t.source == crate::scenario::Source::GUARDDUTY)
            .collect()
    };
    assert!(findings(&sim).is_empty(), "not listed yet");
    let ip = sim.attacker_ip().await.expect("ip");
    let set = sim
        .create_threat_intel_set("gameday-r1-attackers", &[format!("{ip}/32")], &tags("r1"))
        .await
        .expect("set");
    assert_eq!(set.len(), 32);
    assert!(
        sim.create_threat_intel_set("bad", &["not-an-ip".to_owned()], &Tags::new())
            .await
            .is_err()
    );
    sim.call_as(
        &key,
        "aws-cli/2",
        &calls(&["iam.list_users", "s3.list_buckets"]),
    )
    .await
    .expect("calls");
    let truth = findings(&sim);
    // Listing calls are reconnaissance; any other call is unauthorized access.
    assert_eq!(truth.len(), 1, "{truth:?}");
    assert_eq!(truth[0].name, "Recon:IAMUser/MaliciousIPCaller.Custom");
    assert_eq!(
        truth[0].resource.access_key_id.as_deref(),
        Some(key.access_key_id.as_str())
    );
    sim.call_as(&key, "aws-cli/2", &calls(&["sts.get_caller_identity"]))
        .await
        .expect("calls");
    let names: Vec<String> = findings(&sim).into_iter().map(|t| t.name).collect();
    assert_eq!(
        names,
        [
            "Recon:IAMUser/MaliciousIPCaller.Custom",
            "UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom"
        ]
    );
    sim.delete_threat_intel_set(&set).await.expect("delete");
    assert_eq!(
        sim.delete_threat_intel_set(&set)
            .await
            .expect_err("gone")
            .kind,
        ErrorKind::NotFound
    );
}

#[tokio::test]
async fn public_buckets_are_blocked_until_block_public_access_is_removed() {
    let (sim, clock) = account(1, certain_model());
    sim.create_bucket("gameday-r1-reports", &tags("r1"))
        .await
        .expect("bucket");
    let all = PublicAccessBlock {
        block_public_acls: true,
        ignore_public_acls: true,
        block_public_policy: true,
        restrict_public_buckets: true,
    };
    assert_eq!(
        sim.get_public_access_block("gameday-r1-reports")
            .await
            .expect("bpa"),
        Some(all),
        "on by default"
    );
    sim.put_public_access_block("gameday-r1-reports", &all)
        .await
        .expect("bpa");
    assert!(
        sim.truth().is_empty(),
        "blocking everything is not an attack"
    );
    let public = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::gameday-r1-reports/*"}]}"#;
    let err = sim
        .put_bucket_policy("gameday-r1-reports", public)
        .await
        .expect_err("blocked");
    assert_eq!(err.kind, ErrorKind::AccessDenied);
    sim.delete_public_access_block("gameday-r1-reports")
        .await
        .expect("delete bpa");
    clock.sleep(Duration::from_secs(5)).await;
    sim.put_bucket_policy("gameday-r1-reports", public)
        .await
        .expect("public");
    assert_eq!(
        sim.get_bucket_policy("gameday-r1-reports")
            .await
            .expect("get")
            .as_deref(),
        Some(public)
    );
    let names: Vec<(String, Option<String>)> = sim
        .truth()
        .into_iter()
        .map(|t| (t.name, t.resource.bucket))
        .collect();
    let bucket = Some("gameday-r1-reports".to_owned());
    assert_eq!(
        names,
        vec![
            (
                "Policy:S3/BucketBlockPublicAccessDisabled".to_owned(),
                bucket.clone()
            ),
            ("Policy:S3/BucketAnonymousAccessGranted".to_owned(), bucket),
            ("cis-s3-bucket-policy-changes".to_owned(), None),
        ]
    );
    let private = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:*","Resource":"*"}]}"#;
    sim.put_bucket_policy("gameday-r1-reports", private)
        .await
        .expect("private");
    let findings = sim
        .truth()
        .into_iter()
        .filter(|t| t.resource.bucket.is_some())
        .count();
    assert_eq!(findings, 2, "a private policy raises no finding");
    assert!(!s3::is_public(
        &serde_json::from_str(private).expect("json")
    ));
    assert_eq!(
        sim.create_bucket("Bad_Name", &Tags::new())
            .await
            .expect_err("name")
            .kind,
        ErrorKind::InvalidInput
    );
    assert_eq!(
        sim.get_bucket_policy("nope-bucket")
            .await
            .expect_err("none")
            .kind,
        ErrorKind::NotFound
    );
}

#[tokio::test]
async fn ec2_groups_instances_and_snapshots_behave_like_ec2() {
    let (sim, _clock) = account(1, certain_model());
    let group = sim
        .create_security_group("web", "web servers", &tags("r1"))
        .await
        .expect("group");
    assert!(group.starts_with("sg-") && group.len() == 20, "{group}");
    assert_eq!(
        sim.create_security_group("web", "again", &Tags::new())
            .await
            .expect_err("dup")
            .kind,
        ErrorKind::AlreadyExists
    );
    let rules = sim.group_rules(&group).await.expect("rules");
    assert!(rules.ingress.is_empty());
    assert_eq!(
        rules.egress,
        vec![Rule {
            protocol: "-1".to_owned(),
            from_port: 0,
            to_port: 0,
            cidr: "0.0.0.0/0".to_owned()
        }]
    );
    let ssh = Rule {
        protocol: "tcp".to_owned(),
        from_port: 22,
        to_port: 22,
        cidr: "0.0.0.0/0".to_owned(),
    };
    sim.authorize_ingress(&group, &ssh).await.expect("open ssh");
    assert_eq!(
        sim.authorize_ingress(&group, &ssh)
            .await
            .expect_err("dup")
            .kind,
        ErrorKind::AlreadyExists
    );
    let bad = Rule {
        cidr: "everywhere".to_owned(),
        ..ssh.clone()
    };
    assert_eq!(
        sim.authorize_ingress(&group, &bad)
            .await
            .expect_err("bad")
            .kind,
        ErrorKind::InvalidInput
    );

    let i = sim
        .run_instance(
            "db",
            "ami-0123456789abcdef0",
            "t3.micro",
            std::slice::from_ref(&group),
            &tags("r1"),
        )
        .await
        .expect("instance");
    assert!(
        i.instance_id.starts_with("i-") && i.instance_id.len() == 19,
        "{i:?}"
    );
    assert!(
        i.volume_id.starts_with("vol-") && i.volume_id.len() == 21,
        "{i:?}"
    );
    assert_eq!(
        sim.instance_groups(&i.instance_id).await.expect("groups"),
        vec![group.clone()]
    );
    let err = sim.delete_security_group(&group).await.expect_err("in use");
    assert_eq!(err.kind, ErrorKind::Conflict);

    let isolation = sim
        .create_security_group("isolation", "no traffic", &tags("r1"))
        .await
        .expect("group");
    let out = sim.group_rules(&isolation).await.expect("rules").egress[0].clone();
    sim.revoke_egress(&isolation, &out).await.expect("revoke");
    assert_eq!(
        sim.revoke_egress(&isolation, &out)
            .await
            .expect_err("gone")
            .kind,
        ErrorKind::NotFound
    );
    sim.set_instance_groups(&i.instance_id, std::slice::from_ref(&isolation))
        .await
        .expect("isolate");
    sim.revoke_ingress(&group, &ssh).await.expect("close ssh");
    sim.delete_security_group(&group)
        .await
        .expect("no longer in use");

    let snap = sim
        .create_snapshot(&i.volume_id, "db root", &tags("r1"))
        .await
        .expect("snapshot");
    assert!(snap.starts_with("snap-"));
    sim.modify_snapshot_groups(&snap, "all", true)
        .await
        .expect("share");
    assert_eq!(
        sim.snapshot_groups(&snap).await.expect("groups"),
        vec!["all"]
    );
    assert!(sim.truth().iter().any(|t| t.name == "cis-snapshot-shared"));
    sim.modify_snapshot_groups(&snap, "all", false)
        .await
        .expect("unshare");
    assert!(sim.snapshot_groups(&snap).await.expect("groups").is_empty());
    let shared = sim
        .truth()
        .iter()
        .filter(|t| t.caused_by == "ec2:ModifySnapshotAttribute")
        .count();
    assert_eq!(shared, 1, "removing a group is not sharing");

    sim.terminate_instance(&i.instance_id)
        .await
        .expect("terminate");
    assert_eq!(
        sim.create_snapshot(&i.volume_id, "gone", &Tags::new())
            .await
            .expect_err("volume deleted")
            .kind,
        ErrorKind::NotFound
    );
    sim.delete_security_group(&isolation)
        .await
        .expect("terminated instances do not hold groups");
    let default = sim
        .run_instance("x", "ami-1", "t3.micro", &[], &Tags::new())
        .await
        .expect("default group");
    assert_eq!(
        sim.instance_groups(&default.instance_id)
            .await
            .expect("groups")
            .len(),
        1
    );
    assert_eq!(
        sim.run_instance(
            "x",
            "ami-1",
            "t3.micro",
            &["sg-nope".to_owned()],
            &Tags::new()
        )
        .await
        .expect_err("x")
        .kind,
        ErrorKind::NotFound
    );
}

#[tokio::test]
async fn tagged_resources_lists_what_a_run_left_behind() {
    let (sim, _clock) = account(1, DetectionModel::builtin());
    let key = victim(&sim, "mallory").await;
    sim.create_user("other-run", &tags("r2"))
        .await
        .expect("user");
    trail_bucket(&sim, "gameday-r1-b", &tags("r1")).await;
    sim.create_trail("gameday-r1-t", "gameday-r1-b", "", &tags("r1"))
        .await
        .expect("trail");
    let group = sim
        .create_security_group("g", "g", &tags("r1"))
        .await
        .expect("group");
    let i = sim
        .run_instance("i", "ami-1", "t3.micro", &[], &tags("r1"))
        .await
        .expect("instance");
    let snap = sim
        .create_snapshot(&i.volume_id, "s", &tags("r1"))
        .await
        .expect("snapshot");
    let set = sim
        .create_threat_intel_set("l", &[], &tags("r1"))
        .await
        .expect("set");
    assert_eq!(
        sim.tagged_resources("r1").len(),
        7,
        "{:?}",
        sim.tagged_resources("r1")
    );
    assert!(
        sim.tagged_resources("r1")
            .contains(&"arn:aws:iam::111122223333:user/mallory".to_owned())
    );
    assert_eq!(
        sim.tagged_resources("r2"),
        vec!["arn:aws:iam::111122223333:user/other-run"]
    );

    sim.delete_access_key("mallory", &key.access_key_id)
        .await
        .expect("key");
    sim.detach_user_policy("mallory", iam::READ_ONLY_ACCESS)
        .await
        .expect("detach");
    sim.delete_user("mallory").await.expect("user");
    sim.delete_trail("gameday-r1-t").await.expect("trail");
    // The trail's first log file is in the bucket: a bucket goes empty or not at all.
    assert_eq!(
        sim.delete_bucket("gameday-r1-b")
            .await
            .expect_err("not empty")
            .kind,
        ErrorKind::Conflict
    );
    for key in sim.list_objects("gameday-r1-b", "").await.expect("lists") {
        sim.delete_object("gameday-r1-b", &key)
            .await
            .expect("object");
    }
    sim.delete_bucket("gameday-r1-b").await.expect("bucket");
    sim.terminate_instance(&i.instance_id)
        .await
        .expect("instance");
    sim.delete_security_group(&group).await.expect("group");
    sim.delete_snapshot(&snap).await.expect("snapshot");
    sim.delete_threat_intel_set(&set).await.expect("set");
    assert!(
        sim.tagged_resources("r1").is_empty(),
        "{:?}",
        sim.tagged_resources("r1")
    );
}

#[tokio::test]
async fn sample_findings_appear_at_once_marked_as_samples() {
    let (sim, clock) = account(1, DetectionModel::builtin());
    clock.sleep(Duration::from_secs(10)).await;
    let types = vec![
        "Stealth:IAMUser/CloudTrailLoggingDisabled".to_owned(),
        "Recon:IAMUser/Unknown".to_owned(),
    ];
    sim.create_sample_findings(&types).await.expect("samples");
    let found = sim
        .findings(&types[..1], clock.now())
        .await
        .expect("findings");
    assert_eq!(found.len(), 1);
    assert!(found[0].sample);
    assert_eq!(found[0].created_at, clock.now());
    assert!(
        found[0].title.starts_with("[SAMPLE] AWS CloudTrail trail"),
        "{}",
        found[0].title
    );
    assert_eq!(sim.findings(&[], start()).await.expect("findings").len(), 2);
    assert!(
        sim.truth().is_empty(),
        "samples prove nothing about detection"
    );
}

#[test]
fn ip_blocks_match_addresses_inside_them() {
    use detect::IpNet;
    let ip = IpNet::parse("198.51.100.23").expect("ip");
    for (net, inside) in [
        ("198.51.100.23", true),
        ("198.51.100.0/24", true),
        ("0.0.0.0/0", true),
        ("198.51.100.24/32", false),
        ("203.0.113.0/24", false),
        ("2001:db8::/32", false),
    ] {
        assert_eq!(
            IpNet::parse(net).expect("net").contains(&ip),
            inside,
            "{net}"
        );
    }
    assert!(IpNet::parse("198.51.100.0/33").is_none());
}

#[tokio::test]
async fn role_changes_raise_the_policy_and_trust_alarms_and_only_those() {
    let (sim, clock) = account(3, certain_model());
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    let admin =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
    sim.create_role("gameday-r1-deploy", trust, &tags("r1"))
        .await
        .expect("role");
    assert!(
        sim.truth().is_empty(),
        "creating a role is not an attack: {:?}",
        sim.truth()
    );
    clock.sleep(Duration::from_secs(60)).await;
    sim.put_role_policy("gameday-r1-deploy", "break-glass", admin)
        .await
        .expect("grant");
    clock.sleep(Duration::from_secs(60)).await;
    let outside = trust.replace(
        r#"{"Service":"ec2.amazonaws.com"}"#,
        r#"{"AWS":"arn:aws:iam::444455556666:root"}"#,
    );
    sim.update_assume_role_policy("gameday-r1-deploy", &outside)
        .await
        .expect("trust");
    let truth = sim.truth();
    let caused: Vec<(&str, &str)> = truth
        .iter()
        .map(|t| (t.name.as_str(), t.caused_by.as_str()))
        .collect();
    assert_eq!(
        caused,
        [
            ("cis-iam-policy-changes", "iam:PutRolePolicy"),
            ("iam-role-trust-changes", "iam:UpdateAssumeRolePolicy"),
        ]
    );
    assert_eq!(
        sim.tagged_resources("r1"),
        ["arn:aws:iam::111122223333:role/gameday-r1-deploy"]
    );
}

/// GuardDuty findings the simulator has created so far, by type.
fn finding_names(sim: &SimAccount) -> Vec<String> {
    let mut names: Vec<String> = sim
        .truth()
        .into_iter()
        .filter(|t| t.source == crate::scenario::Source::GUARDDUTY)
        .map(|t| t.name)
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn object_calls_from_a_pen_test_distribution_raise_the_s3_finding_about_the_bucket() {
    let (sim, _clock) = account(1, certain_model());
    let key = victim(&sim, "reader").await;
    sim.create_bucket("gameday-r1-data", &tags("r1"))
        .await
        .expect("bucket");
    sim.put_object("gameday-r1-data", "payroll.csv", "x")
        .await
        .expect("object");
    let object = ObjectRef {
        bucket: "gameday-r1-data".to_owned(),
        key: "payroll.csv".to_owned(),
    };
    let done = sim
        .call_as_on(
            &key,
            KALI,
            &calls(&["s3.list_objects", "s3.get_object"]),
            Some(&object),
        )
        .await
        .expect("calls");
    assert_eq!(done, CallsAs { made: 2, denied: 0 });
    assert_eq!(finding_names(&sim), ["PenTest:S3/KaliLinux"]);
    let truth = sim.truth();
    let about = &truth
        .iter()
        .find(|t| t.source == crate::scenario::Source::GUARDDUTY)
        .expect("the finding")
        .resource;
    assert_eq!(about.bucket.as_deref(), Some("gameday-r1-data"));
    assert_eq!(
        about.access_key_id.as_deref(),
        Some(key.access_key_id.as_str())
    );
    // A management call from the same machine is the IAM finding's.
    sim.call_as(&key, KALI, &calls(&["iam.list_users"]))
        .await
        .expect("calls");
    assert_eq!(
        finding_names(&sim),
        ["PenTest:IAMUser/KaliLinux", "PenTest:S3/KaliLinux"]
    );
    // The calls are audited with the bucket.
    let audited: Vec<(String, Vec<&'static str>)> = sim
        .audit_log()
        .into_iter()
        .filter(|r| r.access_key_id.is_some())
        .map(|r| (r.event.name, r.attributes))
        .collect();
    assert_eq!(audited[0].0, "s3:ListObjects");
    assert!(audited[0].1.contains(&"s3_data_event"), "{audited:?}");
}

#[tokio::test]
async fn object_calls_need_their_object_and_fail_as_s3_does() {
    let (sim, _clock) = account(1, certain_model());
    let key = victim(&sim, "reader").await;
    let err = sim
        .call_as(&key, KALI, &calls(&["s3.list_objects"]))
        .await
        .expect_err("no object");
    assert_eq!(err.kind, ErrorKind::InvalidInput, "{err}");
    let missing = ObjectRef {
        bucket: "gameday-r1-none".to_owned(),
        key: "k".to_owned(),
    };
    let err = sim
        .call_as_on(&key, KALI, &calls(&["s3.list_objects"]), Some(&missing))
        .await
        .expect_err("no bucket");
    assert_eq!(err.kind, ErrorKind::NotFound, "{err}");
    sim.create_bucket("gameday-r1-none", &tags("r1"))
        .await
        .expect("bucket");
    let err = sim
        .call_as_on(&key, KALI, &calls(&["s3.get_object"]), Some(&missing))
        .await
        .expect_err("no key");
    assert!(err.message.contains("NoSuchKey"), "{err}");
    // Read-only access may not write: the put is denied and writes nothing.
    let done = sim
        .call_as_on(&key, KALI, &calls(&["s3.put_object"]), Some(&missing))
        .await
        .expect("denied, not failed");
    assert_eq!(done, CallsAs { made: 0, denied: 1 });
    assert!(
        sim.list_objects("gameday-r1-none", "")
            .await
            .expect("list")
            .is_empty()
    );
}

#[tokio::test]
async fn object_calls_from_a_listed_ip_are_discovery_and_unauthorized_access_on_s3() {
    let (sim, _clock) = account(1, certain_model());
    let key = victim(&sim, "writer").await;
    sim.attach_user_policy("writer", "arn:aws:iam::aws:policy/AmazonS3FullAccess")
        .await
        .expect("policy");
    sim.create_bucket("gameday-r1-data", &tags("r1"))
        .await
        .expect("bucket");
    let ip = sim.attacker_ip().await.expect("ip");
    sim.create_threat_intel_set("gameday-r1-attackers", &[format!("{ip}/32")], &tags("r1"))
        .await
        .expect("set");
    let object = ObjectRef {
        bucket: "gameday-r1-data".to_owned(),
        key: "gameday-r1-note.txt".to_owned(),
    };
    let done = sim
        .call_as_on(
            &key,
            "aws-cli/2",
            &calls(&["s3.list_objects", "s3.put_object"]),
            Some(&object),
        )
        .await
        .expect("calls");
    assert_eq!(done, CallsAs { made: 2, denied: 0 });
    assert_eq!(
        finding_names(&sim),
        [
            "Discovery:S3/MaliciousIPCaller.Custom",
            "UnauthorizedAccess:S3/MaliciousIPCaller.Custom"
        ]
    );
    assert_eq!(
        sim.list_objects("gameday-r1-data", "").await.expect("list"),
        ["gameday-r1-note.txt"]
    );
}

#[tokio::test]
async fn an_instance_resolving_test_domains_raises_their_dns_findings_about_it() {
    let (sim, clock) = account(1, certain_model());
    let lookups = [
        "c2.guarddutyc2activityb.com".to_owned(),
        "guarddutydgaactivity.com".to_owned(),
    ];
    let quiet = sim
        .run_instance("quiet", "ami-1", "t3.micro", &[], &tags("r1"))
        .await
        .expect("instance");
    let beacon = sim
        .launch("beacon", "ami-1", "t3.micro", &[], &lookups, &tags("r1"))
        .await
        .expect("instance");
    assert_eq!(
        finding_names(&sim),
        [
            "Backdoor:EC2/C&CActivity.B!DNS",
            "Trojan:EC2/DGADomainRequest.C!DNS"
        ]
    );
    for t in sim
        .truth()
        .into_iter()
        .filter(|t| t.source == crate::scenario::Source::GUARDDUTY)
    {
        assert_eq!(
            t.resource.instance_id.as_deref(),
            Some(beacon.instance_id.as_str())
        );
        assert_ne!(
            t.resource.instance_id.as_deref(),
            Some(quiet.instance_id.as_str())
        );
        assert!(t.detected_at > t.act_at, "{t:?}");
    }
    // The lookups went to the resolver, not to CloudTrail.
    assert!(
        sim.audit_log().iter().all(|r| r.event.name != "dns:Query"),
        "{:?}",
        sim.audit_log()
    );
    clock.sleep(Duration::from_secs(3600)).await;
    let found = sim
        .findings(&["Backdoor:EC2/C&CActivity.B!DNS".to_owned()], start())
        .await
        .expect("findings");
    assert_eq!(found.len(), 1);
    assert!(
        found[0].title.contains(&beacon.instance_id),
        "{}",
        found[0].title
    );
}

/// The alarms each call raises, by cause: `(alarm, event)` in schedule order.
fn causes(sim: &SimAccount) -> Vec<(String, String)> {
    sim.truth()
        .iter()
        .map(|t| (t.name.clone(), t.caused_by.clone()))
        .collect()
}

#[tokio::test]
async fn network_changes_raise_their_cis_alarm_and_only_it() {
    let (sim, clock) = account(4, certain_model());
    let vpc = sim
        .create_vpc("gameday-n1-net", "10.42.0.0/16", &tags("n1"))
        .await
        .expect("vpc");
    assert_eq!(
        causes(&sim),
        [("cis-vpc-changes".to_owned(), "ec2:CreateVpc".to_owned())],
        "tagging the ACL and the route table is in no CIS filter"
    );
    clock.sleep(Duration::from_secs(3600)).await;
    let deny = crate::sandbox::AclEntry {
        rule_number: 90,
        egress: true,
        protocol: "6".into(),
        cidr: "0.0.0.0/0".into(),
        from_port: 443,
        to_port: 443,
        allow: false,
    };
    sim.create_network_acl_entry(&vpc.network_acl_id, &deny)
        .await
        .expect("entry");
    clock.sleep(Duration::from_secs(3600)).await;
    let igw = sim
        .create_internet_gateway("gameday-n1-igw", &tags("n1"))
        .await
        .expect("igw");
    sim.attach_internet_gateway(&igw, &vpc.vpc_id)
        .await
        .expect("attach");
    clock.sleep(Duration::from_secs(3600)).await;
    let route = crate::sandbox::Route {
        destination: "0.0.0.0/0".into(),
        gateway_id: igw.clone(),
    };
    sim.create_route(&vpc.route_table_id, &route)
        .await
        .expect("route");
    clock.sleep(Duration::from_secs(3600)).await;
    sim.set_vpc_dns(&vpc.vpc_id, Some(false), None)
        .await
        .expect("dns off");
    let caused = causes(&sim);
    let expected = [
        ("cis-vpc-changes", "ec2:CreateVpc"),
        ("cis-nacl-changes", "ec2:CreateNetworkAclEntry"),
        ("cis-network-gateway-changes", "ec2:CreateInternetGateway"),
        ("cis-route-table-changes", "ec2:CreateRoute"),
        ("cis-vpc-changes", "ec2:ModifyVpcAttribute"),
    ];
    assert_eq!(
        caused
            .iter()
            .map(|(a, e)| (a.as_str(), e.as_str()))
            .collect::<Vec<_>>(),
        expected,
        "AttachInternetGateway right after CreateInternetGateway keeps the same breach"
    );
    let region_account =
        |kind: &str, id: &str| format!("arn:aws:ec2:us-east-1:111122223333:{kind}/{id}");
    assert_eq!(
        sim.tagged_resources("n1"),
        [
            region_account("internet-gateway", &igw),
            region_account("vpc", &vpc.vpc_id)
        ]
    );
}

#[tokio::test]
async fn a_vpc_settles_before_its_dns_is_turned_off() {
    // The vpc-dns-support-disabled scenario's design: CreateVpc and ModifyVpcAttribute
    // are both 4.14 events; with `alarm_settle` between them, the attack opens a
    // breach of its own instead of extending the setup's.
    let (sim, clock) = account(5, certain_model());
    let vpc = sim
        .create_vpc("gameday-n2-net", "10.45.0.0/16", &tags("n2"))
        .await
        .expect("vpc");
    clock.sleep(Duration::from_secs(20 * 60)).await;
    sim.set_vpc_dns(&vpc.vpc_id, Some(false), None)
        .await
        .expect("dns off");
    clock.sleep(Duration::from_secs(3600)).await;
    let since = start() + chrono::Duration::minutes(20);
    let history = sim
        .alarm_history("cis-vpc-changes", start())
        .await
        .expect("history");
    let into_alarm: Vec<_> = history
        .iter()
        .filter(|t| t.state == crate::sandbox::AlarmState::Alarm)
        .collect();
    assert_eq!(into_alarm.len(), 2, "{history:?}");
    assert!(into_alarm[1].at >= since, "{history:?}");
}

/// The names and causes of what `sim` scheduled.
fn caused(sim: &SimAccount) -> Vec<(String, String)> {
    sim.truth()
        .into_iter()
        .map(|t| (t.name, t.caused_by))
        .collect()
}

#[tokio::test]
async fn acl_grants_raise_the_access_findings_by_who_they_open_to() {
    let (sim, clock) = account(3, certain_model());
    sim.create_bucket("gameday-r1-shared", &tags("r1"))
        .await
        .expect("bucket");
    sim.put_bucket_ownership(
        "gameday-r1-shared",
        crate::sandbox::ObjectOwnership::BucketOwnerPreferred,
    )
    .await
    .expect("acls on");
    let ignoring = PublicAccessBlock {
        block_public_acls: false,
        ignore_public_acls: true,
        block_public_policy: true,
        restrict_public_buckets: true,
    };
    sim.put_public_access_block("gameday-r1-shared", &ignoring)
        .await
        .expect("partial");
    clock.sleep(Duration::from_secs(60)).await;
    sim.put_bucket_canned_acl("gameday-r1-shared", "public-read")
        .await
        .expect("ignored grant");
    let findings = |sim: &SimAccount| -> Vec<String> {
        caused(sim)
            .into_iter()
            .filter(|(n, _)| n.starts_with("Policy:S3/Bucket") && n.ends_with("AccessGranted"))
            .map(|(n, _)| n)
            .collect()
    };
    assert!(
        findings(&sim).is_empty(),
        "a grant S3 ignores exposes nothing"
    );
    let open = PublicAccessBlock {
        ignore_public_acls: false,
        ..ignoring
    };
    sim.put_public_access_block("gameday-r1-shared", &open)
        .await
        .expect("open");
    clock.sleep(Duration::from_secs(60)).await;
    sim.put_bucket_canned_acl("gameday-r1-shared", "authenticated-read")
        .await
        .expect("every aws user");
    assert_eq!(findings(&sim), ["Policy:S3/BucketPublicAccessGranted"]);
    clock.sleep(Duration::from_secs(60)).await;
    sim.put_bucket_canned_acl("gameday-r1-shared", "public-read")
        .await
        .expect("anyone");
    assert_eq!(
        findings(&sim),
        [
            "Policy:S3/BucketPublicAccessGranted",
            "Policy:S3/BucketAnonymousAccessGranted"
        ]
    );
    assert!(
        caused(&sim)
            .iter()
            .any(|(n, c)| n == "cis-s3-bucket-policy-changes" && c == "s3:PutBucketAcl"),
        "CIS 4.8 counts PutBucketAcl: {:?}",
        caused(&sim)
    );
}

#[tokio::test]
async fn the_account_block_logging_and_key_deletion_raise_their_detections() {
    let (sim, clock) = account(4, certain_model());
    let all = PublicAccessBlock {
        block_public_acls: true,
        ignore_public_acls: true,
        block_public_policy: true,
        restrict_public_buckets: true,
    };
    sim.put_account_public_access_block(&all).await.expect("on");
    sim.create_bucket("gameday-r1-data", &tags("r1"))
        .await
        .expect("bucket");
    let key = sim.create_key("k", &tags("r1")).await.expect("key").key_id;
    assert!(
        sim.truth().is_empty(),
        "turning the guard on, a bucket and a key are not attacks: {:?}",
        sim.truth()
    );
    clock.sleep(Duration::from_secs(60)).await;
    sim.delete_account_public_access_block().await.expect("off");
    clock.sleep(Duration::from_secs(60)).await;
    sim.put_bucket_logging("gameday-r1-data", None)
        .await
        .expect("logging off (already)");
    clock.sleep(Duration::from_secs(60)).await;
    sim.schedule_key_deletion(&key, 7).await.expect("scheduled");
    assert_eq!(
        caused(&sim),
        [
            (
                "Policy:S3/AccountBlockPublicAccessDisabled".to_owned(),
                "s3:DeleteAccountPublicAccessBlock".to_owned()
            ),
            (
                "Stealth:S3/ServerAccessLoggingDisabled".to_owned(),
                "s3:PutBucketLogging".to_owned()
            ),
            (
                "cis-kms-key-disabled-or-deleted".to_owned(),
                "kms:ScheduleKeyDeletion".to_owned()
            ),
        ]
    );
    assert_eq!(
        sim.tagged_resources("r1"),
        ["arn:aws:s3:::gameday-r1-data"],
        "a key pending deletion counts as removed"
    );
    assert_eq!(
        sim.enable_key(&key).await.expect_err("pending").kind,
        ErrorKind::Conflict
    );
    sim.cancel_key_deletion(&key).await.expect("cancelled");
    assert_eq!(
        sim.key_state(&key).await.expect("state"),
        crate::sandbox::KeyState::Disabled
    );
}
