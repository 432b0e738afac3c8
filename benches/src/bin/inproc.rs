//! In-process throughput of crlkit-der next to rustls-webpki on the same bytes, in the same
//! run: median of `--runs` timings each, MB/s and ratios. Run by `cargo xtask bench`.
//!
//! usage: inproc [--runs N] CRL...

use std::time::Instant;

use crlkit_benches::{Sink, crlkit_iterate, crlkit_iterate_parallel, crlkit_parse_validate_iterate, webpki_iterate};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn time(runs: usize, f: impl Fn() -> Sink) -> f64 {
    let mut samples = Vec::with_capacity(runs);
    let mut keep = 0u64;
    for _ in 0..runs {
        let t = Instant::now();
        keep = keep.wrapping_add(std::hint::black_box(f()));
        samples.push(t.elapsed().as_secs_f64());
    }
    std::hint::black_box(keep);
    median(samples)
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut runs = 5;
    if let Some(i) = args.iter().position(|a| a == "--runs") {
        runs = args[i + 1].parse().expect("--runs N");
        args.drain(i..i + 2);
    }
    let threads = rayon::current_num_threads();
    println!(
        "in-process parse + validation + iteration (serial and date of every entry); median of {runs} runs; {threads} threads"
    );
    println!("{:<28} {:>12} {:>10} {:>10} {:>12}", "file / implementation", "entries", "seconds", "MB/s", "vs webpki");
    for path in &args {
        let file = std::fs::File::open(path).expect("open CRL");
        // SAFETY: read-only private map of a benchmark fixture nobody modifies meanwhile.
        #[allow(unsafe_code)]
        let map = unsafe { memmap2::Mmap::map(&file) }.expect("map CRL");
        let der: &[u8] = &map;
        let _ = crlkit_iterate(der); // warm the page cache
        let entries = crlkit_der::CrlRef::from_der(der).expect("valid").validate().expect("valid").count;
        let mb = der.len() as f64 / 1e6;
        let webpki = time(runs, || webpki_iterate(der));
        let rows = [
            ("webpki (1 thread)", webpki),
            ("crlkit iterate (1 thread)", time(runs, || crlkit_iterate(der))),
            ("crlkit iterate (parallel)", time(runs, || crlkit_iterate_parallel(der))),
            ("crlkit validate+iterate", time(runs, || crlkit_parse_validate_iterate(der))),
        ];
        // PEM decode of the same CRL as OpenSSL writes it, in MB/s of PEM text.
        let pem = crlkit_der::pem::encode(der);
        let pem_mb = pem.len() as f64 / 1e6;
        let decode = time(runs, || crlkit_benches::pem_decode(&pem));
        let decode_one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .expect("a pool of one thread")
            .install(|| time(runs, || crlkit_benches::pem_decode(&pem)));
        drop(pem);
        let name = std::path::Path::new(path).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        println!("{name} ({mb:.1} MB)");
        for (label, secs) in rows {
            println!("  {label:<26} {entries:>12} {secs:>10.4} {:>10.0} {:>11.2}x", mb / secs, webpki / secs);
        }
        for (label, secs) in [("PEM decode (1 thread)", decode_one), ("PEM decode (parallel)", decode)] {
            println!("  {label:<26} {:>12} {secs:>10.4} {:>10.0}  MB/s of PEM ({pem_mb:.1} MB)", "-", pem_mb / secs);
        }
    }
}
