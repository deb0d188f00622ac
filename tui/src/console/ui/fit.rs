//! Text cut to fit a width, by display width (a CJK character or an emoji can take two
//! columns): whatever is cut ends with `…`, so nothing shortened reads as something else.

use ratatui::text::{Line, Span};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// What ends every text cut to fit.
pub const ELLIPSIS: &str = "…";

/// The columns `s` takes on a terminal.
pub fn width(s: &str) -> usize {
    s.width()
}

/// `s` in at most `max` columns: whole when it fits, else cut and ended with `…`.
pub fn cut(s: &str, max: usize) -> String {
    if width(s) <= max {
        s.to_owned()
    } else {
        shorten(s, max)
    }
}

/// `s` cut to less than `max` columns and ended with `…` (nothing when `max` is 0), even
/// when it would fit: for text that more text was to follow.
fn shorten(s: &str, max: usize) -> String {
    if max == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > max - 1 {
            break;
        }
        used += w;
        out.push(c);
    }
    out.truncate(out.trim_end().len());
    out.push_str(ELLIPSIS);
    out
}

/// `line` in at most `max` columns: whole when it fits, else its spans kept while they fit
/// and the first that does not cut and ended with `…` (in that span's style).
pub fn line<'a>(line: Line<'a>, max: usize) -> Line<'a> {
    if line.width() <= max {
        return line;
    }
    let Line {
        spans,
        style,
        alignment,
    } = line;
    let mut kept = Vec::new();
    let mut used = 0;
    for span in spans {
        let w = span.width();
        if used + w < max {
            used += w;
            kept.push(span);
            continue;
        }
        let text = shorten(&span.content, max - used);
        kept.push(Span::styled(text, span.style));
        break;
    }
    Line {
        spans: kept,
        style,
        alignment,
    }
}

/// Every line of `lines` fitted to `max` columns with [`line`].
pub fn lines<'a>(lines: Vec<Line<'a>>, max: usize) -> Vec<Line<'a>> {
    lines.into_iter().map(|l| line(l, max)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(l: &Line<'_>) -> String {
        l.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn text_cut_to_fit_ends_with_an_ellipsis() {
        assert_eq!(cut("short", 5), "short");
        assert_eq!(cut("shorter", 5), "shor…");
        assert_eq!(cut("two words", 5), "two…", "no space before the ellipsis");
        assert_eq!(cut("anything", 1), "…");
        assert_eq!(cut("anything", 0), "");
        // By display width: 界 takes two columns.
        assert_eq!(cut("世界世界", 5), "世界…");
        assert_eq!(width(&cut("世界世界", 4)), 3);
    }

    #[test]
    fn a_line_keeps_its_spans_while_they_fit() {
        let l = Line::from(vec![Span::raw("abc"), Span::raw("def"), Span::raw("ghi")]);
        assert_eq!(text(&line(l.clone(), 9)), "abcdefghi");
        assert_eq!(text(&line(l.clone(), 8)), "abcdefg…");
        // A span that fills the width exactly still gives way to the ellipsis.
        assert_eq!(text(&line(l.clone(), 6)), "abcde…");
        assert_eq!(text(&line(l, 3)), "ab…");
    }
}
