//! The `gameday` binary, run as a user would.

use gameday_tests::{gameday, library_scenarios, repo, run, stderr, stdout};
use serde_json::Value;
use std::time::{Duration, Instant};

fn json_lines(s: &str) -> Vec<Value> {
    s.lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).expect("a JSON summary line"))
        .collect()
}

fn rel(p: &std::path::Path) -> String {
    p.strip_prefix(repo()).unwrap_or(p).display().to_string()
}

#[test]
fn every_library_scenario_passes_with_the_autopilot() {
    let runs = tempfile::tempdir().expect("tempdir");
    let scenarios = library_scenarios();
    assert!(
        scenarios.len() >= 8,
        "the library has {} scenarios",
        scenarios.len()
    );
    for s in scenarios {
        let out = run(&[
            "run",
            &rel(&s),
            "--autopilot",
            "--virtual",
            "--seed",
            "1",
            "--json",
            "--quiet",
            "--runs-dir",
            runs.path().to_str().expect("utf-8"),
        ]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}: {}\n{}",
            s.display(),
            stdout(&out),
            stderr(&out)
        );
        let summaries = json_lines(&stdout(&out));
        assert_eq!(summaries.len(), 1);
        let j = &summaries[0];
        assert_eq!(j["outcome"], "passed", "{j}");
        assert_eq!(j["target"], "sim");
        assert!(!j["detections"].as_array().expect("detections").is_empty());
        for d in j["detections"].as_array().expect("detections") {
            assert_eq!(d["met"], true, "{d}");
            for key in ["t0", "detected_at", "observed_at"] {
                let t = d[key].as_str().expect("a time");
                chrono::DateTime::parse_from_rfc3339(t).expect("RFC 3339");
                assert!(t.ends_with('Z'), "{key} is UTC: {t}");
            }
            let ttd = d["ttd_seconds"].as_f64().expect("ttd");
            // A drill's sample finding appears at once: in virtual time, the instant the
            // attack step that asked for it ran, right after its trigger.
            let drill = s.to_string_lossy().ends_with("-drill.yaml");
            assert_eq!(d["sample"], drill, "{d}");
            assert!(if drill { ttd >= 0.0 } else { ttd > 0.0 }, "{d}");
        }
        for c in j["containments"].as_array().expect("containments") {
            assert_eq!(c["met"], true, "{c}");
            assert!(c["ttc_seconds"].as_f64().is_some());
        }
        let run_dir = j["run_dir"].as_str().expect("run_dir");
        assert!(
            std::path::Path::new(run_dir)
                .join("journal.jsonl")
                .is_file()
        );
        for key in [
            "total",
            "max",
            "grade",
            "detection",
            "containment",
            "runbook",
        ] {
            assert!(!j["score"][key].is_null(), "score.{key}");
        }
    }
}

#[test]
fn the_same_seed_gives_the_same_game_day() {
    let runs = tempfile::tempdir().expect("tempdir");
    let dir = runs.path().to_str().expect("utf-8");
    let once = |seed: &str| {
        let out = run(&[
            "run",
            "cloudtrail-stopped",
            "--autopilot",
            "--virtual",
            "--seed",
            seed,
            "--json",
            "--quiet",
            "--runs-dir",
            dir,
        ]);
        let j = json_lines(&stdout(&out)).remove(0);
        let pick = |k: &str, f: &str| -> Vec<Value> {
            j[k].as_array()
                .expect("list")
                .iter()
                .map(|x| x[f].clone())
                .collect()
        };
        (
            pick("detections", "ttd_seconds"),
            pick("containments", "ttc_seconds"),
            j["score"].clone(),
            j["run_id"].clone(),
        )
    };
    let a = once("7");
    let b = once("7");
    assert_eq!((&a.0, &a.1, &a.2), (&b.0, &b.1, &b.2));
    assert_ne!(a.3, b.3, "each run has its own id");
    let c = once("8");
    assert_ne!(a.0, c.0, "another seed draws other latencies");
}

#[test]
fn broken_scenarios_give_their_exact_errors() {
    let dir = repo().join("tests/broken");
    let bless = std::env::var_os("GAMEDAY_BLESS").is_some();
    // Built before the clock starts: a stale binary's build is not validation's time.
    gameday_tests::binary();
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("tests/broken") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        n += 1;
        let started = Instant::now();
        let out = run(&["validate", &rel(&path)]);
        assert!(started.elapsed() < Duration::from_secs(5));
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{}: {err}", path.display());
        assert!(!err.contains("panicked"), "{err}");
        let expected_file = path.with_extension("expected");
        if bless {
            std::fs::write(&expected_file, &err).expect("write expected");
        }
        let expected = std::fs::read_to_string(&expected_file).unwrap_or_else(|_| {
            panic!(
                "{} is missing; run with GAMEDAY_BLESS=1",
                expected_file.display()
            )
        });
        assert_eq!(err, expected, "{}", path.display());
    }
    assert!(n >= 10, "only {n} broken scenarios");
}

#[test]
fn hostile_yaml_is_refused_quickly() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let bomb = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n\
                b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n\
                d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n\
                f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n\
                h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\ni: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n";
    let deep = format!("id: {}{}\n", "[".repeat(10_000), "]".repeat(10_000));
    for (name, text) in [("bomb.yaml", bomb.to_owned()), ("deep.yaml", deep)] {
        let file = tmp.path().join(name);
        std::fs::write(&file, text).expect("write");
        let started = Instant::now();
        let out = run(&["validate", file.to_str().expect("utf-8")]);
        let took = started.elapsed();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        // A guard against a hang, not a speed target (that is the library benchmark's):
        // unrefused, either document takes minutes and gigabytes.
        assert!(took < Duration::from_secs(30), "{name} took {took:?}");
        assert!(!err.contains("panicked"), "{err}");
        let first = err.lines().next().unwrap_or_default();
        assert!(
            first.contains(&format!("{name}:")) && first.contains("invalid YAML"),
            "{name}: {first}"
        );
    }
}

