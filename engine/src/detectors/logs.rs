//! `logs`: a CloudWatch Logs Insights query over named log groups; the first matching
//! row at or after T0 is the detection, timed by its `@timestamp`.

use super::{DetectorSpec, Hit, Look, Problem};
use crate::insights;
use crate::sandbox::{LogQuery, SandboxError};
use crate::scenario::Detect;
use crate::steps::{Field, FieldType};
use async_trait::async_trait;
use serde_json::Value;

pub struct Logs;

/// StartQuery takes at most 50 log groups.
const MAX_GROUPS: usize = 50;

static SPEC: DetectorSpec = DetectorSpec {
    name: "logs",
    summary: "A row of a CloudWatch Logs Insights query over named log groups.",
    docs: "Met by the first row at or after T0 that the query selects in the log groups and \
           whose @message contains `match.message`; its time is the row's @timestamp, the \
           log event's own time. The query gives the commands that choose rows (`filter`, \
           `parse`); gameday adds `fields @timestamp, @message, @logStream, @log` before \
           and `sort @timestamp asc | limit 10000` after, and sends the text to StartQuery \
           only. Runs asking the same log groups and query share one query per \
           `poll.detectors` in the account, from the quarter hour before the earliest run's \
           start, at most ten \
           running at once (AWS allows an account 30); a query still running after 60s is \
           stopped and asked again. For CloudTrail's own log group, @timestamp is the API \
           call's time, before T0 for the trigger's own call: query what a detection \
           writes (an EventBridge rule's log group target, a detector's log).",
    names_by: None,
    inputs: &[
        Field {
            name: "log_groups",
            ty: FieldType::StringList,
            required: true,
            doc: "The log groups to query, by name (1 to 50).",
        },
        Field {
            name: "query",
            ty: FieldType::String,
            required: true,
            doc: "Logs Insights commands that choose the rows: `filter` and `parse`, joined \
                  by `|`, such as filter source = \"aws.guardduty\" and detail.type = \
                  \"PenTest:IAMUser/KaliLinux\".",
        },
    ],
    match_keys: &["message"],
    calls: &["logs:StartQuery", "logs:GetQueryResults", "logs:StopQuery"],
    time: "the first matching row's @timestamp",
    drills: false,
    poll: super::Every::Detectors,
};

/// The log groups of `with`, as given.
fn groups(with: &serde_json::Map<String, Value>) -> Vec<String> {
    with.get("log_groups")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// The problems of `log_groups`.
fn check_groups(d: &Detect) -> Vec<Problem> {
    let Some(Value::Array(given)) = d.with.get("log_groups") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if given.is_empty() || given.len() > MAX_GROUPS {
        out.push(Problem::new(
            "with.log_groups",
            format!(
                "a query reads 1 to {MAX_GROUPS} log groups, not {}",
                given.len()
            ),
            None,
        ));
    }
    if groups(&d.with).iter().any(|g| g.trim().is_empty()) {
        out.push(Problem::new(
            "with.log_groups",
            "a log group name is empty",
            None,
        ));
    }
    out
}

/// The problems of `query`: empty, or a command that is not one choosing rows.
fn check_query(d: &Detect) -> Vec<Problem> {
    let Some(query) = d.with.get("query").and_then(Value::as_str) else {
        return Vec::new();
    };
    if query.trim().is_empty() {
        return vec![Problem::new("with.query", "the query is empty", None)];
    }
    insights::commands(query)
        .into_iter()
        .filter(|c| !insights::ALLOWED.contains(&insights::verb(c).as_str()))
        .map(|c| {
            Problem::new(
                "with.query",
                format!(
                    "`{}` is not a command that chooses rows: a logs query uses {} only",
                    if c.is_empty() {
                        "(an empty command)"
                    } else {
                        c
                    },
                    insights::ALLOWED.join(" and ")
                ),
                Some(
                    "gameday adds the fields, the order and the limit it reads the first row by"
                        .to_owned(),
                ),
            )
        })
        .collect()
}

#[async_trait]
impl super::Detector for Logs {
    fn spec(&self) -> &'static DetectorSpec {
        &SPEC
    }

    fn name(&self, d: &Detect) -> String {
        super::input_text(d, "query")
    }

    fn check(&self, d: &Detect) -> Vec<Problem> {
        let mut out = check_groups(d);
        out.extend(check_query(d));
        out
    }

    async fn find(&self, look: &Look<'_>) -> Result<Option<Hit>, SandboxError> {
        let query = LogQuery {
            log_groups: groups(look.with),
            query: insights::full_query(look.text("query").unwrap_or_default()),
        };
        let rows = look.sandbox.logs().rows(&query, look.run_start).await?;
        let wanted = look.matches.get("message");
        Ok(rows
            .into_iter()
            .filter(|r| r.at >= look.t0)
            .filter(|r| wanted.is_none_or(|m| r.message.contains(m.as_str())))
            .min_by_key(|r| r.at)
            .map(|r| Hit {
                at: r.at,
                evidence: format!("{} {}", r.log_group, r.ptr),
                // The message is the account's text: a line of it is title enough.
                title: r.message.chars().take(200).collect(),
            }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detectors::{Detector, check};

    fn detect(with: Value) -> Detect {
        serde_json::from_value(serde_json::json!({
            "id": "d", "source": "logs", "within": "15m", "with": with
        }))
        .expect("a detection")
    }

    fn messages(d: &Detect) -> Vec<String> {
        check(&Logs, d).into_iter().map(|p| p.message).collect()
    }

    #[test]
    fn a_query_needs_its_log_groups_and_commands_that_choose_rows() {
        assert_eq!(
            messages(&detect(serde_json::json!({
                "log_groups": ["/aws/events/security"],
                "query": "filter source = \"aws.guardduty\" | parse @message \"k=*\" as k"
            }))),
            Vec::<String>::new()
        );
        let m = messages(&detect(serde_json::json!({ "query": "filter x = 1" })));
        assert!(m[0].starts_with("missing input `log_groups`"), "{m:?}");
        let m = messages(&detect(serde_json::json!({
            "log_groups": [],
            "query": "filter x = 1 | stats count(*) | sort @timestamp desc"
        })));
        assert_eq!(m.len(), 3, "{m:?}");
        assert!(m[0].contains("1 to 50 log groups"), "{m:?}");
        assert!(m[1].starts_with("`stats count(*)` is not"), "{m:?}");
        assert!(m[2].starts_with("`sort @timestamp desc` is not"), "{m:?}");
        let m = messages(&detect(
            serde_json::json!({ "log_groups": "g", "query": " " }),
        ));
        assert!(m.contains(&"expected list of text".to_owned()), "{m:?}");
        assert!(m.contains(&"the query is empty".to_owned()), "{m:?}");
    }

    #[test]
    fn its_name_is_its_query() {
        let d = detect(serde_json::json!({ "log_groups": ["g"], "query": "filter x = 1" }));
        assert_eq!(Logs.name(&d), "filter x = 1");
    }
}
