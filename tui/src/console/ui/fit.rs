//! Text cut to fit a width, by display width (a CJK character or an emoji can take two
//! columns): whatever is cut ends with `…`, so nothing shortened reads as something else.

use ratatui::style::Style;
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

/// `s` with its middle given way to `…`, its first `head` and last `tail` characters kept
/// (`1234…9012`): for ids, which must not be cut into another id.
pub fn elide_middle(s: &str, head: usize, tail: usize) -> String {
    let n = s.chars().count();
    if n <= head + tail + 1 {
        return s.to_owned();
    }
    let start: String = s.chars().take(head).collect();
    let end: String = s.chars().skip(n - tail).collect();
    format!("{start}{ELLIPSIS}{end}")
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

/// A field of a row that shares its width with others (the header's): the forms it can
/// take, longest first (an empty last form drops it), and how readily it gives way when
/// the row is too narrow (a lower `give` gives way first).
#[derive(Debug, Clone)]
pub struct Field {
    forms: Vec<String>,
    style: Style,
    give: u8,
    /// Cut to the room left (with `…`), before its next form, when at least this many
    /// columns would remain.
    elastic: Option<usize>,
    /// What stands between it and the field before it.
    sep: &'static str,
}

impl Field {
    /// A field of `text`, which gives way at `give`, after ` · `.
    pub fn new(text: impl Into<String>, style: Style, give: u8) -> Field {
        Field {
            forms: vec![text.into()],
            style,
            give,
            elastic: None,
            sep: " · ",
        }
    }

    /// A shorter form, taken when the longer ones do not fit.
    pub fn or(mut self, shorter: impl Into<String>) -> Field {
        self.forms.push(shorter.into());
        self
    }

    /// Dropped when even its shortest form does not fit.
    pub fn droppable(self) -> Field {
        self.or("")
    }

    /// Cut with `…` to the room left rather than take its next form, while `min` columns of
    /// it remain.
    pub fn elastic(mut self, min: usize) -> Field {
        self.elastic = Some(min);
        self
    }

    /// Stands after `sep` rather than ` · `.
    pub fn after(mut self, sep: &'static str) -> Field {
        self.sep = sep;
        self
    }
}

/// Columns between the left and the right part of a row.
const GAP: usize = 2;

/// A field as fitted: which form, and the cut of an elastic one.
struct Fitted {
    form: usize,
    cut: Option<String>,
}

impl Fitted {
    fn text<'f>(&'f self, f: &'f Field) -> &'f str {
        self.cut.as_deref().unwrap_or(&f.forms[self.form])
    }
}

/// The width of a group of fields as fitted (separators only between fields shown).
fn group_width(fields: &[Field], fitted: &[Fitted]) -> usize {
    let mut total = 0;
    let mut first = true;
    for (f, s) in fields.iter().zip(fitted) {
        let w = width(s.text(f));
        if w == 0 {
            continue;
        }
        if !first {
            total += width(f.sep);
        }
        total += w;
        first = false;
    }
    total
}

/// A row of `width` columns: the `left` fields from the left, the `right` ones against the
/// right edge, at least two columns apart. While the row is too wide, the field that gives
/// way most readily takes its next form (or its cut); if even that is not enough, the row
/// is cut with `…`.
pub fn row(left: &[Field], right: &[Field], sep_style: Style, max: usize) -> Line<'static> {
    let all: Vec<&Field> = left.iter().chain(right).collect();
    let mut fitted: Vec<Fitted> = all.iter().map(|_| Fitted { form: 0, cut: None }).collect();
    let measure = |fitted: &[Fitted]| {
        let (l, r) = fitted.split_at(left.len());
        let (lw, rw) = (group_width(left, l), group_width(right, r));
        lw + rw + if lw > 0 && rw > 0 { GAP } else { 0 }
    };
    loop {
        let total = measure(&fitted);
        if total <= max {
            break;
        }
        let next = (0..all.len())
            .filter(|&i| fitted[i].form + 1 < all[i].forms.len() || can_cut(all[i], &fitted[i]))
            .min_by_key(|&i| all[i].give);
        let Some(i) = next else { break };
        let (f, s) = (all[i], &mut fitted[i]);
        if can_cut(f, s) {
            let room = width(s.text(f)).saturating_sub(total - max);
            if f.elastic.is_some_and(|min| room >= min) {
                s.cut = Some(cut(s.text(f), room));
                continue;
            }
        }
        s.cut = None;
        s.form += 1;
    }
    let (l, r) = fitted.split_at(left.len());
    let mut spans = group_spans(left, l, sep_style);
    let right = group_spans(right, r, sep_style);
    // The room left, and the gap when there is something on both sides.
    let mut pad = max.saturating_sub(measure(&fitted));
    if !spans.is_empty() && !right.is_empty() {
        pad += GAP;
    }
    spans.push(Span::raw(" ".repeat(pad)));
    spans.extend(right);
    line(Line::from(spans), max)
}

/// An elastic field not cut yet, in a form with text.
fn can_cut(f: &Field, s: &Fitted) -> bool {
    f.elastic.is_some() && s.cut.is_none() && !f.forms[s.form].is_empty()
}

fn group_spans(fields: &[Field], fitted: &[Fitted], sep_style: Style) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    for (f, s) in fields.iter().zip(fitted) {
        let text = s.text(f);
        if text.is_empty() {
            continue;
        }
        if !spans.is_empty() {
            spans.push(Span::styled(f.sep, sep_style));
        }
        spans.push(Span::styled(text.to_owned(), f.style));
    }
    spans
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
    fn ids_lose_their_middle_not_their_end() {
        assert_eq!(elide_middle("123456789012", 4, 4), "1234…9012");
        assert_eq!(elide_middle("123456789", 4, 4), "123456789");
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

    #[test]
    fn a_row_gives_way_field_by_field() {
        let left = [
            Field::new("run 42", Style::default(), 1).droppable(),
            Field::new("a long title here", Style::default(), 5)
                .elastic(6)
                .droppable(),
            Field::new("account 123456789012", Style::default(), 7)
                .or("account 1234…9012")
                .droppable(),
        ];
        let right = [Field::new("PAUSED", Style::default(), 9)];
        let at = |w: usize| text(&row(&left, &right, Style::default(), w));
        assert_eq!(
            at(57),
            "run 42 · a long title here · account 123456789012  PAUSED"
        );
        assert_eq!(
            at(51),
            "a long title here · account 123456789012     PAUSED"
        );
        assert_eq!(at(40), "a long t… · account 123456789012  PAUSED");
        assert_eq!(at(30), "account 123456789012    PAUSED");
        assert_eq!(at(26), "account 1234…9012   PAUSED");
        assert_eq!(at(6), "PAUSED");
        assert_eq!(at(4), "PAU…");
        for w in 0..70 {
            assert!(width(&at(w)) <= w, "{w}");
        }
    }
}
