//! Property tests: valid CRLs, truncated, bit-flipped, with lengths extended or shrunk, or with
//! bytes inserted. Every parser entry point (slice, parallel validation, streaming, PEM, BER
//! normalisation) must return an error or a valid parse, never panic, and never make an
//! allocation sized by a length field it has not checked: a counting global allocator records
//! the largest single allocation, which must stay within a bound set by the input size.
//!
//! This file is its own test binary with one test, so the allocator sees only this work.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use crlkit_der::stream::{PemCrlReader, StreamError, StreamOptions, StreamVisitor, parse_stream};
use crlkit_der::{CrlRef, EntryChunk, ListedEntry, Profile};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

struct Counting;

static LARGEST: AtomicUsize = AtomicUsize::new(0);
static COUNT: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards every call to the system allocator unchanged; only records sizes.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        COUNT.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LARGEST.fetch_max(new_size, Ordering::Relaxed);
        COUNT.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

#[derive(Clone, Debug)]
enum Mutation {
    Truncate(usize),
    FlipBit(usize, u8),
    /// Add to the byte at this position (lengths grow or shrink, tags change).
    Bump(usize, u8),
    /// Make the length at this position long-form and huge.
    HugeLength(usize),
    Insert(usize, u8),
}

fn apply(base: &[u8], m: &Mutation) -> Vec<u8> {
    let mut v = base.to_vec();
    if v.is_empty() {
        return v;
    }
    let at = |i: usize| i % v.len();
    match *m {
        Mutation::Truncate(i) => v.truncate(at(i)),
        Mutation::FlipBit(i, bit) => {
            let i = at(i);
            v[i] ^= 1 << (bit % 8);
        }
        Mutation::Bump(i, d) => {
            let i = at(i);
            v[i] = v[i].wrapping_add(d);
        }
        Mutation::HugeLength(i) => {
            let i = at(i);
            v.splice(i..=i, [0x84, 0x7f, 0xff, 0xff, 0xff]);
        }
        Mutation::Insert(i, b) => {
            let i = at(i);
            v.insert(i, b);
        }
    }
    v
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::FlipBit(i, b)),
        (any::<usize>(), 1u8..=255).prop_map(|(i, d)| Mutation::Bump(i, d)),
        any::<usize>().prop_map(Mutation::HugeLength),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Insert(i, b)),
    ]
}

struct Noop;
impl StreamVisitor for Noop {}

const STREAM: StreamOptions = StreamOptions { profile: Profile::Strict, max_element: 1 << 16, read_chunk: 4096 };

/// The same chunks (bytes, offsets, first indexes and counts), and `try_for_each` hands on
/// exactly the entries the iterator yields.
fn assert_chunks_equal(a: &[EntryChunk<'_>], b: &[EntryChunk<'_>]) {
    assert_eq!(a.len(), b.len(), "chunk count");
    for (x, y) in a.iter().zip(b) {
        assert_eq!((x.der(), x.first_index(), x.len()), (y.der(), y.first_index(), y.len()));
        let mut seen = Vec::new();
        x.try_for_each(|e| seen.push((e.index(), e.offset(), e.der(), e.revocation_date(), e.reason())))
            .expect("valid");
        let iterated: Vec<_> =
            y.entries().map(|e| e.map(|e| (e.index(), e.offset(), e.der(), e.revocation_date(), e.reason()))).collect();
        assert_eq!(Ok(seen), iterated.into_iter().collect::<Result<Vec<_>, _>>());
        // What `list` prints, read from the validated chunk, equals what the parsed entries say.
        let fields = |e: &ListedEntry<'_>| {
            let mut date = [0u8; 20];
            e.write_revocation_date_rfc3339(&mut date);
            (e.index(), e.serial().der_content().to_vec(), date, e.reason(), e.invalidity_date())
        };
        let mut listed = Vec::new();
        x.try_for_each_listed(|e| listed.push(fields(e))).expect("valid");
        let parsed: Vec<_> = y.entries().map(|e| fields(&ListedEntry::of(&e.expect("valid")))).collect();
        assert_eq!(listed, parsed);
        let dates: Vec<_> = y.entries().map(|e| e.expect("valid").revocation_date().rfc3339_bytes()).collect();
        assert_eq!(listed.iter().map(|l| l.2).collect::<Vec<_>>(), dates);
    }
}

