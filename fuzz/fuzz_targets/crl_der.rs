//! `CrlRef::from_der` + full validation + every accessor: never panics, and the sequential,
//! parallel and streaming parsers agree on every input.
#![no_main]

use crlkit_der::stream::{StreamOptions, parse_stream};
use crlkit_der::{CrlRef, Profile};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for profile in [Profile::Strict, Profile::Lenient] {
        let slice = CrlRef::from_der_with(data, profile).and_then(|crl| {
            let _ = crl.issuer().rfc4514();
            let stats = crl.validate()?;
            assert_eq!(crl.validate_sequential()?, stats);
            for e in crl.entries() {
                let e = e?;
                let _ = e.serial().to_hex();
                let _ = e.revocation_date().rfc3339_bytes();
            }
            if let Some(ext) = crl.extensions() {
                for e in ext.iter() {
                    let _ = e.name();
                }
            }
            Ok(stats)
        });
        let opts = StreamOptions { profile, read_chunk: 7, ..StreamOptions::default() };
        let streamed = parse_stream(data, &opts, &mut crlkit_der_noop::Noop);
        assert_eq!(slice.is_ok(), streamed.is_ok(), "slice {slice:?} vs stream {streamed:?}");
        if let (Ok(a), Ok(b)) = (slice, streamed) {
            assert_eq!(a, b.stats);
        }
    }
});

mod crlkit_der_noop {
    pub struct Noop;
    impl crlkit_der::stream::StreamVisitor for Noop {}
}
