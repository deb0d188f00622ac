//! Clean-up destroys only what the run made, on the emulator: a parameter naming a bucket
//! that exists is refused before any change, a run never adopts a resource that exists
//! under the name it would create, and a journal's word is not enough for `gameday
//! cleanup` to delete what does not carry the run's tag. Every check of the account is
//! made with boto3, not through gameday's own code.

use gameday_tests::aws_run;
use gameday_tests::moto::Moto;
use std::time::Duration;

/// A bucket of somebody else's, with data, a policy and tags of its own.
const THEIRS: &str = r#"
import boto3, json
s3 = boto3.client("s3")
def make(name):
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="payroll.csv", Body=b"alice,100\n")
    s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": "owner", "Value": "data-team"}]})
    s3.put_bucket_policy(Bucket=name, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Team", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
         "Action": "s3:GetObject", "Resource": "arn:aws:s3:::%s/*" % name}]}))
"#;

/// The state of bucket `name` as boto3 sees it: objects, tags, policy, Block Public Access.
fn bucket_state(moto: &Moto, name: &str) -> String {
    moto.python_output(&format!(
        r#"
import boto3
s3 = boto3.client("s3")
b = {name:?}
print([o["Key"] for o in s3.list_objects_v2(Bucket=b).get("Contents", [])])
print(s3.get_bucket_tagging(Bucket=b)["TagSet"])
print(s3.get_bucket_policy(Bucket=b)["Policy"])
try:
    print(s3.get_public_access_block(Bucket=b)["PublicAccessBlockConfiguration"])
except Exception as e:
    print("no block")
"#
    ))
}

fn run(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    let library = gameday_tests::repo();
    let mut all = vec![
        "run",
        "--library",
        library.to_str().expect("utf-8"),
        "--target",
        "moto",
        "--autopilot",
        "--think-time",
        "1s",
    ];
    all.extend(args);
    aws_run::command(dir, &all).output().expect("gameday run")
}

