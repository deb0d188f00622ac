//! The AWS-API emulator the AWS-target tests run against: moto in server mode, from the
//! virtual environment `./scripts/test` installs, with the tests' own extension
//! (`tests/emulator/gameday_moto.py`: the GuardDuty findings operations moto lacks),
//! started on a free loopback port for one test and stopped when it is dropped.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The virtual environment holding moto: `$GAMEDAY_MOTO_VENV`, else
/// `$XDG_CACHE_HOME/gameday-moto` (or `~/.cache/gameday-moto`).
pub fn venv() -> PathBuf {
    if let Some(v) = std::env::var_os("GAMEDAY_MOTO_VENV") {
        return PathBuf::from(v);
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(|| PathBuf::from(".cache"));
    cache.join("gameday-moto")
}

/// A running emulator.
pub struct Moto {
    child: Child,
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// Its working directory, where its request recording goes; removed with it.
    _dir: tempfile::TempDir,
}

impl Moto {
    /// Starts one and waits until it answers.
    #[allow(clippy::panic)]
    pub fn start() -> Moto {
        let python = venv().join("bin/python");
        assert!(
            venv().join("bin/moto_server").is_file(),
            "the AWS-API emulator is missing ({}): run ./scripts/test, which installs it",
            venv().display()
        );
        let extension = crate::repo().join("tests/emulator/gameday_moto.py");
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("no temp dir: {e}"));
        // Port 0: the server takes a free port itself and says which, so no other test
        // can take it between our choosing and its binding.
        let mut child = Command::new(&python)
            .arg(&extension)
            .args(["-H", "127.0.0.1", "-p", "0"])
            .current_dir(dir.path())
            .env("MOTO_RECORDER_FILEPATH", dir.path().join("recording"))
            .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
            .env("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", extension.display()));
        let stderr = child
            .stderr
            .take()
            .unwrap_or_else(|| panic!("no stderr from the emulator"));
        let (tx, rx) = std::sync::mpsc::channel();
        // The server logs every request on stderr: keep reading it so it never blocks.
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stderr)
                .lines()
                .map_while(std::result::Result::ok)
            {
                if let Some(port) = line
                    .split("Running on http://127.0.0.1:")
                    .nth(1)
                    .and_then(|p| p.trim().parse::<u16>().ok())
                    && let Some(tx) = tx.take()
                {
                    let _ = tx.send(port);
                }
            }
        });
        let port = rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("the emulator did not say its port in 60 s"));
        let moto = Moto {
            child,
            port,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while moto.request("GET", "/moto-api/").is_none() {
            assert!(
                Instant::now() < deadline,
                "the emulator did not start in 30 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        moto
    }

    /// Its endpoint URL.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// A plain HTTP request to the emulator's own API; the body of the answer.
    pub fn request(&self, method: &str, path: &str) -> Option<String> {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(60))).ok()?;
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
        .ok()?;
        let mut out = String::new();
        s.read_to_string(&mut out).ok()?;
        let (head, body) = out.split_once("\r\n\r\n")?;
        head.starts_with("HTTP/1.").then(|| body.to_owned())
    }

    /// Starts recording every request the emulator serves.
    pub fn record(&self) {
        self.request("POST", "/moto-api/recorder/reset-recording");
        self.request("POST", "/moto-api/recorder/start-recording");
    }

    /// Every request recorded since [`Moto::record`], as moto logs them (`method`, `url`,
    /// `headers`, `body`), with the body decoded.
    pub fn recorded(&self) -> Vec<serde_json::Value> {
        self.request("POST", "/moto-api/recorder/stop-recording");
        let log = self
            .request("GET", "/moto-api/recorder/download-recording")
            .unwrap_or_default();
        log.lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .map(|mut r| {
                if r["body_encoded"] == true {
                    use base64::Engine;
                    let decoded = base64::engine::general_purpose::STANDARD
                        .decode(r["body"].as_str().unwrap_or_default())
                        .map(|b| String::from_utf8_lossy(&b).into_owned())
                        .unwrap_or_default();
                    r["body"] = serde_json::Value::String(decoded);
                }
                r
            })
            .collect()
    }

    /// The actions (`Action=…` of query-protocol calls, or the `X-Amz-Target` of JSON
    /// ones) of every request recorded so far.
    pub fn recorded_actions(&self) -> Vec<String> {
        self.recorded()
            .iter()
            .map(|r| action_of(r).unwrap_or_else(|| format!("{} {}", r["method"], r["url"])))
            .collect()
    }

    /// A request to the emulator as an AWS client of `service` in us-east-1 would send it
    /// (the emulator reads the service and region from the credential scope and checks no
    /// signature); the status and body of the answer.
    pub fn aws(
        &self,
        service: &str,
        method: &str,
        path: &str,
        content_type: &str,
        body: &str,
    ) -> Option<(u16, String)> {
        self.request_as(service, method, path, content_type, "", body)
    }

    /// A POST of [`Moto::aws`], with `headers` (each ending in CRLF) added.
    pub fn aws_with(
        &self,
        service: &str,
        path: &str,
        content_type: &str,
        headers: &str,
        body: &str,
    ) -> Option<(u16, String)> {
        self.request_as(service, "POST", path, content_type, headers, body)
    }

    fn request_as(
        &self,
        service: &str,
        method: &str,
        path: &str,
        content_type: &str,
        headers: &str,
        body: &str,
    ) -> Option<(u16, String)> {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(60))).ok()?;
        let date = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: {content_type}\r\n\
             {headers}X-Amz-Date: {date}\r\n\
             Authorization: AWS4-HMAC-SHA256 Credential=testing/{day}/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=0\r\n\
             Content-Length: {len}\r\nConnection: close\r\n\r\n{body}",
            port = self.port,
            day = &date[..8],
            len = body.len(),
        )
        .ok()?;
        let mut out = String::new();
        s.read_to_string(&mut out).ok()?;
        let (head, body) = out.split_once("\r\n\r\n")?;
        let status = head.split(' ').nth(1)?.parse().ok()?;
        Some((status, body.to_owned()))
    }

    /// The region's GuardDuty detector, created if there is none.
    #[allow(clippy::panic)]
    pub fn detector(&self) -> String {
        let json = "application/json";
        let (_, listed) = self
            .aws("guardduty", "GET", "/detector", json, "")
            .unwrap_or_else(|| panic!("ListDetectors failed"));
        let listed: serde_json::Value = serde_json::from_str(&listed).unwrap_or_default();
        if let Some(id) = listed["detectorIds"][0].as_str() {
            return id.to_owned();
        }
        let (_, made) = self
            .aws("guardduty", "POST", "/detector", json, r#"{"enable":true}"#)
            .unwrap_or_else(|| panic!("CreateDetector failed"));
        let made: serde_json::Value = serde_json::from_str(&made).unwrap_or_default();
        made["detectorId"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("CreateDetector gave no id: {made}"))
    }

    /// Puts a GuardDuty finding into the region's detector (created if there is none), as
    /// GuardDuty would publish it: `spec` is a JSON object with `type`, and optionally
    /// `createdAt` (ISO 8601), `resource` (`accessKeyId`, `userName`, `instanceId`,
    /// `bucket`, `trailName`), `userAgent`, `title`, `severity`.
    #[allow(clippy::panic)]
    pub fn inject_finding(&self, spec: &serde_json::Value) {
        let detector = self.detector();
        let body = serde_json::json!({ "findingTypes": [], "gamedayFindings": [spec] });
        let answer = self.aws(
            "guardduty",
            "POST",
            &format!("/detector/{detector}/findings/create"),
            "application/json",
            &body.to_string(),
        );
        assert!(
            matches!(answer, Some((200, _))),
            "injecting {spec} failed: {answer:?}"
        );
    }

    /// Imports a finding into Security Hub (BatchImportFindings), as a product would:
    /// `id`, its `CreatedAt` (ISO 8601), product name, ASFF types, title and resource ids.
    pub fn import_hub_finding(
        &self,
        id: &str,
        created_at: &str,
        product: &str,
        types: &[String],
        title: &str,
        resources: &[String],
    ) {
        let finding = serde_json::json!({
            "SchemaVersion": "2018-10-08",
            "Id": id,
            "ProductArn": "arn:aws:securityhub:us-east-1::product/aws/guardduty",
            "ProductName": product,
            "GeneratorId": format!("arn:aws:guardduty:us-east-1:123456789012:detector/{}", self.detector()),
            "AwsAccountId": "123456789012",
            "Types": types,
            "CreatedAt": created_at,
            "UpdatedAt": created_at,
            "Severity": {"Label": "MEDIUM"},
            "Title": title,
            "Description": title,
            "Resources": resources.iter().map(|r| serde_json::json!({"Type": "Other", "Id": r})).collect::<Vec<_>>(),
        });
        self.python(&format!(
            "import boto3, json\n\
             sh = boto3.client('securityhub')\n\
             try:\n    sh.enable_security_hub()\nexcept Exception:\n    pass\n\
             r = sh.batch_import_findings(Findings=[json.loads({:?})])\n\
             assert r['FailedCount'] == 0, r\n",
            finding.to_string()
        ));
    }

    /// Creates log group `group` (CreateLogGroup), unless it exists.
    pub fn create_log_group(&self, group: &str) {
        self.python(&format!(
            "import boto3\n\
             logs = boto3.client('logs')\n\
             try:\n    logs.create_log_group(logGroupName={group:?})\n\
             except logs.exceptions.ResourceAlreadyExistsException:\n    pass\n"
        ));
    }

    /// Writes one log event (PutLogEvents) to `group`, in a stream of its own, with the
    /// event's own time `at` (its `@timestamp`) and `message`.
    pub fn put_log_event(&self, group: &str, at: chrono::DateTime<chrono::Utc>, message: &str) {
        let stream = format!("gameday-test-{}", at.timestamp_millis());
        self.python(&format!(
            "import boto3\n\
             logs = boto3.client('logs')\n\
             logs.create_log_stream(logGroupName={group:?}, logStreamName={stream:?})\n\
             logs.put_log_events(logGroupName={group:?}, logStreamName={stream:?}, \
             logEvents=[{{'timestamp': {}, 'message': {message:?}}}])\n",
            at.timestamp_millis()
        ));
    }

    /// Puts an event on the default EventBridge bus (PutEvents), as AWS services publish
    /// theirs: `detail` is the event's detail object.
    pub fn put_event(&self, source: &str, detail_type: &str, detail: &serde_json::Value) {
        self.send_event(source, detail_type, detail, None);
    }

    /// [`Moto::put_event`] with the event's `Time` set to `at`; the bus keeps whole
    /// seconds, as EventBridge does.
    pub fn put_event_at(
        &self,
        source: &str,
        detail_type: &str,
        detail: &serde_json::Value,
        at: chrono::DateTime<chrono::Utc>,
    ) {
        self.send_event(source, detail_type, detail, Some(at));
    }

    #[allow(clippy::panic)]
    fn send_event(
        &self,
        source: &str,
        detail_type: &str,
        detail: &serde_json::Value,
        at: Option<chrono::DateTime<chrono::Utc>>,
    ) {
        let mut entry = serde_json::json!({
            "Source": source,
            "DetailType": detail_type,
            "Detail": detail.to_string(),
        });
        if let Some(at) = at {
            entry["Time"] = serde_json::json!(at.timestamp_millis() as f64 / 1000.0);
        }
        let body = serde_json::json!({ "Entries": [entry] });
        let answer = self.aws_with(
            "events",
            "/",
            "application/x-amz-json-1.1",
            "X-Amz-Target: AWSEvents.PutEvents\r\n",
            &body.to_string(),
        );
        assert!(
            matches!(&answer, Some((200, b)) if b.contains("\"FailedEntryCount\": 0")),
            "PutEvents failed: {answer:?}"
        );
    }

    /// A CloudWatch call of the query protocol: `Action=…&…` without the version.
    #[allow(clippy::panic)]
    fn cloudwatch(&self, params: &str) {
        let body = format!("{params}&Version=2010-08-01");
        let answer = self.aws(
            "monitoring",
            "POST",
            "/",
            "application/x-www-form-urlencoded",
            &body,
        );
        assert!(matches!(answer, Some((200, _))), "{params}: {answer:?}");
    }

    /// Sets a CloudWatch alarm's state (SetAlarmState), as its evaluation would.
    pub fn set_alarm_state(&self, alarm: &str, state: &str) {
        self.cloudwatch(&format!(
            "Action=SetAlarmState&AlarmName={alarm}&StateValue={state}&StateReason=gameday-test"
        ));
    }

    /// Creates CloudWatch alarm `alarm` (PutMetricAlarm on a metric nothing reports, so
    /// only [`Moto::set_alarm_state`] moves it), in state OK.
    pub fn put_alarm(&self, alarm: &str) {
        self.cloudwatch(&format!(
            "Action=PutMetricAlarm&AlarmName={alarm}&MetricName=gameday-{alarm}\
             &Namespace=CISBenchmark&Statistic=Sum&Period=300&EvaluationPeriods=1&Threshold=1\
             &ComparisonOperator=GreaterThanOrEqualToThreshold"
        ));
        self.set_alarm_state(alarm, "OK");
    }

    /// Runs Python with boto3 against the emulator (to arrange a test's account state).
    pub fn python(&self, script: &str) {
        self.python_output(script);
    }

    /// [`Moto::python`], returning what the script printed.
    #[allow(clippy::panic)]
    pub fn python_output(&self, script: &str) -> String {
        let out = Command::new(venv().join("bin/python"))
            .args(["-c", script])
            .env("AWS_ENDPOINT_URL", self.url())
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .stderr(Stdio::inherit())
            .output()
            .unwrap_or_else(|e| panic!("cannot run python: {e}"));
        assert!(out.status.success(), "the script failed:\n{script}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The action of a recorded request (see [`Moto::recorded`]): the `Action=…` of a
/// query-protocol call, or the `X-Amz-Target` of a JSON one; `None` for a REST request.
pub fn action_of(r: &serde_json::Value) -> Option<String> {
    r["body"]
        .as_str()
        .unwrap_or_default()
        .split('&')
        .find_map(|kv| kv.strip_prefix("Action="))
        .map(str::to_owned)
        .or_else(|| r["headers"]["X-Amz-Target"].as_str().map(str::to_owned))
}
