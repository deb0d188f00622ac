//! The loopback proxy between the AWS SDK and the emulator: it forwards calls unchanged
//! and records them, and the faults it injects are ones the SDK's standard retries
//! absorb, for every protocol the AWS sandbox speaks.

#![allow(clippy::unwrap_used, clippy::panic)]

use aws_sdk_iam::error::ProvideErrorMetadata;
use gameday_engine::aws::SdkConfig;
use gameday_tests::contract;
use gameday_tests::moto::Moto;
use gameday_tests::proxy::{Exchange, Proxy, ProxyConfig};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// The SDK configuration of the contract target, sent to `endpoint`, with `max_attempts`.
async fn sdk(moto: &Moto, endpoint: String, max_attempts: u32) -> SdkConfig {
    let mut target = contract::target(moto);
    target.endpoint_url = Some(endpoint);
    target.max_attempts = max_attempts;
    gameday_engine::aws::sdk_config_as(&target, "us-east-1", None, "testing", "testing").await
}

fn proxy(moto: &Moto, fault_rate: f64, seed: u64) -> Proxy {
    Proxy::start(ProxyConfig {
        upstream: moto.port,
        fault_rate,
        seed,
        garble: None,
    })
}

/// The services whose fault shapes differ, by their SigV4 names.
const SERVICES: [&str; 5] = ["iam", "ec2", "cloudtrail", "s3", "guardduty"];

/// One read-only call to `service`: the error code on failure (`None` if it has none).
async fn call(service: &str, config: &SdkConfig) -> Result<(), Option<String>> {
    fn code<E: ProvideErrorMetadata>(e: &E) -> Option<String> {
        e.code().map(str::to_owned)
    }
    match service {
        "iam" => aws_sdk_iam::Client::new(config)
            .list_users()
            .send()
            .await
            .map(drop)
            .map_err(|e| code(&e)),
        "ec2" => aws_sdk_ec2::Client::new(config)
            .describe_security_groups()
            .send()
            .await
            .map(drop)
            .map_err(|e| code(&e)),
        "cloudtrail" => aws_sdk_cloudtrail::Client::new(config)
            .describe_trails()
            .send()
            .await
            .map(drop)
            .map_err(|e| code(&e)),
        "s3" => {
            let conf = aws_sdk_s3::config::Builder::from(config)
                .force_path_style(true)
                .build();
            aws_sdk_s3::Client::from_conf(conf)
                .list_buckets()
                .send()
                .await
                .map(drop)
                .map_err(|e| code(&e))
        }
        "guardduty" => aws_sdk_guardduty::Client::new(config)
            .list_detectors()
            .send()
            .await
            .map(drop)
            .map_err(|e| code(&e)),
        other => panic!("no call for {other}"),
    }
}

/// The action `call` makes on `service`, as the proxy records it.
fn action(service: &str) -> &'static str {
    match service {
        "iam" => "ListUsers",
        "ec2" => "DescribeSecurityGroups",
        "cloudtrail" => "DescribeTrails",
        "s3" => "GET /",
        "guardduty" => "GET /detector",
        other => panic!("no action for {other}"),
    }
}

/// The throttling error code the proxy injects for `service`.
fn throttling_code(service: &str) -> &'static str {
    match service {
        "iam" => "Throttling",
        "ec2" => "RequestLimitExceeded",
        "cloudtrail" => "ThrottlingException",
        "s3" => "SlowDown",
        "guardduty" => "TooManyRequestsException",
        other => panic!("no code for {other}"),
    }
}

fn summary(exchanges: &[Exchange]) -> Vec<String> {
    exchanges
        .iter()
        .map(|e| {
            format!(
                "{} {} {}{}",
                e.service,
                e.action,
                e.status,
                if e.injected { " (injected)" } else { "" }
            )
        })
        .collect()
}

