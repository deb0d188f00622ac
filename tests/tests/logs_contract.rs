//! CloudWatch Logs Insights as the `logs` detection reads it, on the emulator and on the
//! simulator: the rows of a query over named log groups come back oldest first from the
//! start asked, each with its `@timestamp` to the millisecond, its message, log group,
//! stream and `@ptr`; a log group that does not exist is the scenario's mistake on both.

#![allow(clippy::unwrap_used, clippy::panic)]

use chrono::{DateTime, Utc};
use gameday_engine::aws::logs::AwsLogs;
use gameday_engine::insights::full_query;
use gameday_engine::poller::LogSource;
use gameday_engine::sandbox::{ErrorKind, LogQuery, Logs};
use gameday_engine::throttle::{Gate, Throttle};
use gameday_tests::contract::{config, kind};
use gameday_tests::moto::Moto;
use std::sync::Arc;
use std::time::Duration;

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn query(groups: &[&str]) -> LogQuery {
    LogQuery {
        log_groups: groups.iter().map(|g| (*g).to_owned()).collect(),
        query: full_query(r#"filter source = "aws.guardduty""#),
    }
}

#[tokio::test]
async fn rows_come_back_oldest_first_with_their_own_time_on_the_emulator() {
    let moto = Moto::start();
    let logs = AwsLogs::new(&config(&moto).await);
    let gate = Gate::new(Arc::new(Throttle::new()), "us-east-1");
    let group = "/aws/events/security-findings";
    moto.create_log_group(group);
    // Log events keep milliseconds.
    let since = DateTime::from_timestamp_millis(Utc::now().timestamp_millis() - 600_000).unwrap();
    let (early, first, second) = (
        since - chrono::Duration::minutes(1),
        since + chrono::Duration::milliseconds(61_250),
        since + chrono::Duration::milliseconds(2_500),
    );
    moto.put_log_event(group, early, r#"{"source":"aws.guardduty","n":0}"#);
    moto.put_log_event(group, first, r#"{"source":"aws.guardduty","n":1}"#);
    moto.put_log_event(group, second, r#"{"source":"aws.guardduty","n":2}"#);
    let rows = logs
        .run_query(&query(&[group]), since, &gate, Duration::from_secs(10))
        .await
        .unwrap();
    // moto does not evaluate `filter`; the time range, the fields and the order it does.
    let times: Vec<DateTime<Utc>> = rows.iter().map(|r| r.at).collect();
    assert_eq!(times, vec![second, first], "{rows:?}");
    assert_eq!(rows[0].message, r#"{"source":"aws.guardduty","n":2}"#);
    assert_eq!(rows[0].log_group, group);
    assert!(rows[0].log_stream.starts_with("gameday-test-"), "{rows:?}");
    assert!(!rows[0].ptr.is_empty() && rows[0].ptr != rows[1].ptr);
    assert_eq!(
        kind(
            logs.run_query(
                &query(&["no-such-group"]),
                since,
                &gate,
                Duration::from_secs(10)
            )
            .await
        ),
        ErrorKind::InvalidInput
    );
}

#[tokio::test(start_paused = true)]
async fn the_simulator_answers_the_same_shape_and_the_same_mistake() {
    let start = at("2026-12-05T10:00:00Z");
    let clock = Arc::new(gameday_engine::clock::Clock::virtual_at(start));
    let sim = gameday_engine::sim::SimAccount::new(
        1,
        Arc::new(gameday_engine::sim::DetectionModel::builtin()),
        clock.clone(),
    );
    // A call the account's CloudTrail records, read after its delivery (at most 12m at
    // p95 in the model; 30 minutes is plenty).
    use gameday_engine::sandbox::Iam;
    sim.create_user("gameday-t1-ci", &Default::default())
        .await
        .unwrap();
    clock
        .sleep(gameday_engine::duration::Duration::from_secs(1800))
        .await;
    let trail = LogQuery {
        log_groups: vec!["aws-cloudtrail-logs".into()],
        query: full_query(r#"filter eventName = "CreateUser""#),
    };
    let rows = sim.rows(&trail, start).await.unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].at, start, "the call's own time");
    assert!(
        rows[0]
            .message
            .contains(r#""eventSource":"iam.amazonaws.com""#),
        "{rows:?}"
    );
    assert!(rows[0].message.contains("gameday-t1-ci"), "{rows:?}");
    assert!(
        sim.rows(&trail, start + chrono::Duration::seconds(1))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        kind(sim.rows(&query(&["no-such-group"]), start).await),
        ErrorKind::InvalidInput
    );
    let unsupported = LogQuery {
        log_groups: vec!["aws-cloudtrail-logs".into()],
        query: full_query("filter eventName like /Create.*/"),
    };
    let e = sim.rows(&unsupported, start).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidInput);
    assert!(e.message.contains("the simulator evaluates"), "{e}");
}
