//! Text that comes from outside the program — scenarios, runbooks, journals, the
//! configuration, the cloud — made safe to show. A scenario title or a finding title is
//! data, and a terminal acts on data: an escape sequence in it can clear the screen,
//! retitle the window, rewrite what was printed before or ring the bell. Every front end
//! cleans such text with this module before it shows it: the console as it draws, the
//! command line as it prints, the reports as they are built.

use serde_json::Value;

/// What [`strip`] keeps of the characters that lay text out.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Keep {
    /// One line: line breaks and tabs become spaces.
    Line,
    /// Lines: line breaks stay, tabs and carriage returns become spaces.
    Lines,
    /// Printed output: line breaks and tabs stay, carriage returns go.
    Output,
}

/// Removes everything a terminal would act on: escape sequences (CSI, OSC, DCS and the
/// like, in their 7- and 8-bit forms), other control characters, and bidirectional
/// overrides that reorder what is shown. Line breaks are kept when `multiline`; tabs
/// become spaces.
pub fn clean(s: &str, multiline: bool) -> String {
    strip(s, if multiline { Keep::Lines } else { Keep::Line })
}

/// [`clean`] for text on its way to standard output or standard error: line breaks and
/// tabs, which the program's own output lays itself out with, are kept; carriage
/// returns, which would let a line print over another, are not.
pub fn clean_output(s: &str) -> String {
    strip(s, Keep::Output)
}

/// Whether [`clean`] would remove or change `c` wherever it stands.
fn unsafe_char(c: char) -> bool {
    c.is_control() || bidi_control(c)
}

/// Bidirectional embeddings, overrides and isolates: they reorder what is shown.
fn bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Whether [`clean`] with line breaks kept would change `s`.
fn needs_cleaning(s: &str) -> bool {
    s.chars().any(|c| unsafe_char(c) && c != '\n')
}

