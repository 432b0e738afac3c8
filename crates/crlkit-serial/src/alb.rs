//! ALB connection-log lines (mutual TLS), parsed by position.
//!
//! Fields are separated by single spaces; a field that starts with `"` runs to the next
//! unescaped `"` and may hold spaces (the client certificate subject does). AWS appends new
//! fields at the end, so everything after `tls_keyexchange` is ignored, and the two last known
//! fields are optional (older logs lack them). `-` stands for "no value", e.g. no client
//! certificate.

use std::fmt;

/// Field names in log order (the documented order; parse by position).
pub const FIELDS: [&str; 13] = [
    "timestamp",
    "client_ip",
    "client_port",
    "listener_port",
    "tls_protocol",
    "tls_cipher",
    "tls_handshake_latency",
    "leaf_client_cert_subject",
    "leaf_client_cert_validity",
    "leaf_client_cert_serial_number",
    "tls_verify_status",
    "conn_trace_id",
    "tls_keyexchange",
];

/// Fields every line must have: up to and including `tls_verify_status`.
const REQUIRED: usize = 11;

/// One connection, borrowed from the line. Quoted fields are given without their quotes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectionRecord<'a> {
    /// `timestamp`.
    pub timestamp: &'a [u8],
    /// `client_ip`.
    pub client_ip: &'a [u8],
    /// `client_port`.
    pub client_port: &'a [u8],
    /// `leaf_client_cert_subject` (quotes removed), `-` when absent.
    pub subject: &'a [u8],
    /// `leaf_client_cert_serial_number` as logged; `None` for `-` (no client certificate).
    pub serial: Option<&'a [u8]>,
    /// `tls_verify_status`: `Success` or `Failed:<code>`.
    pub verify_status: &'a [u8],
    /// `conn_trace_id`, if present.
    pub conn_trace_id: Option<&'a [u8]>,
    /// Fields after the last known one (newer log versions).
    pub extra_fields: usize,
}

/// Why a line is not a connection record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LineError {
    /// The line ends before this field (a name from [`FIELDS`]).
    MissingField(&'static str),
    /// A quoted field without its closing quote.
    UnterminatedQuote {
        /// 1-based column of the opening quote.
        column: usize,
    },
    /// Two spaces in a row or a leading space: an empty field.
    EmptyField(&'static str),
    /// The serial field is neither `-` nor hex.
    BadSerial,
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingField(name) => write!(f, "line ends before field `{name}`"),
            Self::UnterminatedQuote { column } => write!(f, "quote opened at column {column} is never closed"),
            Self::EmptyField(name) => write!(f, "field `{name}` is empty"),
            Self::BadSerial => f.write_str("leaf_client_cert_serial_number is neither `-` nor hex"),
        }
    }
}

impl std::error::Error for LineError {}

/// Split the next field off `line` at `pos`; returns (field without quotes, next position).
#[inline]
fn next_field<'a>(line: &'a [u8], pos: usize, name: &'static str) -> Result<(&'a [u8], usize), LineError> {
    if pos >= line.len() {
        return Err(LineError::MissingField(name));
    }
    if line[pos] == b'"' {
        let mut i = pos + 1;
        while i < line.len() {
            match line[i] {
                b'\\' => i += 2,
                b'"' => {
                    let after = i + 1;
                    if after < line.len() && line[after] != b' ' {
                        // A quote inside an unquoted-looking run: keep scanning for the real end.
                        i += 1;
                        continue;
                    }
                    return Ok((&line[pos + 1..i], after + 1));
                }
                _ => i += 1,
            }
        }
        return Err(LineError::UnterminatedQuote { column: pos + 1 });
    }
    let end = line[pos..].iter().position(|&c| c == b' ').map_or(line.len(), |n| pos + n);
    if end == pos {
        return Err(LineError::EmptyField(name));
    }
    Ok((&line[pos..end], end + 1))
}

