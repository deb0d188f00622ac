//! The headless-Chromium harness proves what it must: a clean page passes, and a page that
//! logs an error or makes a request is caught. These fail (never skip) when Chromium is
//! missing: `./scripts/test` installs it.

use gameday_tests::browser::{Visit, open};
use std::net::UdpSocket;
use std::path::Path;

const WINDOW: (u32, u32) = (800, 600);

/// Writes `html` to a file, opens it, and returns the visit and the screenshot's bytes.
fn visit(html: &str) -> (Visit, Vec<u8>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let page = dir.path().join("page.html");
    let png = dir.path().join("shot.png");
    std::fs::write(&page, html).expect("write the page");
    let visit = open(&page, &png, WINDOW).unwrap_or_else(|e| panic!("{e}"));
    let shot = std::fs::read(&png).expect("a screenshot file");
    (visit, shot)
}

/// A page with `body` and everything a clean page needs (no favicon request).
fn page(body: &str) -> String {
    page_with("", body)
}

/// [`page`] with more in its head.
fn page_with(head: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>t</title>\n\
         <link rel=\"icon\" href=\"data:,\">{head}\n\
         <style>body {{ font-family: sans-serif; background: #eef; }}</style></head>\n\
         <body>{body}</body></html>\n"
    )
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(png: &[u8]) -> (u32, u32) {
    assert!(png.len() > 24, "a PNG of {} bytes", png.len());
    let word = |at: usize| u32::from_be_bytes([png[at], png[at + 1], png[at + 2], png[at + 3]]);
    (word(16), word(20))
}

#[test]
fn a_clean_page_logs_nothing_requests_nothing_and_is_screenshotted() {
    let (visit, png) = visit(&page(
        "<h1>Report</h1>\
         <svg width=\"120\" height=\"120\" viewBox=\"0 0 120 120\">\
         <circle cx=\"60\" cy=\"60\" r=\"50\" fill=\"#c33\"/></svg>\
         <script>console.log('only a log'); console.info('and info');</script>",
    ));
    assert_eq!(visit, Visit::default(), "a clean page");
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n"),
        "not a PNG: {:?}",
        &png[..png.len().min(8)]
    );
    assert_eq!(png_size(&png), WINDOW, "the screenshot is the window");
    assert!(
        (2_000..5_000_000).contains(&png.len()),
        "an implausible screenshot of {} bytes",
        png.len()
    );
}

#[test]
fn a_console_error_is_reported() {
    let (visit, _) = visit(&page("<script>console.error(\"boom\")</script>"));
    assert!(
        visit.console.iter().any(|m| m.contains("boom")),
        "{visit:?}"
    );
    assert!(visit.requests.is_empty(), "{visit:?}");
}

#[test]
fn warnings_exceptions_and_late_errors_are_reported() {
    let (visit, _) = visit(&page(
        "<script>console.warn('careful');\
         setTimeout(() => console.error('late'), 50);\
         Promise.reject(new Error('unhandled'));</script>\
         <script>throw new TypeError('thrown');</script>",
    ));
    for word in ["careful", "late", "unhandled", "thrown"] {
        assert!(
            visit.console.iter().any(|m| m.contains(word)),
            "{word} missing from {:#?}",
            visit.console
        );
    }
}

#[test]
fn a_content_security_policy_violation_is_reported() {
    let html = page_with(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; img-src data:\">",
        "<img src=\"http://blocked.invalid/x.png\" alt=\"\">",
    );
    let (visit, _) = visit(&html);
    assert!(
        visit
            .console
            .iter()
            .any(|m| m.contains("Content Security Policy") && m.contains("blocked.invalid")),
        "{visit:?}"
    );
    // The policy stopped the request itself.
    assert!(visit.requests.is_empty(), "{visit:?}");
}

#[test]
fn an_image_from_another_host_is_a_request() {
    let (visit, _) = visit(&page("<img src=\"http://example.invalid/x.png\" alt=\"\">"));
    assert_eq!(
        visit.requests,
        ["GET http://example.invalid/x.png"],
        "{visit:?}"
    );
}

#[test]
fn an_https_stylesheet_is_a_request() {
    let (visit, _) = visit(&page(
        "<link rel=stylesheet href=\"https://cdn.example.invalid/a.css\">",
    ));
    assert_eq!(
        visit.requests,
        ["CONNECT cdn.example.invalid:443"],
        "{visit:?}"
    );
}

#[test]
fn a_relative_reference_and_the_default_favicon_are_requests() {
    // No icon link: the browser asks the page's origin for /favicon.ico.
    let html = "<!doctype html><html><head><meta charset=\"utf-8\"><title>t</title></head>\
                <body><img src=\"logo.png\" alt=\"\"></body></html>";
    let (visit, _) = visit(html);
    let paths: Vec<&str> = visit
        .requests
        .iter()
        .filter_map(|r| r.rsplit_once('/').map(|(_, p)| p))
        .collect();
    assert!(
        paths.contains(&"logo.png") && paths.contains(&"favicon.ico"),
        "{visit:?}"
    );
}

#[test]
fn webrtc_cannot_bypass_the_proxy() {
    // A STUN server on loopback that must hear nothing: the harness sees only TCP.
    let stun = UdpSocket::bind("127.0.0.1:0").expect("bind a UDP socket");
    let port = stun.local_addr().expect("its address").port();
    let (visit, _) = visit(&page(&format!(
        "<script>const pc = new RTCPeerConnection({{iceServers: \
         [{{urls: 'stun:127.0.0.1:{port}'}}]}});\
         pc.createDataChannel('x');\
         pc.createOffer().then(o => pc.setLocalDescription(o));</script>"
    )));
    stun.set_nonblocking(true).expect("non-blocking");
    let mut buf = [0u8; 1500];
    let heard = stun.recv_from(&mut buf).ok();
    assert_eq!(heard, None, "a UDP datagram bypassed the proxy; {visit:?}");
}

#[test]
fn a_missing_file_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let err = open(
        &dir.path().join("absent.html"),
        Path::new("/nonexistent/shot.png"),
        WINDOW,
    )
    .expect_err("no such page");
    assert!(err.contains("absent.html"), "{err}");
}
