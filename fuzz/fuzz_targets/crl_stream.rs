//! The streaming parser with the PEM reader in front of it: never panics, every byte it passes
//! on is part of the CRL, in order, and it accepts the PEM texts the strict decoder accepts
//! (with every CRL in them valid), reporting the strict decoder's PEM errors.
#![no_main]

use crlkit_der::CrlRef;
use crlkit_der::stream::{PemCrlReader, StreamError, StreamOptions, StreamVisitor, Validate, parse_stream};
use libfuzzer_sys::fuzz_target;

struct Collect(Vec<u8>);
impl StreamVisitor for Collect {
    fn raw(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.0.extend_from_slice(bytes);
        Ok(())
    }
}

fn pem_pipeline(text: &[u8], opts: &StreamOptions) -> Result<usize, StreamError> {
    let mut reader = PemCrlReader::new(text);
    let mut n = 0;
    loop {
        parse_stream(&mut reader, opts, &mut Validate)?;
        n += 1;
        if !reader.next_crl().map_err(StreamError::Input)? {
            return Ok(n);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let opts = StreamOptions { read_chunk: 64, max_element: 1 << 16, ..StreamOptions::default() };
    let mut sink = Collect(Vec::new());
    if parse_stream(data, &opts, &mut sink).is_ok() {
        assert_eq!(sink.0, data);
    }
    let strict = crlkit_der::pem::decode_crls(data).map(|(blocks, _)| {
        blocks.iter().map(|b| CrlRef::from_der(&b.der).and_then(|c| c.validate()).is_ok()).collect::<Vec<_>>()
    });
    match (&strict, pem_pipeline(data, &opts)) {
        (Ok(valid), Ok(n)) => assert!(valid.iter().all(|v| *v) && valid.len() == n),
        (Ok(valid), Err(StreamError::Parse(e, _))) => {
            assert!(valid.iter().any(|v| !*v) || e.kind() == crlkit_der::ErrorKind::LengthTooLarge)
        }
        (Err(e), Err(s)) if s.pem().is_some() => assert_eq!(s.pem().unwrap().error, *e),
        (Err(_), Err(StreamError::Parse(..))) => {}
        (a, b) => panic!("strict {a:?} vs streamed {b:?}"),
    }
});
