//! A reverse proxy on loopback between the AWS SDK and the emulator: it forwards every
//! request to the emulator and returns its answer, records each exchange (service,
//! action, status, answer body), and answers a seeded random share of the requests with
//! an injected fault instead of forwarding them, so tests can check that the SDK's
//! retries absorb throttling and server errors.
//!
//! The proxy speaks plain HTTP/1.1 (keep-alive, `Content-Length` and chunked bodies in
//! both directions, `Expect: 100-continue`) and serves each connection on its own task of
//! a single-threaded tokio runtime, in a background thread.
//!
//! Injected faults alternate, per proxy: the first, third, fifth… are the throttling
//! error of the request's protocol, the second, fourth… a plain HTTP 503:
//!
//! | protocol                                  | throttling answer                                  |
//! |-------------------------------------------|----------------------------------------------------|
//! | query (IAM, STS, CloudWatch, …)           | 400, XML `ErrorResponse`, code `Throttling`        |
//! | EC2                                       | 503, XML `Response`, code `RequestLimitExceeded`   |
//! | JSON, with `X-Amz-Target` (CloudTrail, …) | 400, `x-amzn-ErrorType: ThrottlingException`       |
//! | REST-JSON (GuardDuty)                     | 429, `x-amzn-ErrorType: TooManyRequestsException`  |
//! | other REST-JSON                           | 400, `x-amzn-ErrorType: ThrottlingException`       |
//! | S3                                        | 503, XML `Error`, code `SlowDown`                  |
//!
//! All of these codes are in the SDK's list of throttling errors, and 503 is among the
//! statuses it retries as transient. Requests to the emulator's own API (`/moto-api/…`)
//! are never faulted and draw nothing from the random sequence.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// The largest request or response head read, in bytes.
const MAX_HEAD: usize = 64 * 1024;
/// The largest request or response body read, in bytes.
const MAX_BODY: usize = 256 * 1024 * 1024;
/// How long the emulator has to answer one forwarded request.
const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(60);
/// Headers that concern one connection only, never forwarded.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "expect",
    "content-length",
];

/// Name (as sent) and value of every header of a message, in order.
type Headers = Vec<(String, Vec<u8>)>;

/// What [`Proxy::start`] is given.
#[derive(Debug, Clone, Copy)]
pub struct ProxyConfig {
    /// The emulator's port on 127.0.0.1, where requests are forwarded.
    pub upstream: u16,
    /// The probability, from 0.0 to 1.0, that a request is answered with an injected
    /// fault instead of being forwarded (values outside are clamped; NaN counts as 0).
    pub fault_rate: f64,
    /// The seed of the draws that pick the faulted requests: the same seed and the same
    /// sequence of requests fault the same requests.
    pub seed: u64,
    /// An action (such as `CreateAccessKey`) whose successful answers reach the client
    /// mangled (a byte that is not UTF-8 put before them): the emulator did what was
    /// asked, and the client cannot read that it did, though the answer it holds is
    /// whole, with whatever secret it carries.
    pub garble: Option<&'static str>,
}

/// One request the proxy answered.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// When the proxy had read the whole request.
    pub at: Instant,
    /// The service of the request's SigV4 credential scope (`iam`, `ec2`, `sts`, `s3`,
    /// `monitoring`, `cloudtrail`, `guardduty`, …); `moto-api` for the emulator's own
    /// API; `unknown` for an unsigned request.
    pub service: String,
    /// The operation: the `Action` form field (query protocols), the part of
    /// `X-Amz-Target` after its last `.` (JSON protocols), else `METHOD /path` (REST
    /// protocols and the emulator's API; the path without its query string).
    pub action: String,
    /// The HTTP status of the answer: the emulator's, the injected fault's, or 502 or 504
    /// when the emulator could not be reached or did not answer in time.
    pub status: u16,
    /// Whether the answer was an injected fault (and the emulator never saw the request).
    pub injected: bool,
    /// The body of the emulator's answer as (lossy) UTF-8; empty for an injected fault.
    pub response_body: String,
}