/// Waits until the one run in `runs` has done its attack and is watching; returns its
/// journal.
fn wait_until_watching(runs: &std::path::Path) -> std::path::PathBuf {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let found = std::fs::read_dir(runs)
            .ok()
            .and_then(|mut d| d.next())
            .and_then(|e| e.ok())
            .map(|e| e.path().join("journal.jsonl"));
        if let Some(j) = found
            && std::fs::read_to_string(&j).is_ok_and(|t| t.contains("\"phase\":\"watch\""))
        {
            return j;
        }
        assert!(
            Instant::now() < deadline,
            "the run never reached the watch phase"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_run_killed_mid_way_leaves_a_journal_the_report_reads() {
    let runs = tempfile::tempdir().expect("tempdir");
    let mut child = gameday()
        .args([
            "run",
            "compromised-access-key",
            "--autopilot",
            "--speed",
            "20",
            "--quiet",
            "--runs-dir",
        ])
        .arg(runs.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let journal = wait_until_watching(runs.path());
    child.kill().expect("SIGKILL");
    child.wait().expect("wait");
    let dir = journal.parent().expect("run dir");
    let out = run(&["report", dir.to_str().expect("utf-8")]);
    let md = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(md.contains("**interrupted**"), "{md}");
    assert!(md.contains("May remain in the account"), "{md}");
    let out = run(&["report", dir.to_str().expect("utf-8"), "--format", "json"]);
    let j: Value = serde_json::from_str(&stdout(&out)).expect("json report");
    assert_eq!(j["runs"][0]["outcome"], "interrupted");
}

#[test]
fn validate_accepts_the_library_and_names_what_it_checked() {
    let out = run(&["validate"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("ok: "), "{}", stdout(&out));
}

#[test]
fn validate_checks_a_library_folder_given_as_a_path() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let lib = tmp.path().join("team-library");
    for (dir, file) in [
        ("scenarios", "compromised-access-key.yaml"),
        ("runbooks", "compromised-iam-credentials.yaml"),
    ] {
        std::fs::create_dir_all(lib.join(dir)).expect("mkdir");
        std::fs::copy(repo().join(dir).join(file), lib.join(dir).join(file)).expect("copy");
    }
    // A library's root holds its configuration, which is not a scenario.
    std::fs::write(lib.join("gameday.yaml"), "targets: []\n").expect("write");
    let lib_arg = lib.to_str().expect("utf-8");
    let out = run(&["validate", lib_arg]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out).trim(),
        "ok: 1 scenario(s) and 1 runbook(s) are valid"
    );
    // A mistake in the library's scenario is found through the folder.
    let scenario = lib.join("scenarios/compromised-access-key.yaml");
    let text = std::fs::read_to_string(&scenario).expect("read");
    std::fs::write(
        &scenario,
        text.replace("iam.list_users", "iam.list_user_polices"),
    )
    .expect("write");
    let out = run(&["validate", lib_arg]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(
        err.contains("scenarios/compromised-access-key.yaml:")
            && err.contains("`iam.list_user_polices` is not a call the attacker can make"),
        "{err}"
    );
    // The repository's root is a library folder too: the same files as plain `validate`.
    assert_eq!(
        stdout(&run(&["validate", "."])),
        stdout(&run(&["validate"]))
    );
}

#[test]
fn validate_refuses_to_check_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let empty = tmp.path().join("empty-library");
    let notes = tmp.path().join("notes");
    for dir in [
        empty.join("scenarios"),
        empty.join("runbooks"),
        notes.clone(),
    ] {
        std::fs::create_dir_all(dir).expect("mkdir");
    }
    std::fs::write(notes.join("README.md"), "not a scenario\n").expect("write");
    for dir in [&empty, &notes] {
        let arg = dir.to_str().expect("utf-8");
        let out = run(&["validate", arg]);
        assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
        assert!(stdout(&out).is_empty(), "{}", stdout(&out));
        assert_eq!(
            stderr(&out).trim(),
            format!(
                "error: no scenario or runbook files (*.yaml) in {arg}: name files, a \
                 scenarios/ or runbooks/ folder, or a library folder holding them"
            )
        );
    }
    // Nor does plain `validate` in an empty library.
    let out = run(&["validate", "--library", empty.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("error: no scenario or runbook files (*.yaml) in ")
            && stderr(&out).contains("empty-library/scenarios"),
        "{}",
        stderr(&out)
    );
}

/// The library's cloudtrail-stopped, its GuardDuty detection and its alarm changed by
/// `edit`, written to `dir` as `sim-blind.yaml`.
fn sim_blind(dir: &std::path::Path, edit: impl Fn(String) -> String) -> String {
    let text =
        std::fs::read_to_string(repo().join("scenarios/cloudtrail-stopped.yaml")).expect("read");
    let path = dir.join("sim-blind.yaml");
    std::fs::write(
        &path,
        edit(text.replace("id: cloudtrail-stopped", "id: sim-blind")),
    )
    .expect("write");
    path.to_str().expect("utf-8").to_owned()
}

#[test]
fn an_attack_id_v19_replaced_is_read_with_a_warning_naming_the_new_one() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = sim_blind(tmp.path(), |t| {
        t.replace("mitre: [T1685.002]", "mitre: [T1562.008]")
    });
    let out = run(&["validate", &file]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out).trim(),
        "ok: 1 scenario(s) and 0 runbook(s) are valid, with 1 warning(s)"
    );
    assert_eq!(
        stderr(&out),
        format!(
            "{file}:7:9: warning: mitre[0]: `T1562.008` is not an ATT&CK v19 id: it is now \
             `T1685.002` (Disable or Modify Tools: Disable or Modify Cloud Logs)\n  hint: write \
             `T1685.002`; until then the scenario counts as exercising it\n"
        )
    );
    // A run says so before it starts, and runs.
    let runs = tmp.path().join("runs");
    let out = run(&[
        "run",
        &file,
        "--autopilot",
        "--virtual",
        "--quiet",
        "--runs-dir",
        runs.to_str().expect("utf-8"),
    ]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(
            "warning: mitre[0]: `T1562.008` is not an ATT&CK v19 id: it is now `T1685.002`"
        ),
        "{}",
        stderr(&out)
    );
    // The library itself names no replaced id.
    let out = run(&["validate"]);
    assert!(
        !stderr(&out).contains("warning: mitre["),
        "{}",
        stderr(&out)
    );
}

#[test]
fn validate_warns_of_detections_the_simulator_cannot_raise() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let blind_finding = |t: String| {
        t.replace(
            "Stealth:IAMUser/CloudTrailLoggingDisabled",
            "Discovery:IAMUser/AnomalousBehavior",
        )
    };
    let file = sim_blind(tmp.path(), |t| {
        blind_finding(t).replace("alarm: cis-cloudtrail-changes", "alarm: team-trail-changes")
    });
    let out = run(&["validate", &file]);
    // Valid for AWS: a warning, not an error.
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out).trim(),
        "ok: 1 scenario(s) and 0 runbook(s) are valid, with 2 warning(s)"
    );
    let err = stderr(&out);
    let expected = format!(
        "{file}:60:19: warning: detect[0].finding_type: the simulator never raises \
         `Discovery:IAMUser/AnomalousBehavior`: its detection model has no rule for it, so on \
         the simulator this detection is always missed\n  hint: on AWS, GuardDuty raises it; \
         to rehearse the response on the simulator, make it a drill (`sample: true`, met by a \
         guardduty.create_sample_findings step), or add a rule for it to \
         engine/src/sim/model.yaml\n\
         {file}:66:12: warning: detect[1].alarm: the simulator's account has no alarm \
         `team-trail-changes`, so a run on the simulator is refused\n  hint: its alarms are \
         cis-cloudtrail-changes, cis-iam-policy-changes, cis-security-group-changes, \
         cis-access-key-created, cis-snapshot-shared, cis-unauthorized-api-calls, \
         iam-role-trust-changes, cis-password-policy-changes, cis-nacl-changes, \
         cis-network-gateway-changes, cis-route-table-changes, cis-vpc-changes, \
         cis-s3-bucket-policy-changes, cis-kms-key-disabled-or-deleted \
         (engine/src/sim/model.yaml); on AWS the account must have \
         it: `gameday target check TARGET SCENARIO` says\n"
    );
    assert_eq!(err, expected);

    // A run on the simulator says the same, and is refused for the alarm before any step.
    let runs = tmp.path().join("runs");
    let runs_arg = runs.to_str().expect("utf-8");
    let args = [
        "run",
        &file,
        "--autopilot",
        "--virtual",
        "--runs-dir",
        runs_arg,
        "--quiet",
    ];
    let out = run(&args);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(err.starts_with(&expected), "{err}");
    assert!(
        err.contains(
            "error: detection `cis-cloudtrail-changes` watches CloudWatch alarm \
             `team-trail-changes`, which the account does not have in this region: it could \
             never be met"
        ),
        "{err}"
    );
    assert!(!runs.exists(), "a refused run leaves no run directory");

    // With an alarm the simulator has, the run goes ahead and misses what it warned of.
    // The same file, rewritten: the same run, with --json for its summary.
    sim_blind(tmp.path(), blind_finding);
    let out = run(&[&args[..6], &["--json"]].concat());
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("warning: detect[0].finding_type: the simulator never raises"),
        "{}",
        stderr(&out)
    );
    let summary = &json_lines(&stdout(&out))[0];
    let missed: Vec<&str> = summary["detections"]
        .as_array()
        .expect("detections")
        .iter()
        .filter(|d| d["met"] == false)
        .filter_map(|d| d["id"].as_str())
        .collect();
    assert_eq!(missed, ["guardduty-logging-disabled"], "{summary}");
}

