//! Serial numbers as users type them and ALB connection-log lines: never panic; every form a
//! parsed serial prints in reads back to the same serial.
#![no_main]

use crlkit_serial::{BareDigits, Serial, SerialFormat, alb};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for line in data.split(|&b| b == b'\n') {
        if let Ok(r) = alb::parse_line(line)
            && let Some(hex) = r.serial
        {
            let _ = Serial::from_hex_digits(hex);
        }
        let Ok(text) = std::str::from_utf8(line) else { continue };
        for bare in [BareDigits::Hex, BareDigits::Dec] {
            if let Ok(s) = Serial::parse(text, bare) {
                for f in [SerialFormat::Hex, SerialFormat::Colon, SerialFormat::Openssl] {
                    assert_eq!(Serial::parse(&s.to_format(f), BareDigits::Hex).as_ref(), Ok(&s), "{f:?} of {text:?}");
                }
                assert_eq!(Serial::parse(&s.to_format(SerialFormat::Dec), BareDigits::Dec).as_ref(), Ok(&s));
            }
        }
    }
});
