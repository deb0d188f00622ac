//! A game day on the simulator in virtual time, for the command line's tests: the same
//! events every time for the same scenario, seed, run id and start.

#![allow(clippy::unwrap_used, clippy::panic)]

use gameday_engine::autopilot::AutopilotConfig;
use gameday_engine::clock::Clock;
use gameday_engine::event::Event;
use gameday_engine::journal::Journal;
use gameday_engine::library;
use gameday_engine::run::{Run, RunConfig};
use gameday_engine::sim::{DetectionModel, SimAccount};
use std::path::PathBuf;
use std::sync::Arc;

/// The repository, where the library is.
pub(crate) fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The events of a game day of the library's `scenario` as run `run_id`, started at
/// `start` (RFC 3339) with `seed`, the autopilot responding if `autopilot`; and the
/// journal's lines of them.
pub(crate) fn game_day(
    scenario: &str,
    seed: u64,
    run_id: &str,
    start: &str,
    autopilot: bool,
) -> (Vec<Event>, Vec<String>) {
    let root = repo();
    let checked = library::load_checked(
        &root.join("scenarios").join(format!("{scenario}.yaml")),
        &root.join("runbooks"),
    )
    .unwrap_or_else(|d| panic!("{d}"));
    let plan = library::resolve(
        &checked.scenario.value,
        checked.runbook.as_ref().map(|r| &r.value),
        run_id,
        &Default::default(),
    )
    .unwrap();
    let start = chrono::DateTime::parse_from_rfc3339(start)
        .unwrap()
        .with_timezone(&chrono::Utc);
    let clock = Arc::new(Clock::virtual_at(start));
    let sim = SimAccount::new(seed, Arc::new(DetectionModel::builtin()), clock.clone());
    let mut journal = Journal::memory();
    let config = RunConfig {
        seed,
        autopilot: autopilot.then(AutopilotConfig::default),
        ..RunConfig::default()
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let finished = rt
        .block_on(Run::new(&plan, &sim, &clock, &mut journal, config).execute())
        .unwrap();
    (finished.events, journal.lines().to_vec())
}
