//! Policy variables (`${aws:username}`, `${aws:PrincipalTag/team, 'none'}`, the escapes `${*}`
//! `${?}` `${$}`), substituted into `Resource` patterns and condition values of
//! `2012-10-17` documents (docs/EVALUATION.md §2.2).

use super::glob::{Pattern, Token};
use super::request::{Context, KeyState};

/// A pattern after substitution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Substituted {
    Pattern(Pattern),
    /// A variable's key is unknown, present with an unknown value, or multi-valued.
    Unknown,
    /// A variable's key is absent and has no default: the pattern matches nothing.
    NoValue,
}

/// Parses `text` into a wildcard pattern, substituting variables when `variables` is on.
pub fn substitute(text: &str, variables: bool, context: &Context) -> Substituted {
    if !variables || !text.contains("${") {
        return Substituted::Pattern(Pattern::wildcard(text));
    }
    let mut tokens = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        tokens.extend(Pattern::wildcard(&rest[..start]).0);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            // An unterminated `${` is literal text.
            tokens.extend(rest[start..].chars().map(Token::Literal));
            rest = "";
            break;
        };
        match expand(&after[..end], context) {
            Expansion::Text(value) => tokens.extend(value.chars().map(Token::Literal)),
            Expansion::Unknown => return Substituted::Unknown,
            Expansion::NoValue => return Substituted::NoValue,
        }
        rest = &after[end + 1..];
    }
    tokens.extend(Pattern::wildcard(rest).0);
    Substituted::Pattern(Pattern(tokens))
}

enum Expansion {
    Text(String),
    Unknown,
    NoValue,
}

/// One `${…}`: an escape, or a key with an optional `'default'`.
fn expand(inner: &str, context: &Context) -> Expansion {
    match inner {
        "*" | "?" | "$" => return Expansion::Text(inner.to_string()),
        _ => {}
    }
    let (key, default) = match inner.split_once(',') {
        Some((key, default)) => {
            let default = default.trim();
            let default =
                default.strip_prefix('\'').and_then(|d| d.strip_suffix('\'')).unwrap_or(default);
            (key.trim(), Some(default))
        }
        None => (inner.trim(), None),
    };
    match context.state(key) {
        KeyState::Known([one]) => Expansion::Text(one.clone()),
        KeyState::Known(_) | KeyState::Unknown | KeyState::PresentUnknown => Expansion::Unknown,
        KeyState::Absent => match default {
            Some(default) => Expansion::Text(default.to_string()),
            None => Expansion::NoValue,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Context {
        Context::new(
            [
                ("aws:username".to_string(), vec!["alice".to_string()]),
                ("aws:TagKeys".into(), vec!["a".into(), "b".into()]),
            ],
            vec!["aws:PrincipalTag/*".into()],
            vec![],
        )
    }

    fn text(s: Substituted) -> Option<String> {
        match s {
            Substituted::Pattern(p) => Some(p.literal_text()),
            _ => None,
        }
    }

    #[test]
    fn substitution() {
        let c = ctx();
        assert_eq!(
            text(substitute("arn:aws:s3:::b/${aws:username}/*", true, &c)).unwrap(),
            "arn:aws:s3:::b/alice/*"
        );
        assert_eq!(text(substitute("home/${AWS:UserName}", true, &c)).unwrap(), "home/alice");
        assert_eq!(text(substitute("${aws:userid, 'nobody'}", true, &c)).unwrap(), "nobody");
        assert_eq!(text(substitute("${aws:userid,'x y'}", true, &c)).unwrap(), "x y");
        assert_eq!(substitute("${aws:userid}", true, &c), Substituted::NoValue);
        assert_eq!(substitute("${aws:PrincipalTag/team}", true, &c), Substituted::Unknown);
        assert_eq!(substitute("${aws:TagKeys}", true, &c), Substituted::Unknown);
        // 2008-10-17: literal text.
        assert_eq!(text(substitute("${aws:username}", false, &c)).unwrap(), "${aws:username}");
        assert_eq!(text(substitute("a${unterminated", true, &c)).unwrap(), "a${unterminated");
    }

    #[test]
    fn escapes_are_literal_not_wildcards() {
        let Substituted::Pattern(p) = substitute("a${*}b${?}${$}", true, &ctx()) else { panic!() };
        assert!(p.matches("a*b?$", false));
        assert!(!p.matches("axb?$", false));
        let Substituted::Pattern(p) = substitute("a*", true, &ctx()) else { panic!() };
        assert!(p.matches("axyz", false));
    }
}
