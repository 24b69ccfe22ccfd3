//! Where each statement of a policy document starts and ends (line and column), for the
//! `StartPosition`/`EndPosition` of simulation's `MatchedStatements`. A small scanner over the
//! JSON text: the policy engine works on parsed documents and keeps no positions.

/// A 1-based line and column. Guess: AWS counts both from 1 and points at the statement's
/// opening and closing braces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// The (start, end) of every statement, in document order. A document whose `Statement` is a
/// single object has one span. Text that is not the expected JSON yields fewer spans, never a
/// panic (the engine already refused invalid documents).
pub fn statement_spans(doc: &str) -> Vec<(Position, Position)> {
    let mut spans = Vec::new();
    let (mut line, mut column) = (1usize, 0usize);
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut string = String::new();
    let mut last_key_at_top: Option<String> = None;
    let mut expect_value = false;
    // Depth at which statement objects open (inside the array, or the single object).
    let mut statement_depth: Option<usize> = None;
    let mut statements_end_depth: Option<usize> = None;
    let mut open: Option<Position> = None;

    for c in doc.chars() {
        if c == '\n' {
            line += 1;
            column = 0;
            if !in_string {
                continue;
            }
        } else {
            column += 1;
        }
        let here = Position { line, column };
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
                if depth == 1 {
                    last_key_at_top = Some(std::mem::take(&mut string));
                }
            } else if depth == 1 {
                string.push(c);
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                string.clear();
            }
            ':' if depth == 1 => {
                expect_value = last_key_at_top.as_deref() == Some("Statement");
            }
            '[' | '{' => {
                if expect_value {
                    expect_value = false;
                    if c == '[' {
                        statement_depth = Some(depth + 1);
                        statements_end_depth = Some(depth + 1);
                    } else {
                        statement_depth = Some(depth);
                        statements_end_depth = Some(depth);
                    }
                }
                if c == '{' && statement_depth == Some(depth) {
                    open = Some(here);
                }
                depth += 1;
            }
            ']' | '}' => {
                depth = depth.saturating_sub(1);
                if c == '}' && statement_depth == Some(depth) {
                    if let Some(start) = open.take() {
                        spans.push((start, here));
                    }
                    if statement_depth == statements_end_depth && depth == 1 {
                        // A single statement object: done.
                        statement_depth = None;
                    }
                }
                if c == ']' && statements_end_depth == Some(depth + 1) {
                    statement_depth = None;
                    statements_end_depth = None;
                }
            }
            // Any other value (a string is handled above) means `Statement` was not a list.
            c if !c.is_whitespace() && c != ',' && depth == 1 => {
                expect_value = false;
            }
            _ => {}
        }
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(line: usize, column: usize) -> Position {
        Position { line, column }
    }

    #[test]
    fn statements_in_an_array_and_alone() {
        let doc = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Effect\": \"Allow\", \"Action\": \"a:b\", \"Resource\": \"*\"},\n    {\n      \"Effect\": \"Deny\", \"Action\": \"c:{d}\", \"Resource\": \"*\"\n    }\n  ]\n}";
        assert_eq!(
            statement_spans(doc),
            vec![(p(4, 5), p(4, 57)), (p(5, 5), p(7, 5))]
        );
        let single = r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"},"Version":"2012-10-17"}"#;
        assert_eq!(statement_spans(single), vec![(p(1, 14), p(1, 59))]);
        // A nested "Statement" key (in a condition value) is not a statement list.
        let nested = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"Statement":"x"}}}]}"#;
        assert_eq!(statement_spans(nested).len(), 1);
        assert!(statement_spans("not json {[").is_empty());
    }
}
