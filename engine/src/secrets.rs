//! Secret-shaped text, found and removed: what gameday writes (the journal, reports,
//! errors on the terminal) is scrubbed here, beside the secrets a run registers by value,
//! so that a secret that arrives by an unexpected path (an error quoting a response body,
//! a note pasted by a responder) does not reach a file either.
//!
//! Shapes: an AWS secret access key (40 characters of base64's alphabet with both
//! cases), a session token or other long credential (100 or more), and the value after a
//! field named like a secret (`SecretAccessKey`, `secret_access_key`, `SessionToken`,
//! `aws_session_token`, `password`), however long.

/// What replaces a secret.
pub const REDACTED: &str = "[redacted]";

const FIELDS: &[&str] = &[
    "secretaccesskey",
    "secret_access_key",
    "sessiontoken",
    "session_token",
    "password",
];

fn in_alphabet(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '/' || c == '+'
}

/// Whether a run of base64's alphabet looks like a credential.
fn credential_like(run: &str) -> bool {
    let n = run.len();
    let mixed = run.chars().any(|c| c.is_ascii_lowercase())
        && run
            .chars()
            .any(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    (n == 40 && mixed && run.chars().any(|c| c.is_ascii_uppercase())) || n >= 100
}

/// The byte ranges of secret-shaped text in `s`.
fn find(s: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    // Runs of the alphabet (padding `=` belongs to the run's end).
    let bytes: Vec<(usize, char)> = s.char_indices().collect();
    let mut i = 0;
    while i < bytes.len() {
        if !in_alphabet(bytes[i].1) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && in_alphabet(bytes[i].1) {
            i += 1;
        }
        let end = bytes.get(i).map_or(s.len(), |(b, _)| *b);
        let run = &s[bytes[start].0..end];
        if credential_like(run) {
            let mut stop = end;
            while s[stop..].starts_with('=') {
                stop += 1;
            }
            out.push((bytes[start].0, stop));
        }
    }
    // Values after a field named like a secret: `Name>value<`, `"name":"value"`,
    // `name=value`, `name: value`.
    let lower = s.to_ascii_lowercase();
    for field in FIELDS {
        let mut from = 0;
        while let Some(p) = lower[from..].find(field) {
            let after = from + p + field.len();
            from = after;
            let rest = &s[after..];
            let skip = rest
                .char_indices()
                .find(|(_, c)| !matches!(c, '"' | '\'' | ':' | '=' | '>' | ' '))
                .map_or(rest.len(), |(i, _)| i);
            if !rest[..skip].contains([':', '=', '>']) {
                continue; // a word in a sentence, not a field and its value
            }
            let value_start = after + skip;
            if !s[value_start..].starts_with(|c: char| in_alphabet(c) || c == '-' || c == '_') {
                continue; // a structure, not a value
            }
            let value_end = s[value_start..]
                .char_indices()
                .find(|(_, c)| matches!(c, '"' | '\'' | '<' | ',' | '}' | '&' | ' ' | '\n' | '\r'))
                .map_or(s.len(), |(i, _)| value_start + i);
            if value_end > value_start && !s[value_start..value_end].starts_with(REDACTED) {
                out.push((value_start, value_end));
            }
        }
    }
    out.sort_unstable();
    out
}

/// `s` with every secret-shaped part replaced by [`REDACTED`].
pub fn scrub(s: &str) -> String {
    let found = find(s);
    if found.is_empty() {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut at = 0;
    for (start, end) in found {
        if start < at {
            at = at.max(end);
            continue;
        }
        out.push_str(&s[at..start]);
        out.push_str(REDACTED);
        at = end;
    }
    out.push_str(&s[at..]);
    out
}

/// The secret-shaped parts of `s`, for checks that nothing of the kind was written.
pub fn found_in(s: &str) -> Vec<String> {
    find(s)
        .into_iter()
        .map(|(a, b)| s[a..b].to_owned())
        .collect()
}

/// `text` with the credentials of every URL in it (`scheme://user:password@host`) masked
/// as `scheme://***@host`, for printing: an endpoint may carry them, and an error may
/// quote the endpoint.
pub fn mask_userinfo(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains("://") {
        return text.into();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        // The URL ends at a space or a quote, and its credentials at its last `@`. An
        // `@` in a path or query masks them too: better too much than a password with a
        // raw `/` or `#` in it printed in part.
        let end = tail
            .find(|c: char| c.is_whitespace() || "\"'<>`".contains(c))
            .unwrap_or(tail.len());
        match tail[..end].rfind('@') {
            Some(at) => {
                out.push_str("***");
                rest = &tail[at..];
            }
            None => rest = tail,
        }
    }
    out.push_str(rest);
    out.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_in_every_shape_are_removed_and_ordinary_text_kept() {
        let key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
        assert_eq!(key.len(), 40);
        for (text, kept) in [
            (format!("the key {key} leaked"), "the key [redacted] leaked"),
            (
                format!("<SecretAccessKey>{}</SecretAccessKey>", "abc"),
                "<SecretAccessKey>[redacted]</SecretAccessKey>",
            ),
            (
                r#"{"secret_access_key": "shortone", "user": "u"}"#.to_owned(),
                r#"{"secret_access_key": "[redacted]", "user": "u"}"#,
            ),
            (
                format!("token={}", "A".repeat(60) + &"b".repeat(60)),
                "token=[redacted]",
            ),
        ] {
            assert_eq!(scrub(&text), kept);
            assert!(found_in(&scrub(&text)).is_empty(), "{text}");
        }
        for ordinary in [
            "gameday-4f1c2a9e-mallory",
            "AKIA7TXRF6AEBYR3PK5P",
            "12abc34d567e8fa901bc2d34e56789f0",
            "da39a3ee5e6b4b0d3255bfef95601890afd80709",
            "arn:aws:iam::123456789012:user/gameday-4f1c2a9e-ci-deploy",
            "s3:PutObject on arn:aws:s3:::gameday-4f1c2a9e-trail/gameday-4f1c2a9e-trail/AWSLogs/*",
            "the password policy of the account",
        ] {
            assert_eq!(scrub(ordinary), ordinary);
        }
    }
}
