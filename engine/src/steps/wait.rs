//! `wait`: let run time pass.

use super::{Applied, Args, Field, FieldType, StepContext, StepKind, StepSpec};
use crate::duration::Duration;
use crate::sandbox::SandboxError;
use async_trait::async_trait;

pub struct Wait;

static SPEC: StepSpec = StepSpec {
    name: "wait",
    summary: "Wait for a duration of run time.",
    docs: "For changes that take effect some time after the call, such as a GuardDuty threat \
           list or a new access key. The wait is in run time: sped up with a fast clock, \
           instant with a virtual one. It makes no calls.",
    inputs: &[Field {
        name: "duration",
        ty: FieldType::Duration,
        required: true,
        doc: "How long, such as 90s or 5m.",
    }],
    outputs: &[],
    calls: &[],
    revert: "none",
    creates: None,
};

#[async_trait]
impl StepKind for Wait {
    fn spec(&self) -> &'static StepSpec {
        &SPEC
    }

    async fn apply(&self, cx: &StepContext<'_>, args: &Args) -> Result<Applied, SandboxError> {
        let d: Duration = args
            .str("duration")?
            .parse()
            .map_err(|e| args.bad(format!("input `duration`: {e}")))?;
        let Some(abort) = cx.abort else {
            cx.clock.sleep(d).await;
            return Ok(Applied::default());
        };
        // A signal ends the wait at once: clean-up must not wait for it.
        let mut abort = abort.clone();
        tokio::select! {
            () = cx.clock.sleep(d) => Ok(Applied::default()),
            () = abort.wait() => Err(SandboxError::new(
                crate::sandbox::ErrorKind::Other,
                SPEC.name,
                format!("interrupted: {}", abort.reason().unwrap_or_default()),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::duration::Duration;
    use crate::sandbox::ErrorKind;
    use crate::steps::testing::Harness;
    use serde_json::json;

    #[tokio::test]
    async fn advances_the_virtual_clock() {
        let h = Harness::new();
        let before = h.clock.elapsed();
        let applied = h
            .apply("wait", json!({"duration": "1m30s"}))
            .await
            .expect("waits");
        assert!(applied.undo.is_empty());
        assert_eq!(
            h.clock.elapsed(),
            before.saturating_add(Duration::from_secs(90))
        );
    }

    #[tokio::test]
    async fn refuses_what_is_not_a_duration() {
        let h = Harness::new();
        let err = h
            .apply("wait", json!({"duration": "soon"}))
            .await
            .expect_err("refused");
        assert_eq!(err.kind, ErrorKind::InvalidInput);
        assert_eq!(h.clock.elapsed(), Duration::ZERO);
    }
}
