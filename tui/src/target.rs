//! `gameday target list` and `gameday target check`: the targets of `gameday.yaml`, and
//! the preflight a game day on AWS must pass, run on its own.

use crate::cli::TargetCommand;
use crate::commands::{self, BAD_INPUT};
use gameday_engine::aws::{self, PreflightError};
use gameday_engine::config::{self, ConfigError};

/// Runs a `gameday target` command.
pub fn run(cmd: TargetCommand) -> i32 {
    match cmd {
        TargetCommand::List { config } => list(config.config.as_deref()),
        TargetCommand::Check {
            name,
            config,
            region,
        } => check(&name, config.config.as_deref(), region.as_deref()),
    }
}

fn read(explicit: Option<&std::path::Path>) -> Result<(std::path::PathBuf, config::Config), i32> {
    config::read(explicit, std::path::Path::new(".")).map_err(|e| {
        eprintln!("{}", error_text(&e));
        BAD_INPUT
    })
}

fn error_text(e: &ConfigError) -> String {
    match e {
        ConfigError::Invalid(d) => d.to_string(),
        other => format!("error: {other}"),
    }
}

fn list(explicit: Option<&std::path::Path>) -> i32 {
    let (file, config) = match read(explicit) {
        Ok(c) => c,
        Err(code) => return code,
    };
    println!("{}:", file.display());
    println!("  sim        the built-in simulator (account 111122223333, us-east-1)");
    for t in &config.targets {
        let how = match (&t.profile, &t.assume_role) {
            (_, Some(r)) => format!("assumes {}", r.arn),
            (Some(p), None) => format!("profile {p}"),
            (None, None) => "the standard credential chain".to_owned(),
        };
        println!(
            "  {:<10} aws, {}; regions {}; accounts {}{}",
            t.name,
            how,
            t.regions.join(", "),
            t.allowlist(),
            t.endpoint_url
                .as_deref()
                .map(|u| format!("; endpoint {u}"))
                .unwrap_or_default()
        );
    }
    0
}

fn check(name: &str, explicit: Option<&std::path::Path>, region: Option<&str>) -> i32 {
    let (file, config) = match read(explicit) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let target = match config.target(name, &file) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{}", error_text(&e));
            return BAD_INPUT;
        }
    };
    let region = region
        .map(str::to_owned)
        .or_else(|| target.regions.first().cloned())
        .unwrap_or_default();
    if !target.regions.contains(&region) {
        eprintln!(
            "error: --region {region}: target `{name}` runs in {} only",
            target.regions.join(", ")
        );
        return BAD_INPUT;
    }
    let runtime = match commands::runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    match runtime.block_on(aws::preflight(target, &region)) {
        Ok(p) => {
            println!("target {name} ({region})");
            println!("  caller:   {}", p.identity.arn);
            println!(
                "  account:  {} (on the allowlist: {})",
                p.identity.account,
                target.allowlist()
            );
            match p.skew {
                Some(s) => println!(
                    "  clock:    AWS is {:+.1} s from this machine",
                    s.num_milliseconds() as f64 / 1000.0
                ),
                None => println!("  clock:    the endpoint sent no Date header; skew not measured"),
            }
            for (alarm, state) in &p.stop_alarms {
                println!("  stop alarm {alarm}: {state}");
            }
            println!("ok: a game day may start");
            0
        }
        Err(
            e @ (PreflightError::NotAllowed { .. }
            | PreflightError::StopAlarm(_)
            | PreflightError::MissingStopAlarm(..)),
        ) => {
            eprintln!("error: target {name}: {e}");
            BAD_INPUT
        }
        Err(e) => {
            eprintln!("error: target {name}: {e}");
            3
        }
    }
}
