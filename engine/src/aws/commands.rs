//! The target's external detectors: programs its configuration names (`commands`), run
//! without a shell, with the run's context in their environment, printing JSON lines.

use crate::config::DetectorCommand;
use crate::sandbox::{CommandHit, Commands, ErrorKind, Result, SandboxError};
use async_trait::async_trait;
use std::collections::BTreeMap;
use std::process::Stdio;
use tokio::io::AsyncReadExt;

/// The most of a detector's output read: more is an error.
const MAX_OUTPUT: u64 = 1 << 20;
/// The exit status that means "not now, ask again" (EX_TEMPFAIL).
const TRY_AGAIN: i32 = 75;

/// The detectors of one target.
#[derive(Debug, Clone, Default)]
pub struct LocalCommands {
    commands: BTreeMap<String, DetectorCommand>,
}

impl LocalCommands {
    /// The detectors `commands` names.
    pub fn new(commands: BTreeMap<String, DetectorCommand>) -> Self {
        LocalCommands { commands }
    }
}

fn refused(name: &str, message: impl Into<String>) -> SandboxError {
    SandboxError::new(ErrorKind::InvalidInput, &format!("command {name}"), message)
}

/// The detections in `out`, one JSON object a line: `{"at": RFC 3339, "id": …, "title": …}`.
pub fn parse(name: &str, out: &str) -> Result<Vec<CommandHit>> {
    out.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str::<CommandHit>(l).map_err(|e| {
                refused(
                    name,
                    format!(
                        "line {} of its output is not {{\"at\": RFC 3339 time, \"id\": text}}: {e}",
                        i + 1
                    ),
                )
            })
        })
        .collect()
}

/// The last line of `stderr`, cleaned for the journal.
fn last_words(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let last = text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    crate::text::clean(last, false).chars().take(300).collect()
}

#[async_trait]
impl Commands for LocalCommands {
    fn names(&self) -> Option<Vec<String>> {
        Some(self.commands.keys().cloned().collect())
    }

