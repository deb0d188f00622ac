//! Hardening on the emulator, probed as a careless operator or an attacker would: a dry
//! run of clean-up changes nothing, a signal ends a run in the middle of a long wait, a
//! copy of a live run's folder cannot be cleaned up under it, a create whose answer cannot
//! be read is swept by tag and leaks no secret, and parameters are text whose names are
//! checked before a single call. The account is checked with boto3, not through
//! gameday's own code.

use gameday_tests::aws_run;
use gameday_tests::proxy::{Proxy, ProxyConfig};
use std::path::Path;
use std::time::Duration;

fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn cleanup(dir: &Path, run: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["cleanup", "--run", run.to_str().expect("utf-8")];
    args.extend(extra);
    aws_run::command(dir, &args).output().expect("cleanup")
}

#[test]
fn a_dry_run_of_cleanup_makes_no_change_and_writes_nothing() {
    let moto = aws_run::library_emulator();
    let dir = tempfile::tempdir().expect("tempdir");
    aws_run::config(dir.path(), &moto.url(), "");
    let runs = dir.path().join("runs");
    let mut child = aws_run::spawn_run(dir.path(), "compromised-access-key", &[]);
    aws_run::wait_for(&runs, &mut child, Duration::from_secs(120), |e| {
        aws_run::phase(e, "watch")
    });
    let _ = child.kill();
    let _ = child.wait();
    let run = aws_run::run_dirs(&runs).remove(0);
    let before = aws_run::snapshot(&run);
    let left = aws_run::tagged(&moto);
    assert!(!left.is_empty(), "the killed run left its user: {left:?}");

    moto.record();
    let out = cleanup(dir.path(), &run, &["--dry-run"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("would"), "{}", text(&out));
    let changing: Vec<_> = moto
        .recorded()
        .into_iter()
        .filter(aws_run::changes)
        .collect();
    assert!(changing.is_empty(), "a dry run changed: {changing:?}");
    assert_eq!(
        aws_run::snapshot(&run),
        before,
        "the run directory is as it was"
    );
    assert_eq!(aws_run::tagged(&moto), left, "the account is as it was");

    // The clean-up itself then removes everything the dry run listed.
    let out = cleanup(dir.path(), &run, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(aws_run::tagged(&moto), Vec::<String>::new());
}

#[test]
fn sigterm_in_a_long_wait_ends_the_run_at_once_and_a_copy_of_it_is_not_cleaned() {
    let moto = aws_run::library_emulator();
    let dir = tempfile::tempdir().expect("tempdir");
    aws_run::config(dir.path(), &moto.url(), "");
    let runs = dir.path().join("runs");
    // The library's five-minute settle wait, as shipped.
    let mut child = aws_run::spawn_run(
        dir.path(),
        "malicious-ip-caller",
        &["--param", "list_settle=5m"],
    );
    aws_run::wait_for(&runs, &mut child, Duration::from_secs(120), |e| {
        e["event"] == "step_completed" && e["step"] == "threat-list"
    });
    let live = aws_run::run_dirs(&runs).remove(0);
    let left = aws_run::tagged(&moto);
    assert!(!left.is_empty(), "setup made the run's resources");

    // A copy of the live run's folder (a synced folder, a CI artefact) is refused.
    let copy_root = dir.path().join("copied");
    let copy = copy_root.join(live.file_name().expect("name"));
    std::fs::create_dir_all(&copy).expect("copy dir");
    for (rel, bytes) in aws_run::snapshot(&live) {
        std::fs::write(copy.join(rel), bytes).expect("copy");
    }
    for extra in [&[][..], &["--dry-run"][..]] {
        let out = cleanup(dir.path(), &copy, extra);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {}", text(&out));
        assert!(
            text(&out).contains("still in progress"),
            "{extra:?}: {}",
            text(&out)
        );
    }
    assert_eq!(
        aws_run::tagged(&moto),
        left,
        "the live run's resources stand"
    );

    // SIGTERM in the middle of the wait: the run ends within seconds, cleaned up.
    std::thread::sleep(Duration::from_millis(500));
    aws_run::terminate(&child);
    let ended = aws_run::wait_at_most(&mut child, Duration::from_secs(60));
    let (code, took) = ended.expect("the run ended");
    let err =
        std::fs::read_to_string(dir.path().join("malicious-ip-caller.err")).unwrap_or_default();
    assert_eq!(code, Some(3), "{err}");
    assert!(
        took <= Duration::from_secs(5),
        "the run took {took:?} to end after SIGTERM: {err}"
    );
    let events = aws_run::events(&runs);
    let finished = events
        .iter()
        .find(|e| e["event"] == "cleanup_finished")
        .cloned()
        .unwrap_or_default();
    assert_eq!(finished["failed"], 0, "{finished}");
    assert_eq!(finished["remaining"], serde_json::json!([]), "{finished}");
    assert_eq!(aws_run::tagged(&moto), Vec::<String>::new());
}

#[test]
fn a_create_whose_answer_cannot_be_read_is_swept_and_no_secret_is_written() {
    let moto = aws_run::library_emulator();
    let proxy = Proxy::start(ProxyConfig {
        upstream: moto.port,
        fault_rate: 0.0,
        seed: 1,
        garble: Some("CreateAccessKey"),
    });
    let dir = tempfile::tempdir().expect("tempdir");
    aws_run::config(dir.path(), &proxy.url(), "");
    let runs = dir.path().join("runs");
    let mut child = aws_run::spawn_run(dir.path(), "compromised-access-key", &[]);
    let ended = aws_run::wait_at_most(&mut child, Duration::from_secs(120));
    let out =
        std::fs::read_to_string(dir.path().join("compromised-access-key.out")).unwrap_or_default();
    let err =
        std::fs::read_to_string(dir.path().join("compromised-access-key.err")).unwrap_or_default();
    let (code, _) = ended.unwrap_or_else(|| {
        let events = aws_run::events(&runs);
        panic!("the run did not end: {out}{err}{events:?}")
    });
    assert_eq!(code, Some(3), "setup failed: {out}{err}");
    // The key was made, though gameday could not read that it was: the sweep by the
    // run's tag removed it with its user.
    let keys = moto.python_output(
        "import boto3\niam = boto3.client('iam')\nprint(sum(len(iam.list_access_keys(UserName=u['UserName'])['AccessKeyMetadata']) for u in iam.list_users()['Users']))",
    );
    assert_eq!(keys.trim(), "0", "no access key is left");
    assert_eq!(aws_run::tagged(&moto), Vec::<String>::new());
    let events = aws_run::events(&runs);
    let finished = events
        .iter()
        .find(|e| e["event"] == "cleanup_finished")
        .cloned()
        .unwrap_or_default();
    assert_eq!(finished["remaining"], serde_json::json!([]), "{finished}");
    // The secret the emulator sent is nowhere gameday wrote, nor anything shaped like one.
    let secrets: Vec<String> = proxy
        .requests()
        .iter()
        .filter(|x| x.action == "CreateAccessKey")
        .filter_map(|x| {
            let b = x.response_body.split("<SecretAccessKey>").nth(1)?;
            Some(b.split('<').next()?.to_owned())
        })
        .collect();
    assert!(!secrets.is_empty(), "the emulator made a key");
    for (file, bytes) in aws_run::snapshot(dir.path()) {
        let text = String::from_utf8_lossy(&bytes);
        for s in &secrets {
            assert!(!text.contains(s.as_str()), "{file} holds the new secret");
        }
        let shaped = gameday_engine::secrets::found_in(&text);
        assert!(shaped.is_empty(), "{file}: {shaped:?}");
    }
    let report =
        std::fs::read_to_string(aws_run::run_dirs(&runs)[0].join("report.md")).expect("report.md");
    assert!(
        report.contains("CreateAccessKey") || report.contains("create_access_key"),
        "{report}"
    );
}

#[test]
fn parameters_are_text_and_names_are_checked_before_any_call() {
    let moto = aws_run::library_emulator();
    let dir = tempfile::tempdir().expect("tempdir");
    aws_run::config(dir.path(), &moto.url(), "");
    let library = gameday_tests::repo();
    for (param, says) in [
        ("user_name=bad/name<x>\u{1b}[2J", "--param user_name"),
        ("user_name=${steps.key.access_key_id}", "--param user_name"),
        ("user_name=${nope", "--param user_name"),
        ("user_name=someone-else", "--param user_name"),
    ] {
        moto.record();
        let out = aws_run::command(
            dir.path(),
            &[
                "run",
                "compromised-access-key",
                "--library",
                library.to_str().expect("utf-8"),
                "--target",
                "moto",
                "--autopilot",
                "--param",
                param,
            ],
        )
        .output()
        .expect("gameday run");
        assert_eq!(out.status.code(), Some(2), "{param}: {}", text(&out));
        assert!(text(&out).contains(says), "{param}: {}", text(&out));
        assert!(
            !text(&out).contains('\u{1b}'),
            "{param}: no escape reaches the terminal"
        );
        assert_eq!(
            moto.recorded_actions(),
            Vec::<String>::new(),
            "{param}: not a single call"
        );
    }
    assert!(!dir.path().join("runs").exists(), "no run was started");
}