/// Does the cleaning, keeping what `keep` says of line breaks and tabs.
fn strip(s: &str, keep: Keep) -> String {
    // Nearly every text is clean already: return it as it is.
    if !s.chars().any(unsafe_char) {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => match chars.next() {
                Some('[') => skip_csi(&mut chars),
                Some(']' | 'P' | 'X' | '^' | '_') => skip_string(&mut chars),
                _ => {}
            },
            '\u{9b}' => skip_csi(&mut chars),
            '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            '\n' if keep != Keep::Line => out.push('\n'),
            '\t' if keep == Keep::Output => out.push('\t'),
            '\r' if keep == Keep::Output => {}
            '\n' | '\r' | '\t' => out.push(' '),
            c if bidi_control(c) => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Skips a control sequence's parameters up to and including its final byte.
fn skip_csi(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    for c in chars.by_ref() {
        if ('\u{40}'..='\u{7e}').contains(&c) {
            break;
        }
    }
}

/// Skips a control string up to its terminator (BEL, ST or ESC \).
fn skip_string(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while let Some(c) = chars.next() {
        match c {
            '\u{7}' | '\u{9c}' => break,
            '\u{1b}' => {
                if chars.peek() == Some(&'\\') {
                    chars.next();
                }
                break;
            }
            _ => {}
        }
    }
}

/// Every string of `value`, object keys included, [`clean`]ed with their line breaks
/// kept: a document built from journals holds no control character, whatever it was
/// built from. Returns whether anything changed.
pub fn clean_json(value: &mut Value) -> bool {
    match value {
        Value::String(s) => {
            let dirty = needs_cleaning(s);
            if dirty {
                *s = clean(s, true);
            }
            dirty
        }
        Value::Array(items) => items.iter_mut().fold(false, |d, v| clean_json(v) | d),
        Value::Object(map) => {
            if map.keys().any(|k| needs_cleaning(k)) {
                for (k, mut v) in std::mem::take(map) {
                    clean_json(&mut v);
                    map.insert(clean(&k, true), v);
                }
                true
            } else {
                map.values_mut().fold(false, |d, v| clean_json(v) | d)
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

/// Whether compact JSON text, as serde_json writes it, holds a string that [`clean_json`]
/// would change other than by keeping its line breaks: a raw character `clean` removes,
/// or an escape of a control character other than a line break. Far cheaper than
/// reading the text back, so clean documents skip that.
pub fn json_needs_cleaning(json: &str) -> bool {
    let mut chars = json.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('b' | 'f' | 't' | 'r') => return true,
                // serde_json writes every other control below U+0020 as \u00XX.
                Some('u') => {
                    let hex: String = chars.by_ref().take(4).collect();
                    if u32::from_str_radix(&hex, 16)
                        .ok()
                        .and_then(char::from_u32)
                        .is_some_and(|c| unsafe_char(c) && c != '\n')
                    {
                        return true;
                    }
                }
                _ => {}
            },
            c if unsafe_char(c) => return true,
            _ => {}
        }
    }
    false
}

/// JSON text with every character [`clean`] would remove written as a `\u` escape:
/// serde_json escapes the C0 controls but writes DEL, the 8-bit controls and the
/// bidirectional overrides as they are. Such characters can only stand inside strings,
/// so the escaped text is the same document, and printing it hides nothing from the
/// reader and lets nothing reach the terminal.
pub fn escape_json(json: &str) -> String {
    if !json.chars().any(unsafe_char) {
        return json.to_owned();
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        // serde_json never writes a raw C0 control: those left are its layout.
        if unsafe_char(c) && !matches!(c, '\n' | '\t' | '\r') {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

/// Text wrapped at blanks into lines of at most `width` characters (a longer word stays
/// whole), each ending in a newline.
pub fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_removes_what_a_terminal_would_act_on() {
        // Retitle the window, clear the screen, move the cursor, ring the bell, 8-bit CSI.
        let hostile =
            "\u{1b}]0;pwned\u{7}\u{1b}[2J\u{1b}[H\u{7}ok\u{9b}31m red \u{202e}abc\r\nnext";
        assert_eq!(clean(hostile, false), "ok red abc  next");
        assert_eq!(clean("a\nb\tc", true), "a\nb c");
        assert_eq!(clean("\u{1b}P1;2|secret\u{1b}\\after", false), "after");
        assert_eq!(clean("plain ünïcödé ✓", false), "plain ünïcödé ✓");
        // A cut-off sequence swallows nothing it should not.
        assert_eq!(clean("end\u{1b}", false), "end");
    }

    #[test]
    fn output_keeps_the_programs_own_layout() {
        assert_eq!(clean_output("a\tb\n  c\n"), "a\tb\n  c\n");
        assert_eq!(
            clean_output("title \u{1b}[2J\u{1b}]0;pwned\u{7}x\r\n"),
            "title x\n"
        );
        assert_eq!(clean_output("\u{7f}del \u{85}nel"), "del nel");
    }

    #[test]
    fn json_needing_cleaning_is_told_from_the_text() {
        let needs = |v: Value| json_needs_cleaning(&v.to_string());
        assert!(!needs(
            serde_json::json!({"a": "plain ünïcödé ✓", "b": ["x\ny"]})
        ));
        assert!(!needs(serde_json::json!({"path": "C:\\temp\\u0007"})));
        for hostile in [
            "\u{1b}[2J",
            "\u{7}",
            "a\tb",
            "\r",
            "\u{8}",
            "\u{7f}",
            "\u{9b}",
            "\u{202e}",
        ] {
            assert!(needs(serde_json::json!({ "k": hostile })), "{hostile:?}");
            assert!(
                needs(serde_json::json!({ hostile: 1 })),
                "{hostile:?} in a key"
            );
        }
    }

    #[test]
    fn json_is_cleaned_in_keys_and_values_and_escaped_when_printed() {
        let mut v = serde_json::json!({
            "t\u{1b}[2J": ["ok", "a\u{9b}31mb\nc"],
            "n": {"x": "\u{202e}y"},
        });
        assert!(clean_json(&mut v));
        assert!(!clean_json(&mut v), "clean already");
        assert_eq!(
            v,
            serde_json::json!({"t": ["ok", "ab\nc"], "n": {"x": "y"}})
        );
        let raw = serde_json::json!({"title": "a\u{9b}\", \u{202e}\u{7f}\u{1b}"}).to_string();
        let printed = escape_json(&raw);
        assert_eq!(
            printed, r#"{"title":"a\u009b\", \u202e\u007f\u001b"}"#,
            "the same document, nothing raw"
        );
        let back: Value = serde_json::from_str(&printed).unwrap_or_default();
        assert_eq!(back.to_string(), raw);
        assert_eq!(clean_output(&printed), printed);
    }
}
