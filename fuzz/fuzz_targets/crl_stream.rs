//! The streaming parser with PEM decoding in front of it: never panics, and every byte it
//! passes on is part of the CRL, in order.
#![no_main]

use std::io::BufReader;

use crlkit_der::stream::{PemDecodeReader, StreamOptions, StreamVisitor, parse_stream};
use libfuzzer_sys::fuzz_target;

struct Collect(Vec<u8>);
impl StreamVisitor for Collect {
    fn raw(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.0.extend_from_slice(bytes);
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    let opts = StreamOptions { read_chunk: 64, max_element: 1 << 16, ..StreamOptions::default() };
    let mut sink = Collect(Vec::new());
    if parse_stream(data, &opts, &mut sink).is_ok() {
        assert_eq!(sink.0, data);
    }
    let reader = PemDecodeReader::new(BufReader::new(data));
    let _ = parse_stream(reader, &opts, &mut Collect(Vec::new()));
});