#[test]
fn bad_flags_and_unknown_scenarios_exit_2_and_say_why() {
    let out = run(&["run", "no-such-scenario", "--virtual"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("scenarios/no-such-scenario.yaml"),
        "{}",
        stderr(&out)
    );
    let out = run(&["run", "cloudtrail-stopped", "--speed", "fast"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--speed"), "{}", stderr(&out));
    let out = run(&[
        "run",
        "cloudtrail-stopped",
        "--param",
        "nope=1",
        "--virtual",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--param nope"), "{}", stderr(&out));
    let out = run(&["run", "cloudtrail-stopped", "--target", "prod"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--target prod"), "{}", stderr(&out));
}

#[test]
fn plan_lists_every_call_and_makes_none() {
    let out = run(&["plan", "compromised-access-key"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    for call in [
        "iam:CreateUser",
        "iam:CreateAccessKey",
        "guardduty:ListFindings",
        "iam:ListAccessKeys",
        "iam:UpdateAccessKey",
    ] {
        assert!(text.contains(call), "{call} missing from:\n{text}");
    }
    assert!(
        text.contains("gameday-RUNID-"),
        "names carry the run id:\n{text}"
    );
}

#[test]
fn steps_schema_and_list_describe_the_library() {
    let out = run(&["steps", "--json"]);
    let j: Value = serde_json::from_str(&stdout(&out)).expect("json");
    let names: Vec<&str> = j["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    for required in [
        "iam.create_user",
        "iam.create_access_key",
        "iam.attach_user_policy",
        "iam.put_user_policy",
        "iam.update_access_key",
        "iam.update_account_password_policy",
        "ec2.run_instance",
        "ec2.create_security_group",
        "ec2.authorize_ingress",
        "ec2.revoke_ingress",
        "ec2.isolate_instance",
        "ec2.create_snapshot",
        "ec2.share_snapshot",
        "s3.create_bucket",
        "s3.put_bucket_policy",
        "s3.delete_public_access_block",
        "s3.put_public_access_block",
        "cloudtrail.create_trail",
        "cloudtrail.stop_logging",
        "cloudtrail.start_logging",
        "guardduty.create_sample_findings",
        "guardduty.create_threat_intel_set",
        "api.call_as",
        "wait",
    ] {
        assert!(names.contains(&required), "{required} is not a step kind");
    }
    let out = run(&["schema", "scenario"]);
    let schema: Value = serde_json::from_str(&stdout(&out)).expect("schema json");
    assert_eq!(schema["additionalProperties"], false);
    assert!(schema["properties"]["attack"].is_object());
    let out = run(&["list"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("compromised-access-key"));
}

/// The ids `gameday list ARGS` prints, one a table row.
fn listed(args: &[&str]) -> Vec<String> {
    let out = run(&[&["list"], args].concat());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    stdout(&out)
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect()
}

#[test]
fn list_filters_by_tactic_tag_service_and_source_and_they_and_together() {
    let all = listed(&[]);
    assert!(all.len() >= 13, "{all:?}");
    let impaired = listed(&["--tactic", "defense-impairment"]);
    for id in ["cloudtrail-stopped", "ssh-open-to-world"] {
        assert!(
            impaired.contains(&id.to_owned()),
            "{id} not in {impaired:?}"
        );
    }
    assert!(
        !impaired.contains(&"public-bucket".to_owned()),
        "{impaired:?}"
    );
    assert_eq!(
        listed(&["--tactic", "TA0112"]),
        impaired,
        "a tactic's id works too"
    );
    let s3 = listed(&["--service", "s3"]);
    assert!(s3.contains(&"public-bucket".to_owned()), "{s3:?}");
    assert!(!s3.contains(&"new-admin-user".to_owned()), "{s3:?}");
    // Filters AND together: each result passes each filter alone.
    let both = listed(&["--service", "s3", "--source", "guardduty"]);
    let gd = listed(&["--source", "guardduty"]);
    assert!(
        !both.is_empty() && both.len() <= s3.len().min(gd.len()),
        "{both:?}"
    );
    for id in &both {
        assert!(s3.contains(id) && gd.contains(id), "{id}");
    }
    let cis_exfiltration = listed(&["--tag", "cis", "--tactic", "exfiltration"]);
    assert!(
        cis_exfiltration.contains(&"snapshot-shared".to_owned()),
        "{cis_exfiltration:?}"
    );
    assert!(
        !cis_exfiltration.contains(&"public-bucket".to_owned()),
        "{cis_exfiltration:?}"
    );
    assert!(listed(&["--tag", "no-such-tag"]).is_empty());
    // JSON lines keep working, and carry what the filters read.
    let out = run(&["list", "--json", "--tactic", "defense-impairment"]);
    let rows = json_lines(&stdout(&out));
    assert_eq!(rows.len(), impaired.len());
    assert!(rows.iter().all(|r| {
        r["tactics"]
            .as_array()
            .is_some_and(|t| t.contains(&Value::from("defense-impairment")))
    }));

    // An unknown tactic or source is bad input, naming the flag and the nearest name.
    for (args, message) in [
        (
            vec!["list", "--tactic", "defence-impairment"],
            "error: --tactic `defence-impairment`: ATT&CK v19 has no such tactic; did you mean \
             `defense-impairment`?\n",
        ),
        (
            vec!["list", "--source", "gaurdduty"],
            "error: --source `gaurdduty`: no such detection source; did you mean `guardduty`?\n",
        ),
    ] {
        let out = run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_eq!(stderr(&out), message);
        assert!(stdout(&out).is_empty());
    }
}

#[test]
fn docs_library_md_is_the_catalogue_of_the_scenarios() {
    let out = run(&["list", "--format", "markdown"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let generated = stdout(&out);
    let committed = std::fs::read_to_string(repo().join("docs/library.md")).unwrap_or_default();
    assert!(
        generated == committed,
        "docs/library.md is not the catalogue of scenarios/: regenerate it with \
         `cargo run -p gameday -- list --format markdown > docs/library.md`"
    );
    // What the catalogue says of one scenario.
    let section = generated
        .split("\n## ")
        .find(|s| s.starts_with("cloudtrail-stopped\n"))
        .expect("a section per scenario");
    for line in [
        "T1685.002 Disable or Modify Tools: Disable or Modify Cloud Logs (Defense Impairment)",
        "`guardduty-logging-disabled` (guardduty): finding \
         `Stealth:IAMUser/CloudTrailLoggingDisabled`, within 15m",
        "`trail-logging-again`: `cloudtrail.trail_logging` is `true` within 30m",
        "- **Creates**: cloudtrail trail, s3 bucket",
        "`cloudtrail.stop_logging`: No charge beyond API calls.",
    ] {
        assert!(section.contains(line), "{line}\n---\n{section}");
    }
    let n = std::fs::read_dir(repo().join("scenarios"))
        .expect("scenarios/")
        .count();
    assert_eq!(
        generated.matches("\n## ").count(),
        n,
        "every scenario has a section"
    );
    assert!(
        generated.contains("Instance hours for its instance type"),
        "an instance's cost is said"
    );
}

#[test]
fn detectors_lists_every_source_with_its_inputs_calls_and_interval() {
    let out = run(&["detectors", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let j: Value = serde_json::from_str(&stdout(&out)).expect("json");
    let sources = j["detectors"].as_array().expect("detectors");
    let by_name = |n: &str| sources.iter().find(|s| s["name"] == n).cloned();
    for name in ["guardduty", "cloudwatch", "securityhub", "command", "logs"] {
        let s = by_name(name).unwrap_or_else(|| panic!("{name} is not listed"));
        assert!(
            s["poll"].as_str().is_some_and(|p| p.starts_with("poll.")),
            "{s}"
        );
    }
    let pushed = by_name("eventbridge").expect("eventbridge");
    assert_eq!(pushed["poll"], "pushed", "{pushed}");
    let hub = by_name("securityhub").expect("securityhub");
    assert_eq!(hub["calls"], serde_json::json!(["securityhub:GetFindings"]));
    assert_eq!(hub["poll"], "poll.detectors");
    let inputs: Vec<&str> = hub["inputs"]
        .as_array()
        .expect("inputs")
        .iter()
        .filter_map(|f| f["name"].as_str())
        .collect();
    assert_eq!(inputs, ["product", "type", "generator", "title"]);
    let text = stdout(&run(&["detectors"]));
    assert!(
        text.contains("every  30s by default (the target's `poll.guardduty`)"),
        "{text}"
    );
    assert!(text.contains("calls  none to AWS"), "{text}");
    assert!(
        text.contains("every  1s: pushed to the run's queue, read as it arrives"),
        "{text}"
    );
    assert!(
        text.lines().all(|l| l.chars().count() <= 100),
        "a line is wider than 100 columns:\n{text}"
    );
}

#[test]
fn repeat_reports_percentiles_and_pass_rates() {
    let runs = tempfile::tempdir().expect("tempdir");
    let out = run(&[
        "run",
        "ssh-open-to-world",
        "--autopilot",
        "--virtual",
        "--repeat",
        "20",
        "--quiet",
        "--runs-dir",
        runs.path().to_str().expect("utf-8"),
    ]);
    let text = stdout(&out);
    assert!(text.contains("P50") && text.contains("P95"), "{text}");
    assert!(text.contains("/20 ("), "{text}");
}

#[test]
fn sigterm_ends_the_run_cleans_up_and_exits_3() {
    let runs = tempfile::tempdir().expect("tempdir");
    let child = gameday()
        .args([
            "run",
            "public-bucket",
            "--autopilot",
            "--speed",
            "5",
            "--json",
            "--quiet",
            "--runs-dir",
        ])
        .arg(runs.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let journal = wait_until_watching(runs.path());
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let j = json_lines(&stdout(&out)).remove(0);
    assert_eq!(j["outcome"], "aborted");
    assert!(
        j["reason"].as_str().expect("reason").contains("SIGTERM"),
        "{j}"
    );
    assert_eq!(j["cleanup"]["failed"], 0, "{j}");
    assert!(
        j["cleanup"]["reverted"].as_u64().expect("reverted") >= 2,
        "{j}"
    );
    let text = std::fs::read_to_string(&journal).expect("journal");
    let last: Value = serde_json::from_str(text.lines().last().expect("a line")).expect("json");
    assert_eq!(last["event"], "run_ended");
}

/// `gameday target check` on an endpoint nothing listens on, with the SDK's debug log on:
/// log lines on standard error, whatever the network.
fn logging_check(dir: &std::path::Path) -> std::process::Command {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let config = dir.join("gameday.yaml");
    std::fs::write(
        &config,
        format!(
            "targets:\n  - name: sandbox\n    kind: aws\n    regions: [us-east-1]\n    \
             allowed_accounts: [\"123456789012\"]\n    endpoint_url: http://127.0.0.1:{port}\n    \
             max_attempts: 1\n"
        ),
    )
    .expect("config");
    let mut c = gameday();
    c.args(["target", "check", "sandbox", "--config"])
        .arg(&config)
        .env("GAMEDAY_LOG", "debug")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("NO_COLOR");
    c
}

#[test]
fn log_lines_are_coloured_only_on_a_terminal_without_no_color() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Standard error is a pipe: no colour.
    let out = logging_check(dir.path()).output().expect("gameday");
    let err = stderr(&out);
    assert!(err.contains("DEBUG"), "the SDK logs: {err}");
    assert!(!err.contains('\x1b'), "colour on a pipe: {err:?}");
    // On a terminal: colour, unless NO_COLOR says otherwise.
    for no_color in [None, Some("1")] {
        let mut c = logging_check(dir.path());
        if let Some(v) = no_color {
            c.env("NO_COLOR", v);
        }
        let term = gameday_tests::tmux::Session::start(&c, 200, 50);
        term.wait_exit();
        let shown = term.scrollback_styled();
        let logged: Vec<&str> = shown.lines().filter(|l| l.contains("DEBUG")).collect();
        assert!(!logged.is_empty(), "the SDK logs: {shown}");
        let coloured = logged.iter().any(|l| l.contains('\x1b'));
        assert_eq!(
            coloured,
            no_color.is_none(),
            "NO_COLOR={no_color:?}: {shown:?}"
        );
    }
}

#[test]
fn every_command_ends_quietly_when_its_reader_goes_away() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let runs = tmp.path().join("runs");
    let out = run(&[
        "run",
        "cloudtrail-stopped",
        "--autopilot",
        "--virtual",
        "--seed",
        "1",
        "--json",
        "--quiet",
        "--runs-dir",
        runs.to_str().expect("utf-8"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let run_dir = json_lines(&stdout(&out))[0]["run_dir"]
        .as_str()
        .expect("run_dir")
        .to_owned();
    let config = tmp.path().join("gameday.yaml");
    std::fs::write(
        &config,
        format!(
            "plans:\n  - name: drill\n    schedule: {{ cron: \"0 10 * * TUE\" }}\n    \
             scenarios: [cloudtrail-stopped]\n    targets: [{{ target: sim }}]\n    \
             responders: autopilot\n    virtual_time: true\n    runs_dir: {}\n",
            tmp.path().join("plan-runs").display()
        ),
    )
    .expect("config");
    let example = repo().join("gameday.example.yaml");
    let (example, config) = (
        example.to_str().expect("utf-8"),
        config.to_str().expect("utf-8"),
    );
    let out_dir = tmp.path().join("out");
    let more_runs = tmp.path().join("more");
    let runs = runs.to_str().expect("utf-8");
    let commands: Vec<Vec<&str>> = vec![
        vec!["--help"],
        vec!["--version"],
        vec!["steps"],
        vec!["steps", "--json"],
        vec!["list"],
        vec!["list", "--json"],
        vec!["schema", "scenario"],
        vec!["validate"],
        vec!["plan", "compromised-access-key"],
        vec!["report", &run_dir],
        vec![
            "report",
            &run_dir,
            "--format",
            "md,json",
            "--out",
            out_dir.to_str().expect("utf-8"),
        ],
        vec!["trend", runs],
        vec!["coverage", "--runs", runs],
        vec!["cleanup", "--run", &run_dir],
        vec!["target", "list", "--config", example],
        vec!["schedule", "list", "--config", example],
        vec![
            "schedule",
            "next",
            "weekly-credentials",
            "--config",
            example,
        ],
        vec![
            "schedule",
            "export",
            "weekly-credentials",
            "--format",
            "crontab",
            "--config",
            example,
        ],
        vec!["schedule", "run", "drill", "--config", config],
        vec![
            "run",
            "cloudtrail-stopped",
            "--autopilot",
            "--virtual",
            "--quiet",
            "--runs-dir",
            more_runs.to_str().expect("utf-8"),
        ],
        vec![
            "run",
            "cloudtrail-stopped",
            "--autopilot",
            "--virtual",
            "--json",
            "--runs-dir",
            more_runs.to_str().expect("utf-8"),
        ],
    ];
    for args in commands {
        // A pipe whose reader is gone before the command writes a byte.
        let (reader, writer) = std::io::pipe().expect("pipe");
        drop(reader);
        let out = gameday()
            .args(&args)
            .stdout(writer)
            .output()
            .expect("gameday");
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(141), "{args:?}: {err}");
        for noise in [
            "panicked",
            "failed printing",
            "Broken pipe",
            "standard output",
        ] {
            assert!(!err.contains(noise), "{args:?}: {err}");
        }
    }
    // The game days ran to their end, clean-up included, with no one reading.
    let journals: Vec<String> = std::fs::read_dir(&more_runs)
        .expect("runs")
        .map(|e| std::fs::read_to_string(e.expect("entry").path().join("journal.jsonl")))
        .collect::<Result<_, _>>()
        .expect("journals");
    assert_eq!(journals.len(), 2);
    for j in journals {
        assert!(j.contains("\"event\":\"cleanup_finished\""), "{j}");
        assert!(j.contains("\"event\":\"run_ended\""), "{j}");
    }
}

/// What a terminal would act on in `bytes`: ESC, BEL, the 8-bit CSI byte, and 8-bit
/// control characters however encoded. Empty when the output is safe to print.
fn terminal_controls(bytes: &[u8]) -> Vec<String> {
    let mut found: Vec<String> = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| matches!(b, 0x1b | 0x07 | 0x9b))
        .map(|(i, b)| format!("byte {b:#04x} at {i}"))
        .collect();
    found.extend(
        String::from_utf8_lossy(bytes)
            .chars()
            .filter(|c| ('\u{80}'..='\u{9f}').contains(c))
            .map(|c| format!("U+{:04X}", u32::from(c))),
    );
    found
}

/// A library whose scenario and runbook carry escape sequences where text goes (title,
/// summary, a step's description, a parameter's default the plan prints, runbook step
/// titles and hints), and a broken scenario whose error quotes a hostile value.
fn hostile_library(dir: &std::path::Path) -> std::path::PathBuf {
    const HOSTILE: &str = r#"\e[2J\e]0;pwned\a\x9b31m\a"#;
    let scenarios = dir.join("scenarios");
    let runbooks = dir.join("runbooks");
    std::fs::create_dir_all(&scenarios).expect("mkdir");
    std::fs::create_dir_all(&runbooks).expect("mkdir");
    let original = std::fs::read_to_string(repo().join("scenarios/compromised-access-key.yaml"))
        .expect("the scenario");
    let mut evil = original
        .replace("id: compromised-access-key", "id: hostile-text")
        .replace(
            "title: Compromised IAM access key used for reconnaissance",
            &format!(r#"title: "Evil{HOSTILE} title""#),
        )
        .replace(
            "summary: >-\n  A long-lived",
            &format!("summary: \"Summary{HOSTILE} here\"\nx-old-summary: >-\n  A long-lived"),
        )
        .replace(
            r#"default: "aws-cli/2.15.0 md/kali""#,
            &format!(r#"default: "aws-cli/2.15.0 md/kali{HOSTILE}""#),
        )
        .replace(
            "    action: iam.create_user\n",
            &format!("    action: iam.create_user\n    description: \"Victim{HOSTILE}\"\n"),
        );
    // The old summary, renamed, would be an unknown key: drop it.
    if let (Some(a), Some(b)) = (evil.find("x-old-summary"), evil.find("mitre:")) {
        evil.replace_range(a..b, "");
    }
    assert!(evil.contains("Evil\\e[2J"), "the title was replaced");
    let path = scenarios.join("hostile-text.yaml");
    let broken = evil.replace("id: hostile-text", "id: broken").replacen(
        "action: iam.create_user",
        &format!(r#"action: "iam.create_user{HOSTILE}""#),
        1,
    );
    std::fs::write(scenarios.join("broken.yaml"), broken).expect("write");
    std::fs::write(&path, evil).expect("write the scenario");
    let runbook = std::fs::read_to_string(repo().join("runbooks/compromised-iam-credentials.yaml"))
        .expect("the runbook")
        .replace(
            "title: Deactivate the access key",
            &format!(r#"title: "Deactivate{HOSTILE} the key""#),
        );
    std::fs::write(runbooks.join("compromised-iam-credentials.yaml"), runbook).expect("write");
    path
}

#[test]
fn escape_sequences_from_scenarios_and_journals_never_reach_the_terminal() {
    let lib = tempfile::tempdir().expect("tempdir");
    let runs = tempfile::tempdir().expect("tempdir");
    let scenario = hostile_library(lib.path());
    let (lib_dir, runs_dir, scenario) = (
        lib.path().to_str().expect("utf-8"),
        runs.path().to_str().expect("utf-8"),
        scenario.to_str().expect("utf-8"),
    );
    let commands: Vec<Vec<&str>> = vec![
        vec!["list", "--library", lib_dir],
        vec!["validate", "--library", lib_dir, scenario],
        vec!["validate", "--library", lib_dir],
        vec![
            "run",
            scenario,
            "--library",
            lib_dir,
            "--virtual",
            "--autopilot",
            "--runs-dir",
            runs_dir,
        ],
        vec![
            "run",
            scenario,
            "--library",
            lib_dir,
            "--virtual",
            "--json",
            "--runs-dir",
            runs_dir,
        ],
        vec!["plan", scenario, "--library", lib_dir],
        vec!["trend", runs_dir],
        vec!["coverage", "--library", lib_dir, "--runs", runs_dir],
        vec!["report", runs_dir],
        vec!["report", runs_dir, "--format", "json"],
    ];
    // Every leak, so that a failure names every command that lets one through.
    let mut leaks = Vec::new();
    let mut unshown = Vec::new();
    for args in &commands {
        let o = run(args);
        for (stream, bytes) in [("stdout", &o.stdout), ("stderr", &o.stderr)] {
            let found = terminal_controls(bytes);
            if !found.is_empty() {
                leaks.push(format!(
                    "gameday {}: {} on {stream}",
                    args.join(" "),
                    found.join(", ")
                ));
            }
        }
        // Each command did its work and showed the text, cleaned.
        let shown = format!("{}{}", stdout(&o), stderr(&o));
        let expected = match args[0] {
            "list" | "trend" => "Evil title",
            "run" if args.contains(&"--json") => "\"scenario\":\"hostile-text\"",
            "run" => "(Evil title)",
            "plan" => "md/kali",
            "validate" if args.len() == 3 => "unknown step kind `iam.create_user`",
            _ => "",
        };
        if !shown.contains(expected) {
            unshown.push(format!(
                "gameday {}: no {expected:?} in\n{shown}",
                args.join(" ")
            ));
        }
    }
    assert!(leaks.is_empty(), "{}", leaks.join("\n"));
    assert!(unshown.is_empty(), "{}", unshown.join("\n"));
}

#[test]
fn escape_sequences_from_the_configuration_never_reach_the_terminal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("gameday.yaml");
    std::fs::write(
        &config,
        r#"targets:
  - name: sandbox
    kind: aws
    profile: "prof\e]0;pwned\a\x9b31m"
    regions: [eu-west-1]
    allowed_accounts: ["012345678901"]
plans:
  - name: weekly
    schedule: { cron: "0 10 * * TUE", timezone: Europe/Berlin }
    scenarios: ["evil\e[2Jx"]
    targets: [{ target: sandbox }]
    team: "blue\e[2J\a"
"#,
    )
    .expect("write the configuration");
    let config = config.to_str().expect("utf-8");
    for (args, shown) in [
        (vec!["target", "list", "--config", config], "profile prof;"),
        (vec!["schedule", "list", "--config", config], "team blue"),
    ] {
        let o = run(&args);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        for bytes in [&o.stdout, &o.stderr] {
            let found = terminal_controls(bytes);
            assert!(found.is_empty(), "gameday {}: {found:?}", args.join(" "));
        }
        assert!(stdout(&o).contains(shown), "{}", stdout(&o));
    }
}

/// The first mistakes of a new user get an answer that says what to do, with exit 2
/// before anything runs, and the few things that are not mistakes are said plainly.
#[test]
fn a_new_users_first_mistakes_get_plain_answers() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let outside = |args: &[&str]| {
        gameday()
            .current_dir(tmp.path())
            .args(args)
            .output()
            .expect("gameday")
    };
    let repo = repo();
    let library = repo.to_str().expect("utf-8");
    let folder = repo.join("scenarios");
    let folder = format!("{}/", folder.display());
    let file = tmp.path().join("file");
    std::fs::write(&file, "").expect("file");
    let unwritable = format!("{}/runs", file.display());
    for (args, says) in [
        (
            vec![
                "run",
                "compromised-acess-key",
                "--library",
                library,
                "--virtual",
            ],
            "did you mean `compromised-access-key`?",
        ),
        (vec!["run", &folder, "--virtual"], "is a folder"),
        (
            vec![
                "run",
                "compromised-access-key",
                "--library",
                library,
                "--speed",
                "0",
            ],
            "greater than 0 and at most 100000",
        ),
        (
            vec![
                "run",
                "compromised-access-key",
                "--library",
                library,
                "--repeat",
                "0",
            ],
            "a whole number from 1 to 4294967295",
        ),
        (
            vec![
                "run",
                "compromised-access-key",
                "--library",
                library,
                "--seed",
                "-1",
            ],
            "a whole number from 0 to 18446744073709551615",
        ),
        (
            vec![
                "run",
                "compromised-access-key",
                "--library",
                library,
                "--virtual",
                "--autopilot",
                "--runs-dir",
                &unwritable,
            ],
            "--runs-dir",
        ),
        (vec!["list"], "--library DIR or GAMEDAY_LIBRARY"),
    ] {
        let out = outside(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
    }
    // A folder that is not a run is named once.
    std::fs::create_dir(tmp.path().join("not-a-run")).expect("dir");
    let out = outside(&["replay", "not-a-run"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(
        stderr(&out).matches("not-a-run").count(),
        1,
        "{}",
        stderr(&out)
    );
    // Without gameday.yaml, `sim` is still a target, and the file's place is said.
    let out = outside(&["target", "list"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("sim "), "{}", stdout(&out));
    assert!(stdout(&out).contains("gameday.yaml"), "{}", stdout(&out));
    // Repeated runs with nobody to respond are allowed, and warned about.
    let out = outside(&[
        "run",
        "compromised-access-key",
        "--library",
        library,
        "--virtual",
        "--repeat",
        "2",
        "--quiet",
    ]);
    assert!(
        stderr(&out).contains("without --autopilot"),
        "{}",
        stderr(&out)
    );
    assert!(
        std::fs::read_to_string(repo.join(".gitignore"))
            .expect(".gitignore")
            .lines()
            .any(|l| l == "runs/"),
        "run directories stay out of git"
    );
}

#[test]
fn a_hop_whose_predecessor_is_missed_is_missed_with_it() {
    let lib = tempfile::tempdir().expect("tempdir");
    let runs = tempfile::tempdir().expect("tempdir");
    for dir in ["scenarios", "runbooks"] {
        std::fs::create_dir_all(lib.path().join(dir)).expect("mkdir");
    }
    // The first hop matches a key the run never makes: GuardDuty's finding never counts.
    let scenario =
        std::fs::read_to_string(repo().join("scenarios/compromised-access-key-alert-path.yaml"))
            .expect("the scenario")
            .replacen(
                r#"match: { access_key_id: "${steps.key.access_key_id}" }"#,
                r#"match: { access_key_id: "AKIANOTTHISRUNSKEY00" }"#,
                1,
            );
    assert!(
        scenario.contains("AKIANOTTHISRUNSKEY00"),
        "the match was replaced"
    );
    let path = lib
        .path()
        .join("scenarios/compromised-access-key-alert-path.yaml");
    std::fs::write(&path, scenario).expect("write");
    std::fs::copy(
        repo().join("runbooks/compromised-iam-credentials.yaml"),
        lib.path().join("runbooks/compromised-iam-credentials.yaml"),
    )
    .expect("copy the runbook");
    let out = run(&[
        "run",
        path.to_str().expect("utf-8"),
        "--library",
        lib.path().to_str().expect("utf-8"),
        "--virtual",
        "--autopilot",
        "--seed",
        "1",
        "--json",
        "--quiet",
        "--runs-dir",
        runs.path().to_str().expect("utf-8"),
    ]);
    let j = json_lines(&stdout(&out)).remove(0);
    let run_id = j["run_id"].as_str().expect("run id");
    let report: Value = serde_json::from_slice(
        &std::fs::read(runs.path().join(run_id).join("report.json")).expect("report.json"),
    )
    .expect("JSON");
    let detections = report["runs"][0]["detections"]
        .as_array()
        .expect("detections");
    let reason = |id: &str| {
        detections
            .iter()
            .find(|d| d["id"] == id)
            .map(|d| (d["met"].clone(), d["missed_reason"].clone()))
    };
    assert_eq!(
        reason("securityhub-import"),
        Some((
            Value::Bool(false),
            Value::from("after: the hop before it, `guardduty-pentest`, was missed")
        )),
        "{detections:?}"
    );
    assert_eq!(
        reason("page-acknowledged"),
        Some((
            Value::Bool(false),
            Value::from("after: the hop before it, `securityhub-import`, was missed")
        )),
        "{detections:?}"
    );
}

#[test]
fn a_detector_command_with_no_hop_before_it_is_a_warning_on_the_simulator() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let text =
        std::fs::read_to_string(repo().join("scenarios/compromised-access-key-alert-path.yaml"))
            .expect("the scenario")
            .replacen("    after: securityhub-import\n", "", 1);
    let file = tmp.path().join("compromised-access-key-alert-path.yaml");
    std::fs::write(&file, text).expect("write");
    let file = file.to_str().expect("utf-8");
    let out = run(&["validate", "--library", &repo().to_string_lossy(), file]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(
            "warning: detect[2].source: the simulator models an external detector only as a \
             hop after another detection, so on the simulator this detection is always missed\n  \
             hint: give it `after: ID`"
        ),
        "{err}"
    );
}