    async fn run(&self, name: &str, env: &[(String, String)]) -> Result<Vec<CommandHit>> {
        let Some(cmd) = self.commands.get(name) else {
            return Err(refused(
                name,
                format!(
                    "the target has no detector command `{name}` (add it under the target's \
                     `commands` in gameday.yaml; it has: {})",
                    if self.commands.is_empty() {
                        "none".to_owned()
                    } else {
                        self.commands.keys().cloned().collect::<Vec<_>>().join(", ")
                    }
                ),
            ));
        };
        let Some((program, args)) = cmd.run.split_first() else {
            return Err(refused(name, "its `run` is empty"));
        };
        let mut child = tokio::process::Command::new(program)
            .args(args)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| refused(name, format!("cannot start {program}: {e}")))?;
        let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
            return Err(refused(name, "no output pipes"));
        };
        let work = async {
            let mut out = Vec::new();
            let mut err = Vec::new();
            let mut stdout = stdout.take(MAX_OUTPUT + 1);
            let mut stderr = stderr.take(64 * 1024);
            let (a, b) = tokio::join!(stdout.read_to_end(&mut out), stderr.read_to_end(&mut err));
            a.and(b)?;
            let status = child.wait().await?;
            Ok::<_, std::io::Error>((status, out, err))
        };
        let limit = cmd.timeout.to_std();
        let (status, out, err) = match tokio::time::timeout(limit, work).await {
            Err(_) => {
                return Err(refused(
                    name,
                    format!("no answer within its timeout of {}", cmd.timeout),
                ));
            }
            Ok(Err(e)) => return Err(refused(name, format!("reading its output: {e}"))),
            Ok(Ok(done)) => done,
        };
        if out.len() as u64 > MAX_OUTPUT {
            return Err(refused(name, "more than 1 MiB of output"));
        }
        match status.code() {
            Some(0) => {}
            Some(TRY_AGAIN) => {
                return Err(SandboxError::new(
                    ErrorKind::Other,
                    &format!("command {name}"),
                    format!("asked to be run again later: {}", last_words(&err)),
                ));
            }
            code => {
                let how = code.map_or("was killed by a signal".to_owned(), |c| {
                    format!("exited with status {c}")
                });
                return Err(refused(name, format!("{how}: {}", last_words(&err))));
            }
        }
        let text = String::from_utf8(out).map_err(|_| refused(name, "its output is not UTF-8"))?;
        parse(name, &text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::duration::Duration;

    /// A target whose detector `name` is `sh -c SCRIPT`, with `timeout`.
    fn detectors(script: &str, timeout: Duration) -> LocalCommands {
        let cmd = DetectorCommand {
            run: vec!["/bin/sh".into(), "-c".into(), script.into()],
            timeout,
        };
        LocalCommands::new(BTreeMap::from([("probe".to_owned(), cmd)]))
    }

    async fn outcome(
        script: &str,
        timeout: Duration,
    ) -> std::result::Result<Vec<CommandHit>, (ErrorKind, String)> {
        let env = [("GAMEDAY_DETECTION_ID".to_owned(), "paged".to_owned())];
        detectors(script, timeout)
            .run("probe", &env)
            .await
            .map_err(|e| (e.kind, e.to_string()))
    }

    #[tokio::test]
    async fn a_detector_gets_the_runs_context_and_its_lines_are_detections() {
        let script = r#"printf '{"at":"2026-12-05T10:00:02.5Z","id":"%s","title":"t"}\n' "$GAMEDAY_DETECTION_ID""#;
        let hits = outcome(script, Duration::from_secs(10)).await;
        let hits = hits.unwrap_or_default();
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].id, "paged", "the environment reached it");
        assert_eq!(hits[0].at.timestamp_millis() % 1000, 500);
        assert_eq!(
            outcome("true", Duration::from_secs(10)).await,
            Ok(Vec::new())
        );
    }

    #[tokio::test]
    async fn timeouts_exit_statuses_and_bad_output_are_errors_that_say_which() {
        let ten = Duration::from_secs(10);
        let cases = [
            (
                "sleep 5",
                Duration::from_millis(200),
                ErrorKind::InvalidInput,
                "command probe: no answer within its timeout of 200ms",
            ),
            (
                "echo first >&2; echo 'the API said 401' >&2; exit 3",
                ten,
                ErrorKind::InvalidInput,
                "command probe: exited with status 3: the API said 401",
            ),
            (
                "echo 'rate limited' >&2; exit 75",
                ten,
                ErrorKind::Other,
                "command probe: asked to be run again later: rate limited",
            ),
            (
                "echo ok",
                ten,
                ErrorKind::InvalidInput,
                "command probe: line 1 of its output is not",
            ),
            (
                "kill -9 $$",
                ten,
                ErrorKind::InvalidInput,
                "command probe: was killed by a signal",
            ),
        ];
        for (script, timeout, kind, start) in cases {
            let got = outcome(script, timeout).await;
            assert!(
                matches!(&got, Err((k, m)) if *k == kind && m.starts_with(start)),
                "{script}: {got:?}"
            );
        }
        let unknown = detectors("true", ten)
            .run("pagr", &[])
            .await
            .map_err(|e| e.to_string());
        assert_eq!(
            unknown.err().as_deref(),
            Some(
                "command pagr: the target has no detector command `pagr` (add it under the \
                 target's `commands` in gameday.yaml; it has: probe)"
            )
        );
    }

    #[test]
    fn lines_are_detections_and_anything_else_is_refused() {
        let hits = parse(
            "pager",
            "{\"at\":\"2026-12-05T10:00:02Z\",\"id\":\"P1\",\"title\":\"acked\"}\n\n",
        )
        .unwrap_or_default();
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].id, "P1");
        let err = parse("pager", "ok\n").err().map(|e| e.to_string());
        assert!(
            err.as_deref().is_some_and(|e| e.contains("line 1")),
            "{err:?}"
        );
    }
}
