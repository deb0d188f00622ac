//! Opens an HTML file in headless Chromium, takes a screenshot, and reports what the page
//! said in its console and which network requests it made.
//!
//! How it works, and why (each choice measured on Debian's Chromium 148):
//!
//! - **Requests.** The page is served from a small HTTP server on 127.0.0.1 that is also
//!   the browser's HTTP proxy for every host, loopback included
//!   (`--proxy-server` with `--proxy-bypass-list=<-loopback>`). Every request the browser
//!   makes reaches it — plain HTTP as an absolute URL, HTTPS as `CONNECT host:port` — and
//!   is recorded; anything but the page is answered 404, and `CONNECT` is refused, so
//!   nothing ever leaves the machine. With a proxy for everything the browser resolves no
//!   host names itself (no DNS traffic under strace). WebRTC would send STUN over UDP past
//!   the proxy (measured: a datagram reached a UDP socket on 127.0.0.1), so
//!   `--webrtc-ip-handling-policy=disable_non_proxied_udp` forbids that.
//! - **The browser's own requests.** For a plain page Chromium fetched, even with
//!   `--disable-background-networking`: the network time
//!   (`http://clients2.google.com/time/…`), preconnects to its search engine
//!   (`CONNECT www.google.com:443`, several), the signed-in accounts
//!   (`accounts.google.com/ListAccounts`) and `www.google.com/async/folae`. The first two
//!   are switched off (`--disable-features=NetworkTimeServiceQuerying,PreconnectToSearch`);
//!   the last two cannot be, so they are sent to two reserved host names
//!   (`--gaia-url`, `--google-base-url`) that no page uses, and only requests to exactly
//!   those hosts are left out. Everything else is reported, however it started.
//! - **The favicon.** Chromium fetches `/favicon.ico` from the page's origin unless the
//!   page names an icon: that request is reported like any other, so a page that must
//!   make none declares `<link rel="icon" href="data:,">`.
//! - **Console.** Chromium's `--enable-logging=stderr` prints console messages as
//!   `INFO:CONSOLE` lines whatever their level (`console.log` and `console.error` alike),
//!   mixed with its own noise (D-Bus, GPU). So the harness speaks the DevTools protocol
//!   over `--remote-debugging-pipe` instead: `Runtime.consoleAPICalled` gives the level of
//!   each console call, `Runtime.exceptionThrown` uncaught exceptions and rejected
//!   promises, and `Log.entryAdded` the browser's own messages about the page — Content
//!   Security Policy violations, failed loads. Standard error is kept only to explain a
//!   failure of the browser itself.
//! - **Screenshot.** Taken through the protocol (`Page.captureScreenshot`) after the load
//!   event and a short settling time, with the viewport set to exactly the window size.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// What a page did while it was open.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Visit {
    /// Console messages of level error or warning (and failed `console.assert`s), uncaught
    /// exceptions and unhandled promise rejections, and the browser's own error and warning
    /// messages about the page (Content Security Policy violations, resources that failed
    /// to load), each as one line with its source location when known.
    pub console: Vec<String>,
    /// Every request the browser made other than loading the page itself, in the order
    /// they reached the proxy: `METHOD URL` for plain HTTP (`GET http://host/path`), and
    /// `CONNECT host:port` for HTTPS, whose path the browser never reveals to a proxy.
    pub requests: Vec<String>,
}

/// How long one visit may take, browser start to exit, before the browser is killed.
pub const TIMEOUT: Duration = Duration::from_secs(60);

/// How long the page may go on running after its load event before the screenshot, so
/// that timers, promise rejections and late requests are seen.
const SETTLE: Duration = Duration::from_millis(300);

/// The path the page is served at.
const PAGE_PATH: &str = "/page.html";

/// Reserved host names the browser's own sign-in and Google services are sent to. No page
/// uses them (`.invalid` never resolves), so requests to them are not the page's.
const BROWSER_OWN_HOSTS: [&str; 2] = ["gaia.chromium.invalid", "google.chromium.invalid"];

/// The Chromium executable: `$GAMEDAY_CHROMIUM` when set, else `chromium` on `PATH`.
pub fn chromium() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("GAMEDAY_CHROMIUM") {
        let p = PathBuf::from(p);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(format!("GAMEDAY_CHROMIUM={} is not a file", p.display()))
        };
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join("chromium"))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            "Chromium is not installed (no `chromium` on PATH): run ./scripts/test, which \
             installs it (Debian's `chromium` package)"
                .to_owned()
        })
}

