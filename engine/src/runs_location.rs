//! Where runs go: a local folder, or an S3 prefix (`s3://bucket/prefix`) mirrored in a
//! local folder.
//!
//! A run on S3 is still written (and its journal fsynced) in the local mirror first; the
//! mirror reaches S3 at every phase boundary and when the run ends (see
//! [`crate::aws::runs::S3Runs`]). Readers (report, trend, coverage, replay, clean-up)
//! download what S3 holds into the mirror, then read the mirror as any runs folder.

use std::path::{Path, PathBuf};

/// A runs directory as the user gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunsLocation {
    /// A local folder.
    Local(PathBuf),
    /// An S3 prefix.
    S3(S3Prefix),
}

/// `s3://bucket/prefix`: a bucket and a key prefix (no leading or trailing `/`; empty for
/// the whole bucket).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct S3Prefix {
    /// The bucket.
    pub bucket: String,
    /// The key prefix, without a leading or trailing `/`.
    pub prefix: String,
}

impl S3Prefix {
    /// The key of `rel` (a `/`-separated path) under the prefix.
    pub fn key(&self, rel: &str) -> String {
        let rel = rel.trim_matches('/');
        match (self.prefix.is_empty(), rel.is_empty()) {
            (true, _) => rel.to_owned(),
            (false, true) => self.prefix.clone(),
            (false, false) => format!("{}/{rel}", self.prefix),
        }
    }

    /// `s3://bucket/prefix/rel`.
    pub fn url(&self, rel: &str) -> String {
        format!("s3://{}/{}", self.bucket, self.key(rel))
    }

    /// The same bucket, `rel` deeper.
    pub fn join(&self, rel: &str) -> S3Prefix {
        S3Prefix {
            bucket: self.bucket.clone(),
            prefix: self.key(rel),
        }
    }

    /// The local folder mirroring this prefix: `GAMEDAY_CACHE_DIR` (or the user's cache
    /// folder, `~/.cache/gameday`) `/s3/BUCKET/PREFIX`.
    pub fn mirror(&self) -> PathBuf {
        let mut dir = cache_dir().join("s3").join(&self.bucket);
        for part in self.prefix.split('/').filter(|p| !p.is_empty()) {
            dir.push(part);
        }
        dir
    }
}

impl std::fmt::Display for S3Prefix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.url(""))
    }
}

/// Where gameday keeps local copies: `GAMEDAY_CACHE_DIR`, else `XDG_CACHE_HOME/gameday`,
/// else `~/.cache/gameday`, else a `gameday-cache` folder in the temporary directory.
pub fn cache_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("GAMEDAY_CACHE_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(d).join("gameday");
    }
    match std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        Some(home) => PathBuf::from(home).join(".cache").join("gameday"),
        None => std::env::temp_dir().join("gameday-cache"),
    }
}

impl RunsLocation {
    /// Reads `text`: `s3://bucket[/prefix]`, or a local path. An `s3://` URL without a
    /// bucket, or with a bucket name S3 refuses, is an error saying so.
    pub fn parse(text: &str) -> Result<RunsLocation, String> {
        let Some(rest) = text.strip_prefix("s3://") else {
            if text.to_ascii_lowercase().starts_with("s3:") {
                return Err(format!(
                    "`{text}`: write an S3 runs directory as s3://BUCKET/PREFIX"
                ));
            }
            return Ok(RunsLocation::Local(PathBuf::from(text)));
        };
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let bucket_ok = (3..=63).contains(&bucket.len())
            && bucket
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
            && bucket.starts_with(|c: char| c.is_ascii_alphanumeric())
            && bucket.ends_with(|c: char| c.is_ascii_alphanumeric());
        if !bucket_ok {
            return Err(format!(
                "`{text}`: `{bucket}` is not an S3 bucket name (3 to 63 lowercase letters, digits, \
                 hyphens and dots)"
            ));
        }
        let prefix = prefix.trim_matches('/');
        if prefix.split('/').any(|p| p == ".." || p == ".") {
            return Err(format!(
                "`{text}`: the prefix may not hold `.` or `..` parts"
            ));
        }
        Ok(RunsLocation::S3(S3Prefix {
            bucket: bucket.to_owned(),
            prefix: prefix.to_owned(),
        }))
    }

    /// [`RunsLocation::parse`] of a path given as one (a command-line argument).
    pub fn of_path(path: &Path) -> Result<RunsLocation, String> {
        match path.to_str() {
            Some(t) => RunsLocation::parse(t),
            None => Ok(RunsLocation::Local(path.to_owned())),
        }
    }

    /// The local folder runs are written to and read from: the folder itself, or the
    /// prefix's mirror.
    pub fn local(&self) -> PathBuf {
        match self {
            RunsLocation::Local(p) => p.clone(),
            RunsLocation::S3(s) => s.mirror(),
        }
    }

    /// The S3 prefix, if it is one.
    pub fn s3(&self) -> Option<&S3Prefix> {
        match self {
            RunsLocation::S3(s) => Some(s),
            RunsLocation::Local(_) => None,
        }
    }
}

impl std::fmt::Display for RunsLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunsLocation::Local(p) => write!(f, "{}", p.display()),
            RunsLocation::S3(s) => write!(f, "{s}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_urls_and_local_paths_are_told_apart() {
        assert_eq!(
            RunsLocation::parse("runs").expect("local"),
            RunsLocation::Local("runs".into())
        );
        let s = RunsLocation::parse("s3://team-gamedays/prod/runs/").expect("s3");
        let p = s.s3().expect("an S3 prefix");
        assert_eq!(p.bucket, "team-gamedays");
        assert_eq!(p.prefix, "prod/runs");
        assert_eq!(p.key("r1/journal.jsonl"), "prod/runs/r1/journal.jsonl");
        assert_eq!(p.url("r1"), "s3://team-gamedays/prod/runs/r1");
        assert!(
            s.local().ends_with("s3/team-gamedays/prod/runs"),
            "{:?}",
            s.local()
        );
        let whole = RunsLocation::parse("s3://team-gamedays").expect("s3");
        assert_eq!(whole.s3().expect("s3").key("r1"), "r1");
        assert_eq!(whole.s3().expect("s3").join("x").key("r1"), "x/r1");
    }

    #[test]
    fn bad_s3_urls_say_what_is_wrong() {
        for bad in [
            "s3://",
            "s3://A_B/x",
            "s3://ab",
            "S3:/bucket",
            "s3://bucket/../x",
        ] {
            let e = RunsLocation::parse(bad).expect_err(bad);
            assert!(e.contains(bad), "{e}");
        }
    }
}
