//! `--json`: every report is plain data deriving `serde::Serialize`, written compact on one
//! line (docs/JSON.md). A report that streams (many files; `check`'s results) writes its array
//! element by element, each in serde's form, between the members before it ([`Head`]) and
//! after it ([`Tail`]). `list`'s entries are the one exception: fixed-shape objects copied
//! straight into place, a million to a line each (`commands/list/lines.rs`). The tidy test
//! `json_is_written_only_by_serde` holds this.

use serde::Serialize;

/// `value` as one line of compact JSON.
///
/// serde_json fails only for maps with non-string keys and for `Serialize` impls that return an
/// error; no report here has either, so a failure is a bug and says so instead of writing half a
/// document.
pub fn to_string(value: &impl Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|e| panic!("a report that serde_json cannot write: {e}"))
}

/// Append `value` in compact JSON to `out`.
pub fn push(out: &mut String, value: &impl Serialize) {
    out.push_str(&to_string(value));
}

/// Append `value` in compact JSON to a byte buffer (the streaming writers of `list` and
/// `check`), without a temporary string.
pub fn write_record(out: &mut Vec<u8>, value: &impl Serialize) {
    serde_json::to_writer(out, value).unwrap_or_else(|e| panic!("a record that serde_json cannot write: {e}"));
}

/// Named counts as one JSON object, in the order given (`{"200": 12, "403": 1}`).
pub struct NamedCounts<'a>(pub &'a [(String, u64)]);

impl Serialize for NamedCounts<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, n) in self.0 {
            map.serialize_entry(name, n)?;
        }
        map.end()
    }
}

/// `x` rounded to `decimals` places, for timings and rates that would otherwise print every
/// digit of a float (serde writes a non-finite number as `null`).
pub fn rounded(x: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (x * scale).round() / scale
}

/// `"name":`.
fn push_key(out: &mut String, name: &str) {
    push(out, &name);
    out.push(':');
}

/// The members that open a streamed report, before the array that streams (`"files"`,
/// `"results"`): `{"name":value,...,"array":[`.
pub struct Head(String);

impl Head {
    pub fn new() -> Self {
        Self(String::from("{"))
    }

    /// Add the member `name`.
    pub fn member(mut self, name: &str, value: &impl Serialize) -> Self {
        self.key(name);
        push(&mut self.0, value);
        self
    }

    /// Open the array `name` whose elements stream after this text; a [`Tail`] closes it.
    pub fn array(mut self, name: &str) -> String {
        self.key(name);
        self.0.push('[');
        self.0
    }

    /// `"name":`, after a comma unless it is the first member.
    fn key(&mut self, name: &str) {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        push_key(&mut self.0, name);
    }
}

/// The members that close a streamed report, after its streamed array: each is written as
/// `,"name":value` and the object is closed.
pub struct Tail(String);

impl Tail {
    /// Start after the streamed array (closing it).
    pub fn new() -> Self {
        Self(String::from("]"))
    }

    /// Add the member `name`.
    pub fn member(mut self, name: &str, value: &impl Serialize) -> Self {
        self.0.push(',');
        push_key(&mut self.0, name);
        push(&mut self.0, value);
        self
    }

    /// The closing text, with the newline that ends the document.
    pub fn end(mut self) -> String {
        self.0.push_str("}\n");
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Record<'a> {
        file: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        note: Option<&'a str>,
    }

    #[test]
    fn a_streamed_report_is_one_json_document() {
        let mut doc = Head::new().member("url", &"file:///x").array("files");
        push(&mut doc, &Record { file: "a \"b\"\n", note: None });
        doc.push(',');
        push(&mut doc, &Record { file: "c", note: Some("\u{1}") });
        let counts = [("403".to_owned(), 2), ("200".to_owned(), 1)];
        doc.push_str(
            &Tail::new()
                .member("ready", &true)
                .member("skipped", &Vec::<u8>::new())
                .member("counts", &NamedCounts(&counts))
                .end(),
        );
        let parsed: serde_json::Value = serde_json::from_str(&doc).unwrap();
        assert_eq!(parsed["url"], "file:///x");
        assert_eq!(parsed["files"][0]["file"], "a \"b\"\n");
        assert_eq!(parsed["files"][0].get("note"), None);
        assert_eq!(parsed["files"][1]["note"], "\u{1}");
        assert_eq!((parsed["ready"].as_bool(), parsed["skipped"].as_array().map(Vec::len)), (Some(true), Some(0)));
        assert!(doc.contains("\"counts\":{\"403\":2,\"200\":1}"), "counts keep their order: {doc}");
        assert!(doc.ends_with("}\n") && doc.matches('\n').count() == 1, "one line: the newline in a value is escaped");
    }
}