/// A running proxy, stopped when dropped (its open connections are closed).
pub struct Proxy {
    port: u16,
    state: Arc<Mutex<State>>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Proxy {
    /// Binds 127.0.0.1 on a free port and serves it from a background thread; returns
    /// once the port is listening.
    #[allow(clippy::panic)]
    pub fn start(config: ProxyConfig) -> Proxy {
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0))
            .unwrap_or_else(|e| panic!("the proxy cannot bind 127.0.0.1: {e}"));
        listener
            .set_nonblocking(true)
            .unwrap_or_else(|e| panic!("the proxy's socket cannot be non-blocking: {e}"));
        let port = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("the proxy's socket has no address: {e}"))
            .port();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("no runtime for the proxy: {e}"));
        let fault_rate = if config.fault_rate.is_nan() {
            0.0
        } else {
            config.fault_rate.clamp(0.0, 1.0)
        };
        let state = Arc::new(Mutex::new(State {
            rng: ChaCha8Rng::seed_from_u64(config.seed),
            fault_rate,
            garble: config.garble,
            exchanges: Vec::new(),
            faults: 0,
        }));
        let (stop, stopped) = oneshot::channel::<()>();
        let shared = Arc::clone(&state);
        let upstream = config.upstream;
        let thread = std::thread::Builder::new()
            .name(format!("proxy-{port}"))
            .spawn(move || {
                runtime.block_on(async move {
                    let Ok(listener) = TcpListener::from_std(listener) else {
                        return;
                    };
                    tokio::select! {
                        () = accept(listener, shared, upstream) => {}
                        _ = stopped => {}
                    }
                });
                // Dropping the runtime here cancels every connection's task.
            })
            .unwrap_or_else(|e| panic!("cannot start the proxy's thread: {e}"));
        Proxy {
            port,
            state,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// Its port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Its endpoint URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Every request answered so far, in the order the requests arrived. A request is
    /// listed before its answer is sent, so a call that has returned is always listed.
    pub fn requests(&self) -> Vec<Exchange> {
        lock(&self.state)
            .exchanges
            .iter()
            .flatten()
            .cloned()
            .collect()
    }

    /// How many requests were answered with an injected fault.
    pub fn faults(&self) -> usize {
        lock(&self.state).faults
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// What the connections share.
struct State {
    rng: ChaCha8Rng,
    fault_rate: f64,
    garble: Option<&'static str>,
    /// One slot a request, in arrival order; filled once its answer is known.
    exchanges: Vec<Option<Exchange>>,
    faults: usize,
}

/// The kind of an injected fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// The throttling error of the request's protocol.
    Throttling,
    /// A plain HTTP 503.
    Unavailable,
}

impl State {
    /// Takes a slot for a request that just arrived and decides whether to fault it:
    /// the slot, the fault if any, and the fault's number (for its request id).
    fn arrive(&mut self, faultable: bool) -> (usize, Option<Fault>, usize) {
        let slot = self.exchanges.len();
        self.exchanges.push(None);
        if !faultable || self.rng.random::<f64>() >= self.fault_rate {
            return (slot, None, 0);
        }
        let fault = if self.faults.is_multiple_of(2) {
            Fault::Throttling
        } else {
            Fault::Unavailable
        };
        self.faults += 1;
        (slot, Some(fault), self.faults)
    }
}

/// The state, even if a thread panicked holding it.
fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Serves every connection made to `listener`, each on its own task.
async fn accept(listener: TcpListener, state: Arc<Mutex<State>>, upstream: u16) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                tokio::spawn(serve(stream, Arc::clone(&state), upstream));
            }
            // Out of file descriptors, say: wait for some to close.
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

/// Answers the requests of one client connection until it closes or asks to.
async fn serve(stream: TcpStream, state: Arc<Mutex<State>>, upstream: u16) {
    let _ = stream.set_nodelay(true);
    let mut conn = BufReader::new(stream);
    loop {
        let request = match read_request(&mut conn).await {
            Ok(Some(r)) => r,
            Ok(None) => return,
            Err(e) => {
                let bad = Answer::plain(400, "Bad Request", &format!("bad request: {e}"));
                let _ = conn.get_mut().write_all(&bad.to_bytes(false, true)).await;
                return;
            }
        };
        let answer = answer(&request, &state, upstream).await;
        let bytes = answer.to_bytes(request.method == "HEAD", request.close);
        if conn.get_mut().write_all(&bytes).await.is_err() || request.close {
            return;
        }
    }
}

