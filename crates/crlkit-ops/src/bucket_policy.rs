//! Does a bucket policy let AWS Private CA write a CA's CRL? Private CA (the service principal
//! `acm-pca.amazonaws.com`) needs `s3:PutObject` and `s3:PutObjectAcl` on the CRL's objects
//! and `s3:GetBucketAcl` and `s3:GetBucketLocation` on the bucket; AWS recommends scoping each
//! grant to the CA with `aws:SourceAccount` or `aws:SourceArn`, so that no other account's CA
//! can write through it (the confused deputy).
//!
//! This reads a policy the way IAM does for the cases that matter here, and no further:
//! `Allow` statements whose principal is the service (or `*`), actions and resources with `*`
//! and `?` wildcards, and the two condition keys, matched against this CA (other condition keys
//! are taken as met). An unconditional `Deny` of the service takes an action away. Statements
//! with `NotAction`, `NotPrincipal` or `NotResource` are not read: they never grant here.

use serde_json::Value;

/// The service principal Private CA writes as.
pub const SERVICE: &str = "acm-pca.amazonaws.com";

/// The actions Private CA needs, and whether each is on the objects (`true`) or the bucket.
pub const NEEDED: [(&str, bool); 4] =
    [("s3:PutObject", true), ("s3:PutObjectAcl", true), ("s3:GetBucketAcl", false), ("s3:GetBucketLocation", false)];

/// What the policy gives Private CA, for one CA.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Verdict {
    /// Needed actions no statement grants to this CA (or a statement denies).
    pub missing: Vec<&'static str>,
    /// Needed actions granted only by statements without `aws:SourceAccount`/`aws:SourceArn`.
    pub unconditioned: Vec<&'static str>,
}

/// The CA the grant is judged for, and where it writes.
pub struct Subject<'a> {
    /// The CA's ARN.
    pub ca_arn: &'a str,
    /// The bucket.
    pub bucket: &'a str,
    /// A key the CA writes (its CRL).
    pub key: &'a str,
}

impl Subject<'_> {
    fn account(&self) -> &str {
        self.ca_arn.split(':').nth(4).unwrap_or("")
    }

    fn partition(&self) -> &str {
        self.ca_arn.split(':').nth(1).unwrap_or("aws")
    }

    fn resource(&self, object: bool) -> String {
        let p = self.partition();
        if object {
            format!("arn:{p}:s3:::{}/{}", self.bucket, self.key)
        } else {
            format!("arn:{p}:s3:::{}", self.bucket)
        }
    }
}

/// `*` any run, `?` one character; case-sensitive unless `fold`.
fn glob(pattern: &str, text: &str, fold: bool) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = if fold {
        (pattern.to_lowercase().chars().collect(), text.to_lowercase().chars().collect())
    } else {
        (pattern.chars().collect(), text.chars().collect())
    };
    // Iterative match with one backtrack point (the last `*`).
    let (mut i, mut j, mut star, mut mark) = (0, 0, None, 0);
    while j < t.len() {
        if i < p.len() && (p[i] == '?' || p[i] == t[j]) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '*' {
            star = Some(i);
            mark = j;
            i += 1;
        } else if let Some(s) = star {
            i = s + 1;
            mark += 1;
            j = mark;
        } else {
            return false;
        }
    }
    p[i..].iter().all(|&c| c == '*')
}

