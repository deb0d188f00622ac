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

/// The plan of a run `run_id` of the library's compromised-access-key.
fn plan(run_id: &str) -> library::Plan {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let checked = library::load_checked(
        &root.join("scenarios/compromised-access-key.yaml"),
        &root.join("runbooks"),
    )
    .unwrap_or_else(|d| panic!("{d}"));
    library::resolve(
        &checked.scenario.value,
        checked.runbook.as_ref().map(|r| &r.value),
        run_id,
        &Default::default(),
    )
    .unwrap()
}

/// A simulated account on a real clock 2000 times faster (a game minute is 30 ms).
fn fast_account() -> (Arc<Clock>, SimAccount) {
    let clock = Arc::new(Clock::new(
        ClockMode::Real { speed: 2000.0 },
        chrono::Utc::now(),
    ));
    let sim = SimAccount::new(3, Arc::new(DetectionModel::builtin()), clock.clone());
    (clock, sim)
}

#[tokio::test]
async fn a_responders_commands_are_journaled_and_the_exercise_lasts_until_it_is_ended() {
    let plan = plan("console1");
    let (clock, sim) = fast_account();
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
                        .send(
                            Command::Acknowledge {
                                detection: id.clone(),
                            }
                            .into(),
                        )
                        .unwrap();
                    cmd_tx
                        .send(
                            Command::Note {
                                text: "owner paged".into(),
                                answers: None,
                            }
                            .into(),
                        )
                        .unwrap();
                    cmd_tx
                        .send(
                            Command::RunAction {
                                step: "deactivate-key".into(),
                            }
                            .into(),
                        )
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
                        .send(
                            Command::TickStep {
                                step: "scope-activity".into(),
                            }
                            .into(),
                        )
                        .unwrap();
                    cmd_tx.send(Command::End.into()).unwrap();
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
        &|b| matches!(b, Body::DetectionAcknowledged { id, by: Actor::Responder, who: None } if id == "guardduty-pentest"),
    );
    let note = find(
        &|b| matches!(b, Body::NoteAdded { text, by: Actor::Responder, who: None, .. } if text == "owner paged"),
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

/// A team: orders carry who gave them; the run takes them only from people who joined,
/// as their role allows; the scenario's injects go out when due and the facilitator's
/// live ones at once; a note answering an inject names it.
#[tokio::test]
async fn a_teams_orders_are_journaled_with_their_person_and_checked_against_their_role() {
    use gameday_engine::team::{Order, Role};
    let mut plan = plan("team1");
    plan.scenario.injects = two_injects();
    let (clock, sim) = fast_account();
    let mut journal = Journal::memory();
    let (ev_tx, mut ev_rx) = tokio::sync::mpsc::unbounded_channel();
    let (tx, cmd_rx) = tokio::sync::mpsc::unbounded_channel::<Order>();
    let joined = |name: &str, role| Command::Joined {
        name: name.into(),
        role,
        via: "test".into(),
    };
    for (name, role) in [
        ("fay", Role::Facilitator),
        ("ana", Role::Responder),
        ("obi", Role::Observer),
    ] {
        tx.send(joined(name, role).into()).unwrap();
    }
    let run = Run::new(&plan, &sim, &clock, &mut journal, RunConfig::default())
        .observe(ev_tx)
        .commands(cmd_rx)
        .execute();
    let team = async {
        while let Some(e) = ev_rx.recv().await {
            match &e.body {
                Body::DetectionMet { id, .. } => {
                    let ack = |who| {
                        Order::by(
                            who,
                            Command::Acknowledge {
                                detection: id.clone(),
                            },
                        )
                    };
                    tx.send(ack("ana")).unwrap();
                    tx.send(ack("obi")).unwrap(); // an observer cannot act
                    tx.send(ack("mallory")).unwrap(); // never joined
                    tx.send(Order::by("ana", Command::End)).unwrap(); // not hers to end
                    // Someone posing as the host, joining themselves as facilitator.
                    tx.send(Order::by("obi", joined("obi", Role::Facilitator)))
                        .unwrap();
                    let act = Command::RunAction {
                        step: "deactivate-key".into(),
                    };
                    tx.send(Order::by("ana", act)).unwrap();
                    let inject = Command::Inject {
                        text: "Press on line 2".into(),
                        to: Some(Role::Commander),
                        answer: false,
                    };
                    tx.send(Order::by("fay", inject)).unwrap();
                }
                Body::InjectSent {
                    id, answer: true, ..
                } => {
                    let note = Command::Note {
                        text: "no customer data".into(),
                        answers: Some(id.clone()),
                    };
                    tx.send(Order::by("ana", note)).unwrap();
                }
                Body::ContainmentMet { .. } => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    tx.send(Order::by("fay", Command::End)).unwrap();
                }
                _ => {}
            }
        }
    };
    let (finished, ()) = tokio::join!(run, team);
    let events = finished.unwrap().events;
    let bodies: Vec<&Body> = events.iter().map(|e| &e.body).collect();
    let acks: Vec<_> = bodies
        .iter()
        .filter_map(|b| match b {
            Body::DetectionAcknowledged { who, .. } => Some(who.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(acks, [Some("ana".to_owned())], "only ana's counts");
    assert!(bodies.iter().any(|b| matches!(b,
        Body::ResponderAction { who: Some(w), ok: true, .. } if w == "ana")));
    let joins: Vec<_> = bodies
        .iter()
        .filter_map(|b| match b {
            Body::ParticipantJoined { name, role, .. } => Some((name.as_str(), *role)),
            _ => None,
        })
        .collect();
    assert_eq!(
        joins,
        [
            ("fay", Role::Facilitator),
            ("ana", Role::Responder),
            ("obi", Role::Observer)
        ]
    );
    let injects: Vec<_> = events
        .iter()
        .filter_map(|e| match &e.body {
            Body::InjectSent { id, who, to, .. } => Some((id.as_str(), who.clone(), *to, e.t_ms)),
            _ => None,
        })
        .collect();
    let ids: Vec<_> = injects.iter().map(|i| i.0).collect();
    assert!(ids.contains(&"legal") && ids.contains(&"live-1"), "{ids:?}");
    let contained = events
        .iter()
        .position(|e| matches!(e.body, Body::ContainmentMet { .. }))
        .unwrap();
    let after = events
        .iter()
        .position(|e| matches!(&e.body, Body::InjectSent { id, .. } if id == "after"))
        .expect("the inject waiting for the containment was sent");
    assert!(contained < after);
    let live = injects.iter().find(|i| i.0 == "live-1").unwrap();
    assert_eq!(
        (live.1.as_deref(), live.2),
        (Some("fay"), Some(Role::Commander))
    );
    let watch_start = events
        .iter()
        .find(|e| {
            matches!(
                e.body,
                Body::PhaseStarted {
                    phase: RunPhase::Watch
                }
            )
        })
        .unwrap()
        .t_ms;
    let legal = injects.iter().find(|i| i.0 == "legal").unwrap();
    assert!(
        legal.3 >= watch_start + 60_000,
        "`at: 1m` after the watch began"
    );
    assert!(bodies.iter().any(|b| matches!(b,
        Body::NoteAdded { who: Some(w), answers: Some(a), .. } if w == "ana" && a == "legal")));
    match &events.last().unwrap().body {
        Body::RunEnded { outcome, .. } => assert_eq!(*outcome, Outcome::Passed),
        other => panic!("the run ends with run_ended, not {other:?}"),
    }
}

/// Two injects: one a minute into the watch asking for an answer, one after containment.
fn two_injects() -> Vec<gameday_engine::scenario::Inject> {
    serde_json::from_value(serde_json::json!([
        {"id": "legal", "message": "Legal asks whether customer data left", "at": "1m", "answer": true},
        {"id": "after", "message": "The CISO wants a summary", "after": "key-deactivated", "to": "commander"}
    ]))
    .unwrap()
}
