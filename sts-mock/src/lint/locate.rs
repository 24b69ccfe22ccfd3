//! Where a JSON path points in the document's text (line and column, from 1), for SARIF, so a
//! CI code-scanning view marks the very line. The policy engine parses with serde_json, which
//! keeps no positions; this walks the text once more, only as far as the path leads. A path it
//! cannot follow (a document serde_json read differently, say with a duplicate name) has no
//! location, never a wrong one.

use super::path::{JsonPath, Segment};

/// The 1-based line and column (in characters) of the element `path` names: the name of an
/// object member, or the start of an array element; `None` when it cannot be found.
pub fn locate(text: &str, path: &JsonPath) -> Option<(usize, usize)> {
    let mut scanner = Scanner {
        text: text.as_bytes(),
        at: 0,
    };
    scanner.space();
    let mut found = scanner.at;
    for segment in &path.0 {
        found = match segment {
            Segment::Key(name) => scanner.member(name)?,
            Segment::Index(index) => scanner.element(*index)?,
        };
    }
    Some(line_column(text, found))
}

fn line_column(text: &str, offset: usize) -> (usize, usize) {
    // Scanner offsets are at ASCII tokens of valid JSON; a broken document could put one inside
    // a character, so step back to a boundary rather than slice through it.
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit_once('\n')
        .map(|(_, last)| last)
        .unwrap_or(before)
        .chars()
        .count()
        + 1;
    (line, column)
}

struct Scanner<'a> {
    text: &'a [u8],
    at: usize,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    fn space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        self.space();
        (self.peek() == Some(byte)).then(|| self.at += 1)
    }

    /// A string token, decoded.
    fn string(&mut self) -> Option<String> {
        self.space();
        let start = self.at;
        if self.peek() != Some(b'"') {
            return None;
        }
        self.at += 1;
        loop {
            match self.peek()? {
                b'\\' => self.at += 2,
                b'"' => {
                    self.at += 1;
                    break;
                }
                _ => self.at += 1,
            }
        }
        serde_json::from_slice(self.text.get(start..self.at)?).ok()
    }

    /// Skips one value of any kind.
    fn skip(&mut self) -> Option<()> {
        self.space();
        match self.peek()? {
            b'"' => self.string().map(|_| ()),
            open @ (b'{' | b'[') => {
                let close = if open == b'{' { b'}' } else { b']' };
                self.at += 1;
                self.space();
                if self.peek() == Some(close) {
                    self.at += 1;
                    return Some(());
                }
                loop {
                    if open == b'{' {
                        self.string()?;
                        self.eat(b':')?;
                    }
                    self.skip()?;
                    self.space();
                    match self.peek()? {
                        b',' => self.at += 1,
                        c if c == close => {
                            self.at += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            _ => {
                while !matches!(
                    self.peek(),
                    None | Some(b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')
                ) {
                    self.at += 1;
                }
                Some(())
            }
        }
    }

    /// Enters the member `name` of the object here; returns where its name starts, leaving the
    /// scanner at its value.
    fn member(&mut self, name: &str) -> Option<usize> {
        self.eat(b'{')?;
        loop {
            self.space();
            let start = self.at;
            let key = self.string()?;
            self.eat(b':')?;
            if key == name {
                self.space();
                return Some(start);
            }
            self.skip()?;
            self.eat(b',')?;
        }
    }

    /// Enters element `index` of the array here; returns where it starts.
    fn element(&mut self, index: usize) -> Option<usize> {
        self.eat(b'[')?;
        for _ in 0..index {
            self.skip()?;
            self.eat(b',')?;
        }
        self.space();
        Some(self.at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_point_at_member_names() {
        let text = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Effect\": \"Allow\"},\n    {\n      \"Condition\": {\"StringEquals\": {\"a:b \": [\"x\", {\"y\": 1}]}}\n    }\n  ]\n}";
        let statement = |i| JsonPath(vec![Segment::Key("Statement".into()), Segment::Index(i)]);
        assert_eq!(locate(text, &statement(0)), Some((4, 5)));
        assert_eq!(locate(text, &statement(0).key("Effect")), Some((4, 6)));
        let key = statement(1)
            .key("Condition")
            .key("StringEquals")
            .key("a:b ");
        assert_eq!(locate(text, &key), Some((6, 38)));
        assert_eq!(locate(text, &statement(1).key("Nope")), None);
        assert_eq!(locate(text, &statement(5)), None);
        assert_eq!(
            locate("{\"é\": 1, \"x\": 2}", &JsonPath::default().key("x")),
            Some((1, 10))
        );
    }
}