/// Opens `html` in headless Chromium with a `window` of (width, height) CSS pixels, writes
/// a PNG screenshot of that viewport to `screenshot`, and returns what the page logged and
/// requested (see [`Visit`]).
///
/// The page is served over HTTP from 127.0.0.1, so a relative reference in it is a request
/// too. It runs until its load event plus a short settling time. The browser gets a fresh
/// profile and is killed if the visit takes longer than [`TIMEOUT`].
///
/// # Errors
///
/// When Chromium is not installed, the file cannot be read or the screenshot written, the
/// page does not load, or the browser fails or times out; the message includes the end of
/// the browser's standard error where it helps.
pub fn open(html: &Path, screenshot: &Path, window: (u32, u32)) -> Result<Visit, String> {
    let chromium = chromium()?;
    let page = std::fs::read(html).map_err(|e| format!("cannot read {}: {e}", html.display()))?;
    let server = Server::start(page)?;
    let profile = TempDir::new()?;
    let deadline = Instant::now() + TIMEOUT;
    let mut browser = Browser::launch(&chromium, &server, &profile.0, window)?;
    let visited = browser.visit(&server.page_url(), screenshot, window, deadline);
    let console = match visited.and_then(|console| browser.close(deadline).map(|()| console)) {
        Ok(console) => console,
        Err(e) => return Err(browser.failure(&e)),
    };
    drop(browser);
    let requests = server.finish();
    Ok(Visit { console, requests })
}

/// A running Chromium driven over the DevTools protocol; killed when dropped.
struct Browser {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
    stderr: Arc<Mutex<String>>,
    next_id: u64,
    session: String,
    loaded: bool,
    console: Vec<String>,
}

impl Browser {
    fn launch(
        chromium: &Path,
        server: &Server,
        profile: &Path,
        (width, height): (u32, u32),
    ) -> Result<Browser, String> {
        let proxy = format!("http://127.0.0.1:{}", server.port);
        let args = [
            "--headless".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--no-default-browser-check".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--disable-features=NetworkTimeServiceQuerying,PreconnectToSearch".to_owned(),
            format!("--gaia-url=http://{}/", BROWSER_OWN_HOSTS[0]),
            format!("--google-base-url=http://{}/", BROWSER_OWN_HOSTS[1]),
            "--webrtc-ip-handling-policy=disable_non_proxied_udp".to_owned(),
            "--password-store=basic".to_owned(),
            "--mute-audio".to_owned(),
            format!("--proxy-server={proxy}"),
            "--proxy-bypass-list=<-loopback>".to_owned(),
            format!("--user-data-dir={}", profile.display()),
            format!("--window-size={width},{height}"),
            "--remote-debugging-pipe".to_owned(),
            "about:blank".to_owned(),
        ];
        // The protocol pipe is the browser's fds 3 (commands in) and 4 (messages out): the
        // shell moves our stdin and stdout pipes there, as std cannot without `unsafe`.
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(r#"exec "$0" "$@" 3<&0 4>&1 </dev/null >/dev/null"#)
            .arg(chromium)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its own process group, so that a timeout kills the renderers too.
            .process_group(0)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", chromium.display()))?;
        let (Some(stdin), Some(stdout), Some(stderr_pipe)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            kill(&mut child);
            return Err("the browser's pipes are missing".to_owned());
        };
        let (tx, messages) = mpsc::channel();
        thread::spawn(move || {
            for message in BufReader::new(stdout).split(0).map_while(Result::ok) {
                let Ok(value) = serde_json::from_slice::<Value>(&message) else {
                    continue;
                };
                if tx.send(value).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&stderr);
        thread::spawn(move || {
            for line in BufReader::new(stderr_pipe)
                .split(b'\n')
                .map_while(Result::ok)
            {
                let mut s = sink.lock().unwrap_or_else(PoisonError::into_inner);
                s.push_str(&String::from_utf8_lossy(&line));
                s.push('\n');
                // Only the end is shown; keep it bounded.
                if s.len() > 64 * 1024 {
                    let cut = s.len() - 32 * 1024;
                    let cut = (cut..s.len()).find(|&i| s.is_char_boundary(i)).unwrap_or(0);
                    s.drain(..cut);
                }
            }
        });
        Ok(Browser {
            child,
            stdin,
            messages,
            stderr,
            next_id: 0,
            session: String::new(),
            loaded: false,
            console: Vec::new(),
        })
    }

    /// Loads `url` in a new tab, lets it settle, and takes the screenshot.
    fn visit(
        &mut self,
        url: &str,
        screenshot: &Path,
        (width, height): (u32, u32),
        deadline: Instant,
    ) -> Result<Vec<String>, String> {
        let target = self.call(
            "Target.createTarget",
            json!({"url": "about:blank"}),
            deadline,
        )?;
        let target_id = target["targetId"].as_str().unwrap_or_default().to_owned();
        let attached = self.call(
            "Target.attachToTarget",
            json!({"targetId": target_id, "flatten": true}),
            deadline,
        )?;
        self.session = attached["sessionId"]
            .as_str()
            .ok_or("Target.attachToTarget returned no session")?
            .to_owned();
        for domain in ["Runtime", "Log", "Page"] {
            self.call(&format!("{domain}.enable"), json!({}), deadline)?;
        }
        self.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}),
            deadline,
        )?;
        self.loaded = false;
        let navigated = self.call("Page.navigate", json!({"url": url}), deadline)?;
        if let Some(e) = navigated["errorText"].as_str() {
            return Err(format!("the page did not load: {e}"));
        }
        // A load event tells only that some document loaded: check that it was the page.
        let loaded = json!({"expression": "document.readyState + ' ' + document.URL"});
        let expected = format!("complete {url}");
        loop {
            while !self.loaded {
                self.receive(deadline, deadline)?;
            }
            let state = self.call("Runtime.evaluate", loaded.clone(), deadline)?;
            if state["result"]["value"].as_str() == Some(expected.as_str()) {
                break;
            }
            self.loaded = false;
        }
        let settled = (Instant::now() + SETTLE).min(deadline);
        while self.receive(settled, deadline)?.is_some() {}
        let shot = self.call(
            "Page.captureScreenshot",
            json!({"format": "png", "captureBeyondViewport": false}),
            deadline,
        )?;
        let png = base64_decode(shot["data"].as_str().unwrap_or_default())
            .ok_or("the screenshot is not valid base64")?;
        std::fs::write(screenshot, png)
            .map_err(|e| format!("cannot write {}: {e}", screenshot.display()))?;
        Ok(std::mem::take(&mut self.console))
    }

