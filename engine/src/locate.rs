//! Where each value of a YAML document is: key path → line and column.
//!
//! Validation works on typed values and key paths; this index turns a path back into a
//! position in the file so every diagnostic can point at the text to fix.

use serde_saphyr::granit_parser::{Event, Parser};
use std::collections::HashMap;

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

/// Positions of every key and value in a document, by key path (`a.b[2].c`).
#[derive(Debug, Default)]
pub struct YamlIndex {
    keys: HashMap<String, Position>,
    values: HashMap<String, Position>,
}

enum Frame {
    Map { path: String, key: Option<String> },
    Seq { path: String, index: usize },
}

/// The key path of child `key` under `parent`.
pub fn child(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_owned()
    } else {
        format!("{parent}.{key}")
    }
}

impl YamlIndex {
    /// Indexes `text`. A document that does not parse yields what was indexed before the
    /// error: the loader reports the syntax error itself.
    pub fn build(text: &str) -> Self {
        let mut index = YamlIndex::default();
        let mut stack: Vec<Frame> = Vec::new();
        for item in Parser::new_from_str(text) {
            let Ok((event, span)) = item else { break };
            let pos = Position {
                line: span.start.line(),
                column: span.start.col() + 1,
            };
            match event {
                Event::Scalar(value, ..) => {
                    if let Some(Frame::Map {
                        path,
                        key: key @ None,
                    }) = stack.last_mut()
                    {
                        let k = value.into_owned();
                        index.keys.insert(child(path, &k), pos);
                        *key = Some(k);
                    } else {
                        index.place_value(&mut stack, pos);
                    }
                }
                Event::Alias(_) => {
                    index.place_value(&mut stack, pos);
                }
                Event::MappingStart(..) => {
                    let path = index.place_value(&mut stack, pos);
                    stack.push(Frame::Map { path, key: None });
                }
                Event::SequenceStart(..) => {
                    let path = index.place_value(&mut stack, pos);
                    stack.push(Frame::Seq { path, index: 0 });
                }
                Event::MappingEnd | Event::SequenceEnd => {
                    stack.pop();
                }
                _ => {}
            }
        }
        index
    }

    /// Records a value at the current position of the innermost collection and advances it;
    /// returns the value's path.
    fn place_value(&mut self, stack: &mut [Frame], pos: Position) -> String {
        let path = match stack.last_mut() {
            None => String::new(),
            Some(Frame::Map { path, key }) => match key.take() {
                Some(k) => child(path, &k),
                // A complex key (a mapping or sequence used as a key): index it under `?`.
                None => {
                    *key = Some("?".to_owned());
                    child(path, "?")
                }
            },
            Some(Frame::Seq { path, index }) => {
                let p = format!("{path}[{index}]");
                *index += 1;
                p
            }
        };
        self.values.entry(path.clone()).or_insert(pos);
        path
    }

    /// Where the value at `path` starts; failing that, its nearest indexed ancestor.
    pub fn value(&self, path: &str) -> Position {
        self.find(path, &self.values)
    }

    /// Where the key of `path` is written (for unknown keys); failing that, its value.
    pub fn key(&self, path: &str) -> Position {
        self.keys
            .get(path)
            .copied()
            .unwrap_or_else(|| self.value(path))
    }

    fn find(&self, path: &str, map: &HashMap<String, Position>) -> Position {
        let mut p = path;
        loop {
            if let Some(pos) = map.get(p).or_else(|| self.keys.get(p)) {
                return *pos;
            }
            match p.rfind(['.', '[']) {
                Some(i) => p = &p[..i],
                None if !p.is_empty() => p = "",
                None => return Position { line: 1, column: 1 },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_keys_and_values_by_path() {
        let text =
            "id: x\nsetup:\n  - id: a\n    with: { user_name: bob }\n  - id: b\nmitre: [T1, T2]\n";
        let ix = YamlIndex::build(text);
        assert_eq!(ix.value("id"), Position { line: 1, column: 5 });
        assert_eq!(ix.key("setup"), Position { line: 2, column: 1 });
        assert_eq!(ix.value("setup[0]"), Position { line: 3, column: 5 });
        assert_eq!(
            ix.key("setup[0].with.user_name"),
            Position {
                line: 4,
                column: 13
            }
        );
        assert_eq!(
            ix.value("setup[0].with.user_name"),
            Position {
                line: 4,
                column: 24
            }
        );
        assert_eq!(ix.key("setup[1].id"), Position { line: 5, column: 5 });
        assert_eq!(
            ix.value("mitre[1]"),
            Position {
                line: 6,
                column: 13
            }
        );
    }

    #[test]
    fn falls_back_to_the_nearest_ancestor() {
        let ix = YamlIndex::build("a:\n  b: 1\n");
        assert_eq!(ix.value("a.missing"), Position { line: 2, column: 3 });
        assert_eq!(ix.value("zzz"), Position { line: 1, column: 1 });
    }
}
