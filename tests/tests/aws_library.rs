//! Every library scenario as a game day on the emulator, with the autopilot responding and
//! the test playing the detectors: each passes, each measured time to detect is the
//! injected delay (within a second), and nothing the run tagged is left behind.

use gameday_tests::aws_run::{self, DELAY};
use gameday_tests::moto::Moto;
use serde_json::Value;

/// Runs `scenario` on a fresh emulator and checks the whole game day.
#[allow(clippy::panic)]
fn game_day(scenario: &str) {
    let moto = Moto::start();
    moto.detector();
    for alarm in aws_run::library_alarms() {
        moto.put_alarm(&alarm);
    }
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    aws_run::config(dir.path(), &moto.url(), "");
    let mut child = aws_run::spawn_run(dir.path(), scenario, &[]);
    let runs = dir.path().join("runs");
    let (played, status) = aws_run::play(
        &moto,
        &runs,
        &mut child,
        std::time::Duration::from_secs(240),
    );
    let err =
        std::fs::read_to_string(dir.path().join(format!("{scenario}.err"))).unwrap_or_default();
    let status = status.unwrap_or_else(|| panic!("{scenario} did not finish in 240 s:\n{err}"));
    assert_eq!(status.code(), Some(0), "{scenario} did not pass:\n{err}");
    let events = aws_run::events(&runs);
    let started = &events[0];
    assert_eq!(started["target"]["kind"], "aws");
    assert_eq!(started["target"]["account_id"], "123456789012");
    let met: Vec<&Value> = events
        .iter()
        .filter(|e| e["event"] == "detection_met")
        .collect();
    assert_eq!(
        met.len(),
        played.injected.len(),
        "{scenario}: every injected detection is met"
    );
    for m in met {
        let id = m["id"].as_str().unwrap_or_default();
        let ttd = m["ttd_ms"].as_i64().unwrap_or(i64::MAX);
        let want = DELAY.as_millis() as i64;
        assert!(
            (ttd - want).abs() <= 1000,
            "{scenario}: {id} measured {ttd} ms, injected {want} ms"
        );
    }
    let last = events.last().cloned().unwrap_or_default();
    assert_eq!(last["event"], "run_ended");
    assert_eq!(last["outcome"], "passed", "{scenario}: {last}");
    let cleanup = events
        .iter()
        .find(|e| e["event"] == "cleanup_finished")
        .cloned()
        .unwrap_or_default();
    assert_eq!(cleanup["failed"], 0, "{scenario}: {cleanup}");
    let left = aws_run::tagged(&moto);
    assert!(left.is_empty(), "{scenario} left behind: {left:?}");
}

macro_rules! scenarios {
    ($($name:ident => $id:literal),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                game_day($id);
            }
        )*

        #[test]
        fn every_library_scenario_is_tested_here() {
            let mut listed = vec![$($id),*];
            listed.sort_unstable();
            let library: Vec<String> = gameday_tests::library_scenarios()
                .iter()
                .filter_map(|p| p.file_stem().and_then(|s| s.to_str()).map(str::to_owned))
                .collect();
            assert_eq!(listed, library);
        }
    };
}

scenarios! {
    access_key_backdoor => "access-key-backdoor",
    cloudtrail_stopped => "cloudtrail-stopped",
    compromised_access_key => "compromised-access-key",
    denied_call_burst => "denied-call-burst",
    malicious_ip_caller => "malicious-ip-caller",
    new_admin_user => "new-admin-user",
    password_policy_weakened => "password-policy-weakened",
    public_bucket => "public-bucket",
    snapshot_shared => "snapshot-shared",
    ssh_open_to_world => "ssh-open-to-world",
}