    /// Closes the browser and waits for it to exit.
    fn close(&mut self, deadline: Instant) -> Result<(), String> {
        self.session.clear();
        // The browser may exit before it answers.
        let _ = self.send("Browser.close", json!({}));
        let grace = (Instant::now() + Duration::from_secs(10)).min(deadline);
        loop {
            match self.child.try_wait() {
                Ok(Some(_)) => return Ok(()),
                Ok(None) if Instant::now() < grace => thread::sleep(Duration::from_millis(20)),
                Ok(None) => return Err("the browser did not exit after Browser.close".to_owned()),
                Err(e) => return Err(format!("cannot wait for the browser: {e}")),
            }
        }
    }

    /// Kills the browser and describes the failure with the end of its standard error.
    fn failure(&mut self, error: &str) -> String {
        kill(&mut self.child);
        let stderr = self.stderr.lock().unwrap_or_else(PoisonError::into_inner);
        let lines: Vec<&str> = stderr.lines().filter(|l| !is_noise(l)).collect();
        let tail = lines[lines.len().saturating_sub(20)..].join("\n");
        format!("headless Chromium: {error}\n--- end of its standard error ---\n{tail}")
    }

    fn send(&mut self, method: &str, params: Value) -> Result<u64, String> {
        self.next_id += 1;
        let mut message = json!({"id": self.next_id, "method": method, "params": params});
        if !self.session.is_empty() {
            message["sessionId"] = json!(self.session);
        }
        let mut bytes = message.to_string().into_bytes();
        bytes.push(0);
        self.stdin
            .write_all(&bytes)
            .and_then(|()| self.stdin.flush())
            .map_err(|e| format!("cannot send {method}: {e}"))?;
        Ok(self.next_id)
    }

    /// Sends a command and waits for its result, noting the events that arrive meanwhile.
    fn call(&mut self, method: &str, params: Value, deadline: Instant) -> Result<Value, String> {
        let id = self.send(method, params)?;
        loop {
            let Some(message) = self.receive(deadline, deadline)? else {
                return Err(format!("no answer to {method} in time"));
            };
            if message["id"].as_u64() == Some(id) {
                if let Some(error) = message.get("error") {
                    return Err(format!("{method} failed: {error}"));
                }
                return Ok(message["result"].clone());
            }
        }
    }

