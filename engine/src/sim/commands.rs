//! External detectors of the simulated account: no program runs; the model's
//! `commands.after_hop` says when the detector reports the detection before it on the
//! alert path (`GAMEDAY_AFTER_AT` in the context a real one is given).

use super::SimAccount;
use super::securityhub::draws;
use crate::sandbox::{CommandHit, Commands, ErrorKind, Result, SandboxError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

#[async_trait]
impl Commands for SimAccount {
    async fn run(&self, name: &str, env: &[(String, String)]) -> Result<Vec<CommandHit>> {
        let var = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        let refused =
            |m: &str| SandboxError::new(ErrorKind::InvalidInput, &format!("command {name}"), m);
        let Some(chance) = self.model.commands else {
            return Err(refused("the simulator's model has no `commands` entry"));
        };
        let Some(after) = var("GAMEDAY_AFTER_AT") else {
            // Until the hop before it is detected, there is nothing to report.
            return match var("GAMEDAY_AFTER") {
                Some(_) => Ok(Vec::new()),
                None => Err(refused(
                    "the simulator models an external detector only as a hop after another \
                     detection: give the detection `after`",
                )),
            };
        };
        let Ok(after) = after.parse::<DateTime<Utc>>() else {
            return Err(refused("GAMEDAY_AFTER_AT is not a time"));
        };
        let id = var("GAMEDAY_DETECTION_ID").unwrap_or(name);
        // From the hop's time after T0, not its wall-clock time: the same seed gives the
        // same run whenever it starts.
        let t0 = var("GAMEDAY_T0").and_then(|t| t.parse::<DateTime<Utc>>().ok());
        let since_t0 = t0.map_or(0, |t0| (after - t0).num_milliseconds());
        let seed = format!("{id}@{since_t0}");
        let Some(latency) = chance.draw(&mut draws(&seed)) else {
            return Ok(Vec::new());
        };
        let at = after + chrono::Duration::milliseconds(latency.as_millis() as i64);
        if at > self.clock.now() {
            return Ok(Vec::new());
        }
        Ok(vec![CommandHit {
            at,
            id: format!("sim-{name}-{id}-{since_t0}"),
            title: format!("{name} reported {id}"),
        }])
    }
}
