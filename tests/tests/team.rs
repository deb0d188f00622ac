//! A game day played by a team, each at a console of their own in a real terminal
//! (tmux): the host facilitates, a responder joins through the run directory, an
//! observer over TCP with the token; and what each of them did, in the journal and the
//! report. A joiner killed changes nothing for the others; the host killed leaves a
//! journal that `gameday cleanup --run` completes.

#![allow(clippy::unwrap_used, clippy::panic)]

use gameday_tests::tmux::{Session, panel, row};
use gameday_tests::{gameday, journal, run, stdout};
use serde_json::Value;
use std::path::{Path, PathBuf};

const WIDTH: u16 = 160;
const HEIGHT: u16 = 40;
const STEP: &str = "Deactivate the access key";

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The host's console, facilitating, once it shows how others join: the session, the
/// run directory, and the address and token for TCP.
fn host(runs: &Path, listen: bool) -> (Session, PathBuf, Option<(String, String)>) {
    let mut command = gameday();
    command.args([
        "console",
        "compromised-access-key",
        "--seed",
        "1",
        "--speed",
        "30",
    ]);
    command.args(["--as", "fay", "--runs-dir", s(runs)]);
    if listen {
        command.args(["--listen", "127.0.0.1:0"]);
    }
    let console = Session::start(&command, WIDTH, HEIGHT);
    let screen = console.wait_for("how others join", |screen| screen.contains("others join:"));
    let run_dir = std::fs::read_dir(runs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.is_dir())
        .unwrap();
    let tcp = listen.then(|| {
        let words: Vec<&str> = screen.split_whitespace().collect();
        let at = words.iter().position(|w| *w == "--token").unwrap();
        (
            words[at - 1].to_owned(),
            words[at + 1].trim_end_matches('…').to_owned(),
        )
    });
    (console, run_dir, tcp)
}

/// The console's header: its first two rows.
fn header(screen: &str) -> String {
    screen.lines().take(2).collect::<Vec<_>>().join("\n")
}

/// Kills the program in `session` with SIGKILL: no clean-up, no goodbye.
fn sigkill(session: &Session) {
    let pid = session.program_pid().unwrap();
    let killed = std::process::Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
}

fn join(place: &str, args: &[&str]) -> Session {
    let mut command = gameday();
    command.args(["join", place]).args(args);
    Session::start(&command, WIDTH, HEIGHT)
}

/// The events of kind `kind`.
fn of<'a>(events: &'a [Value], kind: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["event"] == kind).collect()
}