    /// Waits for the next message until `until`, noting it if it is an event; `None` when
    /// `until` comes first, an error when `deadline` does.
    fn receive(&mut self, until: Instant, deadline: Instant) -> Result<Option<Value>, String> {
        let wait = until.saturating_duration_since(Instant::now());
        let message = match self.messages.recv_timeout(wait) {
            Ok(m) => m,
            Err(RecvTimeoutError::Timeout) if Instant::now() < deadline => return Ok(None),
            Err(RecvTimeoutError::Timeout) => {
                return Err(format!("timed out after {} s", TIMEOUT.as_secs()));
            }
            Err(RecvTimeoutError::Disconnected) => {
                return Err("the browser exited or closed its protocol pipe".to_owned());
            }
        };
        if let Some(method) = message["method"].as_str()
            && message["sessionId"].as_str() == Some(self.session.as_str())
        {
            let params = &message["params"];
            match method {
                "Page.loadEventFired" => self.loaded = true,
                "Inspector.targetCrashed" => return Err("the page crashed".to_owned()),
                _ => self.console.extend(console_line(method, params)),
            }
        }
        Ok(Some(message))
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        kill(&mut self.child);
    }
}

/// Whether a line of the browser's standard error is one it prints on every start in a
/// container (no D-Bus, no screensaver, the launcher's shared-memory check), which would
/// hide the lines that explain a failure. Only diagnostics use standard error.
fn is_noise(line: &str) -> bool {
    const NOISE: [&str; 5] = [
        ":dbus/",
        "bluez_dbus_manager.cc",
        "idle_linux.cc",
        "InitializeSandbox() called with multiple threads",
        "unexpected operator",
    ];
    NOISE.iter().any(|n| line.contains(n))
}

/// Kills a browser that is still running, with every process of its group, and reaps it.
fn kill(child: &mut Child) {
    if matches!(child.try_wait(), Ok(None)) {
        // The group's id is the browser's pid, still ours as the child is not yet reaped.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = child.kill();
    }
    let _ = child.wait();
}

/// The console line for a protocol event, when it is one the visit reports.
fn console_line(method: &str, params: &Value) -> Option<String> {
    match method {
        "Runtime.consoleAPICalled" => {
            let kind = params["type"].as_str().unwrap_or_default();
            if !matches!(kind, "error" | "warning" | "assert") {
                return None;
            }
            let args: Vec<String> = params["args"]
                .as_array()
                .into_iter()
                .flatten()
                .map(remote_object)
                .collect();
            let at = location(&params["stackTrace"]["callFrames"][0]);
            Some(format!("console.{kind}: {}{at}", args.join(" ")))
        }
        "Runtime.exceptionThrown" => {
            let details = &params["exceptionDetails"];
            let text = details["text"].as_str().unwrap_or("Uncaught");
            let what = details["exception"]["description"]
                .as_str()
                .and_then(|d| d.lines().next())
                .map(str::to_owned)
                .unwrap_or_else(|| remote_object(&details["exception"]));
            Some(format!("{text}: {what}{}", location(details)))
        }
        "Log.entryAdded" => {
            let entry = &params["entry"];
            let level = entry["level"].as_str().unwrap_or_default();
            if !matches!(level, "error" | "warning") {
                return None;
            }
            let source = entry["source"].as_str().unwrap_or("browser");
            let text = entry["text"].as_str().unwrap_or_default();
            let url = entry["url"].as_str().unwrap_or_default();
            let at = match entry["lineNumber"].as_u64() {
                Some(line) => format!(" ({url}:{})", line + 1),
                None if url.is_empty() => String::new(),
                None => format!(" ({url})"),
            };
            Some(format!("{source} {level}: {text}{at}"))
        }
        _ => None,
    }
}

/// A console argument as text: its value, else its description.
fn remote_object(o: &Value) -> String {
    match &o["value"] {
        Value::String(s) => s.clone(),
        Value::Null => o["description"]
            .as_str()
            .or_else(|| o["unserializableValue"].as_str())
            .or_else(|| o["type"].as_str())
            .unwrap_or_default()
            .to_owned(),
        v => v.to_string(),
    }
}

/// ` (url:line:column)` of a call frame or exception, 1-based, or nothing.
fn location(at: &Value) -> String {
    match (at["url"].as_str(), at["lineNumber"].as_u64()) {
        (Some(url), Some(line)) if !url.is_empty() => {
            let column = at["columnNumber"].as_u64().unwrap_or(0) + 1;
            format!(" ({url}:{}:{column})", line + 1)
        }
        _ => String::new(),
    }
}

/// Decodes standard base64 (padding optional); `None` on any other character.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let (mut bits, mut count) = (0u32, 0u32);
    for c in text.bytes().filter(|&c| c != b'=') {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(v);
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    Some(out)
}

/// The page's HTTP server, which is also the browser's proxy: records every request but
/// the page and the browser's own, answers the page, and refuses everything else.
struct Server {
    port: u16,
    stop: Arc<AtomicBool>,
    requests: Arc<Mutex<Vec<String>>>,
    handlers: Arc<Mutex<Vec<JoinHandle<()>>>>,
    acceptor: Option<JoinHandle<()>>,
}

