//! Making log-derived text safe to show. Everything in a CloudTrail record that a requester can
//! choose (user agent, object key, bucket name in a failed request, session name) is untrusted:
//! on a terminal it must not move the cursor, recolour, retitle the window or reorder text.

use std::borrow::Cow;
use std::fmt::Write;

/// Characters that change how a terminal or a bidi-aware viewer shows the text around them.
fn is_unsafe(c: char) -> bool {
    c.is_control() // C0, DEL and C1 (which includes the 8-bit CSI, U+009B)
        || matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{FEFF}')
}

/// `text` with every unsafe character written as a visible `\u{…}` escape (`\n`, `\t` and
/// `\r` as themselves, escaped), so that nothing in it acts on the terminal.
pub fn for_terminal(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_unsafe(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// JSON text with every unsafe character of its strings written as a `\uXXXX` escape.
/// serde_json escapes C0 controls but passes DEL, C1 controls (the 8-bit CSI) and bidi overrides
/// through; escaped, they decode to the same strings and cannot act on a terminal. Outside
/// strings JSON has only ASCII punctuation and whitespace, so the text stays valid JSON.
pub fn json_for_terminal(json: &str) -> Cow<'_, str> {
    if !json.chars().any(|c| is_unsafe(c) && !c.is_ascii_whitespace()) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if is_unsafe(c) && !c.is_ascii_whitespace() {
            // Every unsafe character is in the Basic Multilingual Plane: one escape each.
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_sequences_become_visible() {
        assert_eq!(for_terminal("aws-cli/2.0"), "aws-cli/2.0");
        assert_eq!(for_terminal("a\u{1b}[31mred"), "a\\u{1b}[31mred");
        assert_eq!(for_terminal("x\u{9b}2J\u{7f}"), "x\\u{9b}2J\\u{7f}");
        assert_eq!(for_terminal("line\nnext\t"), "line\\nnext\\t");
        assert_eq!(for_terminal("evil\u{202e}txt.exe"), "evil\\u{202e}txt.exe");
        assert_eq!(for_terminal("ключ/файл ☃"), "ключ/файл ☃");
    }

    #[test]
    fn json_keeps_its_meaning_and_loses_its_controls() {
        let value = serde_json::json!({"ua": "a\u{9b}2J\u{7f}\u{202e}b\u{1b}", "k": "ключ"});
        let text = serde_json::to_string_pretty(&value).expect("json");
        let safe = json_for_terminal(&text);
        assert!(!safe.chars().any(|c| is_unsafe(c) && !c.is_ascii_whitespace()), "{safe}");
        assert!(safe.contains("\\u009b") && safe.contains("\\u202e") && safe.contains("ключ"));
        let back: serde_json::Value = serde_json::from_str(&safe).expect("still JSON");
        assert_eq!(back, value);
    }
}