#[test]
fn a_facilitator_a_responder_and_an_observer_play_one_game_day() {
    let runs = tempfile::tempdir().unwrap();
    let (fay, run_dir, tcp) = host(runs.path(), true);
    let (addr, token) = tcp.unwrap();
    let ana = join(s(&run_dir), &["--as", "ana"]);
    let obi = join(
        &addr,
        &["--as", "obi", "--role", "observer", "--token", &token],
    );
    let ben = join(s(&run_dir), &["--as", "ben"]);
    ana.wait_for("ana joined", |sc| sc.contains("joined as ana (responder)"));
    ben.wait_for("ben joined", |sc| sc.contains("joined as ben (responder)"));
    obi.wait_for("obi joined", |sc| sc.contains("joined as obi (observer)"));

    // A wrong token is refused, and says so.
    let eve = join(&addr, &["--as", "eve", "--token", "0123"]);
    let (status, screen) = eve.wait_exit();
    assert_eq!(status, 2, "{screen}");
    assert!(screen.contains("wrong token"), "{screen}");

    // The observer's action keys are refused.
    obi.send(&["a"]);
    obi.wait_for("the observer told off", |sc| {
        sc.contains("you are an observer")
    });

    // The facilitator's pause shows on the others' screens, and so does the speed.
    ana.wait_for("the host's speed", |sc| header(sc).contains(" x30"));
    fay.send(&["p"]);
    ana.wait_for("the pause", |sc| header(sc).contains("PAUSED"));
    fay.send(&["p"]);
    ana.wait_for("the clock running again", |sc| {
        !header(sc).contains("PAUSED")
    });

    // The join command, token and all, stays in the host's help once the message is gone.
    fay.send(&["?"]);
    fay.wait_for("the help with the token", |sc| {
        panel(sc, "Keys").is_some_and(|rows| rows.join("\n").contains(&format!("--token {token}")))
    });
    fay.send(&["Escape"]);

    // The facilitator's inject reaches both others; the responder answers it.
    fay.send(&["I"]);
    fay.wait_for("the inject dialog", |sc| {
        panel(sc, "Inject for the team").is_some()
    });
    fay.send(&["-l", "Legal asks whether customer data left"]);
    fay.send(&["Enter"]);
    for c in [&ana, &obi] {
        c.wait_for("the inject", |sc| {
            sc.contains("inject live-1 to the team, from fay")
        });
    }
    ana.send(&["n"]);
    ana.wait_for("the note dialog", |sc| {
        panel(sc, "Note for the journal").is_some()
    });
    ana.send(&["-l", "no customer data left"]);
    ana.send(&["Enter"]);
    fay.wait_for("the answer", |sc| {
        sc.contains("ana: note, answering live-1")
    });

    // A second responder's console killed mid-game: the game day goes on for the others.
    sigkill(&ben);
    fay.wait_for("ben gone", |sc| sc.contains("ben left"));

    // The responder acknowledges and contains.
    let detection = |sc: &str| row(sc, "Expectations", "detect  guardduty-pentest");
    ana.wait_for("the detection", |sc| {
        detection(sc).is_some_and(|l| l.contains("a: acknowledge") || l.contains("a:…"))
    });
    ana.send(&["a"]);
    ana.wait_for("ana's acknowledgement", |sc| {
        detection(sc).is_some_and(|l| l.ends_with(" ack"))
    });
    ana.select_step(STEP);
    ana.send(&["r"]);
    ana.wait_for("the confirmation, with the account", |sc| {
        panel(sc, "Run this action?")
            .is_some_and(|rows| rows.join("\n").contains("account 111122223333"))
    });
    ana.send(&["y"]);
    for c in [&fay, &ana, &obi] {
        c.wait_for("the containment", |sc| {
            row(sc, "Expectations", "contain key-deactivated").is_some_and(|l| l.contains('✓'))
        });
    }

    // The observer's console killed: the others go on.
    sigkill(&obi);
    fay.wait_for("obi gone", |sc| sc.contains("obi left"));

    // The facilitator ends the exercise; the responder sees the result.
    fay.send(&["e"]);
    fay.wait_for("the end dialog", |sc| {
        panel(sc, "End the exercise?").is_some()
    });
    fay.send(&["y"]);
    for c in [&fay, &ana] {
        c.wait_for("the result", |sc| sc.contains("Run passed"));
        c.send(&["q"]);
    }
    assert_eq!(fay.wait_exit().0, 0);
    assert_eq!(ana.wait_exit().0, 0);

    let events = journal(&run_dir);
    let joined: Vec<(&str, &str, bool)> = of(&events, "participant_joined")
        .iter()
        .map(|e| {
            let via = e["via"].as_str().unwrap();
            (
                e["name"].as_str().unwrap(),
                e["role"].as_str().unwrap(),
                via.starts_with("127.0.0.1:"),
            )
        })
        .collect();
    for want in [
        ("fay", "facilitator", false),
        ("ana", "responder", false),
        ("obi", "observer", true),
    ] {
        assert!(joined.contains(&want), "{want:?} in {joined:?}");
    }
    let refused = of(&events, "join_refused");
    assert!(
        refused.iter().any(|e| e["reason"] == "wrong token"),
        "{refused:?}"
    );
    let inject = of(&events, "inject_sent");
    assert_eq!(
        (inject[0]["id"].as_str(), inject[0]["who"].as_str()),
        (Some("live-1"), Some("fay"))
    );
    assert!(
        of(&events, "note_added")
            .iter()
            .any(|e| e["who"] == "ana" && e["answers"] == "live-1")
    );
    let acks = of(&events, "detection_acknowledged");
    assert!(
        acks.iter().all(|e| e["who"] == "ana"),
        "only ana acknowledged: {acks:?}"
    );
    assert!(!acks.is_empty());
    let actions = of(&events, "responder_action");
    assert!(
        actions.iter().any(|e| e["who"] == "ana" && e["ok"] == true),
        "{actions:?}"
    );
    assert!(actions.iter().all(|e| e["who"] == "ana"), "{actions:?}");
    assert!(
        of(&events, "participant_left")
            .iter()
            .any(|e| e["name"] == "obi")
            && of(&events, "participant_left")
                .iter()
                .any(|e| e["name"] == "ben")
    );
    assert_eq!(events.last().unwrap()["outcome"], "passed");

    // The report says who did what.
    let html = std::fs::read_to_string(run_dir.join("report.html")).unwrap();
    for want in [
        "Participants",
        "ana",
        "fay",
        "obi",
        "live-1",
        "no customer data left",
    ] {
        assert!(html.contains(want), "report.html names {want}");
    }
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(run_dir.join("report.json")).unwrap())
            .unwrap();
    let people = json["runs"][0]["participants"].as_array().unwrap();
    let ana_row = people.iter().find(|p| p["name"] == "ana").unwrap();
    assert_eq!(ana_row["actions"], 1);
    assert!(
        ana_row["acknowledgements"][0]["tta_seconds"]
            .as_f64()
            .is_some()
    );
    assert!(
        json["runs"][0]["injects"][0]["answer"]["after_seconds"]
            .as_f64()
            .is_some()
    );
}

#[test]
fn the_host_killed_leaves_a_journal_that_cleanup_completes() {
    let runs = tempfile::tempdir().unwrap();
    let (fay, run_dir, _) = host(runs.path(), false);
    let ana = join(s(&run_dir), &["--as", "ana"]);
    ana.wait_for("ana joined", |sc| sc.contains("joined as ana"));
    ana.wait_for("the attack", |sc| sc.contains("attack phase"));
    sigkill(&fay);
    ana.wait_for("the host gone", |sc| sc.contains("the host has gone"));
    ana.send(&["q"]);
    assert_eq!(ana.wait_exit().0, 0);
    // On the simulator the account died with the host; the journal says what was done
    // and by whom, and cleanup says there is nothing left to revert.
    let out = run(&["cleanup", "--run", s(&run_dir)]);
    let said = format!("{}{}", stdout(&out), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{said}");
    assert!(said.contains("nothing to clean up"), "{said}");
    assert!(
        !run_dir.join("console.sock").exists(),
        "the dead host's socket is removed"
    );
    let events = journal(&run_dir);
    assert!(of(&events, "run_ended").is_empty(), "the run was cut short");
    let joined = of(&events, "participant_joined");
    assert!(joined.iter().any(|e| e["name"] == "fay"), "{joined:?}");
}
