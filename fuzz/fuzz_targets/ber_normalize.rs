//! The lenient BER-to-DER normaliser: never panics, and its output is a fixed point.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(n) = crlkit_der::ber::normalize(data) {
        let again = crlkit_der::ber::normalize(&n.der).expect("DER output normalises");
        assert_eq!(again.der, n.der);
        assert_eq!(again.rewrites, 0);
    }
});
