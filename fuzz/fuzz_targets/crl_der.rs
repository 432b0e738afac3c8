//! `CrlRef::from_der` + full validation + every accessor: never panics, and every path names
//! the same first error: the sequential validator, the parallel one (in chunks of 1, 7 and 61
//! bytes, so that the parallel path runs on inputs far below its 2 MiB threshold), the entry
//! iterator and the streaming parser (reading 7 bytes at a time); `list`'s reading of the
//! entries (`try_for_each_listed`) never panics and hands on every entry of a valid CRL.
#![no_main]

use crlkit_der::stream::{StreamError, StreamOptions, Validate, parse_stream};
use crlkit_der::{CrlRef, Profile};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for profile in [Profile::Strict, Profile::Lenient] {
        let parsed = CrlRef::from_der_with(data, profile);
        let slice = parsed.and_then(|crl| {
            let _ = crl.issuer().rfc4514();
            let stats = crl.validate();
            assert_eq!(crl.validate_sequential(), stats);
            for chunk in [1, 7, 61] {
                assert_eq!(crl.validate_in_chunks(chunk), stats, "chunks of {chunk}");
                assert_eq!(crl.validate_chunked(chunk).map(|(s, _)| s), stats, "validate_chunked, chunks of {chunk}");
            }
            // `list`'s reading of the entries, on chunks validated or not: it never panics,
            // and on a valid CRL it hands on every entry.
            let mut listed = 0u64;
            let all = crl.entry_chunks(61).iter().try_for_each(|c| {
                c.try_for_each_listed(|e| {
                    let mut date = [0u8; 20];
                    e.write_revocation_date_rfc3339(&mut date);
                    listed += 1;
                })
            });
            if let Ok(s) = stats {
                assert_eq!((all, listed), (Ok(()), s.count));
            }
            let iterated = crl.entries().try_fold(0u64, |n, e| {
                let e = e?;
                let _ = e.serial().to_hex();
                let _ = e.revocation_date().rfc3339_bytes();
                Ok(n + 1)
            });
            assert_eq!(iterated, stats.map(|s| s.count));
            if let Some(ext) = crl.extensions() {
                for e in ext.iter() {
                    let _ = e.name();
                }
            }
            stats
        });
        let opts = StreamOptions { profile, read_chunk: 7, ..StreamOptions::default() };
        match (&slice, parse_stream(data, &opts, &mut Validate)) {
            (Ok(a), Ok(b)) => assert_eq!(*a, b.stats),
            (Err(a), Err(StreamError::Parse(b, _))) => assert_eq!(*a, b, "slice and stream errors differ"),
            (a, b) => panic!("slice {a:?} vs stream {b:?}"),
        }
    }
});
