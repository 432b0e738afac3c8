//! The strict PEM decoder: never panics, and whatever it decodes re-encodes to a document that
//! decodes to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(blocks) = crlkit_der::pem::decode_all(data) {
        for b in blocks {
            let pem = crlkit_der::pem::encode(&b.der);
            let again = crlkit_der::pem::decode_all(&pem).expect("our own PEM decodes");
            assert_eq!(again[0].der, b.der);
        }
    }
});
