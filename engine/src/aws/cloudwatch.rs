//! CloudWatch on AWS: the [`CloudWatch`] trait through the official SDK.

use super::{from_smithy, sandbox_error, to_smithy};
use crate::sandbox::{Alarm, AlarmState, AlarmTransition, CloudWatch, Result};
use async_trait::async_trait;
use aws_sdk_cloudwatch::types::{HistoryItemType, StateValue};
use chrono::{DateTime, Utc};

/// CloudWatch of one account and region.
#[derive(Debug, Clone)]
pub struct AwsCloudWatch {
    client: aws_sdk_cloudwatch::Client,
}

impl AwsCloudWatch {
    /// CloudWatch through `config`.
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        AwsCloudWatch {
            client: aws_sdk_cloudwatch::Client::new(config),
        }
    }
}

fn state(s: Option<&StateValue>) -> AlarmState {
    match s {
        Some(StateValue::Alarm) => AlarmState::Alarm,
        Some(StateValue::Ok) => AlarmState::Ok,
        _ => AlarmState::InsufficientData,
    }
}

#[async_trait]
impl CloudWatch for AwsCloudWatch {
    async fn describe_alarms(&self, names: &[String]) -> Result<Vec<Alarm>> {
        let mut alarms = Vec::new();
        // DescribeAlarms takes at most 100 names a call.
        for chunk in names.chunks(100) {
            let out = self
                .client
                .describe_alarms()
                .set_alarm_names(Some(chunk.to_vec()))
                .send()
                .await
                .map_err(|e| sandbox_error("cloudwatch:DescribeAlarms", e))?;
            for a in out.metric_alarms() {
                alarms.push(Alarm {
                    name: a.alarm_name().unwrap_or_default().to_owned(),
                    state: state(a.state_value()),
                    updated_at: a
                        .state_updated_timestamp()
                        .and_then(from_smithy)
                        .unwrap_or_default(),
                });
            }
        }
        Ok(alarms)
    }

    async fn alarm_history(
        &self,
        name: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<AlarmTransition>> {
        let out = self
            .client
            .describe_alarm_history()
            .alarm_name(name)
            .history_item_type(HistoryItemType::StateUpdate)
            .start_date(to_smithy(since))
            .send()
            .await
            .map_err(|e| sandbox_error("cloudwatch:DescribeAlarmHistory", e))?;
        let mut transitions = Vec::new();
        for item in out.alarm_history_items() {
            // The new state is in the item's JSON data: {"newState": {"stateValue": …}}.
            let data: serde_json::Value = item
                .history_data()
                .and_then(|d| serde_json::from_str(d).ok())
                .unwrap_or_default();
            let new_state = data["newState"]["stateValue"]
                .as_str()
                .map(StateValue::from);
            if let Some(at) = item.timestamp().and_then(from_smithy) {
                transitions.push(AlarmTransition {
                    name: name.to_owned(),
                    state: state(new_state.as_ref()),
                    at,
                });
            }
        }
        transitions.sort_by_key(|t| t.at);
        Ok(transitions)
    }
}