/// Run every entry point on `input`; panics propagate to proptest. Every path reports the
/// same first error: the slice parser with the sequential, parallel and chunked validators,
/// the entry iterator, and the streaming parser.
fn exercise(input: &[u8]) {
    for profile in [Profile::Strict, Profile::Lenient] {
        let crl = CrlRef::from_der_with(input, profile);
        let slice = crl.and_then(|crl| {
            let _ = crl.issuer().rfc4514();
            let _ = crl.extensions().map(|e| e.iter().count());
            let stats = crl.validate()?;
            assert_eq!(crl.validate_sequential(), Ok(stats));
            for chunk in [1, 97] {
                assert_eq!(crl.validate_in_chunks(chunk), Ok(stats), "chunks of {chunk}");
                let (chunked, chunks) = crl.validate_chunked(chunk).expect("valid");
                assert_eq!(chunked, stats, "validate_chunked, chunks of {chunk}");
                assert_chunks_equal(&chunks, &crl.entry_chunks(chunk));
            }
            let mut n = 0;
            for e in crl.entries() {
                let e = e?;
                let _ = e.serial().to_hex();
                let _ = e.extensions().count();
                n += 1;
            }
            assert_eq!(n, stats.count);
            Ok(stats)
        });
        if let (Ok(crl), Err(e)) = (crl, &slice) {
            // Validation failed: every validator names the same entry error.
            assert_eq!(crl.validate_sequential().as_ref(), Err(e));
            for chunk in [1, 97] {
                assert_eq!(crl.validate_in_chunks(chunk).as_ref(), Err(e), "chunks of {chunk}");
                assert_eq!(crl.validate_chunked(chunk).err().as_ref(), Some(e), "validate_chunked, chunks of {chunk}");
                // Each chunk's entries, one by one: the first error of the first chunk that
                // has one is the same.
                let first = crl.entry_chunks(chunk).iter().find_map(|c| c.try_for_each(|_| {}).err());
                assert_eq!(first.as_ref(), Some(e), "try_for_each, chunks of {chunk}");
            }
        }
        let opts = StreamOptions { profile, ..STREAM };
        match (&slice, parse_stream(input, &opts, &mut Noop)) {
            (Ok(stats), Ok(summary)) => assert_eq!(*stats, summary.stats),
            (Err(a), Err(StreamError::Parse(b, _))) => assert_eq!(*a, b, "slice and stream disagree"),
            // An element over the stream's limit: refused there only (documented).
            (_, Err(StreamError::Parse(b, _))) if b.kind() == crlkit_der::ErrorKind::LengthTooLarge => {}
            (a, b) => panic!("slice {a:?} and stream {b:?} disagree"),
        }
    }
    if let Ok(c) = crlkit_der::CertificateRef::from_der(input) {
        let _ = (c.subject().rfc4514(), c.public_key_info().rsa_modulus_bits(), c.extensions().count());
    }
    let _ = crlkit_der::ber::normalize(input);
    let pem = crlkit_der::pem::encode(input);
    let _ = crlkit_der::pem::decode_all(input);
    let _ = pem_pipeline(&pem);
}

/// Every CRL block of a PEM text through the streaming reader and parser; the first error.
fn pem_pipeline(text: &[u8]) -> Result<usize, StreamError> {
    let mut reader = PemCrlReader::new(text);
    let mut n = 0;
    loop {
        parse_stream(&mut reader, &STREAM, &mut Noop)?;
        n += 1;
        if !reader.next_crl().map_err(StreamError::Input)? {
            return Ok(n);
        }
    }
}

