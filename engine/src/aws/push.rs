//! Detections pushed instead of polled: EventBridge rules delivering to an SQS queue the
//! run long-polls. One rule on GuardDuty findings and CloudWatch alarm state changes
//! (the target's `push`), and one for each `eventbridge` detection's pattern. The run
//! creates them and the queue (named and tagged for it) before its setup, and removes
//! them all at clean-up. What arrives is merged with what the poller finds; the detection
//! time is still the provider's own (a finding's `createdAt`, an alarm's state timestamp,
//! an event's `time`).

use super::{sandbox_error, sdk_tags};
use crate::sandbox::{
    AlarmState, AlarmTransition, BusEvent, ErrorKind, Events, Finding, FindingResource, Push,
    Result, SandboxError, Tags,
};
use async_trait::async_trait;
use aws_sdk_sqs::types::QueueAttributeName;
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// The event pattern of the rule.
const PATTERN: &str = r#"{"source":["aws.guardduty","aws.cloudwatch"],"detail-type":["GuardDuty Finding","CloudWatch Alarm State Change"]}"#;

/// What has arrived.
#[derive(Debug, Default)]
pub struct Pushed {
    /// Findings, by id.
    pub findings: BTreeMap<String, Finding>,
    /// Alarm state changes.
    pub transitions: Vec<AlarmTransition>,
    /// Every event, by id.
    pub events: BTreeMap<String, BusEvent>,
}

