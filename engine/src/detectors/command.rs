//! `command`: an external detector (a SIEM's query, a paging tool's acknowledgements),
//! run as a program the target's configuration names.

use super::{DetectorSpec, Hit, Look};
use crate::sandbox::SandboxError;
use crate::scenario::Detect;
use crate::steps::{Field, FieldType};
use async_trait::async_trait;
use chrono::SecondsFormat;
use serde_json::Value;

pub struct Command;

static SPEC: DetectorSpec = DetectorSpec {
    name: "command",
    summary: "A detection an external detector reports: a SIEM alert, a page acknowledged.",
    docs: "Runs the program the target's configuration names under `commands` (never \
           anything from the scenario, and never through a shell) every `poll.detectors`, \
           with the run's context in its environment: GAMEDAY_RUN_ID, GAMEDAY_ACCOUNT, \
           GAMEDAY_REGION, GAMEDAY_DETECTION_ID, GAMEDAY_T0, GAMEDAY_EXPECT (the \
           detection's `with.expect` and `match` as JSON), GAMEDAY_AFTER and \
           GAMEDAY_AFTER_AT (the hop before it and, once met, its time). It prints one \
           JSON object a line, {\"at\": RFC 3339, \"id\": text, \"title\": text}; the \
           first at or after T0 meets the detection. A non-zero exit, a timeout or other \
           output misses it with the reason in the journal; exit status 75 asks to be run \
           again at the next poll.",
    names_by: None,
    inputs: &[
        Field {
            name: "command",
            ty: FieldType::String,
            required: true,
            doc: "The name of the detector under the target's `commands` in gameday.yaml.",
        },
        Field {
            name: "expect",
            ty: FieldType::Document,
            required: false,
            doc: "What the detector needs to recognise the detection (a rule name, a \
                  service), passed to it as JSON in GAMEDAY_EXPECT.",
        },
    ],
    match_keys: &[
        "resource",
        "access_key_id",
        "user_name",
        "instance_id",
        "bucket",
    ],
    calls: &[],
    time: "the `at` the detector reports",
    drills: false,
    poll: super::Every::Detectors,
};

#[async_trait]
impl super::Detector for Command {
    fn spec(&self) -> &'static DetectorSpec {
        &SPEC
    }

    fn name(&self, d: &Detect) -> String {
        super::input_text(d, "command")
    }

    async fn find(&self, look: &Look<'_>) -> Result<Option<Hit>, SandboxError> {
        let d = look.detect;
        let name = look.text("command").unwrap_or_default();
        let target = look.sandbox.target();
        let time =
            |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(SecondsFormat::Millis, true);
        let expect = serde_json::json!({
            "expect": look.with.get("expect").cloned().unwrap_or(Value::Null),
            "match": look.matches,
        });
        let mut env = vec![
            ("GAMEDAY_RUN_ID".to_owned(), look.run_id.to_owned()),
            ("GAMEDAY_ACCOUNT".to_owned(), target.account_id),
            ("GAMEDAY_REGION".to_owned(), target.region),
            ("GAMEDAY_DETECTION_ID".to_owned(), d.id.clone()),
            ("GAMEDAY_T0".to_owned(), time(look.t0)),
            ("GAMEDAY_EXPECT".to_owned(), expect.to_string()),
        ];
        if let Some(after) = &d.after {
            env.push(("GAMEDAY_AFTER".to_owned(), after.clone()));
        }
        if let Some(at) = look.after_at {
            env.push(("GAMEDAY_AFTER_AT".to_owned(), time(at)));
        }
        let hits = look.sandbox.commands().run(name, &env).await?;
        Ok(hits
            .into_iter()
            .filter(|h| h.at >= look.t0)
            .min_by_key(|h| h.at)
            .map(|h| Hit {
                at: h.at,
                evidence: h.id,
                title: h.title,
            }))
    }
}