/// A string or a list of strings, as policies write them.
fn strings(v: Option<&Value>) -> Vec<&str> {
    match v {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn names_service(principal: Option<&Value>) -> bool {
    match principal {
        Some(Value::String(s)) => s == "*",
        Some(Value::Object(m)) => {
            strings(m.get("Service")).iter().any(|s| s.eq_ignore_ascii_case(SERVICE))
                || strings(m.get("AWS")).contains(&"*")
        }
        _ => false,
    }
}

/// How a statement's conditions stand for this CA.
enum Scope {
    /// No `aws:SourceAccount`/`aws:SourceArn` condition.
    Unconditioned,
    /// Scoped, and this CA is inside.
    ThisCa,
    /// Scoped to other accounts or CAs.
    Others,
}

fn scope(condition: Option<&Value>, subject: &Subject<'_>) -> Scope {
    let Some(Value::Object(ops)) = condition else { return Scope::Unconditioned };
    let mut scoped = false;
    for (op, keys) in ops {
        let Value::Object(keys) = keys else { continue };
        let like = op.to_ascii_lowercase().contains("like");
        for (key, values) in keys {
            let values = strings(Some(values));
            let matches = if key.eq_ignore_ascii_case("aws:SourceAccount") {
                values.iter().any(|v| if like { glob(v, subject.account(), false) } else { *v == subject.account() })
            } else if key.eq_ignore_ascii_case("aws:SourceArn") {
                values.iter().any(|v| if like { glob(v, subject.ca_arn, false) } else { *v == subject.ca_arn })
            } else {
                continue;
            };
            scoped = true;
            if !matches {
                return Scope::Others;
            }
        }
    }
    if scoped { Scope::ThisCa } else { Scope::Unconditioned }
}

/// Judge `policy` (the JSON document) for `subject`. `Err` when it is not a policy document.
pub fn judge(policy: &str, subject: &Subject<'_>) -> Result<Verdict, String> {
    let doc: Value = serde_json::from_str(policy).map_err(|e| format!("the policy is not JSON: {e}"))?;
    let statements: Vec<&Value> = match doc.get("Statement") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(s @ Value::Object(_)) => vec![s],
        _ => return Err("the policy has no Statement".into()),
    };
    let mut verdict = Verdict::default();
    for (action, object) in NEEDED {
        let resource = subject.resource(object);
        let applies = |s: &Value| {
            names_service(s.get("Principal"))
                && strings(s.get("Action")).iter().any(|a| glob(a, action, true))
                && strings(s.get("Resource")).iter().any(|r| glob(r, &resource, false))
        };
        let effect = |s: &Value, e: &str| s.get("Effect").and_then(Value::as_str) == Some(e);
        let denied = statements.iter().any(|s| effect(s, "Deny") && s.get("Condition").is_none() && applies(s));
        let mut best: Option<bool> = None; // Some(true): granted scoped to this CA.
        for s in statements.iter().filter(|s| effect(s, "Allow") && applies(s)) {
            match scope(s.get("Condition"), subject) {
                Scope::ThisCa => best = Some(true),
                Scope::Unconditioned => best = Some(best.unwrap_or(false)),
                Scope::Others => {}
            }
        }
        match (denied, best) {
            (true, _) | (false, None) => verdict.missing.push(action),
            (false, Some(false)) => verdict.unconditioned.push(action),
            (false, Some(true)) => {}
        }
    }
    Ok(verdict)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CA: &str = "arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/0f1e";
    const SUBJECT: Subject<'static> = Subject { ca_arn: CA, bucket: "pki", key: "crl/0f1e.crl" };

    fn policy(statements: &str) -> String {
        format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#)
    }

    const OBJECTS: &str = r#"{"Effect":"Allow","Principal":{"Service":"acm-pca.amazonaws.com"},
        "Action":["s3:PutObject","s3:PutObjectAcl"],"Resource":"arn:aws:s3:::pki/*"COND}"#;
    const BUCKET: &str = r#"{"Effect":"Allow","Principal":{"Service":"acm-pca.amazonaws.com"},
        "Action":["s3:GetBucketAcl","s3:GetBucketLocation"],"Resource":"arn:aws:s3:::pki"COND}"#;

    fn with(cond: &str) -> String {
        policy(&format!("{},{}", OBJECTS.replace("COND", cond), BUCKET.replace("COND", cond)))
    }

    #[test]
    fn aws_recommended_policy_grants_everything_scoped() {
        let cond = r#","Condition":{"StringEquals":{"aws:SourceAccount":"123456789012"}}"#;
        assert_eq!(judge(&with(cond), &SUBJECT).unwrap(), Verdict::default());
        let arn =
            r#","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:acm-pca:*:123456789012:certificate-authority/*"}}"#;
        assert_eq!(judge(&with(arn), &SUBJECT).unwrap(), Verdict::default());
    }

    #[test]
    fn a_grant_without_conditions_is_named() {
        let v = judge(&with(""), &SUBJECT).unwrap();
        assert!(v.missing.is_empty());
        assert_eq!(v.unconditioned, ["s3:PutObject", "s3:PutObjectAcl", "s3:GetBucketAcl", "s3:GetBucketLocation"]);
    }

    #[test]
    fn another_accounts_grant_and_missing_actions_are_missing() {
        let other = r#","Condition":{"StringEquals":{"aws:SourceAccount":"999999999999"}}"#;
        assert_eq!(judge(&with(other), &SUBJECT).unwrap().missing.len(), 4);
        let only_objects = policy(&OBJECTS.replace("COND", ""));
        assert_eq!(judge(&only_objects, &SUBJECT).unwrap().missing, ["s3:GetBucketAcl", "s3:GetBucketLocation"]);
        // A wildcard action covers; a resource for another prefix does not.
        let star = policy(
            r#"{"Effect":"Allow","Principal":{"Service":["acm-pca.amazonaws.com"]},"Action":"s3:*",
            "Resource":["arn:aws:s3:::pki","arn:aws:s3:::pki/other/*"]}"#,
        );
        assert_eq!(judge(&star, &SUBJECT).unwrap().missing, ["s3:PutObject", "s3:PutObjectAcl"]);
        // An unconditional deny takes the grant away.
        let deny = format!(
            "{},{}",
            with("").trim_end_matches("]}"),
            r#"{"Effect":"Deny","Principal":"*","Action":"s3:PutObjectAcl","Resource":"arn:aws:s3:::pki/*"}]}"#
        );
        assert_eq!(judge(&deny, &SUBJECT).unwrap().missing, ["s3:PutObjectAcl"]);
        assert!(judge("not json", &SUBJECT).is_err());
    }

    #[test]
    fn globs_match_as_iam_does() {
        assert!(glob("arn:aws:s3:::pki/*", "arn:aws:s3:::pki/crl/x.crl", false));
        assert!(!glob("arn:aws:s3:::pki/*", "arn:aws:s3:::pki", false));
        assert!(glob("s3:Put*", "s3:putobjectacl", true));
        assert!(glob("a?c*", "abcdef", false));
        assert!(!glob("a?c", "abcd", false));
    }
}