/// The push watcher of one run.
pub struct AwsPush {
    sqs: aws_sdk_sqs::Client,
    events: aws_sdk_eventbridge::Client,
    /// The name of the run's rule and queue.
    name: String,
    /// How long one receive waits for a message.
    wait: std::time::Duration,
    /// Whether runs open it.
    enabled: bool,
    /// What has arrived, shared with the receiving task.
    pub pushed: Arc<Mutex<Pushed>>,
    /// Whether the rules and the queue were made.
    opened: AtomicBool,
    receiver: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

/// RFC 3339, or CloudWatch's form of it (`+0000`, an offset without its colon).
fn time(v: &Value) -> Option<DateTime<Utc>> {
    let s = v.as_str()?;
    DateTime::parse_from_rfc3339(s)
        .or_else(|_| DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z"))
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// A finding as GuardDuty puts it in an event's `detail`.
fn finding(d: &Value) -> Option<Finding> {
    let created_at = time(&d["createdAt"])?;
    let keys = &d["resource"]["accessKeyDetails"];
    let text = |v: &Value| v.as_str().map(str::to_owned);
    let call = &d["service"]["action"]["awsApiCallAction"];
    Some(Finding {
        id: text(&d["id"])?,
        finding_type: text(&d["type"])?,
        created_at,
        updated_at: time(&d["updatedAt"]).unwrap_or(created_at),
        title: text(&d["title"]).unwrap_or_default(),
        severity: d["severity"].as_f64().unwrap_or(0.0),
        resource: FindingResource {
            access_key_id: text(&keys["accessKeyId"]),
            user_name: text(&keys["userName"]),
            instance_id: text(&d["resource"]["instanceDetails"]["instanceId"]),
            bucket: text(&d["resource"]["s3BucketDetails"][0]["name"]),
            trail_name: text(&call["affectedResources"]["AWS::CloudTrail::Trail"])
                .map(|t| t.rsplit('/').next().unwrap_or(&t).to_owned()),
        },
        user_agent: text(&call["userAgent"]).filter(|u| !u.is_empty()),
        sample: d["service"]["additionalInfo"]["sample"] == true,
    })
}

/// An alarm state change from an event's `detail`.
fn transition(d: &Value) -> Option<AlarmTransition> {
    let state = match d["state"]["value"].as_str()? {
        "ALARM" => AlarmState::Alarm,
        "OK" => AlarmState::Ok,
        _ => AlarmState::InsufficientData,
    };
    Some(AlarmTransition {
        name: d["alarmName"].as_str()?.to_owned(),
        state,
        at: time(&d["state"]["timestamp"])?,
    })
}

/// Files one EventBridge event (an SQS message body).
pub fn file(pushed: &mut Pushed, body: &str) {
    let Ok(event) = serde_json::from_str::<Value>(body) else {
        return;
    };
    if let Some(e) = BusEvent::read(event.clone()) {
        pushed.events.insert(e.id.clone(), e);
    }
    let detail = &event["detail"];
    match event["detail-type"].as_str() {
        Some("GuardDuty Finding") => {
            if let Some(f) = finding(detail) {
                pushed.findings.insert(f.id.clone(), f);
            }
        }
        Some("CloudWatch Alarm State Change") => {
            if let Some(t) = transition(detail) {
                pushed.transitions.push(t);
            }
        }
        _ => {}
    }
}

impl AwsPush {
    /// The push watcher of run `run_id`, named `PREFIX-RUN-events`, through `config`;
    /// `enabled` when the target pushes findings and alarms; `wait` is how long a receive
    /// waits (also for a run that opens it only for its eventbridge detections).
    pub fn new(
        config: &aws_config::SdkConfig,
        prefix: &str,
        run_id: &str,
        enabled: bool,
        wait: std::time::Duration,
    ) -> Self {
        AwsPush {
            enabled,
            sqs: aws_sdk_sqs::Client::new(config),
            events: aws_sdk_eventbridge::Client::new(config),
            name: format!("{prefix}-{run_id}-events"),
            wait,
            pushed: Arc::default(),
            opened: AtomicBool::new(false),
            receiver: Mutex::new(None),
        }
    }

    /// The rules to make: `(name, pattern)`.
    fn rules(&self, patterns: &[Value], findings: bool) -> Vec<(String, String)> {
        let base = findings.then(|| (self.name.clone(), PATTERN.to_owned()));
        base.into_iter()
            .chain(
                patterns
                    .iter()
                    .enumerate()
                    .map(|(i, p)| (format!("{}-{i}", self.name), p.to_string())),
            )
            .collect()
    }

    async fn create(&self, tags: &Tags, rules: &[(String, String)]) -> Result<()> {
        let queue = self
            .sqs
            .create_queue()
            .queue_name(&self.name)
            .set_tags(Some(tags.clone().into_iter().collect()))
            .send()
            .await
            .map_err(|e| sandbox_error("sqs:CreateQueue", e))?;
        let url = queue.queue_url().unwrap_or_default().to_owned();
        let attrs = self
            .sqs
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .map_err(|e| sandbox_error("sqs:GetQueueAttributes", e))?;
        let queue_arn = attrs
            .attributes()
            .and_then(|a| a.get(&QueueAttributeName::QueueArn))
            .cloned()
            .unwrap_or_default();
        let mut rule_arns = Vec::new();
        for (name, pattern) in rules {
            let rule = self
                .events
                .put_rule()
                .name(name)
                .event_pattern(pattern)
                .description("gameday: detections of one run, to its queue")
                .set_tags(Some(sdk_tags("events:PutRule", tags, |k, v| {
                    aws_sdk_eventbridge::types::Tag::builder()
                        .key(k)
                        .value(v)
                        .build()
                })?))
                .send()
                .await
                .map_err(|e| sandbox_error("events:PutRule", e))?;
            rule_arns.push(rule.rule_arn().unwrap_or_default().to_owned());
        }
        let policy = serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "EventBridgeToQueue",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": rule_arns}}
            }]
        });
        self.sqs
            .set_queue_attributes()
            .queue_url(&url)
            .attributes(QueueAttributeName::Policy, policy.to_string())
            .send()
            .await
            .map_err(|e| sandbox_error("sqs:SetQueueAttributes", e))?;
        for (name, _) in rules {
            let target = aws_sdk_eventbridge::types::Target::builder()
                .id("gameday-queue")
                .arn(&queue_arn)
                .build()
                .map_err(|e| {
                    SandboxError::new(ErrorKind::InvalidInput, "events:PutTargets", e.to_string())
                })?;
            self.events
                .put_targets()
                .rule(name)
                .targets(target)
                .send()
                .await
                .map_err(|e| sandbox_error("events:PutTargets", e))?;
        }
        let (sqs, pushed, wait) = (self.sqs.clone(), self.pushed.clone(), self.wait);
        let task = tokio::spawn(async move { receive(sqs, url, pushed, wait).await });
        if let Ok(mut r) = self.receiver.lock() {
            *r = Some(task);
        }
        self.opened.store(true, Ordering::Relaxed);
        Ok(())
    }

    /// The rules of delivery `name` (`name` and `name-N`), with their ARNs.
    async fn rules_of(&self, name: &str) -> Result<Vec<(String, String)>> {
        let out = self
            .events
            .list_rules()
            .name_prefix(name)
            .send()
            .await
            .map_err(|e| sandbox_error("events:ListRules", e))?;
        Ok(out
            .rules()
            .iter()
            .filter_map(|r| Some((r.name()?.to_owned(), r.arn()?.to_owned())))
            .filter(|(n, _)| is_rule_of(n, name))
            .collect())
    }

    /// Removes the rules named `name` and `name-N`, with their targets; whether none was
    /// there.
    async fn remove_rules(&self, name: &str) -> Result<bool> {
        let names: Vec<String> = match self.rules_of(name).await {
            Ok(rules) => rules.into_iter().map(|(n, _)| n).collect(),
            // Without ListRules, the base rule by its name.
            Err(e) if e.kind == ErrorKind::Unsupported => vec![name.to_owned()],
            Err(e) => return Err(e),
        };
        let mut gone = true;
        for rule in names {
            crate::steps::gone_is_fine(
                self.events
                    .remove_targets()
                    .rule(&rule)
                    .ids("gameday-queue")
                    .send()
                    .await
                    .map(drop)
                    .map_err(|e| sandbox_error("events:RemoveTargets", e)),
            )?;
            gone &= absent(
                self.events
                    .delete_rule()
                    .name(&rule)
                    .send()
                    .await
                    .map(drop)
                    .map_err(|e| sandbox_error("events:DeleteRule", e)),
            )?;
        }
        Ok(gone)
    }

    async fn remove(&self, name: &str) -> Result<()> {
        if let Some(task) = self.receiver.lock().ok().and_then(|mut r| r.take()) {
            task.abort();
        }
        let rule_gone = self.remove_rules(name).await?;
        let queue_gone = match self.sqs.get_queue_url().queue_name(name).send().await {
            Ok(q) => {
                self.sqs
                    .delete_queue()
                    .queue_url(q.queue_url().unwrap_or_default())
                    .send()
                    .await
                    .map_err(|e| sandbox_error("sqs:DeleteQueue", e))?;
                false
            }
            Err(e) => absent(Err(sandbox_error("sqs:GetQueueUrl", e)))?,
        };
        if rule_gone && queue_gone {
            return Err(SandboxError::new(
                ErrorKind::NotFound,
                "events:DeleteRule",
                format!("no rule or queue named {name}"),
            ));
        }
        Ok(())
    }
}