/// A request as read from a client, its body whole.
struct Request {
    method: String,
    /// The request target as sent: path and query string.
    target: String,
    /// Name (as sent) and value of every header, in order.
    headers: Headers,
    body: Vec<u8>,
    /// Whether it had a body framing (`Content-Length` or chunked), even an empty one.
    framed: bool,
    /// Whether the client closes the connection after this request.
    close: bool,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }

    /// The path, without the query string.
    fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }

    /// The query string, empty if there is none.
    fn query(&self) -> &str {
        self.target
            .split_once('?')
            .map(|(_, q)| q)
            .unwrap_or_default()
    }
}

/// An answer to send to the client.
struct Answer {
    status: u16,
    reason: String,
    /// Headers, hop-by-hop ones and `Content-Length` left out when sent unless
    /// `keep_length`.
    headers: Headers,
    body: Vec<u8>,
    /// A bodiless answer (to HEAD, or 204, or 304): its own `Content-Length`, if any, is
    /// sent as it is, and no other.
    keep_length: bool,
}

impl Answer {
    /// An answer of `status` with a plain-text body.
    fn plain(status: u16, reason: &str, text: &str) -> Answer {
        Answer {
            status,
            reason: reason.to_owned(),
            headers: vec![("Content-Type".to_owned(), b"text/plain".to_vec())],
            body: text.as_bytes().to_vec(),
            keep_length: false,
        }
    }

    /// The answer on the wire; without its body for a HEAD request, with
    /// `Connection: close` when the connection closes after it.
    fn to_bytes(&self, head_request: bool, close: bool) -> Vec<u8> {
        let mut out = format!("HTTP/1.1 {} {}\r\n", self.status, self.reason).into_bytes();
        for (name, value) in &self.headers {
            let lower = name.to_ascii_lowercase();
            let keep = self.keep_length && lower == "content-length";
            if keep || !HOP_BY_HOP.contains(&lower.as_str()) {
                push_header(&mut out, name, value);
            }
        }
        if !self.keep_length {
            push_header(
                &mut out,
                "Content-Length",
                self.body.len().to_string().as_bytes(),
            );
        }
        if close {
            push_header(&mut out, "Connection", b"close");
        }
        out.extend_from_slice(b"\r\n");
        if !head_request && !self.keep_length {
            out.extend_from_slice(&self.body);
        }
        out
    }
}

/// Appends `name: value` and its line end.
fn push_header(out: &mut Vec<u8>, name: &str, value: &[u8]) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

/// The value of the first header called `name` (case-insensitively), if it is text.
fn header<'a>(headers: &'a [(String, Vec<u8>)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| std::str::from_utf8(v).ok())
}

/// Whether any header called `name` lists `token` (comma-separated, case-insensitively).
fn has_token(headers: &[(String, Vec<u8>)], name: &str, token: &str) -> bool {
    headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .filter_map(|(_, v)| std::str::from_utf8(v).ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

/// An error for malformed input.
fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_owned())
}

/// Records the request, then faults it or forwards it; the answer to send.
async fn answer(request: &Request, state: &Mutex<State>, upstream: u16) -> Answer {
    let at = Instant::now();
    let (service, action) = identify(request);
    let faultable = service != "moto-api";
    let (slot, fault, number) = lock(state).arrive(faultable);
    let mut answer = match fault {
        Some(fault) => injected(fault, protocol(&service, request), &service, number),
        None => match tokio::time::timeout(UPSTREAM_TIMEOUT, forward(request, upstream)).await {
            Ok(Ok(answer)) => answer,
            Ok(Err(e)) => Answer::plain(502, "Bad Gateway", &format!("the emulator: {e}")),
            Err(_) => Answer::plain(504, "Gateway Timeout", "the emulator did not answer"),
        },
    };
    let garbled =
        fault.is_none() && answer.status == 200 && lock(state).garble.is_some_and(|g| g == action);
    if garbled {
        // One byte that is not UTF-8, up front: the client cannot read any of the answer,
        // which is otherwise whole (secrets included, as a mangled answer would be).
        answer.body.insert(0, 0xff);
        if let Some(l) = answer
            .headers
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        {
            l.1 = answer.body.len().to_string().into_bytes();
        }
    }
    let exchange = Exchange {
        at,
        service,
        action,
        status: answer.status,
        injected: fault.is_some(),
        response_body: if fault.is_some() {
            String::new()
        } else {
            String::from_utf8_lossy(&answer.body).into_owned()
        },
    };
    if let Some(s) = lock(state).exchanges.get_mut(slot) {
        *s = Some(exchange);
    }
    answer
}

