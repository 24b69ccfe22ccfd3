//! The parser: policy text (and boundary text) to typed statements, or an error that says
//! what was expected and where.
//!
//! The grammar follows Dynatrace's "IAM policy statement syntax and examples" page
//! (docs.dynatrace.com/docs/…/iam-policystatement-syntax) and, for `MATCH`, "Permissions in
//! Grail" (docs.dynatrace.com/docs/platform/grail/organize-data/assign-permissions-in-grail):
//!
//! ```text
//! policy     = statement { ";" statement } [ ";" ] ;          (* 1 to 100 statements *)
//! statement  = effect permission { "," permission } [ "WHERE" where ] ;
//! effect     = "ALLOW" | "DENY" ;
//! where      = "null" | condition { "AND" condition } ;
//! condition  = attribute ( single-op value | list-op "(" value { "," value } ")" ) ;
//! single-op  = "=" | "!=" | "<" | ">" | "startsWith" | "NOT" "startsWith" ;
//! list-op    = "IN" | "NOT" "IN" | "MATCH" ;
//! permission = segment ":" segment ":" segment ;              (* service:resource:action *)
//! attribute  = segment ":" segment ;                          (* service:attribute *)
//! segment    = { letter | digit | "_" | "-" | "." }- ;
//! value      = "'" { char - "'" } "'" | '"' { char - '"' } '"' ;   (* on one line *)
//! boundary   = condition { ";" condition } [ ";" ] ;          (* 1 to 10 conditions *)
//! comment    = "//" { char } end-of-line ;
//! ```
//!
//! Keywords (`ALLOW`, `DENY`, `WHERE`, `AND`, `NOT`, `IN`, `MATCH`, `startsWith`, `null`) are
//! case-insensitive: Dynatrace's own default policy "AppEngine - Admin" writes `where`, and
//! "Permissions in Grail" writes `STARTSWITH`. Inside a value, `${bindParam:NAME}` is a bind
//! parameter ("Policy templating") and `${global:userId}` / `${global:userGroup}` a global
//! attribute ("Policy global attributes").

use std::fmt;

use crate::global::{self, TimeKey};
use crate::policy::{
    Boundary, Condition, Effect, Global, Operator, Part, Position, Statement, Value,
};

/// "A policy may include a maximum of 100 statements" ("IAM policy statement syntax and
/// examples"; the IAM limits table: "Policy statements | Policy | 100").
pub const MAX_STATEMENTS: usize = 100;

/// "Only 10 restrictions per boundary" ("Policy boundaries", restrictions and limits).
pub const MAX_BOUNDARY_CONDITIONS: usize = 10;

/// Why text is not a policy (or boundary): where, and what was expected there.
/// `Display` reads like "expected `;` after statement, found `ALLOW` at 3:41".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at {line}:{column}")]
pub struct ParseError {
    /// Line of the offending text, from 1.
    pub line: u32,
    /// Column of the offending text, in characters from 1.
    pub column: u32,
    /// What was expected, and what was found instead.
    pub message: String,
}

impl ParseError {
    fn at(position: Position, message: impl Into<String>) -> ParseError {
        ParseError {
            line: position.line,
            column: position.column,
            message: message.into(),
        }
    }

    /// Where the error is.
    pub fn position(&self) -> Position {
        Position {
            line: self.line,
            column: self.column,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok<'a> {
    /// A run of letters, digits, `_`, `-`, `.` and `:`: keywords, permissions, attributes.
    Name(&'a str),
    /// A quoted value; `content_at` is the position of its first character.
    Str {
        content: &'a str,
        content_at: Position,
    },
    Comma,
    Semicolon,
    LParen,
    RParen,
    Eq,
    NotEq,
    Lt,
    Gt,
    Eof,
}

impl fmt::Display for Tok<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tok::Name(n) => write!(f, "`{n}`"),
            Tok::Str { content, .. } => write!(f, "the value {}", crate::policy::quote(content)),
            Tok::Comma => f.write_str("`,`"),
            Tok::Semicolon => f.write_str("`;`"),
            Tok::LParen => f.write_str("`(`"),
            Tok::RParen => f.write_str("`)`"),
            Tok::Eq => f.write_str("`=`"),
            Tok::NotEq => f.write_str("`!=`"),
            Tok::Lt => f.write_str("`<`"),
            Tok::Gt => f.write_str("`>`"),
            Tok::Eof => f.write_str("the end of the text"),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Token<'a> {
    tok: Tok<'a>,
    at: Position,
}

impl Token<'_> {
    fn is_keyword(&self, keyword: &str) -> bool {
        matches!(self.tok, Tok::Name(n) if n.eq_ignore_ascii_case(keyword))
    }
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':')
}