/// Whether rule `rule` is one of push delivery `name`'s: `name` itself or `name-N`.
fn is_rule_of(rule: &str, name: &str) -> bool {
    rule.strip_prefix(name).is_some_and(|rest| {
        rest.is_empty()
            || rest
                .strip_prefix('-')
                .is_some_and(|n| n.parse::<u32>().is_ok())
    })
}

/// Whether `r` failed because the thing was not there; any other error is returned.
fn absent(r: Result<()>) -> Result<bool> {
    match r {
        Ok(()) => Ok(false),
        Err(e) if e.kind == ErrorKind::NotFound => Ok(true),
        Err(e) => Err(e),
    }
}

/// Long-polls the queue until the task is aborted; files what arrives and deletes it.
async fn receive(
    sqs: aws_sdk_sqs::Client,
    url: String,
    pushed: Arc<Mutex<Pushed>>,
    wait: std::time::Duration,
) {
    loop {
        let got = sqs
            .receive_message()
            .queue_url(&url)
            .max_number_of_messages(10)
            .wait_time_seconds(wait.as_secs().clamp(0, 20) as i32)
            .send()
            .await;
        let Ok(out) = got else {
            // A failed receive waits before trying again; the poller covers the gap.
            tokio::time::sleep(std::time::Duration::from_secs(5)).await;
            continue;
        };
        for m in out.messages() {
            if let (Some(body), Ok(mut p)) = (m.body(), pushed.lock()) {
                file(&mut p, body);
            }
            if let Some(h) = m.receipt_handle() {
                let _ = sqs
                    .delete_message()
                    .queue_url(&url)
                    .receipt_handle(h)
                    .send()
                    .await;
            }
        }
        if out.messages().is_empty() && wait.is_zero() {
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
    }
}

#[async_trait]
impl Push for AwsPush {
    fn enabled(&self) -> bool {
        self.enabled
    }

    async fn open(&self, tags: &Tags, patterns: &[Value], findings: bool) -> Result<String> {
        let rules = self.rules(patterns, findings);
        if let Err(e) = self.create(tags, &rules).await {
            // Nothing half made: what was created goes with the failure.
            let _ = self.remove(&self.name).await;
            return Err(e);
        }
        Ok(self.name.clone())
    }

    async fn close(&self, name: &str) -> Result<()> {
        self.remove(name).await
    }

    async fn tags(&self, name: &str) -> Result<Tags> {
        match self.sqs.get_queue_url().queue_name(name).send().await {
            Ok(q) => {
                let out = self
                    .sqs
                    .list_queue_tags()
                    .queue_url(q.queue_url().unwrap_or_default())
                    .send()
                    .await
                    .map_err(|e| sandbox_error("sqs:ListQueueTags", e))?;
                return Ok(out
                    .tags()
                    .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                    .unwrap_or_default());
            }
            Err(e) => {
                let e = sandbox_error("sqs:GetQueueUrl", e);
                if e.kind != ErrorKind::NotFound {
                    return Err(e);
                }
            }
        }
        // The queue is gone (or was never made): the tags of one of its rules (the
        // findings rule, or a pattern's), if one is there.
        let (_, arn) = self
            .rules_of(name)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| {
                SandboxError::new(
                    ErrorKind::NotFound,
                    "events:ListRules",
                    format!("no queue or rule named {name}"),
                )
            })?;
        let out = self
            .events
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
            .map_err(|e| sandbox_error("events:ListTagsForResource", e))?;
        Ok(out
            .tags()
            .iter()
            .map(|t| (t.key().to_owned(), t.value().to_owned()))
            .collect())
    }
}

