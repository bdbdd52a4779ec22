//! Credentials never reach a log line, whatever `RUST_LOG` or `-v` ask for.
//!
//! Capping the log level of the AWS SDK's targets is not enough on its own: `RUST_LOG` may name a
//! more specific target (`aws_sigv4::http_request=trace`), which wins over a cap on its parent,
//! and the signing code then logs the canonical request with its `x-amz-security-token` header.
//! So every diagnostic line passes through [`Redactor`] on its way to stderr, which blanks
//! (1) the literal values of the credentials in the environment and (2) the value after any key
//! that names a secret (`x-amz-security-token:`, `Signature=`, `secret_access_key: "…"`, …),
//! in every casing and quoting the SDK and HTTP stack use.

use std::io::{self, Write};
use std::sync::Arc;

/// What a secret is replaced with.
pub const REDACTED: &str = "<redacted>";

/// Environment variables whose values are secrets.
const SECRET_VARIABLES: &[&str] =
    &["AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"];

/// Keys (lower case, `-` and `_` as written) whose value is a secret.
const SECRET_KEYS: &[&str] = &[
    "x-amz-security-token",
    "security_token",
    "securitytoken",
    "session_token",
    "sessiontoken",
    "secret_access_key",
    "secretaccesskey",
    "aws_secret_access_key",
    "x-amz-signature",
    "signature",
];

/// Blanks secrets in text.
#[derive(Clone, Debug, Default)]
pub struct Redactor {
    /// Secret values known up front (from the environment), longest first.
    literals: Vec<String>,
}

impl Redactor {
    /// A redactor for the credentials in this process's environment.
    pub fn from_env() -> Self {
        Self::with_literals(SECRET_VARIABLES.iter().filter_map(|v| std::env::var(v).ok()))
    }

    pub fn with_literals(values: impl IntoIterator<Item = String>) -> Self {
        // Short values would blank ordinary words; real keys and tokens are 40+ characters.
        let mut literals: Vec<String> = values.into_iter().filter(|v| v.len() >= 8).collect();
        literals.sort_by_key(|v| std::cmp::Reverse(v.len()));
        Self { literals }
    }

    /// `text` with every secret it holds replaced by [`REDACTED`].
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for literal in &self.literals {
            if out.contains(literal.as_str()) {
                out = out.replace(literal.as_str(), REDACTED);
            }
        }
        redact_keyed_values(&out)
    }
}

/// Blanks the value after every key of [`SECRET_KEYS`] followed by `:` or `=`.
fn redact_keyed_values(text: &str) -> String {
    let lower = text.to_ascii_lowercase().into_bytes();
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut at = 0;
    while at < bytes.len() {
        let Some((key_end, value)) = SECRET_KEYS.iter().find_map(|key| {
            let end = at + key.len();
            let value = lower[at..].starts_with(key.as_bytes()).then(|| value_after(bytes, end));
            value.flatten().map(|v| (end, v))
        }) else {
            at += 1;
            continue;
        };
        // A key must start a word: `signature` inside `signatures` or `nosignature` is not one.
        // An escape before it (`\nx-amz-security-token`, a JSON log's newline) ends a word too.
        let starts_word = match at {
            0 => true,
            1 => !bytes[0].is_ascii_alphanumeric(),
            _ => {
                !bytes[at - 1].is_ascii_alphanumeric()
                    || (bytes[at - 2] == b'\\' && matches!(bytes[at - 1], b'n' | b'r' | b't'))
            }
        };
        if !starts_word || value.is_empty() {
            at = key_end;
            continue;
        }
        out.push_str(&text[copied..value.start]);
        out.push_str(REDACTED);
        copied = value.end;
        at = value.end;
    }
    out.push_str(&text[copied..]);
    out
}