struct Lexer<'a> {
    src: &'a str,
    offset: usize,
    line: u32,
    column: u32,
}

impl<'a> Lexer<'a> {
    fn new(src: &'a str) -> Self {
        Lexer {
            src,
            offset: 0,
            line: 1,
            column: 1,
        }
    }

    fn here(&self) -> Position {
        Position {
            line: self.line,
            column: self.column,
        }
    }

    fn peek_char(&self) -> Option<char> {
        self.src[self.offset..].chars().next()
    }

    fn bump_char(&mut self) -> Option<char> {
        let c = self.peek_char()?;
        self.offset += c.len_utf8();
        if c == '\n' {
            self.line += 1;
            self.column = 1;
        } else {
            self.column += 1;
        }
        Some(c)
    }

    /// Skips white space and `//` comments ("Everything between a double slash (`//`) and
    /// the end of the line is comment text").
    fn skip_trivia(&mut self) {
        loop {
            match self.peek_char() {
                Some(c) if c.is_whitespace() => {
                    self.bump_char();
                }
                Some('/') if self.src[self.offset..].starts_with("//") => {
                    while let Some(c) = self.peek_char() {
                        if c == '\n' {
                            break;
                        }
                        self.bump_char();
                    }
                }
                _ => return,
            }
        }
    }

    fn next_token(&mut self) -> Result<Token<'a>, ParseError> {
        self.skip_trivia();
        let at = self.here();
        let start = self.offset;
        let Some(c) = self.bump_char() else {
            return Ok(Token { tok: Tok::Eof, at });
        };
        let tok = match c {
            ',' => Tok::Comma,
            ';' => Tok::Semicolon,
            '(' => Tok::LParen,
            ')' => Tok::RParen,
            '=' => Tok::Eq,
            '<' => Tok::Lt,
            '>' => Tok::Gt,
            '!' => {
                if self.peek_char() == Some('=') {
                    self.bump_char();
                    Tok::NotEq
                } else {
                    return Err(ParseError::at(at, "unexpected `!` (the operator is `!=`)"));
                }
            }
            '\'' | '"' => {
                let content_at = self.here();
                let content_start = self.offset;
                loop {
                    match self.peek_char() {
                        Some(q) if q == c => break,
                        // Guess: a value ends on its line; there are no escape sequences
                        // (the documentation shows none), so a value holding `"` is written
                        // in single quotes.
                        None | Some('\n') | Some('\r') => {
                            return Err(ParseError::at(
                                at,
                                format!("unterminated value: expected a closing {c} on this line"),
                            ))
                        }
                        Some(_) => {
                            self.bump_char();
                        }
                    }
                }
                let content = &self.src[content_start..self.offset];
                self.bump_char();
                Tok::Str {
                    content,
                    content_at,
                }
            }
            c if is_name_char(c) => {
                while self.peek_char().is_some_and(is_name_char) {
                    self.bump_char();
                }
                if self.peek_char() == Some('*') {
                    let star = self.here();
                    return Err(ParseError::at(
                        star,
                        format!(
                            "unexpected `*` after `{}`: permissions and attributes have no \
                             wildcards (only `MATCH` patterns do)",
                            &self.src[start..self.offset]
                        ),
                    ));
                }
                Tok::Name(&self.src[start..self.offset])
            }
            '/' => {
                return Err(ParseError::at(
                    at,
                    "unexpected `/` (comments start with `//`)",
                ))
            }
            other => {
                return Err(ParseError::at(
                    at,
                    format!("unexpected character `{}`", other.escape_debug()),
                ))
            }
        };
        Ok(Token { tok, at })
    }
}

