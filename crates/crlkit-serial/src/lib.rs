//! Certificate serial numbers, the key of every revocation: read from certificates, bundles,
//! directories, ALB connection logs and mTLS headers, and printed in every form users meet.
//!
//! - [`Serial`] is the owned serial number used across the workspace. It holds the minimal
//!   two's-complement INTEGER content octets, exactly like [`crlkit_der::SerialRef`] (the
//!   zero-copy view a CRL entry or certificate gives), so equality of bytes is equality of
//!   values and a `HashSet<Serial>` can be probed with a CRL entry's bytes without copying.
//! - [`Serial::parse`] reads any form: OpenSSL's `-serial` hex, ALB's hex (leading zeros
//!   dropped, any case), colon hex, `0x…`, decimal (`--decimal`), and OpenSSL's `-text` line
//!   (`4660 (0x1234)`, `(Negative)01`). [`SerialFormat`] prints `hex`, `colon`, `dec` and
//!   `openssl` ([`format()`] works on both [`Serial`] and [`crlkit_der::SerialRef`]).
//! - [`certs`] reads certificates from PEM (many blocks, text around them), DER, directories
//!   and stdin; a broken certificate is reported with its file and block and does not stop the
//!   others.
//! - [`alb`] parses ALB connection-log lines by position.
//!
//! Negative serials are kept and can be flagged ([`Serial::is_negative`]): RFC 5280 forbids
//! them, CAs issued them anyway, and ALB cannot revoke them.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod alb;
pub mod certs;
mod index;
mod serial;

pub use index::SerialIndex;

pub use serial::{
    BareDigits, MAX_PARSE_OCTETS, ParseError, ParseErrorKind, Serial, SerialFormat, SerialHasher, SerialMap, format,
    write_format,
};
