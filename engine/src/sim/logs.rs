//! CloudWatch Logs of the simulated account, and the Logs Insights queries over it.
//!
//! What is written where is the model's `logs` (see `model.yaml`): the account's
//! EventBridge events to one log group, its CloudTrail records to another, each readable
//! a drawn delivery latency after its own time, which is its `@timestamp`. A query is
//! evaluated as far as [`Evaluable`] goes; anything else is refused, saying what the
//! simulator evaluates.

use super::securityhub::draws;
use super::{Audit, SimAccount};
use crate::insights::Evaluable;
use crate::poller::LogSource;
use crate::sandbox::{ErrorKind, LogQuery, LogRow, Logs, Result, SandboxError};
use crate::throttle::Gate;
use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::json;

/// A CloudTrail record of an audit entry, as CloudTrail writes it to CloudWatch Logs.
fn trail_record(a: &Audit, account: &str, region: &str) -> String {
    let (service, operation) = a
        .event
        .name
        .split_once(':')
        .unwrap_or(("aws", &a.event.name));
    let caller = a.caller.as_ref();
    json!({
        "eventVersion": "1.09",
        "eventTime": a.event.at.to_rfc3339_opts(SecondsFormat::Secs, true),
        "eventSource": format!("{service}.amazonaws.com"),
        "eventName": operation,
        "awsRegion": region,
        "recipientAccountId": account,
        "sourceIPAddress": caller.map_or("gameday.amazonaws.com", |c| c.source_ip.as_str()),
        "userAgent": caller.map_or("gameday", |c| c.user_agent.as_str()),
        "userIdentity": caller.map(|c| json!({
            "type": "IAMUser", "userName": c.user_name, "accessKeyId": c.access_key_id
        })),
        "errorCode": (a.flags & super::model::DENIED != 0).then_some("AccessDenied"),
        "resources": a.event.resources.iter().map(|r| json!({ "id": r })).collect::<Vec<_>>(),
    })
    .to_string()
}

impl SimAccount {
    /// Every log event readable now in `group`, with the model's delivery drawn per event.
    fn log_events(&self, group: &str) -> Option<Vec<LogRow>> {
        let logs = self.model.logs.as_ref()?;
        let now = self.clock.now();
        let readable = |chance: &super::model::Chance, key: &str, at: DateTime<Utc>| {
            let latency = chance.draw(&mut draws(key))?;
            (at + chrono::Duration::milliseconds(latency.as_millis() as i64) <= now).then_some(())
        };
        if let Some((name, chance)) = logs.events.as_ref().filter(|(n, _)| n == group) {
            let rows = self
                .bus_events()
                .into_iter()
                .filter_map(|e| {
                    readable(chance, &format!("logs/{}", e.id), e.time)?;
                    Some(LogRow {
                        ptr: e.id,
                        at: e.time,
                        message: e.event.to_string(),
                        log_group: name.clone(),
                        log_stream: "eventbridge".to_owned(),
                    })
                })
                .collect();
            return Some(rows);
        }
        let (name, chance) = logs.cloudtrail.as_ref().filter(|(n, _)| n == group)?;
        let stream = format!("{}_CloudTrail_{}", self.account, self.region);
        let st = self.lock();
        let start = self.clock.start_utc();
        let rows = st
            .audit
            .iter()
            .enumerate()
            .filter_map(|(i, a)| {
                // The entry's place and time in the run: the same seed draws the same.
                let key = format!("trail/{i}/{}", (a.event.at - start).num_milliseconds());
                readable(chance, &key, a.event.at)?;
                Some(LogRow {
                    ptr: key,
                    at: a.event.at,
                    message: trail_record(a, &self.account, &self.region),
                    log_group: name.clone(),
                    log_stream: stream.clone(),
                })
            })
            .collect();
        Some(rows)
    }
}

#[async_trait]
impl Logs for SimAccount {
    async fn rows(&self, query: &LogQuery, since: DateTime<Utc>) -> Result<Vec<LogRow>> {
        const OP: &str = "logs:StartQuery";
        let q = Evaluable::parse(&query.query).map_err(|m| {
            SandboxError::new(
                ErrorKind::InvalidInput,
                OP,
                format!("MalformedQueryException: {m}"),
            )
        })?;
        let mut out = Vec::new();
        for group in &query.log_groups {
            let Some(rows) = self.log_events(group) else {
                // As AWS's answer reaches the run: the scenario's mistake (see aws::logs).
                return Err(SandboxError::new(
                    ErrorKind::InvalidInput,
                    OP,
                    format!(
                        "ResourceNotFoundException: the simulated account has no log group {group} \
                         (its model's `logs` names those it writes)"
                    ),
                ));
            };
            out.extend(
                rows.into_iter().filter(|r| {
                    r.at >= since && q.matches(&r.message, &r.log_group, &r.log_stream)
                }),
            );
        }
        out.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.ptr.cmp(&b.ptr)));
        out.truncate(q.limit());
        Ok(out)
    }
}

#[async_trait]
impl LogSource for SimAccount {
    /// One StartQuery and one GetQueryResults: the simulated account answers at once.
    async fn run_query(
        &self,
        query: &LogQuery,
        from: DateTime<Utc>,
        gate: &Gate,
        _wait: std::time::Duration,
    ) -> Result<Vec<LogRow>> {
        gate.pass("logs:StartQuery").await;
        gate.pass("logs:GetQueryResults").await;
        self.rows(query, from).await
    }
}