struct Parser<'a> {
    lexer: Lexer<'a>,
    peeked: Option<Token<'a>>,
}

/// Parses policy text into a [`crate::Policy`].
pub(crate) fn statements(text: &str) -> Result<Vec<Statement>, ParseError> {
    let mut p = Parser::new(text);
    let mut statements = Vec::new();
    loop {
        let next = p.peek()?;
        if next.tok == Tok::Eof {
            if statements.is_empty() {
                return Err(ParseError::at(
                    next.at,
                    "expected a statement (`ALLOW` or `DENY`): a policy has at least one",
                ));
            }
            return Ok(statements);
        }
        if statements.len() == MAX_STATEMENTS {
            return Err(ParseError::at(
                next.at,
                format!(
                    "too many statements: a policy may include at most {MAX_STATEMENTS}, \
                     and statement {} starts here",
                    MAX_STATEMENTS + 1
                ),
            ));
        }
        statements.push(p.statement()?);
        let end = p.bump()?;
        match end.tok {
            Tok::Semicolon => {}
            // Guess: the last statement's `;` may be left out. Every Dynatrace example
            // ends in `;`; dtiam's notes (timstewart-dynatrace/dtiam, docs/dev/API_BEHAVIORS.md)
            // report the API accepting `ALLOW settings:objects:read` without it.
            Tok::Eof => return Ok(statements),
            // statement() stops only at `;` or the end; kept as an error, not a panic.
            _ => {
                return Err(ParseError::at(
                    end.at,
                    format!("expected `;` after statement, found {}", end.tok),
                ))
            }
        }
    }
}

