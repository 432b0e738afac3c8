//! awsQuery request forms: `application/x-www-form-urlencoded`, lists as `Name.member.N`.

/// A decoded form.
pub struct Form(Vec<(String, String)>);

/// Undo percent-encoding; in forms (`plus_is_space`) `+` is a space too. A `%` not followed by
/// two hex digits stays as it is.
pub fn percent_decode(s: &str, plus_is_space: bool) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' if plus_is_space => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                match std::str::from_utf8(&b[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(v) => {
                        out.push(v);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Form {
    pub fn parse(body: &[u8]) -> Self {
        let text = String::from_utf8_lossy(body);
        Self(
            text.split('&')
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let (k, v) = p.split_once('=').unwrap_or((p, ""));
                    (percent_decode(k, true), percent_decode(v, true))
                })
                .collect(),
        )
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// `Name.member.1`, `Name.member.2`, ... in order, stopping at the first gap.
    pub fn list(&self, name: &str) -> Vec<&str> {
        (1..).map_while(|i| self.get(&format!("{name}.member.{i}"))).collect()
    }

    /// Structures of a list: the indices `N` for which `Name.member.N.<anything>` exists.
    pub fn members(&self, name: &str) -> Vec<usize> {
        let prefix = format!("{name}.member.");
        let mut n: Vec<usize> =
            self.0.iter().filter_map(|(k, _)| k.strip_prefix(&prefix)?.split('.').next()?.parse().ok()).collect();
        n.sort_unstable();
        n.dedup();
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_and_lists() {
        let f = Form::parse(
            b"Action=X&RevocationIds.member.1=4&RevocationIds.member.2=7&A.member.1.S3Key=a%2Fb+c&Bad=%zz%4",
        );
        assert_eq!(f.get("Action"), Some("X"));
        assert_eq!(f.list("RevocationIds"), ["4", "7"]);
        assert_eq!(f.members("A"), [1]);
        assert_eq!(f.get("A.member.1.S3Key"), Some("a/b c"));
        assert_eq!(f.get("Bad"), Some("%zz%4"));
    }
}