#[tokio::test]
async fn forwards_sdk_calls_unchanged_and_records_them() {
    let moto = Moto::start();
    let proxy = proxy(&moto, 0.0, 1);
    assert_eq!(proxy.url(), format!("http://127.0.0.1:{}", proxy.port()));
    let config = sdk(&moto, proxy.url(), 2).await;

    let users = aws_sdk_iam::Client::new(&config)
        .list_users()
        .send()
        .await
        .unwrap();
    assert!(users.users().is_empty());
    let me = aws_sdk_sts::Client::new(&config)
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(me.account(), Some("123456789012"));
    aws_sdk_iam::Client::new(&config)
        .create_user()
        .user_name("gd-proxy-one")
        .send()
        .await
        .unwrap();

    let seen = proxy.requests();
    assert_eq!(
        seen.iter()
            .map(|e| (e.service.as_str(), e.action.as_str(), e.status, e.injected))
            .collect::<Vec<_>>(),
        vec![
            ("iam", "ListUsers", 200, false),
            ("sts", "GetCallerIdentity", 200, false),
            ("iam", "CreateUser", 200, false),
        ],
        "{:?}",
        summary(&seen)
    );
    assert!(
        seen[0].response_body.contains("ListUsersResult"),
        "{}",
        seen[0].response_body
    );
    assert!(seen[1].response_body.contains("123456789012"));
    assert!(seen[2].response_body.contains("gd-proxy-one"));
    assert!(seen.windows(2).all(|w| w[0].at <= w[1].at));
    assert_eq!(proxy.faults(), 0);
    // The emulator really got the call: the user is there, seen without the proxy.
    let direct = sdk(&moto, moto.url(), 1).await;
    let users = aws_sdk_iam::Client::new(&direct)
        .list_users()
        .send()
        .await
        .unwrap();
    assert_eq!(users.users().len(), 1);
    assert_eq!(users.users()[0].user_name(), "gd-proxy-one");
}

#[tokio::test]
async fn forwards_s3_uploads_downloads_and_heads() {
    let moto = Moto::start();
    let proxy = proxy(&moto, 0.0, 1);
    let config = sdk(&moto, proxy.url(), 2).await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    );
    s3.create_bucket().bucket("gd-proxy").send().await.unwrap();
    // Large enough for the SDK to send it in more than one piece, checksummed.
    let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    s3.put_object()
        .bucket("gd-proxy")
        .key("blob")
        .body(data.clone().into())
        .send()
        .await
        .unwrap();
    let head = s3
        .head_object()
        .bucket("gd-proxy")
        .key("blob")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_length(), Some(3_000_000));
    let got = s3
        .get_object()
        .bucket("gd-proxy")
        .key("blob")
        .send()
        .await
        .unwrap();
    let body = got.body.collect().await.unwrap().into_bytes();
    assert!(
        body.as_ref() == data.as_slice(),
        "the object came back changed"
    );
    // After the bodiless HEAD answer the connection is still usable.
    s3.head_bucket().bucket("gd-proxy").send().await.unwrap();

    let seen = proxy.requests();
    assert_eq!(
        seen.iter()
            .map(|e| (e.service.as_str(), e.action.as_str(), e.status))
            .collect::<Vec<_>>(),
        vec![
            ("s3", "PUT /gd-proxy/", 200),
            ("s3", "PUT /gd-proxy/blob", 200),
            ("s3", "HEAD /gd-proxy/blob", 200),
            ("s3", "GET /gd-proxy/blob", 200),
            ("s3", "HEAD /gd-proxy/", 200),
        ],
        "{:?}",
        summary(&seen)
    );
}

/// Writes `request` and reads one answer: status, headers (lower-cased names) and body.
fn exchange(conn: &mut BufReader<TcpStream>, request: &[u8]) -> (u16, Vec<String>, String) {
    conn.get_mut().write_all(request).unwrap();
    let mut status = String::new();
    conn.read_line(&mut status).unwrap();
    let code: u16 = status.split(' ').nth(1).unwrap().parse().unwrap();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        conn.read_line(&mut line).unwrap();
        let line = line.trim_end().to_ascii_lowercase();
        if line.is_empty() {
            break;
        }
        headers.push(line);
    }
    let length: usize = headers
        .iter()
        .find_map(|h| h.strip_prefix("content-length:"))
        .unwrap_or_else(|| panic!("no Content-Length: {headers:?}"))
        .trim()
        .parse()
        .unwrap();
    let mut body = vec![0; length];
    conn.read_exact(&mut body).unwrap();
    (code, headers, String::from_utf8_lossy(&body).into_owned())
}