/// Parses boundary text: conditions only, each ended by `;`.
pub(crate) fn boundary(text: &str) -> Result<Boundary, ParseError> {
    let mut p = Parser::new(text);
    let mut conditions = Vec::new();
    loop {
        let next = p.peek()?;
        if next.tok == Tok::Eof {
            if conditions.is_empty() {
                return Err(ParseError::at(
                    next.at,
                    "expected a condition such as `storage:k8s.namespace.name = \"DEVELOPMENT\";`: \
                     a boundary has at least one",
                ));
            }
            return Ok(Boundary {
                conditions,
                name: None,
            });
        }
        if next.is_keyword("ALLOW") || next.is_keyword("DENY") {
            return Err(ParseError::at(
                next.at,
                format!(
                    "a boundary holds conditions only, not statements: found {}",
                    next.tok
                ),
            ));
        }
        if conditions.len() == MAX_BOUNDARY_CONDITIONS {
            return Err(ParseError::at(
                next.at,
                format!(
                    "too many conditions: a boundary may hold at most {MAX_BOUNDARY_CONDITIONS}"
                ),
            ));
        }
        conditions.push(p.condition()?);
        let end = p.bump()?;
        match end.tok {
            Tok::Semicolon => {}
            // Guess: as for policies, the last `;` may be left out.
            Tok::Eof => {
                return Ok(Boundary {
                    conditions,
                    name: None,
                })
            }
            _ if end.is_keyword("AND") => {
                return Err(ParseError::at(
                    end.at,
                    "a boundary has no `AND`: write each condition on its own line, ended by `;`",
                ))
            }
            _ => {
                return Err(ParseError::at(
                    end.at,
                    format!("expected `;` after condition, found {}", end.tok),
                ))
            }
        }
    }
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Self {
        Parser {
            lexer: Lexer::new(text),
            peeked: None,
        }
    }

    fn peek(&mut self) -> Result<Token<'a>, ParseError> {
        if let Some(t) = self.peeked {
            return Ok(t);
        }
        let t = self.lexer.next_token()?;
        self.peeked = Some(t);
        Ok(t)
    }

    fn bump(&mut self) -> Result<Token<'a>, ParseError> {
        let t = self.peek()?;
        self.peeked = None;
        Ok(t)
    }

    /// One statement, up to (not including) its `;` or the end of the text.
    fn statement(&mut self) -> Result<Statement, ParseError> {
        let first = self.bump()?;
        let effect = if first.is_keyword("ALLOW") {
            Effect::Allow
        } else if first.is_keyword("DENY") {
            Effect::Deny
        } else {
            return Err(ParseError::at(
                first.at,
                format!("expected `ALLOW` or `DENY`, found {}", first.tok),
            ));
        };
        let after_effect = match effect {
            Effect::Allow => "`ALLOW`",
            Effect::Deny => "`DENY`",
        };
        let mut permissions = vec![self.permission(after_effect)?];
        let mut conditions = Vec::new();
        loop {
            let t = self.peek()?;
            match t.tok {
                Tok::Comma => {
                    self.bump()?;
                    permissions.push(self.permission("`,`")?);
                }
                Tok::Semicolon | Tok::Eof => break,
                _ if t.is_keyword("WHERE") => {
                    self.bump()?;
                    conditions = self.where_clause()?;
                    break;
                }
                _ if t.is_keyword("ALLOW") || t.is_keyword("DENY") => {
                    return Err(ParseError::at(
                        t.at,
                        format!("expected `;` after statement, found {}", t.tok),
                    ))
                }
                _ => {
                    return Err(ParseError::at(
                        t.at,
                        format!(
                            "expected `,`, `WHERE` or `;` after permission `{}`, found {}",
                            permissions.last().map(String::as_str).unwrap_or_default(),
                            t.tok
                        ),
                    ))
                }
            }
        }
        Ok(Statement {
            effect,
            permissions,
            conditions,
            position: first.at,
        })
    }

    /// `service:resource:action`.
    fn permission(&mut self, after: &str) -> Result<String, ParseError> {
        let t = self.bump()?;
        let Tok::Name(name) = t.tok else {
            return Err(ParseError::at(
                t.at,
                format!(
                    "expected a permission (service:resource:action) after {after}, found {}",
                    t.tok
                ),
            ));
        };
        if let Err(mut e) = check_segments(name, 3, "a permission (service:resource:action)", t.at)
        {
            if self.peek().is_ok_and(|next| next.tok == Tok::Lt) {
                e.message.push_str(
                    " followed by `<`: the documentation's `<…>` placeholders stand for a name",
                );
            }
            return Err(e);
        }
        Ok(name.to_string())
    }

    /// After `WHERE`: `null`, or conditions joined by `AND`, up to `;` or the end.
    fn where_clause(&mut self) -> Result<Vec<Condition>, ParseError> {
        let t = self.peek()?;
        // "You can use the `null` value to indicate no condition. Example:
        // `ALLOW settings:schemas:read WHERE null;`" (policy statement syntax page).
        if t.is_keyword("null") {
            self.bump()?;
            let next = self.peek()?;
            return match next.tok {
                Tok::Semicolon | Tok::Eof => Ok(Vec::new()),
                _ => Err(ParseError::at(
                    next.at,
                    format!("expected `;` after `WHERE null`, found {}", next.tok),
                )),
            };
        }
        let mut conditions = vec![self.condition()?];
        loop {
            let t = self.peek()?;
            match t.tok {
                Tok::Semicolon | Tok::Eof => return Ok(conditions),
                _ if t.is_keyword("AND") => {
                    self.bump()?;
                    conditions.push(self.condition()?);
                }
                _ if t.is_keyword("ALLOW") || t.is_keyword("DENY") => {
                    return Err(ParseError::at(
                        t.at,
                        format!("expected `;` after statement, found {}", t.tok),
                    ))
                }
                _ if t.is_keyword("OR") => {
                    return Err(ParseError::at(
                        t.at,
                        "conditions are joined by `AND` only; for alternatives write another \
                         statement or use `IN (…)`",
                    ))
                }
                _ => {
                    return Err(ParseError::at(
                        t.at,
                        format!("expected `AND` or `;` after condition, found {}", t.tok),
                    ))
                }
            }
        }
    }

    /// `attribute operator value` or `attribute list-operator (value, …)`.
    fn condition(&mut self) -> Result<Condition, ParseError> {
        let t = self.bump()?;
        let Tok::Name(key) = t.tok else {
            return Err(ParseError::at(
                t.at,
                format!(
                    "expected a condition attribute (service:attribute), found {}",
                    t.tok
                ),
            ));
        };
        check_segments(key, 2, "a condition attribute (service:attribute)", t.at)?;
        let position = t.at;
        let op_token = self.bump()?;
        let operator = match op_token.tok {
            Tok::Eq => Operator::Equals,
            Tok::NotEq => Operator::NotEquals,
            Tok::Lt => Operator::LessThan,
            Tok::Gt => Operator::GreaterThan,
            _ if op_token.is_keyword("IN") => Operator::In,
            _ if op_token.is_keyword("MATCH") => Operator::Match,
            _ if op_token.is_keyword("startsWith") => Operator::StartsWith,
            _ if op_token.is_keyword("NOT") => {
                let next = self.bump()?;
                if next.is_keyword("IN") {
                    Operator::NotIn
                } else if next.is_keyword("startsWith") {
                    Operator::NotStartsWith
                } else {
                    return Err(ParseError::at(
                        next.at,
                        format!(
                            "expected `IN` or `startsWith` after `NOT`, found {}",
                            next.tok
                        ),
                    ));
                }
            }
            _ => {
                return Err(ParseError::at(
                    op_token.at,
                    format!(
                        "expected an operator (`=`, `!=`, `IN`, `NOT IN`, `startsWith`, \
                         `NOT startsWith`, `MATCH`, `<`, `>`) after `{key}`, found {}",
                        op_token.tok
                    ),
                ))
            }
        };
        let valued = if operator.takes_list() {
            let open = self.bump()?;
            if open.tok != Tok::LParen {
                return Err(ParseError::at(
                    open.at,
                    format!(
                        "expected `(` and a list of quoted values after `{operator}`, found {}",
                        open.tok
                    ),
                ));
            }
            let mut values = vec![self.value("`(`")?];
            loop {
                let t = self.bump()?;
                match t.tok {
                    Tok::Comma => values.push(self.value("`,`")?),
                    Tok::RParen => break values,
                    _ => {
                        return Err(ParseError::at(
                            t.at,
                            format!("expected `,` or `)` in the list of values, found {}", t.tok),
                        ))
                    }
                }
            }
        } else {
            vec![self.value(quoted_operator(operator))?]
        };
        let (values, value_positions): (Vec<Value>, Vec<Position>) = valued.into_iter().unzip();
        let condition = Condition {
            key: key.to_string(),
            operator,
            values,
            position,
        };
        check_time_condition(&condition, op_token.at, &value_positions)?;
        Ok(condition)
    }

    fn value(&mut self, after: &str) -> Result<(Value, Position), ParseError> {
        let t = self.bump()?;
        match t.tok {
            Tok::Str {
                content,
                content_at,
            } => Ok((parse_value(content, content_at)?, t.at)),
            Tok::Name(_) => Err(ParseError::at(
                t.at,
                format!(
                    "expected a quoted value after {after}, found {}: values are written in \
                     quotes, '…' or \"…\"",
                    t.tok
                ),
            )),
            _ => Err(ParseError::at(
                t.at,
                format!("expected a quoted value after {after}, found {}", t.tok),
            )),
        }
    }
}

