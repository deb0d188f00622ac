//! CloudWatch Logs Insights on AWS: the poller's [`LogSource`] through the official SDK.

use super::sandbox_error;
use crate::poller::LogSource;
use crate::sandbox::{ErrorKind, LogQuery, LogRow, Result, SandboxError};
use crate::throttle::Gate;
use async_trait::async_trait;
use aws_sdk_cloudwatchlogs::types::{QueryStatus, ResultField};
use chrono::{DateTime, NaiveDateTime, Utc};
use std::time::Duration;

/// CloudWatch Logs of one account and region.
#[derive(Debug, Clone)]
pub struct AwsLogs {
    client: aws_sdk_cloudwatchlogs::Client,
}

impl AwsLogs {
    /// CloudWatch Logs through `config`.
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        AwsLogs {
            client: aws_sdk_cloudwatchlogs::Client::new(config),
        }
    }
}

/// How long to wait between two reads of a running query's results.
const BETWEEN_READS: Duration = Duration::from_secs(1);

/// An `@timestamp` as Insights writes it (`2026-12-05 10:00:02.500`, UTC), or as
/// milliseconds since the epoch (what some emulators answer).
pub(crate) fn timestamp(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(ms) = s.parse::<i64>() {
        return DateTime::from_timestamp_millis(ms);
    }
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f")
        .ok()
        .map(|t| t.and_utc())
        .or_else(|| s.parse::<DateTime<Utc>>().ok())
}

/// A row of GetQueryResults; one without `@ptr` or a readable `@timestamp` is skipped.
fn row(fields: &[ResultField]) -> Option<LogRow> {
    let get = |name: &str| {
        fields
            .iter()
            .find(|f| f.field() == Some(name))
            .and_then(ResultField::value)
            .map(str::to_owned)
    };
    Some(LogRow {
        ptr: get("@ptr")?,
        at: timestamp(&get("@timestamp")?)?,
        message: get("@message").unwrap_or_default(),
        log_group: get("@log").unwrap_or_default(),
        log_stream: get("@logStream").unwrap_or_default(),
    })
}

/// A malformed query or an unknown log group is the scenario's mistake, not the account's
/// passing trouble: the detection is missed with the reason.
fn refused(e: SandboxError) -> SandboxError {
    let scenario = e.message.starts_with("MalformedQueryException")
        || e.message.starts_with("InvalidParameterException")
        || e.kind == ErrorKind::NotFound;
    if scenario {
        SandboxError::new(ErrorKind::InvalidInput, &e.operation, e.message)
    } else {
        e
    }
}

#[async_trait]
impl LogSource for AwsLogs {
    async fn run_query(
        &self,
        query: &LogQuery,
        from: DateTime<Utc>,
        gate: &Gate,
        wait: Duration,
    ) -> Result<Vec<LogRow>> {
        gate.pass("logs:StartQuery").await;
        // The end is a little ahead: log events carry their source's clock.
        let to = Utc::now() + chrono::Duration::minutes(5);
        let started = self
            .client
            .start_query()
            .set_log_group_names(Some(query.log_groups.clone()))
            .start_time(from.timestamp())
            .end_time(to.timestamp())
            .query_string(&query.query)
            .send()
            .await
            .map_err(|e| refused(sandbox_error("logs:StartQuery", e)))?;
        let id = started.query_id().unwrap_or_default().to_owned();
        let began = tokio::time::Instant::now();
        loop {
            gate.pass("logs:GetQueryResults").await;
            let out = self
                .client
                .get_query_results()
                .query_id(&id)
                .send()
                .await
                .map_err(|e| sandbox_error("logs:GetQueryResults", e))?;
            match out.status() {
                Some(QueryStatus::Complete) => {
                    return Ok(out.results().iter().filter_map(|r| row(r)).collect());
                }
                Some(QueryStatus::Scheduled | QueryStatus::Running) | None => {}
                Some(other) => {
                    return Err(SandboxError::new(
                        ErrorKind::Other,
                        "logs:GetQueryResults",
                        format!("the query ended {}", other.as_str()),
                    ));
                }
            }
            if began.elapsed() >= wait {
                gate.pass("logs:StopQuery").await;
                let _ = self.client.stop_query().query_id(&id).send().await;
                return Err(SandboxError::new(
                    ErrorKind::Other,
                    "logs:GetQueryResults",
                    format!(
                        "the query did not complete within {}s: stopped, asked again at the next poll",
                        wait.as_secs()
                    ),
                ));
            }
            tokio::time::sleep(BETWEEN_READS).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_read_as_insights_and_emulators_write_them() {
        let want = "2026-12-05T10:00:02.500Z".parse::<DateTime<Utc>>().ok();
        assert_eq!(timestamp("2026-12-05 10:00:02.500"), want);
        assert_eq!(timestamp("1796464802500"), want);
        assert_eq!(timestamp("2026-12-05T10:00:02.500Z"), want);
        assert_eq!(timestamp("yesterday"), None);
    }
}
