//! What the contract tests share: a target pointing at the emulator, its SDK
//! configuration with the emulator's test credentials, and the error kind of a result.

use crate::moto::Moto;
use gameday_engine::config::{RetryMode, Target, TargetKind};
use gameday_engine::sandbox::{ErrorKind, Result};

/// A target on the emulator's default account, in us-east-1.
pub fn target(moto: &Moto) -> Target {
    Target {
        name: "contract".into(),
        kind: TargetKind::Aws,
        profile: None,
        assume_role: None,
        regions: vec!["us-east-1".into()],
        allowed_accounts: vec!["123456789012".into()],
        endpoint_url: Some(moto.url()),
        stop_alarms: Vec::new(),
        name_prefix: "gameday".into(),
        tags: Default::default(),
        attacker_ip: None,
        retry_mode: RetryMode::Standard,
        max_attempts: 2,
        poll: Default::default(),
        push: false,
        push_wait: gameday_engine::duration::Duration::from_secs(20),
        commands: Default::default(),
    }
}

/// The SDK configuration of [`target`], with the emulator's fixed test credentials.
pub async fn config(moto: &Moto) -> gameday_engine::aws::SdkConfig {
    gameday_engine::aws::sdk_config_as(&target(moto), "us-east-1", None, "testing", "testing").await
}

/// The kind of the error `r` must be.
#[allow(clippy::panic)]
pub fn kind<T: std::fmt::Debug>(r: Result<T>) -> ErrorKind {
    match r {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => e.kind,
    }
}
