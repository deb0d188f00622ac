//! Runs directories on S3: the local mirror uploaded, an S3 prefix downloaded, and the
//! one conditional write that lets shards of an execution agree without a shared disk.
//!
//! Credentials, region and endpoint come from the standard chain (environment, profile,
//! SSO, web identity: IRSA on Kubernetes, the task role on AWS Batch); `AWS_ENDPOINT_URL`
//! (or `AWS_ENDPOINT_URL_S3`) points at another endpoint, addressed path-style.

use super::sandbox_error;
use crate::runs_location::S3Prefix;
use crate::sandbox::{ErrorKind, Result, SandboxError};
use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_smithy_runtime_api::client::result::SdkError;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

/// One S3 runs prefix and its local mirror.
#[derive(Debug)]
pub struct S3Runs {
    client: aws_sdk_s3::Client,
    at: S3Prefix,
    /// Local files already uploaded, with the length and modification time they had.
    sent: Mutex<HashMap<PathBuf, (u64, Option<SystemTime>)>>,
}

/// Whether an endpoint other than AWS's is configured for S3 (an emulator, which wants
/// path-style addressing).
fn custom_endpoint() -> bool {
    ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|x| !x.is_empty()))
}

impl S3Runs {
    /// The client for `at`, from the standard credential chain; region
    /// `AWS_REGION`/`AWS_DEFAULT_REGION` or the profile's, else us-east-1.
    pub async fn new(at: &S3Prefix) -> S3Runs {
        let loaded = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(RetryConfig::standard().with_max_attempts(5))
            .load()
            .await;
        let mut builder =
            aws_sdk_s3::config::Builder::from(&loaded).force_path_style(custom_endpoint());
        if loaded.region().is_none() {
            builder = builder.region(aws_sdk_s3::config::Region::new("us-east-1"));
        }
        S3Runs {
            client: aws_sdk_s3::Client::from_conf(builder.build()),
            at: at.clone(),
            sent: Mutex::new(HashMap::new()),
        }
    }

    /// The prefix.
    pub fn at(&self) -> &S3Prefix {
        &self.at
    }

    /// Uploads every file under `mirror/rel` (the mirror of the prefix) that changed since
    /// this client last uploaded it; returns how many it put.
    pub async fn upload(&self, mirror: &Path, rel: &str) -> Result<usize> {
        let mut files = Vec::new();
        walk(&mirror.join(rel), &mut files);
        let mut put = 0;
        for file in files {
            let Ok(meta) = std::fs::metadata(&file) else {
                continue;
            };
            let stamp = (meta.len(), meta.modified().ok());
            if self
                .sent
                .lock()
                .map(|s| s.get(&file) == Some(&stamp))
                .unwrap_or(false)
            {
                continue;
            }
            let Ok(rel_key) = file.strip_prefix(mirror) else {
                continue;
            };
            let key = self.at.key(&rel_key.to_string_lossy().replace('\\', "/"));
            let body = aws_sdk_s3::primitives::ByteStream::from_path(&file)
                .await
                .map_err(|e| SandboxError::new(ErrorKind::Other, "s3:PutObject", e.to_string()))?;
            self.client
                .put_object()
                .bucket(&self.at.bucket)
                .key(&key)
                .body(body)
                .send()
                .await
                .map_err(|e| sandbox_error("s3:PutObject", e))?;
            if let Ok(mut s) = self.sent.lock() {
                s.insert(file, stamp);
            }
            put += 1;
        }
        Ok(put)
    }

    /// The keys under `rel` (relative to the prefix), every page of them.
    pub async fn list(&self, rel: &str) -> Result<Vec<String>> {
        let base = self.at.key(rel);
        let listed = if base.is_empty() {
            String::new()
        } else {
            format!("{base}/")
        };
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.at.bucket)
            .prefix(&listed)
            .into_paginator()
            .send();
        let mut keys = Vec::new();
        let strip = if self.at.prefix.is_empty() {
            String::new()
        } else {
            format!("{}/", self.at.prefix)
        };
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| sandbox_error("s3:ListObjectsV2", e))?;
            for o in page.contents() {
                if let Some(k) = o.key().and_then(|k| k.strip_prefix(strip.as_str())) {
                    keys.push(k.to_owned());
                }
            }
        }
        Ok(keys)
    }

    /// Downloads what the prefix holds under `rel` into `mirror`, leaving alone a local
    /// file that is as long or longer (a journal this machine wrote further than its
    /// last upload); returns how many files it wrote.
    pub async fn download(&self, mirror: &Path, rel: &str) -> Result<usize> {
        let mut got = 0;
        for rel_key in self.list(rel).await? {
            if rel_key.split('/').any(|p| p == ".." || p.is_empty()) {
                continue;
            }
            let local = mirror.join(&rel_key);
            let out = self
                .client
                .get_object()
                .bucket(&self.at.bucket)
                .key(self.at.key(&rel_key))
                .send()
                .await
                .map_err(|e| sandbox_error("s3:GetObject", e))?;
            let remote_len = out.content_length().unwrap_or(0).max(0) as u64;
            if std::fs::metadata(&local).is_ok_and(|m| m.len() >= remote_len) {
                continue;
            }
            let bytes = out
                .body
                .collect()
                .await
                .map_err(|e| SandboxError::new(ErrorKind::Other, "s3:GetObject", e.to_string()))?
                .into_bytes();
            if let Some(dir) = local.parent() {
                std::fs::create_dir_all(dir).map_err(|e| io_error(&local, &e))?;
            }
            crate::file::replace(&local, &bytes).map_err(|e| io_error(&local, &e))?;
            got += 1;
        }
        Ok(got)
    }

    /// Puts `body` at `rel` unless something is there already (a conditional write:
    /// `If-None-Match: *`); true when this call wrote it. Of any number of processes
    /// trying at once, exactly one gets true.
    pub async fn put_if_absent(&self, rel: &str, body: &str) -> Result<bool> {
        const OP: &str = "s3:PutObject";
        let sent = self
            .client
            .put_object()
            .bucket(&self.at.bucket)
            .key(self.at.key(rel))
            .if_none_match("*")
            .body(body.as_bytes().to_vec().into())
            .send()
            .await;
        match sent {
            Ok(_) => Ok(true),
            Err(SdkError::ServiceError(e)) if matches!(e.raw().status().as_u16(), 412 | 409) => {
                Ok(false)
            }
            Err(e) => Err(sandbox_error(OP, e)),
        }
    }
}

fn io_error(path: &Path, e: &std::io::Error) -> SandboxError {
    SandboxError::new(
        ErrorKind::Other,
        "s3:GetObject",
        format!("cannot write {}: {e}", path.display()),
    )
}

/// Every file under `dir`, depth first.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        if dir.is_file() {
            out.push(dir.to_owned());
        }
        return;
    };
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}
