//! `cloudwatch`: a CloudWatch alarm's transition into ALARM.

use super::{DetectorSpec, Hit, Look};
use crate::sandbox::{AlarmState, ErrorKind, SandboxError};
use async_trait::async_trait;

pub struct CloudWatch;

static SPEC: DetectorSpec = DetectorSpec {
    name: "cloudwatch",
    summary: "A CloudWatch alarm of the account going into ALARM.",
    docs: "Met by the alarm's first transition into ALARM at or after T0, read from its \
           history (DescribeAlarmHistory); where the endpoint has no history, from the \
           state's own timestamp. The alarm must exist in the account before the run: \
           gameday never creates or changes alarms. Transitions also arrive pushed, where \
           the target enables push.",
    names_by: Some("alarm"),
    inputs: &[],
    match_keys: &[],
    calls: &[
        "cloudwatch:DescribeAlarms",
        "cloudwatch:DescribeAlarmHistory",
    ],
    drills: false,
    time: "the alarm history's transition into ALARM",
    poll: super::Every::CloudWatch,
};

#[async_trait]
impl super::Detector for CloudWatch {
    fn spec(&self) -> &'static DetectorSpec {
        &SPEC
    }

    async fn find(&self, look: &Look<'_>) -> Result<Option<Hit>, SandboxError> {
        let name = look.detect.alarm.clone().unwrap_or_default();
        let cw = look.sandbox.cloudwatch();
        let alarms = cw.describe_alarms(std::slice::from_ref(&name)).await?;
        let Some(alarm) = alarms.into_iter().find(|a| a.name == name) else {
            return Err(SandboxError::new(
                ErrorKind::InvalidInput,
                "cloudwatch:DescribeAlarms",
                format!("no alarm named `{name}` in the account"),
            ));
        };
        let hit = |at| Hit {
            at,
            evidence: format!("alarm {name}"),
            title: format!("{name} in ALARM"),
        };
        // The exact transition from the history where the endpoint has it; otherwise the
        // state's own timestamp.
        match cw.alarm_history(&name, look.t0).await {
            Ok(history) => Ok(history
                .into_iter()
                .filter(|h| h.state == AlarmState::Alarm && h.at >= look.t0)
                .min_by_key(|h| h.at)
                .map(|h| hit(h.at))),
            Err(e) if e.kind == ErrorKind::Unsupported => Ok((alarm.state == AlarmState::Alarm
                && alarm.updated_at >= look.t0)
                .then(|| hit(alarm.updated_at))),
            Err(e) => Err(e),
        }
    }
}