/// Parse one log line (without its line end; a trailing `\r` is ignored).
pub fn parse_line(line: &[u8]) -> Result<ConnectionRecord<'_>, LineError> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let mut fields: [&[u8]; 13] = [&[]; 13];
    let mut pos = 0;
    let mut found = 0;
    for (i, name) in FIELDS.iter().enumerate() {
        if i >= REQUIRED && pos >= line.len() {
            break;
        }
        let (f, next) = next_field(line, pos, name)?;
        fields[i] = f;
        pos = next;
        found = i + 1;
    }
    let mut extra_fields = 0;
    while pos < line.len() {
        let (_, next) = next_field(line, pos, "extra")?;
        pos = next;
        extra_fields += 1;
    }
    let serial = match fields[9] {
        b"-" => None,
        s if s.iter().all(u8::is_ascii_hexdigit) => Some(s),
        _ => return Err(LineError::BadSerial),
    };
    Ok(ConnectionRecord {
        timestamp: fields[0],
        client_ip: fields[1],
        client_port: fields[2],
        subject: fields[7],
        serial,
        verify_status: fields[10],
        conn_trace_id: (found > 11).then_some(fields[11]),
        extra_fields,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &[u8] = b"2023-10-04T17:05:15.514108Z 203.0.113.1 36280 443 TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256 4.036 \"CN=amazondomains.com,O=endEntity,L=Seattle,ST=Washington,C=US\" NotBefore=2023-09-21T22:43:21Z;NotAfter=2026-06-17T22:43:21Z FEF257372D5C14D4 Success TID_3180a73013c8ca4bac2f731159d4b0fe";

    #[test]
    fn documented_example() {
        let r = parse_line(EXAMPLE).unwrap();
        assert_eq!(r.timestamp, b"2023-10-04T17:05:15.514108Z");
        assert_eq!(r.client_ip, b"203.0.113.1");
        assert_eq!(r.subject, b"CN=amazondomains.com,O=endEntity,L=Seattle,ST=Washington,C=US");
        assert_eq!(r.serial, Some(&b"FEF257372D5C14D4"[..]));
        assert_eq!(r.verify_status, b"Success");
        assert_eq!(r.conn_trace_id, Some(&b"TID_3180a73013c8ca4bac2f731159d4b0fe"[..]));
        assert_eq!(r.extra_fields, 0);
    }

    #[test]
    fn quoted_subjects_extra_fields_and_dashes() {
        let line = b"t 10.0.0.1 1 443 TLSv1.3 AES \"1.0\" \"CN=Jane Doe, O=Example \\\"Corp\\\"\" - 0a Failed:ClientCertCrlHit TID x25519 new1 \"new two\"";
        let r = parse_line(line).unwrap();
        assert_eq!(r.subject, b"CN=Jane Doe, O=Example \\\"Corp\\\"");
        assert_eq!((r.serial, r.verify_status, r.extra_fields), (Some(&b"0a"[..]), &b"Failed:ClientCertCrlHit"[..], 2));
        let no_cert = b"t 10.0.0.1 1 443 TLSv1.3 AES 1.0 - - - Success\r";
        let r = parse_line(no_cert).unwrap();
        assert_eq!((r.serial, r.conn_trace_id), (None, None));
    }

    #[test]
    fn bad_lines_say_why() {
        assert_eq!(parse_line(b"t 10.0.0.1 1 443"), Err(LineError::MissingField("tls_protocol")));
        assert_eq!(parse_line(b""), Err(LineError::MissingField("timestamp")));
        assert_eq!(parse_line(b"t 1 2 3 4 5 6 \"CN=x 8 9 10"), Err(LineError::UnterminatedQuote { column: 15 }));
        assert_eq!(parse_line(b"t 1 2 3 4 5 6 7 8 XYZ Success"), Err(LineError::BadSerial));
        assert_eq!(parse_line(b"t  2 3 4 5 6 7 8 9 Success"), Err(LineError::EmptyField("client_ip")));
        assert_eq!(parse_line(b"t 1 2 3 4 5 6 7 8 9 Success ").unwrap().conn_trace_id, None, "trailing space");
    }
}