#[test]
fn forwards_chunked_bodies_and_keeps_connections_alive() {
    let moto = Moto::start();
    let proxy = proxy(&moto, 0.0, 1);
    let stream = TcpStream::connect(("127.0.0.1", proxy.port())).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut conn = BufReader::new(stream);
    let auth = "Authorization: AWS4-HMAC-SHA256 \
        Credential=testing/20250101/us-east-1/iam/aws4_request, \
        SignedHeaders=host, Signature=00";
    let form = "Content-Type: application/x-www-form-urlencoded; charset=utf-8";
    // A chunked body, split inside a field; then, on the same connection, a sized one.
    let chunked = format!(
        "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}\r\n{form}\r\n\
         Transfer-Encoding: chunked\r\n\r\n\
         15\r\nAction=CreateUser&Use\r\n1e\r\nrName=gd-chunked&Version=2010-\r\n5\r\n05-08\r\n\
         0\r\n\r\n"
    );
    let (status, _, body) = exchange(&mut conn, chunked.as_bytes());
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("<UserName>gd-chunked</UserName>"), "{body}");
    let sized_body = "Action=ListUsers&Version=2010-05-08";
    let sized = format!(
        "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}\r\n{form}\r\n\
         Content-Length: {}\r\n\r\n{sized_body}",
        sized_body.len()
    );
    let (status, headers, body) = exchange(&mut conn, sized.as_bytes());
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("gd-chunked"), "{body}");
    assert!(
        !headers.iter().any(|h| h == "connection: close"),
        "{headers:?}"
    );
    // A client that waits for `100 Continue` before its body gets it.
    let waiting_body = "Action=GetUser&UserName=gd-chunked&Version=2010-05-08";
    let waiting = format!(
        "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}\r\n{form}\r\n\
         Expect: 100-continue\r\nContent-Length: {}\r\n\r\n",
        waiting_body.len()
    );
    conn.get_mut().write_all(waiting.as_bytes()).unwrap();
    let mut interim = String::new();
    conn.read_line(&mut interim).unwrap();
    assert_eq!(interim, "HTTP/1.1 100 Continue\r\n");
    interim.clear();
    conn.read_line(&mut interim).unwrap();
    assert_eq!(interim, "\r\n");
    let (status, _, body) = exchange(&mut conn, waiting_body.as_bytes());
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("<GetUserResult>"), "{body}");
    // The emulator's own API goes through too.
    let (status, _, _) = exchange(
        &mut conn,
        b"GET /moto-api/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status, 200);
    let mut rest = Vec::new();
    conn.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty(), "the proxy closes after Connection: close");

    let seen = proxy.requests();
    assert_eq!(
        seen.iter()
            .map(|e| (e.service.as_str(), e.action.as_str(), e.status))
            .collect::<Vec<_>>(),
        vec![
            ("iam", "CreateUser", 200),
            ("iam", "ListUsers", 200),
            ("iam", "GetUser", 200),
            ("moto-api", "GET /moto-api/", 200),
        ],
        "{:?}",
        summary(&seen)
    );
}

