//! `schedule export` to Kubernetes and AWS Batch, checked by the tools their users run:
//! the Kubernetes manifests against the Kubernetes schemas offline (`kubernetes-validate`)
//! and the CloudFormation template with `cfn-lint`, both from the virtual environment
//! `./scripts/test` installs (tests/emulator/requirements.txt). And the template's job
//! role against `gameday plan`: for a plan of the whole library it allows exactly the
//! IAM actions of the calls `plan` lists, with the runs directory's S3 actions.

use gameday_engine::permissions::{RUNS_DIR_ACTIONS, iam_action};
use gameday_tests::{library_scenarios, moto, run, stderr, stdout};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The Kubernetes version whose schemas the manifests are checked against: one
/// kubernetes-validate ships (it reads no schema from the network).
const KUBERNETES: &str = "1.33.0";

/// The library's scenario ids.
fn library_ids() -> Vec<String> {
    library_scenarios()
        .iter()
        .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .collect()
}

/// A configuration: one AWS target that pushes and has a stop alarm, a plan of the whole
/// library in 3 shards and an unannounced plan of one scenario in 1, runs on S3.
fn config(dir: &Path) -> PathBuf {
    let text = format!(
        "targets:\n  - name: sandbox\n    kind: aws\n    regions: [eu-west-1, us-east-1]\n    \
         allowed_accounts: [\"012345678901\"]\n    stop_alarms: [canary]\n    push: true\n\
         plans:\n  - name: library\n    schedule: {{ cron: \"0 10 * * TUE\", timezone: Europe/Berlin }}\n    \
         scenarios: [{}]\n    targets: [{{ target: sandbox }}]\n    shards: 3\n    \
         runs_dir: s3://gameday-runs/org\n  - name: surprise\n    schedule:\n      \
         unannounced: {{ every: week, days: [mon, tue, wed, thu, fri], from: \"10:00\", to: \"16:00\" }}\n      \
         timezone: Europe/Berlin\n    scenarios: [compromised-access-key]\n    \
         targets: [{{ target: sandbox }}]\n    runs_dir: s3://gameday-runs\n",
        library_ids().join(", ")
    );
    let path = dir.join("gameday.yaml");
    std::fs::write(&path, text).expect("write");
    path
}

/// `gameday schedule export PLAN --format FORMAT ...`, written to a file in `dir`.
fn export(dir: &Path, plan: &str, format: &str, extra: &[&str]) -> PathBuf {
    let cfg = config(dir);
    let cfg = cfg.to_string_lossy();
    let mut args = vec![
        "schedule", "export", plan, "--format", format, "--config", &cfg,
    ];
    args.extend(extra);
    let out = run(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let path = dir.join(format!("{plan}-{format}.yaml"));
    std::fs::write(&path, stdout(&out)).expect("write");
    path
}

/// A tool of the test environment, run on `files`; its output.
fn tool(name: &str, args: &[&str], files: &[PathBuf]) -> String {
    let exe = moto::venv().join("bin").join(name);
    assert!(
        exe.is_file(),
        "{} is missing: run ./scripts/test once, which installs tests/emulator/requirements.txt",
        exe.display()
    );
    let out = std::process::Command::new(&exe)
        .args(args)
        .args(files)
        .output()
        .expect("run");
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(out.status.success(), "{name} failed:\n{text}");
    text
}

#[test]
fn kubernetes_export_validates_against_the_schemas_offline() {
    let dir = tempfile::tempdir().expect("tempdir");
    let role = ["--role-arn", "arn:aws:iam::012345678901:role/gameday"];
    let files = [
        export(dir.path(), "library", "kubernetes", &role),
        export(dir.path(), "surprise", "kubernetes", &role),
    ];
    let text = tool(
        "kubernetes-validate",
        &["--strict", "--kubernetes-version", KUBERNETES],
        &files,
    );
    for what in [
        "serviceaccount/gameday-library",
        "cronjob/gameday-library",
        "cronjob/gameday-surprise",
    ] {
        assert!(
            text.contains(&format!("passed for resource {what}")),
            "{text}"
        );
    }
}

#[test]
fn aws_batch_template_passes_cfn_lint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let files = [
        export(dir.path(), "library", "aws-batch", &[]),
        export(dir.path(), "surprise", "aws-batch", &[]),
    ];
    tool("cfn-lint", &[], &files);
}

#[test]
fn a_local_runs_dir_is_refused_for_pods_and_batch_jobs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = config(dir.path());
    let text = std::fs::read_to_string(&cfg)
        .expect("read")
        .replace("runs_dir: s3://gameday-runs\n", "runs_dir: runs/surprise\n");
    std::fs::write(&cfg, text).expect("write");
    let cfg = cfg.to_string_lossy();
    for format in ["kubernetes", "aws-batch"] {
        let out = run(&[
            "schedule",
            "export",
            "surprise",
            "--format",
            format,
            "--role-arn",
            "arn:aws:iam::012345678901:role/gameday",
            "--config",
            &cfg,
        ]);
        assert_eq!(out.status.code(), Some(2));
        assert!(
            stderr(&out).contains(&format!(
                "plan surprise: {format}: runs_dir `runs/surprise` is not on S3"
            )),
            "{}",
            stderr(&out)
        );
    }
}

