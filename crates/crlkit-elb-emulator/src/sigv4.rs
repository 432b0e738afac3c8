//! Checking AWS Signature Version 4 on a request, independently of the SDK that made it: the
//! canonical request, the string to sign and the derived key, as AWS documents them.

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

use crate::http::Request;
use crate::query::percent_decode;

/// Why a signature was refused: an AWS error code and message.
#[derive(Debug, PartialEq, Eq)]
pub struct Refused {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

fn refused(status: u16, code: &'static str, message: impl Into<String>) -> Refused {
    Refused { status, code, message: message.into() }
}

/// A known access key.
pub struct Key {
    pub id: String,
    pub secret: String,
    /// Requests signed with it are answered `ExpiredToken` (a stand-in for an expired
    /// session: the one credential failure a test can provoke on purpose).
    pub expired: bool,
}

/// What a checked signature says.
#[derive(Debug)]
pub struct Signed {
    pub region: String,
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key");
    m.update(data);
    m.finalize().into_bytes().to_vec()
}

fn uri_encode(s: &str, slash: bool) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) || (b == b'/' && !slash) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn canonical_query(q: &str) -> String {
    let mut pairs: Vec<(String, String)> = q
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (uri_encode(&percent_decode(k, false), true), uri_encode(&percent_decode(v, false), true))
        })
        .collect();
    pairs.sort();
    pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
}