/// Checks `name` has exactly `count` non-empty `:`-separated segments.
/// The operator in backquotes, for messages.
fn quoted_operator(operator: Operator) -> &'static str {
    match operator {
        Operator::Equals => "`=`",
        Operator::NotEquals => "`!=`",
        Operator::In => "`IN`",
        Operator::NotIn => "`NOT IN`",
        Operator::StartsWith => "`startsWith`",
        Operator::NotStartsWith => "`NOT startsWith`",
        Operator::Match => "`MATCH`",
        Operator::LessThan => "`<`",
        Operator::GreaterThan => "`>`",
    }
}

fn check_segments(name: &str, count: usize, what: &str, at: Position) -> Result<(), ParseError> {
    let mut segments = 0;
    let mut empty = false;
    for segment in name.split(':') {
        segments += 1;
        empty |= segment.is_empty();
    }
    if segments != count || empty {
        return Err(ParseError::at(
            at,
            format!("expected {what}, found `{name}`"),
        ));
    }
    Ok(())
}

/// Splits a value into text and `${…}` references.
fn parse_value(content: &str, content_at: Position) -> Result<Value, ParseError> {
    let mut parts = Vec::new();
    let mut rest = content;
    let mut consumed_chars = 0u32;
    let at = |chars: u32| Position {
        line: content_at.line,
        column: content_at.column + chars,
    };
    while let Some(start) = rest.find("${") {
        if start > 0 {
            parts.push(Part::Text(rest[..start].to_string()));
        }
        let ref_at = at(consumed_chars + rest[..start].chars().count() as u32);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            return Err(ParseError::at(
                ref_at,
                "unterminated `${` in value: expected `}`",
            ));
        };
        let reference = &after[..end];
        let part = match reference.split_once(':') {
            Some(("bindParam", name)) if is_param_name(name) => Part::BindParam(name.to_string()),
            Some(("global", name)) => match Global::from_name(name) {
                // Guess: one `${global:userGroup}` per value. It stands for one value per
                // group, so several in one value would multiply without bound.
                Some(Global::UserGroup) if parts.contains(&Part::Global(Global::UserGroup)) => {
                    return Err(ParseError::at(
                        ref_at,
                        "`${global:userGroup}` may appear only once in a value",
                    ))
                }
                Some(g) => Part::Global(g),
                None => {
                    return Err(ParseError::at(
                        ref_at,
                        format!(
                            "unknown global attribute `${{{reference}}}`: expected \
                             `${{global:userId}}` or `${{global:userGroup}}`"
                        ),
                    ))
                }
            },
            _ => {
                return Err(ParseError::at(
                    ref_at,
                    format!(
                        "unknown reference `${{{reference}}}`: expected `${{bindParam:NAME}}` \
                         (NAME of letters, digits, `_`, `-` and `.`) or a global attribute"
                    ),
                ))
            }
        };
        parts.push(part);
        let used = start + 2 + end + 1;
        consumed_chars += rest[..used].chars().count() as u32;
        rest = &rest[used..];
    }
    if !rest.is_empty() {
        parts.push(Part::Text(rest.to_string()));
    }
    Ok(Value { parts })
}