/// Every `service:Operation` in `text`, outside the steps' JSON inputs (which end each
/// line they are on, and hold policy documents naming actions no call makes).
fn calls_in(text: &str) -> BTreeSet<String> {
    text.lines()
        .map(|l| l.split('{').next().unwrap_or(l))
        .flat_map(|l| l.split(|c: char| !(c.is_ascii_alphanumeric() || c == ':' || c == '-')))
        .map(|w| w.trim_end_matches(':'))
        .filter(|w| {
            w.split_once(':').is_some_and(|(s, op)| {
                !s.is_empty()
                    && s.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                    && op.starts_with(|c: char| c.is_ascii_uppercase())
                    && op.chars().all(|c| c.is_ascii_alphanumeric())
            })
        })
        .map(str::to_owned)
        .collect()
}

/// The actions of the statements of `policy` whose Sid starts with `sid`.
fn actions(policy: &Value, sid: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for s in policy["Statement"].as_array().expect("statements") {
        if !s["Sid"].as_str().is_some_and(|x| x.starts_with(sid)) {
            continue;
        }
        match &s["Action"] {
            Value::String(a) => {
                out.insert(a.clone());
            }
            Value::Array(list) => {
                out.extend(list.iter().filter_map(|a| a.as_str().map(str::to_owned)));
            }
            other => panic!("an action: {other}"),
        }
    }
    out
}

#[test]
fn the_job_role_allows_exactly_what_plan_lists_for_the_library() {
    let dir = tempfile::tempdir().expect("tempdir");
    let template = export(dir.path(), "library", "aws-batch", &[]);
    let cfg = dir.path().join("gameday.yaml");
    let cfg = cfg.to_string_lossy();
    let mut listed = BTreeSet::new();
    for id in library_ids() {
        let out = run(&["plan", &id, "--target", "sandbox", "--config", &cfg]);
        assert_eq!(out.status.code(), Some(0), "{id}: {}", stderr(&out));
        listed.extend(calls_in(&stdout(&out)).iter().map(|c| iam_action(c)));
    }
    let v = read_yaml(&template);
    let policy = &v["Resources"]["JobRole"]["Properties"]["Policies"][0]["PolicyDocument"];
    let game_days = actions(policy, "GameDays");
    let missing: Vec<_> = listed.difference(&game_days).collect();
    let extra: Vec<_> = game_days.difference(&listed).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing from the role: {missing:?}; in the role but not listed: {extra:?}"
    );
    let runs_dir = actions(policy, "RunsDir");
    let wanted: BTreeSet<String> = RUNS_DIR_ACTIONS.iter().map(|a| (*a).to_owned()).collect();
    assert_eq!(runs_dir, wanted);
    // Nothing else: only those statements.
    assert_eq!(
        policy["Statement"].as_array().map(Vec::len),
        Some(3),
        "{policy}"
    );
    // And the runs directory's actions are confined to its bucket and prefix.
    let text = serde_json::to_string(&policy["Statement"][2]).expect("json");
    assert!(text.contains("s3:::gameday-runs/org/*"), "{text}");
}

fn read_yaml(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).expect("read");
    serde_saphyr::from_str(&text).expect("yaml")
}

#[test]
fn shard_from_env_names_the_variable_when_it_is_unset_bad_or_out_of_range() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = dir.path().join("gameday.yaml");
    std::fs::write(
        &cfg,
        "plans:\n  - name: split\n    schedule: { cron: \"0 10 * * TUE\" }\n    \
         scenarios: [public-bucket]\n    targets: [{ target: sim }]\n    shards: 3\n",
    )
    .expect("config");
    let cfg = cfg.to_string_lossy();
    let args = [
        "schedule",
        "run",
        "split",
        "--shard-from-env",
        "GAMEDAY_TEST_INDEX",
        "--config",
        &cfg,
    ];
    for (value, says) in [
        (None, "GAMEDAY_TEST_INDEX is not set"),
        (
            Some("x"),
            "GAMEDAY_TEST_INDEX is `x`, not a whole number from 0 to 2",
        ),
        (
            Some("3"),
            "GAMEDAY_TEST_INDEX is 3, but the plan has 3 shards (0 to 2)",
        ),
    ] {
        let mut cmd = gameday_tests::gameday();
        cmd.args(args).env_remove("GAMEDAY_TEST_INDEX");
        if let Some(v) = value {
            cmd.env("GAMEDAY_TEST_INDEX", v);
        }
        let out = cmd.output().expect("gameday");
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(
            stderr(&out).contains(&format!("error: --shard-from-env: plan split: {says}")),
            "{}",
            stderr(&out)
        );
    }
    let out = run(&[
        "schedule",
        "run",
        "split",
        "--shard",
        "1/3",
        "--shard-from-env",
        "GAMEDAY_TEST_INDEX",
        "--config",
        &cfg,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot be used with"),
        "{}",
        stderr(&out)
    );
}