/// Check `req`'s `Authorization` header for `service` against `keys`, at `now` (Unix seconds).
pub fn check(req: &Request, service: &str, keys: &[Key], now: i64) -> Result<Signed, Refused> {
    let Some(auth) = req.header("authorization") else {
        return Err(refused(403, "MissingAuthenticationToken", "Request is missing Authentication Token"));
    };
    let Some(rest) = auth.strip_prefix("AWS4-HMAC-SHA256 ") else {
        return Err(refused(400, "IncompleteSignature", "Only AWS4-HMAC-SHA256 is accepted"));
    };
    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for part in rest.split(',') {
        let (k, v) = part.trim().split_once('=').unwrap_or(("", ""));
        match k {
            "Credential" => credential = Some(v),
            "SignedHeaders" => signed_headers = Some(v),
            "Signature" => signature = Some(v),
            _ => {}
        }
    }
    let (Some(credential), Some(signed_headers), Some(signature)) = (credential, signed_headers, signature) else {
        return Err(refused(400, "IncompleteSignature", "Authorization lacks Credential, SignedHeaders or Signature"));
    };
    let scope: Vec<&str> = credential.split('/').collect();
    let [key_id, date, region, scope_service, "aws4_request"] = scope[..] else {
        return Err(refused(400, "IncompleteSignature", format!("bad credential scope {credential:?}")));
    };
    if scope_service != service {
        return Err(refused(
            403,
            "SignatureDoesNotMatch",
            format!("Credential should be scoped to correct service: '{service}'"),
        ));
    }
    let Some(key) = keys.iter().find(|k| k.id == key_id) else {
        return Err(refused(403, "InvalidClientTokenId", "The security token included in the request is invalid."));
    };
    let Some(amz_date) = req.header("x-amz-date") else {
        return Err(refused(400, "IncompleteSignature", "X-Amz-Date is missing"));
    };
    if !amz_date.starts_with(date) {
        return Err(refused(403, "SignatureDoesNotMatch", "the credential date is not the X-Amz-Date"));
    }
    let names: Vec<&str> = signed_headers.split(';').collect();
    for must in ["host", "x-amz-date"] {
        if !names.contains(&must) {
            return Err(refused(403, "SignatureDoesNotMatch", format!("{must} is not signed")));
        }
    }
    if req.header("x-amz-security-token").is_some() && !names.contains(&"x-amz-security-token") {
        return Err(refused(403, "SignatureDoesNotMatch", "x-amz-security-token is not signed"));
    }
    let mut canonical_headers = String::new();
    for name in &names {
        let values: Vec<String> = req
            .headers
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        if values.is_empty() {
            return Err(refused(403, "SignatureDoesNotMatch", format!("signed header {name} is missing")));
        }
        canonical_headers.push_str(&format!("{name}:{}\n", values.join(",")));
    }
    let payload = hex(&Sha256::digest(&req.body));
    if let Some(claimed) = req.header("x-amz-content-sha256")
        && claimed != payload
        && claimed != "UNSIGNED-PAYLOAD"
    {
        return Err(refused(400, "XAmzContentSHA256Mismatch", "the body does not match x-amz-content-sha256"));
    }
    let canonical = format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        req.method,
        uri_encode(&req.path, false),
        canonical_query(&req.query),
        canonical_headers,
        signed_headers,
        req.header("x-amz-content-sha256").unwrap_or(&payload)
    );
    let scope = format!("{date}/{region}/{service}/aws4_request");
    let to_sign = format!("AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}", hex(&Sha256::digest(canonical.as_bytes())));
    let k = hmac(format!("AWS4{}", key.secret).as_bytes(), date.as_bytes());
    let k = hmac(&k, region.as_bytes());
    let k = hmac(&k, service.as_bytes());
    let k = hmac(&k, b"aws4_request");
    let expected = hex(&hmac(&k, to_sign.as_bytes()));
    if expected != signature {
        return Err(refused(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        ));
    }
    if let Some(t) = crlkit_der::Time::from_rfc3339(&format!(
        "{}-{}-{}T{}:{}:{}Z",
        &amz_date.get(0..4).unwrap_or("0"),
        &amz_date.get(4..6).unwrap_or("0"),
        &amz_date.get(6..8).unwrap_or("0"),
        &amz_date.get(9..11).unwrap_or("0"),
        &amz_date.get(11..13).unwrap_or("0"),
        &amz_date.get(13..15).unwrap_or("0")
    )) && (t.unix() - now).abs() > 15 * 60
    {
        return Err(refused(400, "RequestExpired", "Request has expired (more than 15 minutes from now)"));
    }
    if key.expired {
        return Err(refused(400, "ExpiredToken", "The security token included in the request is expired"));
    }
    Ok(Signed { region: region.to_owned() })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example of AWS's SigV4 documentation (IAM ListUsers, GET, 2015-08-30),
    /// recomputed: the derivation and canonical forms are AWS's, not the SDK's.
    #[test]
    fn aws_documentation_example() {
        let req = Request {
            method: "GET".into(),
            path: "/".into(),
            query: "Action=ListUsers&Version=2010-05-08".into(),
            headers: vec![
                ("content-type".into(), "application/x-www-form-urlencoded; charset=utf-8".into()),
                ("host".into(), "iam.amazonaws.com".into()),
                ("x-amz-date".into(), "20150830T123600Z".into()),
                (
                    "authorization".into(),
                    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, \
                     SignedHeaders=content-type;host;x-amz-date, \
                     Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
                        .into(),
                ),
            ],
            body: Vec::new(),
        };
        let keys = [Key {
            id: "AKIDEXAMPLE".into(),
            secret: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
            expired: false,
        }];
        let at = 1_440_938_160; // 2015-08-30T12:36:00Z
        assert_eq!(check(&req, "iam", &keys, at).map(|s| s.region), Ok("us-east-1".into()));
        let wrong =
            [Key { secret: "other".into(), ..Key { id: "AKIDEXAMPLE".into(), secret: String::new(), expired: false } }];
        assert_eq!(check(&req, "iam", &wrong, at).unwrap_err().code, "SignatureDoesNotMatch");
        assert_eq!(check(&req, "iam", &keys, at + 3600).unwrap_err().code, "RequestExpired");
        assert_eq!(check(&req, "elasticloadbalancing", &keys, at).unwrap_err().code, "SignatureDoesNotMatch");
        let expired =
            [Key { expired: true, ..Key { id: "AKIDEXAMPLE".into(), secret: keys[0].secret.clone(), expired: false } }];
        assert_eq!(check(&req, "iam", &expired, at).unwrap_err().code, "ExpiredToken");
    }
}