/// The service and the action of a request (see [`Exchange`]).
fn identify(request: &Request) -> (String, String) {
    let rest = || format!("{} {}", request.method, request.path());
    if request.path().starts_with("/moto-api") {
        return ("moto-api".to_owned(), rest());
    }
    let scope = request
        .header("authorization")
        .and_then(|a| a.split("Credential=").nth(1))
        .map(str::to_owned)
        .or_else(|| {
            // A presigned URL carries the scope in its query string.
            form_field(request.query(), "X-Amz-Credential")
                .map(|c| c.replace("%2F", "/").replace("%2f", "/"))
        });
    let service = scope
        .as_deref()
        .and_then(|s| s.split(['/', ',']).nth(3))
        .filter(|s| !s.is_empty())
        .unwrap_or("unknown")
        .to_owned();
    let action = if let Some(target) = request.header("x-amz-target") {
        target.rsplit('.').next().unwrap_or(target).to_owned()
    } else if is_form(request) {
        std::str::from_utf8(&request.body)
            .ok()
            .and_then(|b| form_field(b, "Action"))
            .map(str::to_owned)
            .unwrap_or_else(rest)
    } else if let Some(a) = form_field(request.query(), "Action") {
        a.to_owned()
    } else {
        rest()
    };
    (service, action)
}

/// Whether the body is an HTML form (the query protocols').
fn is_form(request: &Request) -> bool {
    request.header("content-type").is_some_and(|c| {
        c.trim_start()
            .starts_with("application/x-www-form-urlencoded")
    })
}

/// The value of `name` in `a=1&b=2` form data, undecoded.
fn form_field<'a>(form: &'a str, name: &str) -> Option<&'a str> {
    form.split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The wire protocol of a request, as far as its error answers go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    /// `awsQuery`: form body, XML `ErrorResponse`.
    Query,
    /// `ec2Query`: form body, XML `Response` with `Errors`.
    Ec2,
    /// `awsJson1_0`/`awsJson1_1`: `X-Amz-Target`, JSON errors.
    Json,
    /// `restJson1`: JSON errors, `x-amzn-ErrorType`.
    RestJson,
    /// `restXml` as S3 has it: XML `Error`.
    S3,
}

/// The protocol of a request to `service`.
fn protocol(service: &str, request: &Request) -> Protocol {
    let json = request
        .header("content-type")
        .is_some_and(|c| c.contains("json"));
    match service {
        "ec2" => Protocol::Ec2,
        "s3" => Protocol::S3,
        _ if request.header("x-amz-target").is_some() => Protocol::Json,
        "guardduty" => Protocol::RestJson,
        _ if json => Protocol::RestJson,
        _ => Protocol::Query,
    }
}

/// The injected answer: `fault` shaped for `protocol`; `number` makes its request id.
fn injected(fault: Fault, protocol: Protocol, service: &str, number: usize) -> Answer {
    let id = format!("00000000-0000-4000-8000-{number:012x}");
    let answer = |status: u16, reason: &str, headers: &[(&str, &str)], body: String| Answer {
        status,
        reason: reason.to_owned(),
        headers: headers
            .iter()
            .map(|(n, v)| ((*n).to_owned(), v.as_bytes().to_vec()))
            .collect(),
        body: body.into_bytes(),
        keep_length: false,
    };
    if fault == Fault::Unavailable {
        return answer(
            503,
            "Service Unavailable",
            &[("Content-Type", "text/html")],
            "<html>Service Unavailable</html>".to_owned(),
        );
    }
    match protocol {
        Protocol::Query => answer(
            400,
            "Bad Request",
            &[("Content-Type", "text/xml"), ("x-amzn-RequestId", &id)],
            format!(
                "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>\
                 <Message>Rate exceeded</Message></Error><RequestId>{id}</RequestId>\
                 </ErrorResponse>"
            ),
        ),
        Protocol::Ec2 => answer(
            503,
            "Service Unavailable",
            &[("Content-Type", "text/xml;charset=UTF-8")],
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error>\
                 <Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message>\
                 </Error></Errors><RequestID>{id}</RequestID></Response>"
            ),
        ),
        Protocol::Json => answer(
            400,
            "Bad Request",
            &[
                ("Content-Type", "application/x-amz-json-1.1"),
                ("x-amzn-ErrorType", "ThrottlingException"),
                ("x-amzn-RequestId", &id),
            ],
            r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#.to_owned(),
        ),
        Protocol::RestJson if service == "guardduty" => answer(
            429,
            "Too Many Requests",
            &[
                ("Content-Type", "application/json"),
                ("x-amzn-ErrorType", "TooManyRequestsException"),
                ("x-amzn-RequestId", &id),
            ],
            r#"{"__type":"TooManyRequestsException","message":"Rate exceeded"}"#.to_owned(),
        ),
        Protocol::RestJson => answer(
            400,
            "Bad Request",
            &[
                ("Content-Type", "application/json"),
                ("x-amzn-ErrorType", "ThrottlingException"),
                ("x-amzn-RequestId", &id),
            ],
            r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#.to_owned(),
        ),
        Protocol::S3 => answer(
            503,
            "Slow Down",
            &[
                ("Content-Type", "application/xml"),
                ("x-amz-request-id", &id),
            ],
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code>\
                 <Message>Please reduce your request rate.</Message>\
                 <RequestId>{id}</RequestId></Error>"
            ),
        ),
    }
}