#[test]
fn a_parameter_naming_an_existing_bucket_is_refused_before_any_change() {
    let moto = aws_run::library_emulator();
    moto.python(&format!("{THEIRS}\nmake('team-data')"));
    let before = bucket_state(&moto, "team-data");
    assert!(before.contains("payroll.csv"), "{before}");
    let dir = tempfile::tempdir().expect("tempdir");
    aws_run::config(dir.path(), &moto.url(), "");
    for scenario in ["public-bucket", "cloudtrail-stopped"] {
        moto.record();
        let out = run(dir.path(), &[scenario, "--param", "bucket=team-data"]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{scenario}: {err}");
        assert!(
            err.contains("--param bucket") && err.contains("team-data"),
            "{scenario}: names the parameter and its value: {err}"
        );
        assert_eq!(
            moto.recorded_actions(),
            Vec::<String>::new(),
            "{scenario}: not a single call"
        );
        assert_eq!(bucket_state(&moto, "team-data"), before, "{scenario}");
    }
    assert!(!dir.path().join("runs").exists(), "no run was started");
}

#[test]
fn a_run_never_adopts_what_exists_under_the_name_it_would_create() {
    let moto = aws_run::library_emulator();
    // What run deadbeef would name its bucket, already there.
    moto.python(&format!("{THEIRS}\nmake('gameday-deadbeef-reports')"));
    let before = bucket_state(&moto, "gameday-deadbeef-reports");
    let dir = tempfile::tempdir().expect("tempdir");
    aws_run::config(dir.path(), &moto.url(), "");
    let out = run(dir.path(), &["public-bucket", "--run-id", "deadbeef"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("gameday-deadbeef-reports") && err.contains("already exists"),
        "{err}"
    );
    assert!(err.contains("nothing was changed"), "{err}");
    assert_eq!(
        bucket_state(&moto, "gameday-deadbeef-reports"),
        before,
        "untouched"
    );
    assert!(
        !dir.path().join("runs/deadbeef").exists(),
        "no run directory for a refused run"
    );
    // `plan` shows the check it makes.
    let plan = aws_run::command(
        dir.path(),
        &[
            "plan",
            "public-bucket",
            "--library",
            gameday_tests::repo().to_str().expect("utf-8"),
            "--target",
            "moto",
        ],
    )
    .output()
    .expect("plan");
    let text = String::from_utf8_lossy(&plan.stdout);
    assert!(
        text.contains("s3:HeadBucket gameday-RUNID-reports: must not exist"),
        "{text}"
    );
}

#[test]
fn a_forged_journal_makes_cleanup_delete_nothing_that_is_not_the_runs() {
    let moto = aws_run::library_emulator();
    let dir = tempfile::tempdir().expect("tempdir");
    aws_run::config(dir.path(), &moto.url(), "");
    let runs = dir.path().join("runs");
    let mut child = aws_run::spawn_run(dir.path(), "public-bucket", &[]);
    aws_run::wait_for(&runs, &mut child, Duration::from_secs(120), |e| {
        aws_run::phase(e, "watch")
    });
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        !aws_run::tagged(&moto).is_empty(),
        "the run left its bucket"
    );
    // Someone else's user, bucket (with data) and security group, none tagged.
    let group = moto.python_output(&format!(
        r#"{THEIRS}
make("someones-data")
boto3.client("iam").create_user(UserName="someone")
print(boto3.client("ec2").create_security_group(GroupName="someones-sg", Description="web")["GroupId"])
"#
    ));
    let group = group.trim();
    // A journal line for each, as if the run had made them.
    let run_dir = aws_run::run_dirs(&runs).remove(0);
    let journal = run_dir.join("journal.jsonl");
    let events = aws_run::events(&runs);
    let last = events.last().cloned().expect("events");
    let next = last["seq"].as_u64().expect("seq") + 1;
    let mut forged = String::new();
    for (seq, (action, with, resource)) in (next..).zip([
        (
            "iam.delete_user",
            serde_json::json!({"user_name": "someone"}),
            "iam user someone",
        ),
        (
            "s3.delete_bucket",
            serde_json::json!({"bucket": "someones-data"}),
            "bucket someones-data",
        ),
        (
            "ec2.delete_security_group",
            serde_json::json!({"group_id": group}),
            "security group someones-sg",
        ),
    ]) {
        let line = serde_json::json!({
            "seq": seq, "at": last["at"], "t_ms": last["t_ms"], "event": "resource_created",
            "step": "data-bucket",
            "undo": {"action": action, "with": with, "resource": resource},
        });
        forged.push_str(&format!("{line}\n"));
    }
    let mut text = std::fs::read_to_string(&journal).expect("journal");
    text.push_str(&forged);
    std::fs::write(&journal, text).expect("forge");

    let out = aws_run::command(
        dir.path(),
        &["cleanup", "--run", run_dir.to_str().expect("utf-8")],
    )
    .output()
    .expect("cleanup");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(3), "a person must look: {said}");
    for name in ["someone", "someones-data", group] {
        assert!(
            said.lines()
                .any(|l| l.contains("not the run's") && l.contains(name)),
            "{name} is named as left alone: {said}"
        );
    }
    let still = moto.python_output(&format!(
        r#"
import boto3
print(boto3.client("iam").get_user(UserName="someone")["User"]["UserName"])
print([o["Key"] for o in boto3.client("s3").list_objects_v2(Bucket="someones-data").get("Contents", [])])
print(boto3.client("ec2").describe_security_groups(GroupIds=[{group:?}])["SecurityGroups"][0]["GroupName"])
"#
    ));
    assert_eq!(
        still.lines().collect::<Vec<_>>(),
        ["someone", "['payroll.csv']", "someones-sg"],
        "nothing of theirs was deleted"
    );
    assert!(
        aws_run::tagged(&moto).is_empty(),
        "the run's own resources are gone: {:?}",
        aws_run::tagged(&moto)
    );
    let ended = aws_run::events(&runs);
    let finished = ended
        .iter()
        .rev()
        .find(|e| e["event"] == "cleanup_finished")
        .cloned()
        .unwrap_or_default();
    assert_eq!(finished["not_ours"], 3, "{finished}");
    assert_eq!(finished["remaining"], serde_json::json!([]), "{finished}");
    let report = std::fs::read_to_string(run_dir.join("report.md")).expect("report");
    assert!(report.contains("Refused, not the run's"), "{report}");
}
