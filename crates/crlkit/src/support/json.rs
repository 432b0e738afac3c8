//! A small JSON writer for the stable `--json` outputs (documented in docs/JSON.md): no
//! serialization framework, so the hot `list` path writes bytes directly.

use std::fmt::Write as _;

/// Append `s` as a JSON string literal.
pub fn string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A JSON string literal, or `null`.
pub fn opt_string(out: &mut String, s: Option<&str>) {
    match s {
        Some(s) => string(out, s),
        None => out.push_str("null"),
    }
}

/// An object being written: `{"k":v,...}`.
pub struct Object<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> Object<'a> {
    pub fn new(out: &'a mut String) -> Self {
        out.push('{');
        Self { out, first: true }
    }

    /// Start a member and return the buffer to write its value into.
    pub fn key(&mut self, k: &str) -> &mut String {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        string(self.out, k);
        self.out.push(':');
        self.out
    }

    pub fn str(&mut self, k: &str, v: &str) {
        string(self.key(k), v);
    }

    pub fn opt_str(&mut self, k: &str, v: Option<&str>) {
        opt_string(self.key(k), v);
    }

    pub fn num(&mut self, k: &str, v: u64) {
        let _ = write!(self.key(k), "{v}");
    }

    pub fn bool(&mut self, k: &str, v: bool) {
        self.key(k).push_str(if v { "true" } else { "false" });
    }

    pub fn raw(&mut self, k: &str, json: &str) {
        self.key(k).push_str(json);
    }

    pub fn end(self) {
        self.out.push('}');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        let mut s = String::new();
        let mut o = Object::new(&mut s);
        o.str("a", "x\"y\\z\n\u{1}é");
        o.num("n", 5);
        o.opt_str("none", None);
        o.end();
        assert_eq!(s, r#"{"a":"x\"y\\z\n\u0001é","n":5,"none":null}"#);
    }
}
