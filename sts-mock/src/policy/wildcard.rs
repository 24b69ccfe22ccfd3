//! IAM's wildcard matching: `*` matches any run of characters (including none), `?` exactly one.
//! Used for actions (case-insensitive), resources, `StringLike` and the parts of ARNs.
//!
//! A pattern is compiled once into tokens so that text substituted from `${*}`, `${?}` or a
//! policy variable stays literal even where it contains `*` or `?`.

/// One element of a compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    /// A character that matches only itself (or its other ASCII case, when ignoring case).
    Literal(char),
    /// `*`: any run of characters.
    Star,
    /// `?`: exactly one character.
    Question,
}

/// A compiled wildcard pattern.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Pattern {
    tokens: Vec<Token>,
}

impl Pattern {
    /// Compiles `text`, treating `*` and `?` as wildcards.
    pub fn wild(text: &str) -> Pattern {
        let mut p = Pattern::default();
        p.push_wild(text);
        p
    }

    /// Appends `text`, treating `*` and `?` as wildcards.
    pub fn push_wild(&mut self, text: &str) {
        for c in text.chars() {
            self.tokens.push(match c {
                '*' => Token::Star,
                '?' => Token::Question,
                c => Token::Literal(c),
            });
        }
    }

    /// Appends `text` as literal characters: any `*` or `?` in it matches only itself.
    pub fn push_literal(&mut self, text: &str) {
        self.tokens.extend(text.chars().map(Token::Literal));
    }

    /// Whether the pattern matches all of `text`.
    pub fn matches(&self, text: &str) -> bool {
        matches_tokens(&self.tokens, text, false)
    }

    /// Like [`Pattern::matches`], comparing letters without regard to ASCII case.
    pub fn matches_ignore_case(&self, text: &str) -> bool {
        matches_tokens(&self.tokens, text, true)
    }
}

/// Matches `text` against a pattern given as text (`*` and `?` are wildcards).
pub fn matches(pattern: &str, text: &str) -> bool {
    Pattern::wild(pattern).matches(text)
}

/// Case-insensitive [`matches`] (for actions).
pub fn matches_ignore_case(pattern: &str, text: &str) -> bool {
    Pattern::wild(pattern).matches_ignore_case(text)
}

fn matches_tokens(tokens: &[Token], text: &str, ignore_case: bool) -> bool {
    if text.is_ascii() {
        // Fast path without allocation: ASCII text is its bytes.
        let bytes = text.as_bytes();
        glob(tokens, bytes.len(), |t, s| match t {
            Token::Literal(c) if ignore_case => {
                c.is_ascii() && (*c as u8).eq_ignore_ascii_case(&bytes[s])
            }
            Token::Literal(c) => c.is_ascii() && *c as u8 == bytes[s],
            _ => false,
        })
    } else {
        let chars: Vec<char> = text.chars().collect();
        glob(tokens, chars.len(), |t, s| match t {
            Token::Literal(c) if ignore_case => {
                *c == chars[s] || c.to_lowercase().eq(chars[s].to_lowercase())
            }
            Token::Literal(c) => *c == chars[s],
            _ => false,
        })
    }
}

/// The classic linear-time glob algorithm: on a mismatch, backtrack to just after the last `*`
/// and let it swallow one more character. No recursion, so no input can blow the stack.
/// `literal_eq(token, i)` says whether a literal token matches the text's `i`th character.
fn glob(tokens: &[Token], len: usize, literal_eq: impl Fn(&Token, usize) -> bool) -> bool {
    let (mut t, mut s) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while s < len {
        match tokens.get(t) {
            Some(Token::Star) => {
                star = Some((t, s));
                t += 1;
            }
            Some(Token::Question) => {
                t += 1;
                s += 1;
            }
            Some(tok @ Token::Literal(_)) if literal_eq(tok, s) => {
                t += 1;
                s += 1;
            }
            _ => match star {
                Some((star_t, star_s)) => {
                    t = star_t + 1;
                    s = star_s + 1;
                    star = Some((star_t, star_s + 1));
                }
                None => return false,
            },
        }
    }
    tokens[t.min(tokens.len())..]
        .iter()
        .all(|tok| *tok == Token::Star)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let cases = [
            ("*", "", true),
            ("*", "anything", true),
            ("?", "", false),
            ("?", "a", true),
            ("a*b", "ab", true),
            ("a*b", "axxb", true),
            ("a*b", "axxbc", false),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("*a*a*", "banana", true),
            ("dtid:connection/*", "dtid:connection/my-connection", true),
            ("dtid:connection/*", "dtid:connection", false),
            ("exact", "Exact", false),
        ];
        for (pattern, text, expected) in cases {
            assert_eq!(matches(pattern, text), expected, "{pattern} vs {text}");
        }
        assert!(matches_ignore_case(
            "sts:AssumeRole*",
            "STS:assumerolewithwebidentity"
        ));
    }

    #[test]
    fn literal_wildcards_stay_literal() {
        let mut p = Pattern::default();
        p.push_literal("a*");
        assert!(p.matches("a*"));
        assert!(!p.matches("abc"));
    }
}