/// Sends `request` to the emulator on a connection of its own and reads the answer.
async fn forward(request: &Request, upstream: u16) -> io::Result<Answer> {
    let stream = TcpStream::connect(("127.0.0.1", upstream)).await?;
    stream.set_nodelay(true)?;
    let mut conn = BufReader::new(stream);
    let mut out = format!("{} {} HTTP/1.1\r\n", request.method, request.target).into_bytes();
    for (name, value) in &request.headers {
        if !HOP_BY_HOP.contains(&name.to_ascii_lowercase().as_str()) {
            push_header(&mut out, name, value);
        }
    }
    if request.header("host").is_none() {
        push_header(&mut out, "Host", format!("127.0.0.1:{upstream}").as_bytes());
    }
    if request.framed || !request.body.is_empty() {
        push_header(
            &mut out,
            "Content-Length",
            request.body.len().to_string().as_bytes(),
        );
    }
    push_header(&mut out, "Connection", b"close");
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(&request.body);
    conn.get_mut().write_all(&out).await?;
    loop {
        let head = read_head(&mut conn)
            .await?
            .ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "no answer"))?;
        let (status, reason, headers) = parse_response_head(&head)?;
        // Interim answers (100 Continue) precede the real one.
        if (100..200).contains(&status) {
            continue;
        }
        let bodiless = request.method == "HEAD" || status == 204 || status == 304;
        let framing = if bodiless {
            Framing::Length(0)
        } else {
            framing(&headers)?.unwrap_or(Framing::UntilClose)
        };
        let body = read_body(&mut conn, framing).await?;
        return Ok(Answer {
            status,
            reason,
            headers,
            body,
            keep_length: bodiless,
        });
    }
}

/// Reads the next request from a client: `None` when the client closed the connection
/// between requests. Tells a client that expects `100 Continue` to go on.
async fn read_request(conn: &mut BufReader<TcpStream>) -> io::Result<Option<Request>> {
    let Some(head) = read_head(conn).await? else {
        return Ok(None);
    };
    let mut slots = [httparse::EMPTY_HEADER; 128];
    let mut parsed = httparse::Request::new(&mut slots);
    if !matches!(parsed.parse(&head), Ok(httparse::Status::Complete(_))) {
        return Err(invalid("malformed request head"));
    }
    let method = parsed.method.unwrap_or_default().to_owned();
    let target = parsed.path.unwrap_or_default().to_owned();
    let version = parsed.version.unwrap_or(1);
    let headers = owned(parsed.headers);
    let close = has_token(&headers, "connection", "close")
        || (version == 0 && !has_token(&headers, "connection", "keep-alive"));
    let framing = framing(&headers)?;
    let body_follows = match framing {
        Some(Framing::Length(n)) => n > 0,
        Some(_) => true,
        None => false,
    };
    if body_follows && has_token(&headers, "expect", "100-continue") {
        conn.get_mut()
            .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
            .await?;
    }
    let body = match framing {
        Some(f) => read_body(conn, f).await?,
        None => Vec::new(),
    };
    Ok(Some(Request {
        method,
        target,
        headers,
        body,
        framed: framing.is_some(),
        close,
    }))
}

