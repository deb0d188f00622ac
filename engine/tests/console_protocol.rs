//! The protocol the console speaks to the engine, without a terminal: events out, a
//! responder's commands in, each journaled with its time; the exercise lasts until the
//! facilitator ends it; the game clock pauses.

#![allow(clippy::unwrap_used, clippy::panic)]

use gameday_engine::autopilot::Command;
use gameday_engine::clock::{Clock, ClockMode};
use gameday_engine::event::{Actor, Body, Outcome, RunPhase};
use gameday_engine::journal::Journal;
use gameday_engine::library;
use gameday_engine::run::{Run, RunConfig};
use gameday_engine::sim::{DetectionModel, SimAccount};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[tokio::test]
async fn a_responders_commands_are_journaled_and_the_exercise_lasts_until_it_is_ended() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let checked = library::load_checked(
        &root.join("scenarios/compromised-access-key.yaml"),
        &root.join("runbooks"),
    )
    .unwrap_or_else(|d| panic!("{d}"));
    let plan = library::resolve(
        &checked.scenario.value,
        checked.runbook.as_ref().map(|r| &r.value),
        "console1",
        &Default::default(),
    )
    .unwrap();
    // 2000x: a game minute is 30 ms.
    let clock = Arc::new(Clock::new(
        ClockMode::Real { speed: 2000.0 },
        chrono::Utc::now(),
    ));
    let sim = SimAccount::new(3, Arc::new(DetectionModel::builtin()), clock.clone());
    let mut journal = Journal::memory();
    let (ev_tx, mut ev_rx) = tokio::sync::mpsc::unbounded_channel();
    let (cmd_tx, cmd_rx) = tokio::sync::mpsc::unbounded_channel();
    let run = Run::new(&plan, &sim, &clock, &mut journal, RunConfig::default())
        .observe(ev_tx)
        .commands(cmd_rx)
        .execute();
    let console = async {
        let mut contained = false;
        while let Some(e) = ev_rx.recv().await {
            match &e.body {
                Body::DetectionMet { id, .. } => {
                    cmd_tx
                        .send(Command::Acknowledge {
                            detection: id.clone(),
                        })
                        .unwrap();
                    cmd_tx
                        .send(Command::Note {
                            text: "owner paged".into(),
                        })
                        .unwrap();
                    cmd_tx
                        .send(Command::RunAction {
                            step: "deactivate-key".into(),
                        })
                        .unwrap();
                }
                Body::ContainmentMet { .. } if !contained => {
                    contained = true;
                    // Every expectation is decided; the exercise must go on until ended.
                    tokio::time::sleep(Duration::from_millis(150)).await;
                    while let Ok(e) = ev_rx.try_recv() {
                        assert!(
                            !matches!(e.body, Body::PhaseStarted { .. } | Body::RunEnded { .. }),
                            "the watch phase lasts until the responder ends it: {e:?}"
                        );
                    }
                    // A paused clock stands still.
                    clock.pause();
                    let at = clock.elapsed();
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    assert_eq!(clock.elapsed(), at);
                    clock.resume();
                    cmd_tx
                        .send(Command::TickStep {
                            step: "scope-activity".into(),
                        })
                        .unwrap();
                    cmd_tx.send(Command::End).unwrap();
                }
                _ => {}
            }
        }
        contained
    };
    let (finished, contained) = tokio::join!(run, console);
    assert!(contained);
    let events = finished.unwrap().events;
    let find = |pick: &dyn Fn(&Body) -> bool| {
        events
            .iter()
            .position(|e| pick(&e.body))
            .unwrap_or_else(|| panic!("missing event"))
    };
    let met = find(&|b| matches!(b, Body::DetectionMet { .. }));
    let ack = find(
        &|b| matches!(b, Body::DetectionAcknowledged { id, by: Actor::Responder } if id == "guardduty-pentest"),
    );
    let note = find(
        &|b| matches!(b, Body::NoteAdded { text, by: Actor::Responder } if text == "owner paged"),
    );
    let action = find(
        &|b| matches!(b, Body::ResponderAction { by: Actor::Responder, runbook_step, ok: true, .. } if runbook_step == "deactivate-key"),
    );
    let contain = find(&|b| matches!(b, Body::ContainmentMet { .. }));
    let tick = find(
        &|b| matches!(b, Body::RunbookStepDone { step, by: Actor::Responder, .. } if step == "scope-activity"),
    );
    let cleanup = find(&|b| {
        matches!(
            b,
            Body::PhaseStarted {
                phase: RunPhase::Cleanup
            }
        )
    });
    assert!(met < ack && ack < note && note < action && action < contain);
    assert!(
        contain < tick && tick < cleanup,
        "the exercise went on until ended"
    );
    for w in events.windows(2) {
        assert!(
            w[0].t_ms <= w[1].t_ms && w[0].at <= w[1].at,
            "times in order"
        );
    }
    match &events.last().unwrap().body {
        Body::RunEnded { outcome, .. } => assert_eq!(*outcome, Outcome::Passed),
        other => panic!("the run ends with run_ended, not {other:?}"),
    }
}