/// The value after a key ending at `end`: optional closing quote, spaces, `:` or `=`, spaces,
/// an optional opening quote, then everything up to a delimiter.
fn value_after(bytes: &[u8], end: usize) -> Option<std::ops::Range<usize>> {
    let mut i = end;
    let skip = |i: &mut usize, set: &[u8]| {
        while *i < bytes.len() && set.contains(&bytes[*i]) {
            *i += 1;
        }
    };
    skip(&mut i, b"\\\"' ");
    if !matches!(bytes.get(i), Some(b':' | b'=')) {
        return None;
    }
    i += 1;
    skip(&mut i, b"\\\" '");
    // A Debug wrapper (`Some("…")`, `HeaderValue { _private: H0("…") }`): the secret is the
    // first quoted text inside it.
    let word = bytes[i..].iter().take_while(|b| b.is_ascii_alphanumeric() || **b == b'_').count();
    let after_word = i + word + bytes[i + word..].iter().take_while(|b| **b == b' ').count();
    if word > 0 && matches!(bytes.get(after_word), Some(b'{' | b'(')) {
        let inside = &bytes[after_word..bytes.len().min(after_word + 200)];
        i = after_word + inside.iter().position(|b| *b == b'"')? + 1;
    }
    let start = i;
    while i < bytes.len() && !b" \t\r\n,;&\"'})]\\".contains(&bytes[i]) {
        i += 1;
    }
    Some(start..i)
}

/// A writer for the log subscriber (one per event, made by `move || RedactingStderr(…)`): the
/// formatted event is redacted, then written to stderr.
pub struct RedactingStderr(pub Arc<Redactor>);

impl Write for RedactingStderr {
    /// The subscriber writes one formatted event per call; a line is never split between calls.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let clean = self.0.redact(&String::from_utf8_lossy(buf));
        io::stderr().lock().write_all(clean.as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stderr().flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "FwoGZXIvYXdzEJr//////////wEaDFakeSessionToken+With/Base64==";
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

    fn redactor() -> Redactor {
        Redactor::with_literals([TOKEN.to_string(), SECRET.to_string(), "short".into()])
    }

    #[test]
    fn literal_credentials_are_blanked_anywhere() {
        let line = format!("signing with {SECRET} and token {TOKEN}.");
        assert_eq!(redactor().redact(&line), "signing with <redacted> and token <redacted>.");
        assert_eq!(redactor().redact("a short word"), "a short word", "too short to be a secret");
    }

    #[test]
    fn values_after_secret_keys_are_blanked_in_every_form() {
        let none = Redactor::default();
        for (line, expected) in [
            ("x-amz-security-token:abc/def+=\nhost:s3", "x-amz-security-token:<redacted>\nhost:s3"),
            ("X-Amz-Security-Token: abc, next", "X-Amz-Security-Token: <redacted>, next"),
            ("?X-Amz-Signature=0123abcd&X-Amz-Date=1", "?X-Amz-Signature=<redacted>&X-Amz-Date=1"),
            (
                "authorization: AWS4-HMAC-SHA256 Credential=AKIA/x, SignedHeaders=host, Signature=deadbeef",
                "authorization: AWS4-HMAC-SHA256 Credential=AKIA/x, SignedHeaders=host, Signature=<redacted>",
            ),
            (r#"{"session_token":"tok","x":1}"#, r#"{"session_token":"<redacted>","x":1}"#),
            (r#"secret_access_key: Some("abc")"#, r#"secret_access_key: Some("<redacted>")"#),
            (r#"\"SessionToken\": \"tok\""#, r#"\"SessionToken\": \"<redacted>\""#),
            ("signatures=3 nosignature=4", "signatures=3 nosignature=4"),
            ("signature version 4", "signature version 4"),
            (
                r#"{"message":"x-amz-date:1\nx-amz-security-token:tok\nhost:s3"}"#,
                r#"{"message":"x-amz-date:1\nx-amz-security-token:<redacted>\nhost:s3"}"#,
            ),
            ("ünïcödé signature=é€ end", "ünïcödé signature=<redacted> end"),
        ] {
            assert_eq!(none.redact(line), expected, "{line}");
        }
    }
}