/// Status, reason and headers of a response head.
fn parse_response_head(head: &[u8]) -> io::Result<(u16, String, Headers)> {
    let mut slots = [httparse::EMPTY_HEADER; 128];
    let mut parsed = httparse::Response::new(&mut slots);
    if !matches!(parsed.parse(head), Ok(httparse::Status::Complete(_))) {
        return Err(invalid("malformed response head"));
    }
    let status = parsed.code.ok_or_else(|| invalid("no status"))?;
    let reason = parsed.reason.unwrap_or_default().to_owned();
    Ok((status, reason, owned(parsed.headers)))
}

/// Parsed headers as owned pairs.
fn owned(headers: &[httparse::Header<'_>]) -> Headers {
    headers
        .iter()
        .map(|h| (h.name.to_owned(), h.value.to_vec()))
        .collect()
}

/// How a message's body is delimited.
#[derive(Debug, Clone, Copy)]
enum Framing {
    /// Exactly this many bytes.
    Length(usize),
    /// Chunked transfer coding.
    Chunked,
    /// Everything until the peer closes (a response only).
    UntilClose,
}

/// The framing the headers declare, if any.
fn framing(headers: &[(String, Vec<u8>)]) -> io::Result<Option<Framing>> {
    if has_token(headers, "transfer-encoding", "chunked") {
        return Ok(Some(Framing::Chunked));
    }
    match header(headers, "content-length") {
        Some(n) => {
            let n: usize = n
                .trim()
                .parse()
                .map_err(|_| invalid("bad Content-Length"))?;
            if n > MAX_BODY {
                return Err(invalid("body too large"));
            }
            Ok(Some(Framing::Length(n)))
        }
        None => Ok(None),
    }
}

/// Reads a message head up to and including its blank line; `None` on a clean end of
/// stream before any of it. Blank lines before a head are skipped.
async fn read_head<R: AsyncBufRead + Unpin>(r: &mut R) -> io::Result<Option<Vec<u8>>> {
    let mut head = Vec::new();
    loop {
        let n = r.read_until(b'\n', &mut head).await?;
        if n == 0 {
            return if head.is_empty() {
                Ok(None)
            } else {
                Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "end of stream inside a head",
                ))
            };
        }
        if head == b"\r\n" || head == b"\n" {
            head.clear();
            continue;
        }
        if head.ends_with(b"\r\n\r\n") || head.ends_with(b"\n\n") {
            return Ok(Some(head));
        }
        if head.len() > MAX_HEAD {
            return Err(invalid("head too large"));
        }
    }
}

/// Reads a body framed as `framing`, decoding a chunked one.
async fn read_body<R: AsyncBufRead + Unpin>(r: &mut R, framing: Framing) -> io::Result<Vec<u8>> {
    match framing {
        Framing::Length(n) => {
            let mut body = vec![0; n];
            r.read_exact(&mut body).await?;
            Ok(body)
        }
        Framing::UntilClose => {
            let mut body = Vec::new();
            r.take(MAX_BODY as u64 + 1).read_to_end(&mut body).await?;
            if body.len() > MAX_BODY {
                return Err(invalid("body too large"));
            }
            Ok(body)
        }
        Framing::Chunked => {
            let mut body = Vec::new();
            loop {
                let line = read_line(r).await?;
                let size = line.split(';').next().unwrap_or_default().trim();
                let size =
                    usize::from_str_radix(size, 16).map_err(|_| invalid("bad chunk size"))?;
                if size == 0 {
                    // Trailers, up to a blank line; dropped.
                    while !read_line(r).await?.is_empty() {}
                    return Ok(body);
                }
                if body.len().saturating_add(size) > MAX_BODY {
                    return Err(invalid("body too large"));
                }
                let start = body.len();
                body.resize(start + size, 0);
                r.read_exact(&mut body[start..]).await?;
                if !read_line(r).await?.is_empty() {
                    return Err(invalid("chunk longer than its size"));
                }
            }
        }
    }
}

/// Reads one line, without its line end.
async fn read_line<R: AsyncBufRead + Unpin>(r: &mut R) -> io::Result<String> {
    let mut line = Vec::new();
    let n = r.take(MAX_HEAD as u64).read_until(b'\n', &mut line).await?;
    if n == 0 || !line.ends_with(b"\n") {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "end of stream inside a chunked body",
        ));
    }
    let text = String::from_utf8_lossy(&line);
    Ok(text.trim_end_matches(['\r', '\n']).to_owned())
}
