//! Criterion benches of the performance core at 10k and 1M entries: parse (header only),
//! iterate (every entry), validate (parallel), the formatting core of `list` (serial hex and
//! RFC 3339 time of every entry), PEM encode, PEM decode (parallel over full lines).
//!
//! `cargo bench -p crlkit-benches`; inputs are generated in memory from the fixture key.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use crlkit_benches::{crlkit_iterate, synthetic_crl, webpki_iterate, workspace_root};
use crlkit_der::{CrlRef, EntryChunk};

/// The formatting core of `crlkit list`: every entry's serial in hex and its time in RFC 3339
/// (from its own digits), into one reused buffer, the entries read by
/// `EntryChunk::try_for_each_listed` from the chunks validation cut, as `list` has them (the
/// binary adds separators and the reason; validation is the `validate` bench).
fn format_entries(chunks: &[EntryChunk<'_>]) -> usize {
    let mut line = [0u8; 96];
    let mut total = 0;
    for chunk in chunks {
        chunk
            .try_for_each_listed(|e| {
                let n = e.serial().write_hex_to(&mut line[..64]).unwrap_or(0);
                let date: &mut [u8; 20] = (&mut line[n..n + 20]).try_into().unwrap();
                e.write_revocation_date_rfc3339(date);
                total += n + 20;
            })
            .unwrap();
    }
    std::hint::black_box(line);
    total
}

fn benches(c: &mut Criterion) {
    for (count, label) in [(10_000u64, "10k"), (1_000_000, "1m")] {
        let der = synthetic_crl(workspace_root(), count);
        let pem = crlkit_der::pem::encode(&der);
        let mut g = c.benchmark_group(format!("crl_{label}"));
        g.throughput(Throughput::Bytes(der.len() as u64));
        if count > 100_000 {
            g.sample_size(10);
        }
        g.bench_function(BenchmarkId::new("parse", label), |b| b.iter(|| CrlRef::from_der(&der).unwrap()));
        g.bench_function(BenchmarkId::new("iterate", label), |b| b.iter(|| crlkit_iterate(&der)));
        g.bench_function(BenchmarkId::new("iterate_webpki", label), |b| b.iter(|| webpki_iterate(&der)));
        g.bench_function(BenchmarkId::new("validate", label), |b| {
            b.iter(|| CrlRef::from_der(&der).unwrap().validate().unwrap())
        });
        let crl = CrlRef::from_der(&der).unwrap();
        let (_, chunks) = crl.validate_chunked(1 << 18).unwrap();
        g.bench_function(BenchmarkId::new("format_entries", label), |b| b.iter(|| format_entries(&chunks)));
        g.bench_function(BenchmarkId::new("pem_encode", label), |b| b.iter(|| crlkit_der::pem::encode(&der)));
        g.throughput(Throughput::Bytes(pem.len() as u64));
        g.bench_function(BenchmarkId::new("pem_decode", label), |b| {
            b.iter(|| crlkit_der::pem::decode_all(&pem).unwrap())
        });
        g.finish();
    }
}

criterion_group!(crl, benches);
criterion_main!(crl);
