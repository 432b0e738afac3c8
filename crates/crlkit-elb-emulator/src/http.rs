//! Just enough HTTP/1.1 for AWS clients on loopback: a request line, headers, a
//! `Content-Length` body (bounded), keep-alive; answers with `Content-Length`.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;

/// Largest request body accepted (awsQuery forms are small).
const MAX_BODY: usize = 1 << 20;
/// Largest header section.
const MAX_HEADERS: usize = 64 << 10;

/// One request.
pub struct Request {
    pub method: String,
    /// Path without the query.
    pub path: String,
    /// The raw query string (after `?`), possibly empty.
    pub query: String,
    /// Header names lowercased, in order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// One response.
pub struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    pub request_id: String,
}

/// Read the next request; `None` at a clean end of the connection.
pub fn read_request(r: &mut BufReader<TcpStream>) -> io::Result<Option<Request>> {
    let mut line = String::new();
    if r.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let bad = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_owned());
    let mut parts = line.trim_end().splitn(3, ' ');
    let (Some(method), Some(target), Some(_version)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad("bad request line"));
    };
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut headers = Vec::new();
    let mut seen = 0;
    loop {
        let mut h = String::new();
        let n = r.read_line(&mut h)?;
        seen += n;
        if n == 0 || seen > MAX_HEADERS {
            return Err(bad("headers too long or cut"));
        }
        let h = h.trim_end_matches(['\r', '\n']);
        if h.is_empty() {
            break;
        }
        let (name, value) = h.split_once(':').ok_or_else(|| bad("bad header"))?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let mut req = Request { method: method.into(), path: path.into(), query: query.into(), headers, body: Vec::new() };
    if req.header("transfer-encoding").is_some() {
        return Err(bad("chunked bodies are not supported"));
    }
    let len: usize = req.header("content-length").map_or(Ok(0), str::parse).map_err(|_| bad("bad content-length"))?;
    if len > MAX_BODY {
        return Err(bad("body too large"));
    }
    if req.header("expect").is_some_and(|e| e.eq_ignore_ascii_case("100-continue")) {
        r.get_mut().write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
    }
    req.body = vec![0; len];
    r.read_exact(&mut req.body)?;
    Ok(Some(req))
}

pub fn write_response(w: &mut TcpStream, resp: &Response) -> io::Result<()> {
    let reason = match resp.status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        _ => "Error",
    };
    let head = format!(
        "HTTP/1.1 {} {reason}\r\nContent-Type: {}\r\nContent-Length: {}\r\nx-amzn-RequestId: {}\r\nDate: {}\r\n\r\n",
        resp.status,
        resp.content_type,
        resp.body.len(),
        resp.request_id,
        http_date()
    );
    w.write_all(head.as_bytes())?;
    w.write_all(&resp.body)?;
    w.flush()
}

fn http_date() -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    crlkit_der::Time::from_unix(now).map_or_else(String::new, |t| t.to_string())
}
