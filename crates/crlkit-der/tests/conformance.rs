//! Conformance: crlkit's verdict on every CRL in `../shared/corpus` against the expectation
//! table `tests/conformance.tsv` (our judgment per RFC 5280, with the reason where we differ
//! from the peers). Every CRL-bearing corpus file must have a row and every row a file.

mod common;

use std::collections::BTreeMap;

use crlkit_der::{CrlRef, Error, Profile};

struct Row {
    strict: String,
    lenient: String,
    offset: String,
    field: String,
    entries: String,
}

fn table() -> BTreeMap<String, Row> {
    let text = include_str!("conformance.tsv");
    let mut rows = BTreeMap::new();
    for line in text.lines().filter(|l| !l.starts_with('#')).skip(1) {
        let c: Vec<&str> = line.split('\t').collect();
        assert!(c.len() >= 8, "malformed table row: {line}");
        let row = Row {
            strict: c[1].into(),
            lenient: c[2].into(),
            offset: c[3].into(),
            field: c[4].into(),
            entries: c[5].into(),
        };
        // Every verdict is exact: an accepted file gives its entry counts, a rejected one the
        // offset and field where the strict parser stops.
        if row.strict == "accept" {
            assert!(row.entries != "-", "{}: an accepted file needs its entry counts", c[0]);
        } else {
            assert!(row.offset != "-" && row.field != "-", "{}: a rejected file needs offset and field", c[0]);
        }
        assert!(rows.insert(c[0].to_owned(), row).is_none(), "duplicate row {}", c[0]);
    }
    rows
}

/// The first error over all CRLs in a file, or the entry count of each.
fn verdict(bytes: &[u8], lenient: bool) -> Result<Vec<u64>, Error> {
    let crls = common::crls_in(bytes)?;
    crls.iter()
        .map(|der| if lenient { common::check_lenient(der) } else { common::check(der, Profile::Strict) })
        .collect()
}

fn code(r: &Result<Vec<u64>, Error>) -> String {
    match r {
        Ok(_) => "accept".into(),
        Err(e) => format!("reject:{}", e.kind().code()),
    }
}

fn corpus_crl_files() -> Vec<String> {
    let dir = common::corpus_dir();
    common::walk(&dir)
        .into_iter()
        .filter(|p| !p.ends_with(".tsv") && !p.ends_with(".md") && !common::is_certificate_file(p))
        .collect()
}

#[test]
fn every_corpus_file_has_a_row_and_every_row_a_file() {
    let rows = table();
    let files = corpus_crl_files();
    for f in &files {
        assert!(rows.contains_key(f), "no expectation row for corpus file {f}");
    }
    for r in rows.keys() {
        assert!(files.contains(r), "expectation row for a file not in the corpus: {r}");
    }
}

#[test]
fn verdicts_match_the_table() {
    let dir = common::corpus_dir();
    let mut failures = Vec::new();
    for (path, row) in table() {
        let bytes = std::fs::read(dir.join(&path)).unwrap();
        let strict = verdict(&bytes, false);
        let lenient = verdict(&bytes, true);
        let mut problems = Vec::new();
        if code(&strict) != row.strict {
            problems.push(format!("strict {} (expected {})", code(&strict), row.strict));
        }
        if code(&lenient) != row.lenient {
            problems.push(format!("lenient {} (expected {})", code(&lenient), row.lenient));
        }
        match &strict {
            Err(e) => {
                if e.offset().to_string() != row.offset {
                    problems.push(format!("offset {} (expected {})", e.offset(), row.offset));
                }
                if e.path().to_string() != row.field {
                    problems.push(format!("field {} (expected {})", e.path(), row.field));
                }
            }
            Ok(counts) => {
                let got = counts.iter().map(u64::to_string).collect::<Vec<_>>().join("+");
                if got != row.entries {
                    problems.push(format!("entries {got} (expected {})", row.entries));
                }
            }
        }
        if !problems.is_empty() {
            failures.push(format!("{path}: {}", problems.join("; ")));
        }
    }
    assert!(failures.is_empty(), "{} conformance mismatches:\n{}", failures.len(), failures.join("\n"));
}

/// BoringSSL's `invalid_garbage_*` files are structurally broken: all must be rejected, in
/// both profiles (leniency never covers broken structure).
#[test]
fn structurally_broken_files_are_rejected() {
    let dir = common::corpus_dir();
    let files: Vec<_> = corpus_crl_files().into_iter().filter(|p| p.contains("invalid_garbage_")).collect();
    assert!(files.len() >= 17, "expected BoringSSL's invalid_garbage_* files, found {}", files.len());
    for f in files {
        let bytes = std::fs::read(dir.join(&f)).unwrap();
        assert!(verdict(&bytes, false).is_err(), "{f} accepted");
        assert!(verdict(&bytes, true).is_err(), "{f} accepted with --lenient");
    }
}

/// The streaming parser reaches the same verdict, counts and error (code, offset and field) as
/// the slice parser on every corpus CRL, reading through a small buffer; the parallel
/// validator, in tiny chunks, names the same error too.
#[test]
fn streaming_agrees_with_slice_parser_on_the_corpus() {
    use crlkit_der::stream::{StreamError, StreamOptions, StreamVisitor, parse_stream};
    struct Collect(Vec<u8>);
    impl StreamVisitor for Collect {
        fn raw(&mut self, b: &[u8]) -> std::io::Result<()> {
            self.0.extend_from_slice(b);
            Ok(())
        }
    }
    let dir = common::corpus_dir();
    for path in corpus_crl_files() {
        let bytes = std::fs::read(dir.join(&path)).unwrap();
        let Ok(crls) = common::crls_in(&bytes) else { continue };
        for der in crls {
            let slice = CrlRef::from_der(&der).and_then(|c| c.validate());
            let opts = StreamOptions { read_chunk: 17, ..StreamOptions::default() };
            let mut sink = Collect(Vec::new());
            let streamed = parse_stream(der.as_slice(), &opts, &mut sink);
            match (&slice, &streamed) {
                (Ok(stats), Ok(summary)) => {
                    assert_eq!(*stats, summary.stats, "{path}");
                    assert_eq!(sink.0, der, "{path}: raw bytes passed on");
                }
                (Err(a), Err(StreamError::Parse(b, _))) => assert_eq!(a, b, "{path}: errors differ"),
                _ => panic!("{path}: slice {slice:?} vs stream {streamed:?}"),
            }
            if let Ok(crl) = CrlRef::from_der(&der) {
                assert_eq!(crl.validate_in_chunks(3), crl.validate_sequential(), "{path}: chunked validation");
                assert_eq!(
                    crl.validate_chunked(3).map(|(stats, _)| stats),
                    crl.validate_sequential(),
                    "{path}: validate_chunked"
                );
            }
        }
    }
}