/// The streaming PEM reader accepts exactly the texts the strict decoder accepts (with every
/// CRL in them valid), and a PEM error it reports is the strict decoder's.
fn pem_paths_agree(text: &[u8]) {
    let strict = crlkit_der::pem::decode_crls(text).map(|(blocks, _)| {
        blocks.iter().map(|b| CrlRef::from_der(&b.der).and_then(|c| c.validate()).is_ok()).collect::<Vec<_>>()
    });
    let streamed = pem_pipeline(text);
    match (&strict, &streamed) {
        (Ok(valid), Ok(n)) => assert!(valid.iter().all(|v| *v) && valid.len() == *n, "{valid:?} vs {n}"),
        (Ok(valid), Err(StreamError::Parse(..))) => assert!(valid.iter().any(|v| !*v)),
        (Err(e), Err(s)) if s.pem().is_some() => assert_eq!(s.pem().unwrap().error, *e),
        // A DER error in a block before the PEM error.
        (Err(_), Err(StreamError::Parse(..))) => {}
        (a, b) => panic!("strict {a:?} vs streamed {b:?}"),
    }
}

/// Parsing and iterating every entry allocates nothing: entries are views into the input.
/// (Part of the same test function as the mutations, so no other test allocates meanwhile.)
fn iteration_allocates_nothing() {
    let der = std::fs::read(common::fixtures_dir().join("crl.rsa2048.1k.der")).unwrap();
    COUNT.store(0, Ordering::Relaxed);
    let crl = CrlRef::from_der(&der).unwrap();
    let mut reasons = 0;
    for e in crl.entries() {
        let e = e.unwrap();
        reasons += usize::from(e.reason().is_some());
        let _ = std::hint::black_box((e.serial().magnitude(), e.revocation_date().unix(), e.invalidity_date()));
        let _ = std::hint::black_box(e.extensions().count());
    }
    let stats = crl.validate_sequential().unwrap();
    assert_eq!(COUNT.load(Ordering::Relaxed), 0, "allocations while iterating {} entries", stats.count);
    assert_eq!(stats.count, 1000);
    assert!(reasons > 300);
}

#[test]
fn mutated_crls_never_panic_or_over_allocate() {
    iteration_allocates_nothing();
    let fixtures = common::fixtures_dir();
    let mut seeds: Vec<Vec<u8>> =
        ["crl.p256.small.der", "crl.p256.edge-serials.der", "crl.p256.empty.der", "crl.rsa2048.1k.der"]
            .iter()
            .map(|n| std::fs::read(fixtures.join(n)).unwrap())
            .collect();
    let corpus = common::corpus_dir();
    for p in ["rustls-webpki/tests/crls/crl.idp.valid.der", "boringssl/crl_unittest_der/revoked.crl.der"] {
        seeds.push(std::fs::read(corpus.join(p)).unwrap());
    }
    for ca in ["ca.rsa2048.pem", "ca.ed25519.pem"] {
        let pem = std::fs::read(fixtures.join(ca)).unwrap();
        seeds.push(crlkit_der::pem::decode_all(&pem).unwrap().remove(0).der);
    }
    let pem_seed = std::fs::read(fixtures.join("crl.p256.small.pem")).unwrap();
    let mut runner = TestRunner::new(Config { cases: 20_000, failure_persistence: None, ..Config::default() });
    let strategy = (0..seeds.len(), proptest::collection::vec(mutation(), 1..4));
    runner
        .run(&strategy, |(seed, mutations)| {
            let mut input = seeds[seed].clone();
            for m in &mutations {
                input = apply(&input, m);
            }
            LARGEST.store(0, Ordering::Relaxed);
            exercise(&input);
            let mut pem = pem_seed.clone();
            for m in &mutations {
                pem = apply(&pem, m);
            }
            let _ = crlkit_der::pem::decode_all(&pem);
            pem_paths_agree(&pem);
            let largest = LARGEST.load(Ordering::Relaxed);
            // Output buffers are sized by the input (PEM of the input, BER re-encoding), the
            // streaming window by its limit: nothing may be sized by a length field.
            let bound = 4 * (input.len() + pem.len()) + STREAM.max_element + 2 * STREAM.read_chunk + (64 << 10);
            prop_assert!(largest <= bound, "allocation of {largest} bytes for an input of {} bytes", input.len());
            Ok(())
        })
        .unwrap();
}