fn is_param_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// The global date and time conditions take only their documented operators and values
/// ("Global conditions in IAM policies"); `<` and `>` are documented for nothing else.
fn check_time_condition(
    c: &Condition,
    operator_at: Position,
    value_positions: &[Position],
) -> Result<(), ParseError> {
    let Some(key) = TimeKey::from_attribute(&c.key) else {
        if matches!(c.operator, Operator::LessThan | Operator::GreaterThan) {
            return Err(ParseError::at(
                operator_at,
                format!(
                    "`{}` compares dates and times: it is documented only for global:date, \
                     global:date-time and global:time-of-day, not `{}`",
                    c.operator, c.key
                ),
            ));
        }
        return Ok(());
    };
    if !key.operators().contains(&c.operator) {
        let allowed: Vec<String> = key.operators().iter().map(|o| format!("`{o}`")).collect();
        return Err(ParseError::at(
            operator_at,
            format!(
                "{} takes only {}, not `{}`",
                c.key,
                allowed.join(", "),
                c.operator
            ),
        ));
    }
    for (value, at) in c.values.iter().zip(value_positions) {
        if let Some(text) = value.as_literal() {
            if let Err(expected) = global::check_value(key, text) {
                return Err(ParseError::at(
                    *at,
                    format!("{} needs {expected}, found {}", c.key, value),
                ));
            }
        }
    }
    Ok(())
}
