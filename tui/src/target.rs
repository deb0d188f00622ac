//! `gameday target list` and `gameday target check`: the targets of `gameday.yaml`, and
//! the preflight a game day on AWS must pass, run on its own.

use crate::assembly;
use crate::cli::TargetCommand;
use crate::exit::Exit;
use crate::place::{aws_target, config_error, preflight_exit};
use gameday_engine::config::mask_userinfo;
use gameday_engine::{aws, preflight};

/// Runs a `gameday target` command.
pub fn run(cmd: TargetCommand) -> Exit {
    match cmd {
        TargetCommand::List { config } => list(config.config.as_deref()),
        TargetCommand::Check {
            name,
            scenarios,
            library,
            config,
            region,
        } => check(
            &name,
            config.config.as_deref(),
            region.as_deref(),
            &scenarios,
            &library.library,
        ),
    }
}

fn list(explicit: Option<&std::path::Path>) -> Exit {
    // Without a configuration file (and none named), `sim` is still a target.
    let (file, config) = match gameday_engine::config::read(explicit, std::path::Path::new(".")) {
        Err(gameday_engine::config::ConfigError::Missing(file)) if explicit.is_none() => {
            println!("sim        the built-in simulator (account 111122223333, us-east-1)");
            println!(
                "(no {}: AWS targets are defined there, or in the file --config names; see gameday.example.yaml and docs/targets.md)",
                file.display()
            );
            return Exit::Ok;
        }
        Err(e) => return config_error(e),
        Ok(c) => c,
    };
    println!("{}:", file.display());
    println!("  sim        the built-in simulator (account 111122223333, us-east-1)");
    for t in &config.targets {
        if t.kind == gameday_engine::config::TargetKind::Sim {
            println!(
                "  {:<10} simulated account {} for plans; regions {}",
                t.name,
                t.allowlist(),
                t.regions.join(", ")
            );
            continue;
        }
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
                .map(|u| format!("; endpoint {}", mask_userinfo(u)))
                .unwrap_or_default()
        );
    }
    Exit::Ok
}

fn check(
    name: &str,
    explicit: Option<&std::path::Path>,
    region: Option<&str>,
    scenarios: &[String],
    library: &std::path::Path,
) -> Exit {
    let (target, region) = match aws_target(name, explicit, region) {
        Ok(t) => t,
        Err(code) => return code,
    };
    let target = &target;
    // Every scenario is read before any call, so that a typo is said before AWS is asked.
    let mut plans = Vec::new();
    for arg in scenarios {
        let checked = match assembly::load(arg, library) {
            Ok(c) => c,
            Err(code) => return code,
        };
        match assembly::plan_for(&checked, "check", &target.name_prefix, &Default::default()) {
            Ok(plan) => plans.push(plan),
            Err(code) => return code,
        }
    }
    let runtime = match assembly::runtime() {
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
                None => println!(
                    "  clock:    within a second of AWS's (or no Date header to tell); no correction"
                ),
            }
            for (alarm, state) in &p.stop_alarms {
                println!("  stop alarm {alarm}: {state}");
            }
            let missing = runtime.block_on(unmeetable_detections(target, &region, &plans));
            match missing {
                Ok((0, 0)) => {
                    println!("ok: a game day may start");
                    Exit::Ok
                }
                Ok((alarms, commands)) => {
                    if alarms > 0 {
                        eprintln!(
                            "error: target {name}: the account lacks {alarms} alarm(s) the scenarios watch (listed above): create them, or watch alarms it has"
                        );
                    }
                    if commands > 0 {
                        eprintln!(
                            "error: target {name}: it lacks {commands} detector command(s) the scenarios name (listed above): add them under its `commands`"
                        );
                    }
                    Exit::BadInput
                }
                Err(e) => {
                    eprintln!(
                        "error: target {name}: cannot tell which alarms the account has: {}",
                        mask_userinfo(&e.to_string())
                    );
                    Exit::Aborted
                }
            }
        }
        Err(e) => {
            eprintln!("error: target {name}: {}", mask_userinfo(&e.to_string()));
            preflight_exit(&e)
        }
    }
}

/// Prints, for each plan, the CloudWatch alarms its detections watch and whether the
/// account has them (DescribeAlarms by name), and the detector commands it names that the
/// target lacks; how many alarms and commands are missing.
async fn unmeetable_detections(
    target: &gameday_engine::config::Target,
    region: &str,
    plans: &[gameday_engine::library::Plan],
) -> Result<(usize, usize), gameday_engine::sandbox::SandboxError> {
    if plans.is_empty() {
        return Ok((0, 0));
    }
    let config = aws::sdk_config(target, region, None).await;
    let cloudwatch = aws::cloudwatch::AwsCloudWatch::new(&config);
    let commands = aws::commands::LocalCommands::new(target.commands.clone());
    let (mut lacking, mut no_command) = (0, 0);
    for plan in plans {
        let id = &plan.scenario.id;
        for m in preflight::missing_commands(&plan.scenario, &commands) {
            println!("  scenario {id}: {m}");
            no_command += 1;
        }
        let missing = preflight::missing_alarms(&plan.scenario, &cloudwatch).await?;
        for (detection, alarm) in preflight::alarms(&plan.scenario) {
            let lacks = missing.iter().any(|m| m.detection == detection);
            let what = if lacks { "MISSING" } else { "present" };
            println!("  alarm {alarm} (scenario {id}, detection {detection}): {what}");
        }
        lacking += missing.len();
    }
    Ok((lacking, no_command))
}
