//! A front for AWS Private CA: requests carrying `X-Amz-Target: ACMPrivateCA.*` go on to the
//! local server that plays Private CA (moto, at the S3 endpoint: it serves every service on one
//! port), except where moto falls short of AWS:
//!
//! - a second `RevokeCertificate` of a serial the front saw revoked is answered
//!   `RequestAlreadyProcessedException` (HTTP 400), as AWS answers it; moto answers 200;
//! - throttling set at run time (`POST /_pca`, form field `ThrottleEvery=N`): every Nth
//!   `RevokeCertificate` is answered `ThrottlingException`, which the SDK retries.
//!
//! `POST /_pca_calls` lists each `RevokeCertificate` seen, one line per call: the CA, the serial and
//! `revoked`, `already-revoked`, `throttled` or the status moto answered.
//!
//! Signatures are not checked here (moto does not check them either); the body is passed on as
//! it came and the answer back as moto gave it, read by its `Content-Length`.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;

use crate::http::{Request, Response};

/// The front's state.
#[derive(Default)]
pub struct PcaFront {
    /// `(CA ARN, serial)` revoked through the front.
    revoked: HashSet<(String, String)>,
    /// Answer every Nth `RevokeCertificate` with `ThrottlingException` (0: never).
    pub throttle_every: u64,
    /// `RevokeCertificate` calls seen (retries included).
    revokes: u64,
    /// One line per `RevokeCertificate`.
    pub log: Vec<String>,
}

const JSON: &str = "application/x-amz-json-1.1";

fn error(code: &str, message: &str, request_id: &str) -> Response {
    let body = serde_json::json!({ "__type": code, "message": message }).to_string();
    Response { status: 400, content_type: JSON, body: body.into_bytes(), request_id: request_id.into() }
}

/// The answer to a Private CA call `target` (`ACMPrivateCA.RevokeCertificate`).
pub fn handle(front: &std::sync::Mutex<PcaFront>, upstream: &str, req: &Request, target: &str, id: &str) -> Response {
    let lock = || front.lock().unwrap_or_else(|p| p.into_inner());
    if target != "ACMPrivateCA.RevokeCertificate" {
        return forward(upstream, req, target, id);
    }
    let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap_or_default();
    let field = |k: &str| body.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
    let key = (field("CertificateAuthorityArn"), field("CertificateSerial").to_ascii_lowercase());
    {
        let mut f = lock();
        f.revokes += 1;
        if f.throttle_every > 0 && f.revokes.is_multiple_of(f.throttle_every) {
            f.log.push(format!("{} {} throttled", key.0, key.1));
            return error("ThrottlingException", "Rate exceeded (the emulator's front)", id);
        }
        if f.revoked.contains(&key) {
            f.log.push(format!("{} {} already-revoked", key.0, key.1));
            return error(
                "RequestAlreadyProcessedException",
                "Your request has already been completed. (the emulator's front)",
                id,
            );
        }
    }
    let resp = forward(upstream, req, target, id);
    let mut f = lock();
    if resp.status == 200 {
        f.log.push(format!("{} {} revoked", key.0, key.1));
        f.revoked.insert(key);
    } else {
        f.log.push(format!("{} {} {}", key.0, key.1, resp.status));
    }
    resp
}

/// `req` passed to `upstream` (`http://host:port`) as it came; moto's answer, or a 500 saying
/// why there is none.
fn forward(upstream: &str, req: &Request, target: &str, id: &str) -> Response {
    match try_forward(upstream, req, target) {
        Ok((status, body)) => Response { status, content_type: JSON, body, request_id: id.into() },
        Err(e) => Response {
            status: 500,
            content_type: JSON,
            body: serde_json::json!({ "__type": "InternalFailure", "message": e.to_string() }).to_string().into_bytes(),
            request_id: id.into(),
        },
    }
}

fn try_forward(upstream: &str, req: &Request, target: &str) -> std::io::Result<(u16, Vec<u8>)> {
    let bad = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned());
    let host = upstream.trim_start_matches("http://").trim_end_matches('/');
    let mut conn = TcpStream::connect(host)?;
    conn.set_read_timeout(Some(std::time::Duration::from_secs(30)))?;
    let mut head = format!("POST / HTTP/1.1\r\nHost: {host}\r\nX-Amz-Target: {target}\r\nConnection: close\r\n");
    for name in ["content-type", "authorization", "x-amz-date", "x-amz-security-token"] {
        if let Some(v) = req.header(name) {
            head.push_str(&format!("{name}: {v}\r\n"));
        }
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", req.body.len()));
    conn.write_all(head.as_bytes())?;
    conn.write_all(&req.body)?;
    conn.flush()?;
    let mut r = BufReader::new(conn);
    let mut line = String::new();
    r.read_line(&mut line)?;
    let status: u16 = line.split(' ').nth(1).and_then(|s| s.parse().ok()).ok_or_else(|| bad("bad status line"))?;
    let mut length: Option<usize> = None;
    loop {
        let mut h = String::new();
        if r.read_line(&mut h)? == 0 {
            return Err(bad("headers cut"));
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((n, v)) = h.split_once(':')
            && n.trim().eq_ignore_ascii_case("content-length")
        {
            length = v.trim().parse().ok();
        }
    }
    // By its length: the upstream may keep the connection open whatever it was asked.
    let mut body = Vec::new();
    match length {
        Some(n) => {
            body.resize(n.min(1 << 24), 0);
            r.read_exact(&mut body)?;
        }
        None => {
            r.read_to_end(&mut body)?;
        }
    }
    Ok((status, body))
}