impl Server {
    fn start(page: Vec<u8>) -> Result<Server, String> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .map_err(|e| format!("cannot listen on 127.0.0.1: {e}"))?;
        let port = listener
            .local_addr()
            .map_err(|e| format!("no local address: {e}"))?
            .port();
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let handlers = Arc::new(Mutex::new(Vec::new()));
        let page = Arc::new(page);
        let acceptor = {
            let (stop, requests, handlers) = (stop.clone(), requests.clone(), handlers.clone());
            thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let (page, requests) = (page.clone(), requests.clone());
                    let handler = thread::spawn(move || serve(stream, port, &page, &requests));
                    handlers
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(handler);
                }
            })
        };
        Ok(Server {
            port,
            stop,
            requests,
            handlers,
            acceptor: Some(acceptor),
        })
    }

    fn page_url(&self) -> String {
        format!("http://127.0.0.1:{}{PAGE_PATH}", self.port)
    }

    /// Stops the server, waits for the connections in progress, and returns the requests.
    fn finish(mut self) -> Vec<String> {
        self.shut();
        let handlers =
            std::mem::take(&mut *self.handlers.lock().unwrap_or_else(PoisonError::into_inner));
        for handler in handlers {
            let _ = handler.join();
        }
        std::mem::take(&mut *self.requests.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn shut(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(acceptor) = self.acceptor.take() {
            // Wakes the blocking accept.
            let _ = TcpStream::connect(("127.0.0.1", self.port));
            let _ = acceptor.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shut();
    }
}

/// Handles one connection: one request, then close.
fn serve(mut stream: TcpStream, port: u16, page: &[u8], requests: &Mutex<Vec<String>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 64 * 1024 {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    if head.is_empty() {
        // A connection opened in advance and never used: no request.
        return;
    }
    let text = String::from_utf8_lossy(&head);
    let line = text.lines().next().unwrap_or_default();
    let mut parts = line.split(' ');
    let (method, target) = match (parts.next(), parts.next(), parts.next()) {
        (Some(m), Some(t), Some(v)) if v.starts_with("HTTP/") && !m.is_empty() => (m, t),
        _ => {
            let shown: String = line.chars().take(120).collect();
            record(requests, format!("unparsable request: {shown:?}"));
            return;
        }
    };
    // Plain HTTP through a proxy names an absolute URL; a direct request only a path.
    let url = if target.starts_with('/') {
        format!("http://127.0.0.1:{port}{target}")
    } else {
        target.to_owned()
    };
    let is_page = matches!(method, "GET" | "HEAD")
        && (url == format!("http://127.0.0.1:{port}{PAGE_PATH}")
            || url == format!("http://localhost:{port}{PAGE_PATH}"));
    let host = if method == "CONNECT" {
        target.rsplit_once(':').map_or(target, |(h, _)| h)
    } else {
        url.split("://")
            .nth(1)
            .and_then(|rest| rest.split(['/', ':', '?']).next())
            .unwrap_or_default()
    };
    if !is_page && !BROWSER_OWN_HOSTS.contains(&host) {
        record(requests, format!("{method} {url}"));
    }
    let response: Vec<u8> = if is_page {
        let mut r = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\
             Content-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
            page.len()
        )
        .into_bytes();
        if method == "GET" {
            r.extend_from_slice(page);
        }
        r
    } else if method == "CONNECT" {
        b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec()
    } else {
        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec()
    };
    // A request body is not read: answering and closing is enough for a refusal.
    let _ = stream.write_all(&response);
    let _ = stream.flush();
    let _ = stream.shutdown(Shutdown::Write);
    // Lets the browser read the answer before the socket goes away.
    let _ = stream.read(&mut buf);
}

fn record(requests: &Mutex<Vec<String>>, request: String) {
    requests
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(request);
}

/// A fresh directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Result<TempDir, String> {
        static COUNT: AtomicU64 = AtomicU64::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = std::env::temp_dir().join(format!(
            "gameday-chromium-{}-{}-{nanos}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        Ok(TempDir(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips_known_values() {
        assert_eq!(
            base64_decode("iVBORw0KGgo="),
            Some(b"\x89PNG\r\n\x1a\n".to_vec())
        );
        assert_eq!(base64_decode("TWFu"), Some(b"Man".to_vec()));
        assert_eq!(base64_decode("TWE="), Some(b"Ma".to_vec()));
        assert_eq!(base64_decode("TQ=="), Some(b"M".to_vec()));
        assert_eq!(base64_decode("T!=="), None);
    }
}