/// The events the run's queue has received.
#[async_trait]
impl Events for AwsPush {
    async fn events(&self, since: DateTime<Utc>) -> Result<Vec<BusEvent>> {
        if !self.opened.load(Ordering::Relaxed) {
            return Err(SandboxError::new(
                ErrorKind::Unsupported,
                "events:PutRule",
                "the run's EventBridge rule and queue were not made (the journal's \
                 push-delivery step says why)",
            ));
        }
        let mut out: Vec<BusEvent> = self
            .pushed
            .lock()
            .map(|p| {
                p.events
                    .values()
                    .filter(|e| e.time >= since)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        out.sort_by(|a, b| a.time.cmp(&b.time).then_with(|| a.id.cmp(&b.id)));
        Ok(out)
    }
}

impl Drop for AwsPush {
    fn drop(&mut self) {
        if let Some(task) = self.receiver.lock().ok().and_then(|mut r| r.take()) {
            task.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_with_an_id_and_a_time_is_kept_for_eventbridge_detections() {
        let mut p = Pushed::default();
        file(
            &mut p,
            r#"{"id":"e1","time":"2026-12-05T10:00:02Z","source":"team.detector","detail-type":"Alert","detail":{}}"#,
        );
        file(
            &mut p,
            r#"{"id":"e2","source":"team.detector","detail":{}}"#,
        );
        assert_eq!(p.events.len(), 1);
        assert_eq!(
            p.events["e1"].time.to_rfc3339(),
            "2026-12-05T10:00:02+00:00"
        );
        assert_eq!(p.events["e1"].event["source"], "team.detector");
    }

    #[test]
    fn a_deliverys_rules_are_its_name_and_its_numbered_patterns() {
        assert!(is_rule_of("gameday-r1-events", "gameday-r1-events"));
        assert!(is_rule_of("gameday-r1-events-0", "gameday-r1-events"));
        assert!(is_rule_of("gameday-r1-events-12", "gameday-r1-events"));
        assert!(!is_rule_of("gameday-r1-events-x", "gameday-r1-events"));
        assert!(!is_rule_of("gameday-r1-eventsx", "gameday-r1-events"));
        assert!(!is_rule_of("gameday-r10-events", "gameday-r1-events"));
    }

    #[test]
    fn findings_and_alarm_changes_are_filed_from_their_events() {
        let mut p = Pushed::default();
        file(
            &mut p,
            r#"{"detail-type":"GuardDuty Finding","source":"aws.guardduty","detail":{
                "id":"f1","type":"PenTest:IAMUser/KaliLinux","createdAt":"2026-12-01T10:00:02.500Z",
                "title":"t","severity":5,"resource":{"accessKeyDetails":{"accessKeyId":"AKIA1"}},
                "service":{"action":{"awsApiCallAction":{"userAgent":"kali"}}}}}"#,
        );
        file(
            &mut p,
            r#"{"detail-type":"CloudWatch Alarm State Change","source":"aws.cloudwatch","detail":{
                "alarmName":"cis-x","state":{"value":"ALARM","timestamp":"2026-12-01T10:00:03.000+0000"}}}"#,
        );
        file(&mut p, "not json");
        let f = &p.findings["f1"];
        assert_eq!(f.resource.access_key_id.as_deref(), Some("AKIA1"));
        assert_eq!(f.created_at.timestamp_millis() % 1000, 500);
        assert_eq!(f.user_agent.as_deref(), Some("kali"));
        assert!(!f.sample);
        assert_eq!(p.transitions.len(), 1);
        assert_eq!(p.transitions[0].name, "cis-x");
        assert_eq!(p.transitions[0].state, AlarmState::Alarm);
        assert_eq!(
            p.transitions[0].at.to_rfc3339(),
            "2026-12-01T10:00:03+00:00"
        );
    }
}
