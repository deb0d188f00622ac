//! `eventbridge`: any EventBridge event a pattern matches, delivered to the run's own
//! queue by a rule of the run's own.

use super::{DetectorSpec, Hit, Look, Problem};
use crate::pattern;
use crate::sandbox::BusEvent;
use crate::sandbox::SandboxError;
use crate::scenario::Detect;
use crate::steps::{Field, FieldType};
use async_trait::async_trait;
use chrono::{DateTime, SubsecRound, Utc};
use serde_json::Value;

pub struct EventBridge;

static SPEC: DetectorSpec = DetectorSpec {
    name: "eventbridge",
    summary: "An EventBridge event that a pattern matches: any event a team's detection emits.",
    docs: "Met by the first event at or after T0 that `pattern` matches (EventBridge's \
           pattern language: exact values, prefix, suffix, equals-ignore-case, \
           anything-but, exists, numeric, nested fields). Its time is the event's `time`, \
           which EventBridge gives to the second (an event of T0's own second is timed at \
           T0). On AWS the run makes a rule of its own for \
           each pattern (PREFIX-RUN-events-N, whether or not the target pushes) delivering to \
           the run's queue, and removes it at clean-up; values that reference the run's \
           steps are left out of the rule and matched when the event arrives. The pattern \
           must name `source` with plain values, so the rule never takes the whole bus.",
    names_by: None,
    inputs: &[Field {
        name: "pattern",
        ty: FieldType::Document,
        required: true,
        doc: "An EventBridge event pattern, such as { source: [aws.guardduty], detail-type: \
              [GuardDuty Finding], detail: { type: [{ prefix: \"PenTest:\" }] } }.",
    }],
    match_keys: &[],
    calls: &[
        "events:PutRule",
        "events:PutTargets",
        "sqs:ReceiveMessage (the run's queue, long poll)",
    ],
    time: "the event's time",
    drills: false,
    poll: super::Every::Pushed,
};

#[async_trait]
impl super::Detector for EventBridge {
    fn spec(&self) -> &'static DetectorSpec {
        &SPEC
    }

    fn name(&self, d: &Detect) -> String {
        d.with
            .get("pattern")
            .map(Value::to_string)
            .unwrap_or_default()
    }

    fn check(&self, d: &Detect) -> Vec<Problem> {
        let Some(p) = d.with.get("pattern") else {
            return Vec::new();
        };
        let mut out: Vec<Problem> = pattern::check(p)
            .into_iter()
            .map(|m| Problem::new("with.pattern", m, None))
            .collect();
        let named = pattern::for_rule(p)
            .and_then(|r| r.get("source").cloned())
            .and_then(|s| s.as_array().map(|a| !a.is_empty()))
            .unwrap_or(false);
        if out.is_empty() && !named {
            out.push(Problem::new(
                "with.pattern",
                "the pattern needs `source` with plain values (no ${…}): the run's rule would \
                 otherwise take every event of the bus",
                Some("source: [aws.guardduty]".to_owned()),
            ));
        }
        out
    }

    async fn find(&self, look: &Look<'_>) -> Result<Option<Hit>, SandboxError> {
        let want = look.with.get("pattern").cloned().unwrap_or(Value::Null);
        let events = look.sandbox.events().events(look.run_start).await?;
        Ok(first(events, look.t0, &want))
    }
}

/// The first of `events` at or after `t0` that pattern `want` matches, as a hit.
fn first(events: Vec<BusEvent>, t0: DateTime<Utc>, want: &Value) -> Option<Hit> {
    // `time` is cut to the second: an event of T0's own second reads as before T0 and
    // is the trigger's as much as a later one; it is timed at T0, the most the
    // provider's clock can tell.
    let second_of_t0 = t0.trunc_subsecs(0);
    events
        .into_iter()
        .filter(|e| e.time >= second_of_t0 && pattern::matches(want, &e.event))
        .min_by(|a, b| a.time.cmp(&b.time).then_with(|| a.id.cmp(&b.id)))
        .map(|e| Hit {
            at: e.time.max(t0),
            title: format!(
                "{} from {}",
                e.event["detail-type"].as_str().unwrap_or("event"),
                e.event["source"].as_str().unwrap_or("unknown")
            ),
            evidence: e.id,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detectors::check;

    fn messages(with: Value) -> Vec<String> {
        let d: Detect = serde_json::from_value(serde_json::json!({
            "id": "d", "source": "eventbridge", "within": "15m", "with": with
        }))
        .expect("a detection");
        check(&EventBridge, &d)
            .into_iter()
            .map(|p| p.message)
            .collect()
    }

    #[test]
    fn an_event_of_t0s_own_second_counts_and_is_timed_at_t0() {
        let at = |t: &str| t.parse::<chrono::DateTime<chrono::Utc>>().expect("a time");
        let event = |id: &str, time: &str| crate::sandbox::BusEvent {
            id: id.to_owned(),
            time: at(time),
            event: serde_json::json!({ "source": "team.rules", "detail-type": "Hit", "time": time }),
        };
        let want = serde_json::json!({ "source": ["team.rules"] });
        let t0 = at("2026-12-05T10:00:02.700Z");
        // Cut to the second, 10:00:02 is the trigger's own second: met, at T0.
        let hit = super::first(
            vec![
                event("before", "2026-12-05T10:00:01Z"),
                event("same", "2026-12-05T10:00:02Z"),
            ],
            t0,
            &want,
        );
        assert_eq!(
            hit.as_ref().map(|h| (h.evidence.as_str(), h.at)),
            Some(("same", t0))
        );
        // A later second keeps its own time; an earlier one never counts.
        let later = super::first(vec![event("later", "2026-12-05T10:00:04Z")], t0, &want);
        assert_eq!(later.map(|h| h.at), Some(at("2026-12-05T10:00:04Z")));
        let early = super::first(vec![event("before", "2026-12-05T10:00:01Z")], t0, &want);
        assert_eq!(early, None);
    }

    #[test]
    fn a_pattern_names_its_source_and_uses_operators_gameday_matches() {
        assert!(messages(serde_json::json!({"pattern": {
            "source": ["aws.guardduty"],
            "detail": {"resource": {"accessKeyDetails": {"accessKeyId": ["${steps.key.access_key_id}"]}}}
        }})).is_empty());
        let m = messages(serde_json::json!({"pattern": {"detail-type": ["GuardDuty Finding"]}}));
        assert!(m[0].starts_with("the pattern needs `source`"), "{m:?}");
        let m = messages(serde_json::json!({"pattern": {"source": ["${params.s}"]}}));
        assert!(m[0].starts_with("the pattern needs `source`"), "{m:?}");
        let m = messages(serde_json::json!({"pattern": {"source": [{"wildcard": "aws.*"}]}}));
        assert!(m[0].contains("`wildcard` is not an operator"), "{m:?}");
        let m = messages(serde_json::json!({}));
        assert!(m[0].starts_with("missing input `pattern`"), "{m:?}");
    }
}
