//! The strict PEM decoder: never panics, and whatever it decodes re-encodes to a document that
//! decodes to the same bytes. The block-by-block decoder (bundles) always ends, yields at most
//! one item per line, and agrees with the strict decoder when no block is bad.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let items: Vec<_> = crlkit_der::pem::blocks(data).collect();
    let lines = data.iter().filter(|&&c| c == b'\n').count() + 1;
    assert!(items.len() <= lines, "{} items from {lines} lines", items.len());
    if let Ok(all) = crlkit_der::pem::decode_all(data) {
        let tolerant: Vec<_> = items.into_iter().collect::<Result<Vec<_>, _>>().expect("no bad block");
        assert_eq!(tolerant, all);
    }
    if let Ok(blocks) = crlkit_der::pem::decode_all(data) {
        for b in blocks {
            let pem = crlkit_der::pem::encode(&b.der);
            let again = crlkit_der::pem::decode_all(&pem).expect("our own PEM decodes");
            assert_eq!(again[0].der, b.der);
        }
    }
});
