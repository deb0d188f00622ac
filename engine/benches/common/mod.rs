//! What every benchmark needs: options from the environment, medians, peak memory.
//! Shared by the engine's and the console's benchmarks (`#[path]`).

#![allow(dead_code)]

/// `cargo bench` passes --bench; `cargo test --benches` does not: then a quick smoke run.
pub fn smoke() -> bool {
    !std::env::args().any(|a| a == "--bench")
}

/// A setting: `quick` in a smoke run, else the number in environment variable `name`,
/// else `default`.
pub fn setting<T: std::str::FromStr>(name: &str, default: T, quick: T) -> T {
    if smoke() {
        return quick;
    }
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The median of `v` (the upper one of an even count).
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Peak resident memory of this process, from /proc (Linux), in MiB.
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}
