//! A game day played by a team: the console that starts it hosts it ([`host`]); others
//! join it (`gameday join`, a console of its own) through the run directory or over TCP,
//! speaking [`wire`].

pub(crate) mod host;
pub(crate) mod wire;

/// The socket in a run directory through which consoles on the same machine join.
pub(crate) const SOCKET: &str = "console.sock";

/// A random token for joining over TCP: 128 bits, as 32 hex digits.
pub(crate) fn new_token() -> std::io::Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The name a console goes by when `--as` is not given: the user's login name.
pub(crate) fn default_name() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .ok()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| "facilitator".to_owned())
}
