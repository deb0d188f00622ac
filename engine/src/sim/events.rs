//! The simulated account's EventBridge events: what AWS services put on the default bus
//! for what the account's detections do. A GuardDuty finding is a `GuardDuty Finding`
//! event at its createdAt; an alarm's change of state a `CloudWatch Alarm State Change`
//! at the transition. Their `time` is cut to the second, as EventBridge writes it: whole
//! seconds of the simulated clock since the run began, so that the same seed gives the
//! same times whenever the run starts.

use super::SimAccount;
use super::detect::hex;
use super::securityhub::draws;
use crate::sandbox::{AlarmState, BusEvent, Events, Finding, Result};
use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

/// An event id (a UUID's form), the same for the same `key`.
fn event_id(key: &str) -> String {
    let h = hex(&mut draws(key), 32);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// A GuardDuty finding's `detail`, in the shape GuardDuty gives it (the fields gameday
/// reads, see `aws::push`).
fn finding_detail(f: &Finding, account: &str, region: &str) -> Value {
    let r = &f.resource;
    let ms = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Millis, true);
    json!({
        "schemaVersion": "2.0",
        "accountId": account,
        "region": region,
        "id": f.id,
        "type": f.finding_type,
        "title": f.title,
        "severity": f.severity,
        "createdAt": ms(f.created_at),
        "updatedAt": ms(f.created_at),
        "resource": {
            "accessKeyDetails": { "accessKeyId": r.access_key_id, "userName": r.user_name },
            "instanceDetails": { "instanceId": r.instance_id },
            "s3BucketDetails": r.bucket.iter().map(|b| json!({ "name": b })).collect::<Vec<_>>(),
        },
        "service": {
            "serviceName": "guardduty",
            "action": { "awsApiCallAction": {
                "userAgent": f.user_agent,
                "affectedResources": r.trail_name.as_ref().map(|t| json!({ "AWS::CloudTrail::Trail": t })),
            }},
            "additionalInfo": { "sample": f.sample },
        },
    })
}

impl SimAccount {
    /// The event `source` sent at `time` with `detail`, keyed `key`.
    fn event(
        &self,
        key: &str,
        source: &str,
        kind: &str,
        time: DateTime<Utc>,
        detail: Value,
    ) -> BusEvent {
        let id = event_id(key);
        let start = self.clock.start_utc();
        let time = start + chrono::Duration::seconds((time - start).num_seconds());
        BusEvent {
            event: json!({
                "version": "0",
                "id": id,
                "detail-type": kind,
                "source": source,
                "account": self.account,
                "time": time.to_rfc3339_opts(SecondsFormat::Millis, true),
                "region": self.region,
                "resources": [],
                "detail": detail,
            }),
            id,
            time,
        }
    }

    /// Every event put on the bus up to now, oldest first.
    pub(super) fn bus_events(&self) -> Vec<BusEvent> {
        let now = self.clock.now();
        let st = self.lock();
        let mut out: Vec<BusEvent> = st
            .findings
            .iter()
            .map(|s| &s.finding)
            .filter(|f| f.created_at <= now)
            .map(|f| {
                self.event(
                    &format!("guardduty/{}", f.id),
                    "aws.guardduty",
                    "GuardDuty Finding",
                    f.created_at,
                    finding_detail(f, &self.account, &self.region),
                )
            })
            .collect();
        for (rule, breaches) in self.model.alarms.iter().zip(&st.alarms) {
            for b in breaches {
                let changes = [
                    (AlarmState::Alarm, "ALARM", "OK", b.start),
                    (AlarmState::Ok, "OK", "ALARM", b.end),
                ];
                for (_, value, previous, at) in changes.into_iter().filter(|c| c.3 <= now) {
                    let stamp = at.format("%Y-%m-%dT%H:%M:%S%.3f%z").to_string();
                    out.push(self.event(
                        &format!("alarm/{}/{value}/{}", rule.name, at.timestamp_millis()),
                        "aws.cloudwatch",
                        "CloudWatch Alarm State Change",
                        at,
                        json!({
                            "alarmName": rule.name,
                            "state": { "value": value, "timestamp": stamp,
                                       "reason": format!("caused by {}", b.cause.event) },
                            "previousState": { "value": previous },
                        }),
                    ));
                }
            }
        }
        out.sort_by(|a, b| a.time.cmp(&b.time).then_with(|| a.id.cmp(&b.id)));
        out
    }
}

#[async_trait]
impl Events for SimAccount {
    async fn events(&self, since: DateTime<Utc>) -> Result<Vec<BusEvent>> {
        let mut out = self.bus_events();
        out.retain(|e| e.time >= since);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_ids_are_uuid_shaped_and_stable() {
        let a = event_id("guardduty/abc");
        assert_eq!(a, event_id("guardduty/abc"));
        assert_ne!(a, event_id("guardduty/abd"));
        assert_eq!(a.len(), 36);
        assert_eq!(a.matches('-').count(), 4);
    }
}
