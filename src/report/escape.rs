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
}
