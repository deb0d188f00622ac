//! Account settings a game day changes come back exactly as the sandbox had them, on a
//! real AWS-API server on loopback (moto): after a whole run, and from the journal of a
//! run killed mid-attack (`gameday cleanup --run`).

#![allow(clippy::unwrap_used, clippy::panic)]

use gameday_engine::aws::s3::AwsS3;
use gameday_engine::sandbox::{PublicAccessBlock, S3};
use gameday_tests::aws_run;
use gameday_tests::contract::config;
use gameday_tests::moto::Moto;
use std::time::Duration;

const SCENARIO: &str = "account-block-public-access-removed";

/// The emulator account's Block Public Access, through S3 Control.
fn account_block(moto: &Moto) -> Option<PublicAccessBlock> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async { s3(moto).await.account_public_access_block().await.unwrap() })
}

async fn s3(moto: &Moto) -> AwsS3 {
    AwsS3::new(&config(moto).await, true).for_account("123456789012")
}

/// What a real team's sandbox may have besides none: the ACL half only.
fn set_partial(moto: &Moto) {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let acls_only = PublicAccessBlock {
                block_public_acls: true,
                ignore_public_acls: true,
                block_public_policy: false,
                restrict_public_buckets: false,
            };
            s3(moto)
                .await
                .put_account_public_access_block(&acls_only)
                .await
                .unwrap();
        });
}

#[test]
fn a_game_day_leaves_the_accounts_block_public_access_as_it_found_it() {
    for partial in [false, true] {
        let moto = aws_run::library_emulator();
        if partial {
            set_partial(&moto);
        }
        let before = account_block(&moto);
        let dir = tempfile::tempdir().unwrap();
        aws_run::config(dir.path(), &moto.url(), "");
        let mut child = aws_run::spawn_run(dir.path(), SCENARIO, &[]);
        let (_, status) = aws_run::play(
            &moto,
            &dir.path().join("runs"),
            &mut child,
            Duration::from_secs(300),
        );
        let err =
            std::fs::read_to_string(dir.path().join(format!("{SCENARIO}.err"))).unwrap_or_default();
        assert_eq!(status.and_then(|s| s.code()), Some(0), "{err}");
        assert_eq!(account_block(&moto), before, "partial {partial}");
    }
}

#[test]
fn a_run_killed_mid_attack_is_restored_from_its_journal() {
    let moto = aws_run::library_emulator();
    set_partial(&moto);
    let before = account_block(&moto);
    let dir = tempfile::tempdir().unwrap();
    aws_run::config(dir.path(), &moto.url(), "");
    let runs = dir.path().join("runs");
    let mut child = aws_run::spawn_run(dir.path(), SCENARIO, &[]);
    aws_run::wait_for(&runs, &mut child, Duration::from_secs(120), |e| {
        e["event"] == "step_completed" && e["step"] == "remove-account-bpa"
    });
    child.kill().unwrap();
    let _ = child.wait();
    assert_eq!(account_block(&moto), None, "the attack removed it");
    let run = aws_run::run_dirs(&runs).pop().expect("a run");
    let out = aws_run::command(dir.path(), &["cleanup", "--run", run.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(account_block(&moto), before);
}
