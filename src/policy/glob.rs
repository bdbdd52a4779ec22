//! Wildcard patterns as IAM uses them in `Action`, `Resource` and the `…Like`/`Arn…` condition
//! operators: `*` is any run of characters (also none), `?` exactly one, everything else literal —
//! including a `*`, `?` or `$` that a policy variable escape (`${*}`) produced, which is why a
//! pattern is a list of tokens and not a string.

/// One element of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    Literal(char),
    /// `*`: any run of characters.
    Star,
    /// `?`: exactly one character.
    One,
}

/// A parsed wildcard pattern.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Pattern(pub Vec<Token>);

impl Pattern {
    /// `*` and `?` are wildcards, every other character is literal.
    pub fn wildcard(text: &str) -> Pattern {
        Pattern(
            text.chars()
                .map(|c| match c {
                    '*' => Token::Star,
                    '?' => Token::One,
                    c => Token::Literal(c),
                })
                .collect(),
        )
    }

    /// The pattern's characters with wildcards taken literally (for the operators that compare
    /// whole strings: a `*` in `StringEquals` is just a star).
    pub fn literal_text(&self) -> String {
        self.0
            .iter()
            .map(|t| match t {
                Token::Literal(c) => *c,
                Token::Star => '*',
                Token::One => '?',
            })
            .collect()
    }

    /// Whether the pattern is exactly `*`.
    pub fn is_star(&self) -> bool {
        self.0 == [Token::Star]
    }

    /// Whether `text` matches the whole pattern (`fold_case`: compare lower-cased characters).
    pub fn matches(&self, text: &str, fold_case: bool) -> bool {
        let text: Vec<char> = text.chars().collect();
        if fold_case {
            let fold = |c: char| c.to_lowercase().next().unwrap_or(c);
            matches_tokens(&self.0, &text, |a, b| fold(a) == fold(b))
        } else {
            matches_tokens(&self.0, &text, |a, b| a == b)
        }
    }

    /// ARN matching: pattern and value split at their first five colons; partition, service,
    /// region and account match part by part (a wildcard never crosses a colon there), and the
    /// resource part — everything after the fifth colon — matches as one string. Either side
    /// with fewer than five colons is matched whole.
    pub fn matches_arn(&self, value: &str) -> bool {
        let value_parts: Vec<&str> = value.splitn(6, ':').collect();
        let pattern_parts = self.split_colons();
        if value_parts.len() < 6 || pattern_parts.len() < 6 {
            return self.matches(value, false);
        }
        pattern_parts.iter().zip(&value_parts).all(|(p, v)| p.matches(v, false))
    }

    /// Whether the pattern (read as an ARN) has six parts.
    pub fn is_arn_shaped(text: &str) -> bool {
        text.splitn(6, ':').count() == 6
    }

    fn split_colons(&self) -> Vec<Pattern> {
        let mut parts = vec![Pattern::default()];
        for token in &self.0 {
            if parts.len() < 6 && *token == Token::Literal(':') {
                parts.push(Pattern::default());
            } else if let Some(last) = parts.last_mut() {
                last.0.push(token.clone());
            }
        }
        parts
    }
}

/// Greedy matching with one backtrack point per star: linear for the patterns policies hold, and
/// never worse than O(pattern × text), whatever a hostile pattern looks like.
fn matches_tokens(pattern: &[Token], text: &[char], same: impl Fn(char, char) -> bool) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(Token::Star) => {
                star = Some((p, t));
                p += 1;
            }
            Some(Token::One) => {
                p += 1;
                t += 1;
            }
            Some(Token::Literal(c)) if same(*c, text[t]) => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((star_p, star_t)) => {
                    p = star_p + 1;
                    t = star_t + 1;
                    star = Some((star_p, star_t + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|token| *token == Token::Star)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        let cases = [
            ("*", "", true),
            ("*", "anything:at/all", true),
            ("s3:Get*", "s3:GetObject", true),
            ("s3:Get*", "s3:PutObject", false),
            ("s3:?etObject", "s3:GetObject", true),
            ("s3:?etObject", "s3:etObject", false),
            ("a*b*c", "aXXbYYc", true),
            ("a*b*c", "aXXbYY", false),
            ("*a", "bbbba", true),
            ("a?", "a", false),
            ("", "", true),
            ("", "x", false),
        ];
        for (pattern, text, want) in cases {
            assert_eq!(Pattern::wildcard(pattern).matches(text, false), want, "{pattern} ~ {text}");
        }
    }

    #[test]
    fn case_folding_is_only_on_request() {
        let p = Pattern::wildcard("s3:getobject");
        assert!(p.matches("S3:GetObject", true));
        assert!(!p.matches("S3:GetObject", false));
    }

    #[test]
    fn escaped_wildcards_are_literal() {
        let p = Pattern(vec![Token::Literal('a'), Token::Literal('*')]);
        assert!(p.matches("a*", false));
        assert!(!p.matches("ab", false));
        assert_eq!(p.literal_text(), "a*");
    }

    #[test]
    fn arn_segments() {
        let cases = [
            ("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b:c", true),
            // A star in the region part does not reach into the account part...
            ("arn:aws:sqs:*:123:q", "arn:aws:sqs:us-east-1:x:123:q", false),
            // ...but a pattern of five parts is one glob (docs/EVALUATION.md §2).
            ("arn:aws:iam::*", "arn:aws:iam::123456789012:role/x", true),
            ("arn:aws:iam::*:role/*", "arn:aws:iam::123456789012:role/x", true),
            ("arn:aws:*:*:*:*", "arn:aws:sqs:us-east-1:123456789012:q", true),
            ("arn:*:sqs:*:*:q", "arn:aws:sqs:us-east-1:123456789012:q", true),
            ("arn:aws:s3:::b*", "arn:aws:s3:::bucket", true),
            ("arn:aws:s3:::b?", "arn:aws:s3:::bucket", false),
            // Fewer than five colons: whole-string glob.
            ("*", "arn:aws:s3:::bucket", true),
            ("arn:aws:s3*", "arn:aws:s3:::bucket", true),
            ("arn:aws:s3:::bucket", "not-an-arn", false),
        ];
        for (pattern, value, want) in cases {
            assert_eq!(Pattern::wildcard(pattern).matches_arn(value), want, "{pattern} ~ {value}");
        }
    }

    #[test]
    fn hostile_patterns_stay_fast() {
        let pattern = Pattern::wildcard(&"*a".repeat(2000));
        let text = "a".repeat(1999) + "b";
        assert!(!pattern.matches(&text, false));
    }
}
