//! Game days on the emulator, as a user would run them (`gameday run --target moto`),
//! with the test playing GuardDuty and CloudWatch: it follows the run's journal and, when
//! a detection's trigger step has run (T0), puts a finding whose `createdAt` is T0 plus a
//! known delay, or moves an alarm into ALARM that delay after T0. The run's measured time
//! to detect must then be that delay. A drill's detection (`sample: true`) it leaves to
//! the sample finding the run creates.

use crate::moto::Moto;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The delay between T0 and each injected detection.
pub const DELAY: Duration = Duration::from_secs(2);

/// What follows `key:` on each line of every library scenario, trimmed.
fn library_values(key: &str) -> Vec<String> {
    crate::library_scenarios()
        .iter()
        .flat_map(|p| {
            std::fs::read_to_string(p)
                .unwrap_or_default()
                .lines()
                .filter_map(|l| l.trim().strip_prefix(key).map(|v| v.trim().to_owned()))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The alarm names every library scenario watches, created in each emulator.
pub fn library_alarms() -> BTreeSet<String> {
    library_values("alarm:").into_iter().collect()
}

/// The log groups the library's `logs` detections query (`log_groups: [A, B]`).
pub fn library_log_groups() -> BTreeSet<String> {
    library_values("log_groups:")
        .iter()
        .flat_map(|l| {
            l.trim_start_matches('[')
                .trim_end_matches(']')
                .split(',')
                .map(|g| g.trim().trim_matches('"').to_owned())
                .filter(|g| !g.is_empty())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// An emulator ready for the library's game days: a GuardDuty detector, every alarm the
/// library watches, in state OK, and every log group it queries.
pub fn library_emulator() -> Moto {
    let moto = Moto::start();
    moto.detector();
    for alarm in library_alarms() {
        moto.put_alarm(&alarm);
    }
    for group in library_log_groups() {
        moto.create_log_group(&group);
    }
    moto
}

/// A `gameday.yaml` with one target, `moto`, at `endpoint`, polling every second, and a
/// test account's credentials in the environment (see [`command`]).
pub fn config(dir: &Path, endpoint: &str, extra: &str) -> PathBuf {
    let file = dir.join("gameday.yaml");
    let pager = write_pager(dir);
    let python = crate::moto::venv().join("bin/python");
    let text = format!(
        "targets:\n  - name: moto\n    kind: aws\n    regions: [us-east-1]\n    \
         allowed_accounts: [\"123456789012\"]\n    endpoint_url: {endpoint}\n    \
         attacker_ip: 198.51.100.7\n    tags: {{ team: blue }}\n    max_attempts: 10\n    \
         poll: {{ guardduty: 1s, cloudwatch: 1s, detectors: 1s, containment: 1s }}\n    \
         commands:\n      pager: {{ run: [{}, {}], timeout: 20s }}\n{extra}",
        python.display(),
        pager.display()
    );
    std::fs::write(&file, text).unwrap_or_default();
    file
}

/// The test's paging tool, as a `command` detector: it reports the page of a detection
/// acknowledged [`DELAY`] after the hop before it (`GAMEDAY_AFTER_AT`), once that moment
/// has passed; before, nothing.
fn write_pager(dir: &Path) -> PathBuf {
    let file = dir.join("pager.py");
    let script = format!(
        "import datetime, json, os\n\
         after = os.environ.get('GAMEDAY_AFTER_AT')\n\
         if after:\n    \
             at = datetime.datetime.fromisoformat(after.replace('Z', '+00:00')) + datetime.timedelta(seconds={})\n    \
             if at <= datetime.datetime.now(datetime.timezone.utc):\n        \
                 print(json.dumps({{'at': at.isoformat(timespec='milliseconds').replace('+00:00', 'Z'), \
                 'id': 'PAGE-' + os.environ['GAMEDAY_DETECTION_ID'], 'title': 'acknowledged by ana'}}))\n",
        DELAY.as_secs()
    );
    std::fs::write(&file, script).unwrap_or_default();
    file
}

/// The secret access key of the test account: searched for in everything a run writes.
pub const SECRET: &str = "gamedayTestSecretKeyDoNotLeak0123456789";

/// `gameday ARGS` with the test account's credentials, from `dir`.
pub fn command(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(crate::binary());
    c.current_dir(dir)
        .args(args)
        .env_remove("GAMEDAY_LIBRARY")
        .env_remove("AWS_PROFILE")
        .env("AWS_ACCESS_KEY_ID", "AKIAGAMEDAYTEST00001")
        .env("AWS_SECRET_ACCESS_KEY", SECRET)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        // Each test's claims of live runs are its own.
        .env("GAMEDAY_LIVE_DIR", dir.join(".live"))
        .env("AWS_CONFIG_FILE", dir.join("no-aws-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            dir.join("no-aws-credentials"),
        );
    c
}

/// `gameday run SCENARIO --target moto --autopilot` in `dir`, with runs under
/// `dir/runs`; stdout and stderr go to files in `dir`.
#[allow(clippy::panic)]
pub fn spawn_run(dir: &Path, scenario: &str, extra: &[&str]) -> Child {
    let library = crate::repo();
    let mut args = vec![
        "run",
        scenario,
        "--library",
        library.to_str().unwrap_or_default(),
        "--target",
        "moto",
        "--autopilot",
        "--think-time",
        "1s",
        "--runs-dir",
        "runs",
    ];
    // A scenario's settle waits (`…_settle` parameters: a threat list taking effect, an
    // alarm returning to OK) last minutes on AWS; the emulator needs none, unless a test
    // asks for one.
    let settles: Vec<String> = settle_params(scenario)
        .into_iter()
        .filter(|p| !extra.iter().any(|a| a.starts_with(&format!("{p}="))))
        .map(|p| format!("{p}=1s"))
        .collect();
    for s in &settles {
        args.extend(["--param", s.as_str()]);
    }
    args.extend(extra);
    let out = std::fs::File::create(dir.join(format!("{scenario}.out")))
        .unwrap_or_else(|e| panic!("{e}"));
    let err = std::fs::File::create(dir.join(format!("{scenario}.err")))
        .unwrap_or_else(|e| panic!("{e}"));
    command(dir, &args)
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err))
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start gameday: {e}"))
}

/// The events of the journal of the only run under `runs`, if it exists yet (complete
/// lines only).
pub fn events(runs: &Path) -> Vec<Value> {
    let Some(dir) = run_dirs(runs).into_iter().next() else {
        return Vec::new();
    };
    let text = std::fs::read_to_string(dir.join("journal.jsonl")).unwrap_or_default();
    text.split_inclusive('\n')
        .filter(|l| l.ends_with('\n'))
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// The run directories under `runs`.
pub fn run_dirs(runs: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(runs)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    v.sort();
    v
}

/// `${steps.ID.FIELD}` references in `text`, replaced with the outputs seen so far.
fn resolve(text: &str, outputs: &BTreeMap<String, Map<String, Value>>) -> Option<String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}')? + start;
        let reference = &rest[start + 2..end];
        let mut parts = reference.splitn(3, '.');
        let (Some("steps"), Some(step), Some(field)) = (parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        match outputs.get(step)?.get(field)? {
            Value::String(s) => out.push_str(s),
            v => out.push_str(&v.to_string()),
        }
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// A finding's resource, from a scenario's `match`.
fn finding_resource(matches: &BTreeMap<String, String>) -> Value {
    let mut r = Map::new();
    for (k, v) in matches {
        let key = match k.as_str() {
            "access_key_id" => "accessKeyId",
            "user_name" => "userName",
            "instance_id" => "instanceId",
            "bucket" => "bucket",
            "trail_name" => "trailName",
            _ => continue,
        };
        r.insert(key.to_owned(), Value::String(v.clone()));
    }
    Value::Object(r)
}

/// The `createdAt` of finding `id` in the emulator, read through boto3, not gameday.
pub fn finding_created_at(moto: &Moto, id: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let out = moto.python_output(&format!(
        "import boto3\ngd = boto3.client('guardduty', region_name='us-east-1')\n\
         d = gd.list_detectors()['DetectorIds'][0]\n\
         f = gd.get_findings(DetectorId=d, FindingIds=[{id:?}])['Findings'][0]\n\
         print(f['CreatedAt'], f['Service']['AdditionalInfo']['Value'])"
    ));
    let (at, info) = out.trim().split_once(' ')?;
    let sample: Value = serde_json::from_str(info).ok()?;
    (sample["sample"] == true).then_some(())?;
    at.parse().ok()
}

/// The ids of the drill detections (`sample: true`) of the run whose `events` these are.
pub fn drill_ids(events: &[Value]) -> Vec<String> {
    events
        .first()
        .and_then(|e| e["plan"]["scenario"]["detect"].as_array())
        .into_iter()
        .flatten()
        .filter(|d| d["sample"] == true)
        .filter_map(|d| d["id"].as_str().map(str::to_owned))
        .collect()
}

/// What the detectors did for one run.
#[derive(Debug, Default)]
pub struct Played {
    /// Detection id → T0 (from the journal) and when the detection was put.
    pub injected: BTreeMap<String, (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>)>,
}

/// Plays the detectors for the run under `runs` until `child` exits or `timeout` passes;
/// returns what it injected and the exit status.
pub fn play(
    moto: &Moto,
    runs: &Path,
    child: &mut Child,
    timeout: Duration,
) -> (Played, Option<std::process::ExitStatus>) {
    let deadline = Instant::now() + timeout;
    let mut detectors = Detectors::default();
    loop {
        detectors.tick(moto, runs);
        if let Ok(Some(status)) = child.try_wait() {
            return (detectors.played, Some(status));
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return (detectors.played, None);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// GuardDuty and CloudWatch as the test plays them for one run: call [`Detectors::tick`]
/// often (every 20 ms or so) while the run goes on.
#[derive(Debug, Default)]
pub struct Detectors {
    /// What was injected so far.
    pub played: Played,
    /// Alarms to move at a wall-clock moment: (when, alarm).
    due: Vec<(chrono::DateTime<chrono::Utc>, String)>,
}

impl Detectors {
    /// Reads the run's journal once; puts each detection whose trigger has run, and moves
    /// each alarm whose moment has come.
    #[allow(clippy::panic)]
    pub fn tick(&mut self, moto: &Moto, runs: &Path) {
        let delay = chrono::Duration::from_std(DELAY).unwrap_or_default();
        let events = events(runs);
        let mut outputs: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
        let mut done: BTreeMap<String, chrono::DateTime<chrono::Utc>> = BTreeMap::new();
        let mut detect = Vec::new();
        let mut attack_last = None;
        for e in &events {
            match e["event"].as_str() {
                Some("run_started") => {
                    let sc = &e["plan"]["scenario"];
                    detect = sc["detect"].as_array().cloned().unwrap_or_default();
                    attack_last = sc["attack"]
                        .as_array()
                        .and_then(|a| a.last())
                        .and_then(|s| s["id"].as_str())
                        .map(str::to_owned);
                }
                Some("step_completed") => {
                    let step = e["step"].as_str().unwrap_or_default().to_owned();
                    outputs.insert(
                        step.clone(),
                        e["outputs"].as_object().cloned().unwrap_or_default(),
                    );
                    if let Some(at) = e["at"].as_str().and_then(|t| t.parse().ok()) {
                        done.insert(step, at);
                    }
                }
                _ => {}
            }
        }
        for d in &detect {
            let id = d["id"].as_str().unwrap_or_default().to_owned();
            // A drill is met by the sample finding the run itself creates.
            if self.played.injected.contains_key(&id) || d["sample"] == true {
                continue;
            }
            let trigger = d["trigger"]
                .as_str()
                .map(str::to_owned)
                .or_else(|| attack_last.clone())
                .unwrap_or_default();
            let Some(&t0) = done.get(&trigger) else {
                continue;
            };
            let matches: Option<BTreeMap<String, String>> = d["match"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| Some((k.clone(), resolve(v.as_str()?, &outputs)?)))
                        .collect()
                })
                .unwrap_or(Some(BTreeMap::new()));
            let Some(matches) = matches else {
                continue;
            };
            // A hop after another comes DELAY after the hop before it.
            let at = match d["after"].as_str() {
                None => t0 + delay,
                Some(before) => match self.played.injected.get(before) {
                    Some(&(_, at)) => at + delay,
                    None => continue,
                },
            };
            match d["source"].as_str() {
                Some("guardduty") => {
                    moto.inject_finding(&json!({
                        "type": d["finding_type"],
                        "createdAt": at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
                        "resource": finding_resource(&matches),
                        "userAgent": "aws-cli/2.15.0 md/kali",
                    }));
                    self.played.injected.insert(id, (t0, at));
                }
                Some("securityhub") => {
                    let with = &d["with"];
                    let text = |k: &str| with[k].as_str().unwrap_or_default().to_owned();
                    let asff = text("type").replacen('/', "-", 1);
                    moto.import_hub_finding(
                        &format!("gameday-test/{id}/{}", t0.timestamp_millis()),
                        &at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
                        &text("product"),
                        &[format!("TTPs/Discovery/{asff}")],
                        &format!("imported for {id}"),
                        &matches.values().cloned().collect::<Vec<_>>(),
                    );
                    self.played.injected.insert(id, (t0, at));
                }
                // What an EventBridge rule with a log group target writes: the finding's
                // event, its @timestamp the moment chosen.
                Some("logs") => {
                    let group = d["with"]["log_groups"][0].as_str().unwrap_or_default();
                    let event = json!({
                        "version": "0", "id": format!("gameday-test-{id}"),
                        "detail-type": "GuardDuty Finding", "source": "aws.guardduty",
                        "time": at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                        "detail": { "type": "PenTest:IAMUser/KaliLinux",
                                    "resource": { "accessKeyDetails": {
                                        "accessKeyId": matches.get("message") } } },
                    });
                    moto.put_log_event(group, at, &event.to_string());
                    self.played.injected.insert(id, (t0, at));
                }
                // The event the pattern describes, sent with its `time` the moment chosen.
                Some("eventbridge") => {
                    let p = &d["with"]["pattern"];
                    let event = example(p, &outputs);
                    moto.put_event_at(
                        p["source"][0].as_str().unwrap_or_default(),
                        p["detail-type"][0].as_str().unwrap_or("gameday test"),
                        &event["detail"],
                        at,
                    );
                    self.played.injected.insert(id, (t0, at));
                }
                // The test's pager (see `config`) answers by itself.
                Some("command") => {
                    self.played.injected.insert(id, (t0, at));
                }
                Some("cloudwatch") => {
                    let alarm = d["alarm"].as_str().unwrap_or_default().to_owned();
                    self.due.push((at, alarm));
                    self.played.injected.insert(id, (t0, at));
                }
                other => panic!("unknown detection source {other:?}"),
            }
        }
        let now = chrono::Utc::now();
        self.due.retain(|(at, alarm)| {
            if *at <= now {
                moto.set_alarm_state(alarm, "ALARM");
                false
            } else {
                true
            }
        });
    }
}

/// An event that `pattern` matches: each field's first value, with the run's references
/// resolved from `outputs`, a prefix followed by "Test", a suffix after "Test".
fn example(pattern: &Value, outputs: &BTreeMap<String, Map<String, Value>>) -> Value {
    match pattern {
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| (k.clone(), example(v, outputs)))
                .collect(),
        ),
        Value::Array(values) => match values.first() {
            Some(Value::String(s)) => Value::String(resolve(s, outputs).unwrap_or_default()),
            Some(Value::Object(op)) => match op.iter().next() {
                Some((k, Value::String(p))) if k == "prefix" => Value::String(format!("{p}Test")),
                Some((k, Value::String(p))) if k == "suffix" => Value::String(format!("Test{p}")),
                _ => Value::Null,
            },
            Some(other) => other.clone(),
            None => Value::Null,
        },
        other => other.clone(),
    }
}

/// Every resource in the emulator tagged `gameday:run` (by any run), as `kind id run`,
/// read from moto's own state, not through gameday's code.
pub fn tagged(moto: &Moto) -> Vec<String> {
    tagged_as(moto, None, "us-east-1")
}

/// [`tagged`], in `account` (through an assumed role, which gives each account its own
/// state in the emulator) and `region`.
pub fn tagged_as(moto: &Moto, account: Option<&str>, region: &str) -> Vec<String> {
    let session = match account {
        None => format!("boto3.session.Session(region_name={region:?})"),
        Some(a) => format!(
            "(lambda c: boto3.session.Session(aws_access_key_id=c['AccessKeyId'], \
             aws_secret_access_key=c['SecretAccessKey'], aws_session_token=c['SessionToken'], \
             region_name={region:?}))(boto3.client('sts').assume_role(\
             RoleArn='arn:aws:iam::{a}:role/gameday', RoleSessionName='check')['Credentials'])"
        ),
    };
    let out = moto.python_output(&format!("import boto3\nsession = {session}\n{TAGGED}"));
    out.lines().map(str::to_owned).collect()
}

const TAGGED: &str = r#"
iam = session.client("iam"); ec2 = session.client("ec2"); s3 = session.client("s3")
ct = session.client("cloudtrail"); gd = session.client("guardduty")
def run_of(tags):
    for t in tags or []:
        k = t.get("Key", t.get("key")); v = t.get("Value", t.get("value"))
        if k == "gameday:run":
            return v
for u in iam.list_users()["Users"]:
    r = run_of(iam.list_user_tags(UserName=u["UserName"])["Tags"])
    if r: print("iam-user", u["UserName"], r)
for role in iam.list_roles()["Roles"]:
    r = run_of(iam.list_role_tags(RoleName=role["RoleName"])["Tags"])
    if r: print("iam-role", role["RoleName"], r)
for res in ec2.describe_instances(Filters=[{"Name": "tag-key", "Values": ["gameday:run"]}])["Reservations"]:
    for i in res["Instances"]:
        if i["State"]["Name"] != "terminated":
            print("instance", i["InstanceId"], run_of(i.get("Tags")))
for g in ec2.describe_security_groups(Filters=[{"Name": "tag-key", "Values": ["gameday:run"]}])["SecurityGroups"]:
    print("security-group", g["GroupId"], run_of(g.get("Tags")))
for s in ec2.describe_snapshots(OwnerIds=["self"], Filters=[{"Name": "tag-key", "Values": ["gameday:run"]}])["Snapshots"]:
    print("snapshot", s["SnapshotId"], run_of(s.get("Tags")))
for g in ec2.describe_internet_gateways(Filters=[{"Name": "tag-key", "Values": ["gameday:run"]}])["InternetGateways"]:
    print("internet-gateway", g["InternetGatewayId"], run_of(g.get("Tags")))
for v in ec2.describe_vpcs(Filters=[{"Name": "tag-key", "Values": ["gameday:run"]}])["Vpcs"]:
    print("vpc", v["VpcId"], run_of(v.get("Tags")))
for b in s3.list_buckets()["Buckets"]:
    try:
        r = run_of(s3.get_bucket_tagging(Bucket=b["Name"])["TagSet"])
    except Exception:
        r = None
    if r: print("bucket", b["Name"], r)
kms = session.client("kms")
for k in kms.list_keys()["Keys"]:
    # A key pending deletion counts as removed: KMS cannot delete one at once.
    if kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]["KeyState"] == "PendingDeletion":
        continue
    r = run_of(kms.list_resource_tags(KeyId=k["KeyId"])["Tags"])
    if r: print("kms-key", k["KeyId"], r)
for t in ct.describe_trails()["trailList"]:
    tags = ct.list_tags(ResourceIdList=[t["TrailARN"]])["ResourceTagList"]
    r = run_of(tags[0].get("TagsList") if tags else [])
    if r: print("trail", t["Name"], r)
sqs = session.client("sqs"); events = session.client("events")
for q in sqs.list_queues().get("QueueUrls", []):
    tags = sqs.list_queue_tags(QueueUrl=q).get("Tags", {})
    if "gameday:run" in tags: print("queue", q.rsplit("/", 1)[-1], tags["gameday:run"])
for r in events.list_rules()["Rules"]:
    r2 = run_of(events.list_tags_for_resource(ResourceARN=r["Arn"])["Tags"])
    if r2: print("rule", r["Name"], r2)
for d in gd.list_detectors()["DetectorIds"]:
    for s in gd.list_threat_intel_sets(DetectorId=d)["ThreatIntelSetIds"]:
        tags = gd.get_threat_intel_set(DetectorId=d, ThreatIntelSetId=s).get("Tags", {})
        if "gameday:run" in tags: print("threat-list", s, tags["gameday:run"])
"#;

/// Waits until an event of the only run under `runs` satisfies `what`, while `child` runs;
/// returns the events so far. Panics when the run ends first or after `timeout`.
#[allow(clippy::panic)]
pub fn wait_for(
    runs: &Path,
    child: &mut Child,
    timeout: Duration,
    what: impl Fn(&Value) -> bool,
) -> Vec<Value> {
    let deadline = Instant::now() + timeout;
    loop {
        let events = events(runs);
        if events.iter().any(&what) {
            return events;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the run ended ({status}) first: {events:?}");
        }
        assert!(
            Instant::now() < deadline,
            "not within {timeout:?}: {events:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether `e` is the start of phase `phase`.
pub fn phase(e: &Value, phase: &str) -> bool {
    e["event"] == "phase_started" && e["phase"] == phase
}

/// Everything under `dir`, as (relative path, bytes), sorted: to show a folder unchanged.
pub fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = entry.path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                let rel = p.strip_prefix(base).unwrap_or(&p).display().to_string();
                out.push((rel, std::fs::read(&p).unwrap_or_default()));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// Sends SIGTERM to `child`.
#[allow(clippy::panic)]
pub fn terminate(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap_or_else(|e| panic!("kill: {e}"));
    assert!(status.success(), "kill -TERM {}", child.id());
}

/// Waits for `child` to end, for at most `limit`; its exit code and how long it took,
/// or `None` (and the child killed) when it did not end in time.
pub fn wait_at_most(child: &mut Child, limit: Duration) -> Option<(Option<i32>, Duration)> {
    let start = Instant::now();
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Some((status.code(), start.elapsed()));
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Whether the recorded request `r` (see [`Moto::recorded`]) could change anything:
/// every call but those that only read (`Get`, `List`, `Describe`, `Head`, the
/// identity), and every REST request other than GET and HEAD.
pub fn changes(r: &Value) -> bool {
    // A JSON protocol's target is `Service_Version.Action`.
    let action =
        crate::moto::action_of(r).map(|a| a.rsplit('.').next().unwrap_or_default().to_owned());
    match action {
        Some(a) => !["Get", "List", "Describe", "Head"]
            .iter()
            .any(|p| a.starts_with(p)),
        None => !matches!(r["method"].as_str(), Some("GET" | "HEAD")),
    }
}

/// The names of library scenario `scenario`'s parameters that end in `_settle`.
fn settle_params(scenario: &str) -> Vec<String> {
    let path = crate::repo()
        .join("scenarios")
        .join(format!("{scenario}.yaml"));
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.strip_prefix("  ")?.strip_suffix(':'))
        .filter(|name| name.ends_with("_settle") && !name.starts_with(' '))
        .map(str::to_owned)
        .collect()
}