#[tokio::test]
async fn the_sdk_retries_through_half_the_calls_faulted() {
    let moto = Moto::start();
    let proxy = proxy(&moto, 0.5, 7);
    let config = sdk(&moto, proxy.url(), 10).await;
    let iam = aws_sdk_iam::Client::new(&config);
    for i in 0..40 {
        iam.create_user()
            .user_name(format!("gd-proxy-{i:02}"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("user {i}: {e:?}"));
    }

    let seen = proxy.requests();
    let faults = proxy.faults();
    assert!(faults > 5, "only {faults} faults: {:?}", summary(&seen));
    assert_eq!(seen.iter().filter(|e| e.injected).count(), faults);
    assert!(
        seen.iter()
            .all(|e| e.service == "iam" && e.action == "CreateUser")
    );
    assert!(
        seen.iter()
            .filter(|e| e.injected)
            .all(|e| e.response_body.is_empty() && matches!(e.status, 400 | 503))
    );
    // Every faulted attempt was retried until one got through, and only that one reached
    // the emulator: one answered CreateUser a user, none refused as a duplicate.
    let forwarded: Vec<&Exchange> = seen.iter().filter(|e| !e.injected).collect();
    assert_eq!(forwarded.len(), 40, "{:?}", summary(&seen));
    assert!(forwarded.iter().all(|e| e.status == 200));
    assert_eq!(seen.len(), 40 + faults);

    let direct = sdk(&moto, moto.url(), 1).await;
    let users = aws_sdk_iam::Client::new(&direct)
        .list_users()
        .max_items(1000)
        .send()
        .await
        .unwrap();
    let mut names: Vec<&str> = users.users().iter().map(|u| u.user_name()).collect();
    names.sort_unstable();
    let expected: Vec<String> = (0..40).map(|i| format!("gd-proxy-{i:02}")).collect();
    assert_eq!(names, expected);
}

#[tokio::test]
async fn every_throttling_shape_is_retried() {
    let moto = Moto::start();
    let mut failures = Vec::new();
    for (seed, service) in SERVICES.iter().enumerate() {
        // A proxy of its own: its first fault is the protocol's throttling error, the
        // second a plain 503.
        let proxy = proxy(&moto, 0.6, seed as u64);
        let config = sdk(&moto, proxy.url(), 20).await;
        for _ in 0..4 {
            if let Err(code) = call(service, &config).await {
                failures.push(format!("{service}: the call failed: {code:?}"));
            }
        }
        let seen = proxy.requests();
        let injected: Vec<&Exchange> = seen.iter().filter(|e| e.injected).collect();
        if injected.len() < 2 {
            failures.push(format!(
                "{service}: fewer than two faults injected (seed {seed}): {:?}",
                summary(&seen)
            ));
        }
        if !seen
            .iter()
            .all(|e| e.service == *service && e.action == action(service))
        {
            failures.push(format!("{service}: {:?}", summary(&seen)));
        }
        if seen.iter().filter(|e| !e.injected).count() != 4 {
            failures.push(format!(
                "{service}: four calls should reach the emulator: {:?}",
                summary(&seen)
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[tokio::test]
async fn with_every_request_faulted_the_sdk_uses_all_its_attempts() {
    let moto = Moto::start();
    let mut failures = Vec::new();
    for service in SERVICES {
        let proxy = proxy(&moto, 1.0, 1);
        let config = sdk(&moto, proxy.url(), 3).await;
        // Throttling error, 503, throttling error: both kinds retried, the last one
        // reported.
        let outcome = call(service, &config).await;
        let expected = Some(throttling_code(service).to_owned());
        if outcome != Err(expected.clone()) {
            failures.push(format!(
                "{service}: expected the error {expected:?}, got {outcome:?}"
            ));
        }
        let seen = proxy.requests();
        if seen.len() != 3 || proxy.faults() != 3 || !seen.iter().all(|e| e.injected) {
            failures.push(format!(
                "{service}: expected three faulted attempts: {:?}",
                summary(&seen)
            ));
        }
    }
    // The emulator's own API is never faulted.
    let proxy = proxy(&moto, 1.0, 1);
    let mut conn = BufReader::new(TcpStream::connect(("127.0.0.1", proxy.port())).unwrap());
    let (status, _, _) = exchange(
        &mut conn,
        b"GET /moto-api/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    );
    assert_eq!(status, 200);
    assert_eq!(proxy.faults(), 0);
    assert!(failures.is_empty(), "{failures:#?}");
}
