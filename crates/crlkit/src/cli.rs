//! Command-line definitions (clap) and their validation into a [`Config`], before any I/O.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::bench::Bench;
use crate::check::Check;
use crate::convert::Convert;
use crate::diff::Diff;
use crate::generate::Gen;
use crate::input::{Format, Source};
use crate::inspect::Inspect;
use crate::list::{List, ListFormat};
use crate::output::Dest;
use crate::preflight::Preflight;
use crate::scan_logs::ScanLogs;
use crate::serial::SerialCmd;
use crate::sign::{NextUpdate, Sign};
use crate::verify::Verify;

const ABOUT: &str = "Prepare certificate revocation lists (CRLs) for mutual-TLS trust stores, AWS ALB first.";

const AFTER_HELP: &str = "\
Exit codes: 0 success, 1 negative result (checks), 2 error (bad input, I/O, usage).
Inputs are DER or PEM, detected from content; `-` reads stdin in constant memory.

Examples:
  crlkit convert pca.crl -o pca.pem          DER from AWS Private CA to PEM for ALB
  crlkit inspect pca.crl                     issuer, dates, CRL number, entry count
  crlkit list pca.crl --format csv           every revoked serial
  crlkit verify pca.crl --ca ca.pem          signature, issuer, cRLSign, freshness
  crlkit preflight pca.crl --ca ca.pem       ready for an ELB trust store?
  crlkit serial client.pem                   the serial to revoke
  crlkit check --crl pca.crl --cert client.pem   is it revoked yet?
  crlkit diff old.crl new.crl                what a new CRL adds and removes
  crlkit scan-logs --crl pca.crl logs/       do revoked clients still connect?";

#[derive(Parser, Debug)]
#[command(name = "crlkit", version, about = ABOUT, after_help = AFTER_HELP, propagate_version = true)]
pub(crate) struct Cli {
    /// Worker threads for large inputs (default: one per CPU). Output never depends on it.
    #[arg(long, global = true, value_name = "N")]
    threads: Option<usize>,
    /// Color: auto (only to a terminal, and not when NO_COLOR is set), always, never.
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t = ColorArg::Auto)]
    color: ColorArg,
    /// Print errors only: no warnings, notes or progress.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
    /// Also print what was done, how long it took and on how many threads.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Convert a CRL between DER and PEM (PEM by default, as ALB requires), validating it.
    #[command(after_help = CONVERT_EXAMPLES)]
    Convert(ConvertArgs),
    /// Show what a CRL says: issuer, version, dates, CRL number, AKI, IDP, delta, entries, size.
    #[command(after_help = INSPECT_EXAMPLES)]
    Inspect(InspectArgs),
    /// List revoked entries: serial (uppercase hex), revocation time (RFC 3339), reason.
    #[command(after_help = LIST_EXAMPLES)]
    List(ListArgs),
    /// Check a CRL against a CA bundle: issuer, cRLSign, signature, critical extensions, freshness.
    #[command(after_help = VERIFY_EXAMPLES)]
    Verify(VerifyArgs),
    /// Is the CRL ready for an ELB trust store? Quotas, serials, extensions, freshness, signature.
    #[command(after_help = PREFLIGHT_EXAMPLES)]
    Preflight(PreflightArgs),
    /// Serial numbers of certificates (PEM, DER, bundles, directories, stdin) in any format.
    #[command(after_help = SERIAL_EXAMPLES)]
    Serial(SerialArgs),
    /// Are these serials or certificates revoked by the CRL? With revocation time and reason.
    #[command(after_help = CHECK_EXAMPLES)]
    Check(CheckArgs),
    /// Serials added and removed between two CRLs, changed entries, CRL number and issuer.
    #[command(after_help = DIFF_EXAMPLES)]
    Diff(DiffArgs),
    /// Connections in ALB connection logs whose client certificate the CRL revokes.
    #[command(name = "scan-logs", after_help = SCAN_LOGS_EXAMPLES)]
    ScanLogs(ScanLogsArgs),
    /// Make a synthetic signed CRL of any size (a throwaway CA, or yours), for tests and benchmarks.
    #[command(after_help = GEN_EXAMPLES)]
    Gen(GenArgs),
    /// Issue a CRL for an offline CA: revocations from a CSV, entries of the previous CRL kept.
    #[command(after_help = SIGN_EXAMPLES)]
    Sign(SignArgs),
    /// Measure this machine: parse, iterate, PEM, verify and bulk-check throughput, optionally next to OpenSSL.
    #[command(after_help = BENCH_EXAMPLES)]
    Bench(BenchArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell).
    #[command(after_help = COMPLETIONS_EXAMPLES)]
    Completions(CompletionsArgs),
    /// Print the man page (roff), or write one per command into a directory.
    #[command(after_help = MAN_EXAMPLES)]
    Man(ManArgs),
}

const GEN_EXAMPLES: &str = "\
Entries have random 16-20 octet serials and revocation dates in the year before thisUpdate;
with --reasons, about half carry a reasonCode and a tenth an invalidityDate. The same --seed
and --this-update give the same bytes (the seed is printed when not given). The throwaway CA's
key is derived from the seed: use it for tests only. Entries stream to the file: memory does
not grow with --entries. Exit codes: 0 written, 2 error (nothing is left behind).

Examples:
  crlkit gen --entries 500000 --out big.crl --ca-out ca.pem --reasons
  crlkit verify big.crl --ca ca.pem
  crlkit gen --entries 5000000 --key rsa-2048 --seed 7 --out 5m.crl --to pem
  crlkit gen --entries 1000 --ca-cert ca.pem --ca-key ca.key --next-update 30d --out test.crl";

/// A duration: `7d`, `12h`, `30m`, `45s` or `2w`.
fn parse_duration(s: &str) -> Result<i64, String> {
    let (number, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: i64 = number.parse().map_err(|_| format!("expected a number and a unit (7d, 12h, 30m, 45s), not {s:?}"))?;
    let unit = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err(format!("unknown unit in {s:?}: use s, m, h, d or w")),
    };
    n.checked_mul(unit).ok_or_else(|| format!("{s:?} is too long"))
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum KeyArg {
    #[value(name = "ec-p256")]
    EcP256,
    #[value(name = "ec-p384")]
    EcP384,
    #[value(name = "rsa-2048")]
    Rsa2048,
    #[value(name = "rsa-4096")]
    Rsa4096,
    Ed25519,
}

#[derive(Args, Debug)]
struct GenArgs {
    /// Number of revoked entries.
    #[arg(long, value_name = "N")]
    entries: u64,
    /// Output file (written under a temporary name, renamed when complete).
    #[arg(long, value_name = "CRL")]
    out: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutFormat::Der)]
    to: OutFormat,
    /// Key type of the throwaway CA.
    #[arg(long, value_enum, default_value_t = KeyArg::EcP256, conflicts_with = "ca_cert")]
    key: KeyArg,
    /// Save the throwaway CA's certificate (PEM), to verify the CRL with.
    #[arg(long, value_name = "CA.pem", conflicts_with = "ca_cert")]
    ca_out: Option<PathBuf>,
    /// Sign with this CA certificate (PEM or DER) instead of a throwaway CA.
    #[arg(long, value_name = "CA.pem", requires = "ca_key")]
    ca_cert: Option<PathBuf>,
    /// The CA's private key: unencrypted PKCS#8 PEM.
    #[arg(long, value_name = "KEY.pem", requires = "ca_cert")]
    ca_key: Option<PathBuf>,
    /// Give entries reason codes and invalidity dates.
    #[arg(long)]
    reasons: bool,
    /// Seed for entries (and the throwaway key); random when not given.
    #[arg(long, value_name = "S")]
    seed: Option<u64>,
    /// thisUpdate (default: now): RFC 3339, a date, or @UNIX-SECONDS.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    this_update: Option<i64>,
    /// nextUpdate, after thisUpdate.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "7d")]
    next_update: i64,
    /// cRLNumber.
    #[arg(long, value_name = "N", default_value_t = 1)]
    crl_number: u64,
}

const SIGN_EXAMPLES: &str = "\
LIST is CSV: serial,revocation_time,reason[,invalidity_time], one revocation per line; a header
line `serial,...`, blank lines and lines starting with # are skipped. Serials in any form (hex,
colon hex, 0x..., OpenSSL's; digits-only is hex unless --decimal). Times: RFC 3339, a date or
@UNIX-SECONDS. Reasons: RFC 5280 names (keyCompromise), AWS names (KEY_COMPROMISE) or codes (1);
empty or unspecified writes no reasonCode, as RFC 5280 asks.

With --previous, every entry of the previous CRL is kept (unless --drop-revoked-before), and the
CRL number is the previous one plus one. Refused, with nothing written: a key that is not the
certificate's, a certificate without cRLSign, a previous CRL not signed by this CA, a serial
listed twice with different data, a nextUpdate not after thisUpdate, any unreadable line.
An encrypted key (ENCRYPTED PRIVATE KEY, PBES2) asks for its passphrase on the terminal, or
reads it from --passphrase-env VAR or --passphrase-fd N; never from the command line.
Exit codes: 0 written, 2 refused or error.

Examples:
  crlkit sign --ca-cert ca.pem --ca-key ca.key --revoked revoked.csv --out ca.crl
  crlkit sign --ca-cert ca.pem --ca-key ca.key --revoked today.csv --previous ca.crl --out ca.new.crl
  crlkit sign --ca-cert ca.pem --ca-key enc.key --passphrase-env CA_PASS --revoked r.csv --to pem
  echo '0e:53:2a,2026-11-28T10:00:00Z,keyCompromise' | crlkit sign --ca-cert ca.pem --ca-key ca.key --revoked - --out x.crl";

/// `--next-update`: a duration after thisUpdate (`7d`) or a time (`2026-12-01T00:00:00Z`).
fn parse_next_update(s: &str) -> Result<NextUpdate, String> {
    match parse_duration(s) {
        Ok(d) => Ok(NextUpdate::After(d)),
        Err(_) => {
            parse_time(s).map(NextUpdate::At).map_err(|_| format!("expected a duration (7d, 12h) or a time, not {s:?}"))
        }
    }
}

#[derive(Args, Debug)]
struct SignArgs {
    /// The CA certificate (PEM or DER).
    #[arg(long, value_name = "CA.pem")]
    ca_cert: PathBuf,
    /// The CA's private key: PKCS#8 PEM, plain or encrypted.
    #[arg(long, value_name = "KEY.pem")]
    ca_key: PathBuf,
    /// Revocations: CSV serial,revocation_time,reason[,invalidity_time]; `-` for stdin.
    #[arg(long, value_name = "LIST")]
    revoked: String,
    /// The CA's previous CRL: its entries are kept and its number incremented.
    #[arg(long, value_name = "OLD.crl")]
    previous: Option<String>,
    /// Leave out previous entries revoked before this time (certificates long expired).
    #[arg(long, value_name = "TIME", value_parser = parse_time, requires = "previous")]
    drop_revoked_before: Option<i64>,
    /// thisUpdate (default: now).
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    this_update: Option<i64>,
    /// nextUpdate: a duration after thisUpdate (7d, 12h) or a time.
    #[arg(long, value_name = "WHEN", value_parser = parse_next_update, default_value = "7d")]
    next_update: NextUpdate,
    /// cRLNumber (default: the previous one plus one, or 1).
    #[arg(long, value_name = "N")]
    crl_number: Option<u64>,
    /// Output file (default: stdout).
    #[arg(long, value_name = "CRL")]
    out: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutFormat::Der)]
    to: OutFormat,
    /// Read the key's passphrase from this file descriptor (first line).
    #[arg(long, value_name = "N", conflicts_with = "passphrase_env")]
    passphrase_fd: Option<u32>,
    /// Read the key's passphrase from this environment variable.
    #[arg(long, value_name = "VAR")]
    passphrase_env: Option<String>,
    /// Read digits-only serials as decimal instead of hex.
    #[arg(long)]
    decimal: bool,
}

const BENCH_EXAMPLES: &str = "\
Each stage runs in this process, on all threads unless --threads says otherwise, and reports
its median time, MB/s and entries/s: parse+validate, iterate (one thread), der-to-pem,
pem-to-der, verify (needs the CA: given with --ca, or the generated CRL's own), and check-1m (a
million serials, half of them revoked, against every entry). --compare-openssl times the
OpenSSL command line doing the same work on the same bytes (whole processes, so start-up and
file reading count against OpenSSL, and so the ratios matter more for big CRLs).
Exit codes: 0 measured, 2 error.

Examples:
  crlkit bench                                  a generated CRL of 1,000,000 entries
  crlkit bench --entries 5000000 --compare-openssl
  crlkit bench pca.crl --ca ca.pem --json
  crlkit --threads 1 bench --entries 100000";

#[derive(Args, Debug)]
struct BenchArgs {
    /// A CRL file (DER or PEM) to measure on; without it, a generated one.
    #[arg(conflicts_with = "entries")]
    input: Option<String>,
    /// Entries of the generated CRL.
    #[arg(long, value_name = "N")]
    entries: Option<u64>,
    /// CA bundle for the verify stage of a CRL from a file.
    #[arg(long, value_name = "BUNDLE", requires = "input")]
    ca: Option<PathBuf>,
    /// Runs per stage (the median is reported).
    #[arg(long, value_name = "N", default_value_t = 3)]
    runs: usize,
    /// Also time the OpenSSL command line on the same CRL and print the ratios.
    #[arg(long)]
    compare_openssl: bool,
    /// Machine-readable output (documented in docs/JSON.md).
    #[arg(long)]
    json: bool,
}

const COMPLETIONS_EXAMPLES: &str = "\
Examples:
  crlkit completions bash > ~/.local/share/bash-completion/completions/crlkit
  crlkit completions zsh > \"${fpath[1]}/_crlkit\"
  crlkit completions fish > ~/.config/fish/completions/crlkit.fish
  crlkit completions powershell >> $PROFILE";

const MAN_EXAMPLES: &str = "\
Examples:
  crlkit man | man -l -
  crlkit man --dir /usr/local/share/man/man1       crlkit.1 and crlkit-<command>.1";

#[derive(Args, Debug)]
struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

#[derive(Args, Debug)]
struct ManArgs {
    /// Write crlkit.1 and one page per command into this directory instead of printing.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum ColorArg {
    Auto,
    Always,
    Never,
}

const SERIAL_EXAMPLES: &str = "\
One line per certificate: SERIAL  FILE#N  SUBJECT. Directories are searched recursively for
.pem, .crt, .cer and .der files. A certificate that cannot be read is reported on stderr with
its file and block; the others are still printed, and the exit code is 2.

Formats: hex (default; `openssl x509 -serial`, ALB logs, the X-Amzn-Mtls-Clientcert-Serial-Number
header), colon (lowercase colon bytes, as `openssl x509 -text` and AWS's RevokeCertificate docs),
dec (decimal), openssl (exactly what `openssl x509 -noout -text` prints for the serial).

Examples:
  crlkit serial client.pem
  crlkit serial --format colon client.pem          for aws acm-pca revoke-certificate
  crlkit serial certs/ --json | jq -r '.certificates[].serial'
  cat bundle.pem | crlkit serial -";

const CHECK_EXAMPLES: &str = "\
Serials may be given in any form: hex (any case, odd length, leading zeros dropped as ALB does,
0x prefix), colon hex, OpenSSL's `-serial` and `-text` forms. Digits-only serials are read as
hex unless --decimal is given. A serials file has one serial per line; blank lines and lines
starting with # are skipped. A certificate whose issuer or AKI is not the CRL's is warned about:
that CRL cannot revoke it. Exit codes: 0 none revoked, 1 some revoked, 2 error (the readable
serials are still checked and printed).

Examples:
  crlkit check --crl pca.crl --cert client.pem
  crlkit check --crl pca.crl --serial FEF257372D5C14D4 --serial 0e:53:2a
  crlkit check --crl pca.crl --serials-file suspects.txt --only-revoked
  crlkit check --crl pca.crl --cert certs/ --json";

const DIFF_EXAMPLES: &str = "\
Lines: `- SERIAL` removed, `+ SERIAL` added, `~ SERIAL` same serial with another date, reason or
extension; then a summary with the CRL numbers and issuers. NEW should have the same issuer and
a greater CRL number (warned about otherwise). Exit codes: 0 same entries, 1 they differ, 2 error.

Examples:
  crlkit diff yesterday.crl today.crl
  crlkit diff old.pem new.pem --json | jq '.added_count'";

const SCAN_LOGS_EXAMPLES: &str = "\
Reads ALB connection logs (.log and .log.gz; directories are searched recursively) by field
position, ignoring fields AWS adds at the end. `Failed:ClientCertCrlHit` lines are revocations
ELB enforced; `Success` lines whose serial the CRL revoked before the connection mean the CRL is
not (yet) in force. Bad lines are counted and shown with file and line, never fatal.
Exit codes: 0 no connection succeeded after its certificate's revocation, 1 some did, 2 error
(unreadable CRL or log file; the other files are still scanned).

Examples:
  crlkit scan-logs --crl pca.crl ./connlogs/
  aws s3 cp --recursive s3://my-logs/AWSLogs/ logs/ && crlkit scan-logs --crl pca.crl logs/
  crlkit scan-logs --crl pca.crl conn.log.gz --json | jq '.success_after_revocation'";

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum SerialFormatArg {
    Hex,
    Colon,
    Dec,
    Openssl,
}

#[derive(Args, Debug)]
struct SerialArgs {
    /// Certificate files (PEM, DER, bundles) or directories; `-` reads stdin.
    #[arg(required = true, value_name = "CERT")]
    inputs: Vec<String>,
    /// How to print serials.
    #[arg(long, value_enum, default_value_t = SerialFormatArg::Hex)]
    format: SerialFormatArg,
    /// Machine-readable output (documented in docs/JSON.md).
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
#[command(group(clap::ArgGroup::new("queries").required(true).multiple(true).args(["serial", "cert", "serials_file"])))]
struct CheckArgs {
    /// The CRL (DER or PEM), or `-` for stdin.
    #[arg(long, value_name = "CRL")]
    crl: String,
    /// A serial number, in any form (repeatable). Negative ones too: `--serial -0124`.
    #[arg(long, value_name = "S", allow_hyphen_values = true)]
    serial: Vec<String>,
    /// A certificate file (PEM, DER, bundle) or directory (repeatable).
    #[arg(long, value_name = "C")]
    cert: Vec<PathBuf>,
    /// A file with one serial per line, any form; `-` for stdin (repeatable).
    #[arg(long, value_name = "F")]
    serials_file: Vec<String>,
    /// Read digits-only serials as decimal instead of hex.
    #[arg(long)]
    decimal: bool,
    /// Print only the revoked ones (the summary still counts all).
    #[arg(long)]
    only_revoked: bool,
    /// Machine-readable output (documented in docs/JSON.md).
    #[arg(long)]
    json: bool,
    /// Accept BER length forms and harmless RFC 5280 profile deviations in the CRL.
    #[arg(long)]
    lenient: bool,
}

#[derive(Args, Debug)]
struct DiffArgs {
    /// The older CRL (DER or PEM), or `-` for stdin.
    old: String,
    /// The newer CRL (DER or PEM), or `-` for stdin.
    new: String,
    /// Machine-readable output (documented in docs/JSON.md).
    #[arg(long)]
    json: bool,
    /// Accept BER length forms and harmless RFC 5280 profile deviations.
    #[arg(long)]
    lenient: bool,
}

#[derive(Args, Debug)]
struct ScanLogsArgs {
    /// The CRL (DER or PEM).
    #[arg(long, value_name = "CRL")]
    crl: String,
    /// ALB connection log files (.log, .log.gz) or directories; `-` reads stdin.
    #[arg(required = true, value_name = "LOG")]
    logs: Vec<String>,
    /// How many bad lines and alarming connections to show.
    #[arg(long, value_name = "N", default_value_t = 20)]
    examples: usize,
    /// Machine-readable output (documented in docs/JSON.md).
    #[arg(long)]
    json: bool,
    /// Accept BER length forms and harmless RFC 5280 profile deviations in the CRL.
    #[arg(long)]
    lenient: bool,
}

const VERIFY_EXAMPLES: &str = "\
One line per check (pass, fail, warn, skip). Exit codes: 0 valid, 1 invalid, 2 error (unreadable
CRL or bundle). When several certificates share the issuer's name (key rollover), each is tried.

Examples:
  crlkit verify pca.crl --ca ca-bundle.pem
  crlkit verify pca.crl --ca ca.der --at 2026-12-01T00:00:00Z
  crlkit verify pca.crl --ca ca-bundle.pem --json | jq '.crls[0].checks'";

const PREFLIGHT_EXAMPLES: &str = "\
Findings are blocking (do not upload), warning (read first; includes everything AWS does not
document, such as expired or delta CRLs) or info. Exit codes: 0 ready, 1 blocking findings,
2 error.

Examples:
  crlkit preflight pca.crl
  crlkit preflight pca.crl --ca trust-store-bundle.pem
  crlkit preflight big.crl --max-entries 2000000     after AWS raised your quota";

/// `--at`: RFC 3339 (`2026-12-01T00:00:00Z`), a date (`2026-12-01`), or `@UNIX-SECONDS`.
pub(crate) fn parse_time(s: &str) -> Result<i64, String> {
    if let Some(secs) = s.strip_prefix('@') {
        return secs.parse().map_err(|_| format!("not a number of seconds: {secs}"));
    }
    crlkit_der::Time::from_rfc3339(s)
        .map(|t| t.unix())
        .ok_or_else(|| "expected YYYY-MM-DDTHH:MM:SSZ, YYYY-MM-DD or @UNIX-SECONDS".to_owned())
}

#[derive(Args, Debug)]
struct VerifyArgs {
    /// Input CRL file (DER or PEM), or `-` for stdin.
    input: String,
    /// CA bundle: PEM (one or more certificates, text around them allowed) or DER.
    #[arg(long, value_name = "BUNDLE")]
    ca: PathBuf,
    /// Judge freshness at this time instead of now.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    at: Option<i64>,
    /// Machine-readable output (documented in docs/JSON.md).
    #[arg(long)]
    json: bool,
    /// Accept BER length forms and harmless RFC 5280 profile deviations.
    #[arg(long)]
    lenient: bool,
}

#[derive(Args, Debug)]
struct PreflightArgs {
    /// Input CRL file (DER or PEM), or `-` for stdin.
    input: String,
    /// Also verify against this CA bundle and check the bundle against ELB's rules.
    #[arg(long, value_name = "BUNDLE")]
    ca: Option<PathBuf>,
    /// Judge freshness at this time instead of now.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    at: Option<i64>,
    /// The trust store's revoked-entry quota, if AWS raised it from 500,000.
    #[arg(long, value_name = "N")]
    max_entries: Option<u64>,
    /// Machine-readable output (documented in docs/JSON.md).
    #[arg(long)]
    json: bool,
    /// Accept BER length forms and harmless RFC 5280 profile deviations.
    #[arg(long)]
    lenient: bool,
}

const CONVERT_EXAMPLES: &str = "\
The output is byte-identical to `openssl crl -inform DER -outform PEM` for valid input. A file
output is written to a temporary name and renamed when complete: a failed conversion leaves
nothing behind. Exit codes: 0 converted, 2 bad input or I/O error.

Examples:
  crlkit convert ca.crl -o ca.pem                  DER to PEM
  crlkit convert ca.pem --to der -o ca.crl         PEM to DER
  aws s3 cp s3://bucket/crl/ID.crl - | crlkit convert - -o ID.pem
  crlkit convert --lenient ber.crl -o fixed.pem    re-encode BER length forms to DER first";

const INSPECT_EXAMPLES: &str = "\
Every entry is validated; the command fails (exit 2) on any malformed byte.

Examples:
  crlkit inspect ca.crl
  crlkit inspect ca.pem --json | jq '.crls[0].entries'";

const LIST_EXAMPLES: &str = "\
Serials are printed as OpenSSL's `-serial` and ALB's logs print them: uppercase hex, no colons,
DER sign byte dropped (a negative serial gets a leading '-').

Examples:
  crlkit list ca.crl
  crlkit list ca.crl --format csv > revoked.csv
  crlkit list ca.crl --format json | jq -r '.[].serial'";

#[derive(Args, Debug)]
struct ConvertArgs {
    /// Input CRL file (DER or PEM), or `-` for stdin.
    input: String,
    /// Output file (default: stdout).
    #[arg(short, long, value_name = "OUT")]
    output: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutFormat::Pem)]
    to: OutFormat,
    /// Accept BER length forms (re-encoded to DER) and harmless RFC 5280 profile deviations.
    #[arg(long)]
    lenient: bool,
    /// fsync the output file before renaming it into place.
    #[arg(long)]
    sync: bool,
}

#[derive(Args, Debug)]
struct InspectArgs {
    /// Input CRL file (DER or PEM), or `-` for stdin.
    input: String,
    /// Machine-readable output (documented in docs/JSON.md).
    #[arg(long)]
    json: bool,
    /// Accept BER length forms and harmless RFC 5280 profile deviations.
    #[arg(long)]
    lenient: bool,
}

#[derive(Args, Debug)]
struct ListArgs {
    /// Input CRL file (DER or PEM), or `-` for stdin.
    input: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormatArg::Text)]
    format: ListFormatArg,
    /// Accept BER length forms and harmless RFC 5280 profile deviations.
    #[arg(long)]
    lenient: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum OutFormat {
    Pem,
    Der,
}

impl From<OutFormat> for Format {
    fn from(f: OutFormat) -> Self {
        match f {
            OutFormat::Pem => Format::Pem,
            OutFormat::Der => Format::Der,
        }
    }
}

/// `--decimal`: how digits-only serials are read.
fn bare_digits(decimal: bool) -> crlkit_serial::BareDigits {
    if decimal { crlkit_serial::BareDigits::Dec } else { crlkit_serial::BareDigits::Hex }
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum ListFormatArg {
    Text,
    Json,
    Csv,
}

/// A validated command.
pub enum Command {
    Convert(Convert),
    Inspect(Inspect),
    List(List),
    Verify(Verify),
    Preflight(Preflight),
    Serial(SerialCmd),
    Check(Check),
    Diff(Diff),
    ScanLogs(ScanLogs),
    Gen(Gen),
    Sign(Sign),
    Bench(Bench),
    Completions(clap_complete::Shell),
    Man(Option<PathBuf>),
}

/// Everything `main` needs, validated.
pub struct Config {
    pub threads: Option<usize>,
    pub color: crate::term::ColorChoice,
    /// -1 quiet, 0 normal, 1+ verbose.
    pub verbosity: i8,
    pub command: Command,
}

/// The clap definition, for completions and man pages.
pub fn definition() -> clap::Command {
    use clap::CommandFactory;
    Cli::command()
}

/// Parse and validate the command line.
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Config, clap::Error> {
    let cli = Cli::try_parse_from(args)?;
    if cli.threads == Some(0) {
        return Err(clap::Error::raw(clap::error::ErrorKind::InvalidValue, "--threads must be at least 1\n"));
    }
    let command = match cli.command {
        Cmd::Convert(a) => {
            let source = Source::parse(&a.input);
            let dest = Dest::parse(a.output.as_deref());
            if let (Source::File(i), Dest::File(o)) = (&source, &dest)
                && i == o
            {
                return Err(clap::Error::raw(
                    clap::error::ErrorKind::ArgumentConflict,
                    "the output would replace the input while it is read; choose another -o\n",
                ));
            }
            Command::Convert(Convert { source, dest, to: a.to.into(), lenient: a.lenient, sync: a.sync })
        }
        Cmd::Inspect(a) => {
            Command::Inspect(Inspect { source: Source::parse(&a.input), json: a.json, lenient: a.lenient })
        }
        Cmd::List(a) => Command::List(List {
            source: Source::parse(&a.input),
            format: match a.format {
                ListFormatArg::Text => ListFormat::Text,
                ListFormatArg::Json => ListFormat::Json,
                ListFormatArg::Csv => ListFormat::Csv,
            },
            lenient: a.lenient,
        }),
        Cmd::Verify(a) => Command::Verify(Verify {
            source: Source::parse(&a.input),
            ca: a.ca,
            at: a.at,
            json: a.json,
            lenient: a.lenient,
        }),
        Cmd::Preflight(a) => Command::Preflight(Preflight {
            source: Source::parse(&a.input),
            ca: a.ca,
            at: a.at,
            max_entries: a.max_entries,
            json: a.json,
            lenient: a.lenient,
        }),
        Cmd::Serial(a) => Command::Serial(SerialCmd {
            inputs: a.inputs,
            format: match a.format {
                SerialFormatArg::Hex => crlkit_serial::SerialFormat::Hex,
                SerialFormatArg::Colon => crlkit_serial::SerialFormat::Colon,
                SerialFormatArg::Dec => crlkit_serial::SerialFormat::Dec,
                SerialFormatArg::Openssl => crlkit_serial::SerialFormat::Openssl,
            },
            json: a.json,
        }),
        Cmd::Check(a) => {
            let stdin_uses = usize::from(a.crl == "-") + a.serials_file.iter().filter(|f| *f == "-").count();
            if stdin_uses > 1 {
                return Err(clap::Error::raw(
                    clap::error::ErrorKind::ArgumentConflict,
                    "stdin (`-`) can feed only one of --crl and --serials-file\n",
                ));
            }
            Command::Check(Check {
                crl: Source::parse(&a.crl),
                serials: a.serial,
                certs: a.cert,
                serial_files: a.serials_file.iter().map(|f| Source::parse(f)).collect(),
                bare: bare_digits(a.decimal),
                only_revoked: a.only_revoked,
                json: a.json,
                lenient: a.lenient,
            })
        }
        Cmd::Diff(a) => {
            if a.old == "-" && a.new == "-" {
                return Err(clap::Error::raw(
                    clap::error::ErrorKind::ArgumentConflict,
                    "only one of OLD and NEW can be stdin (`-`)\n",
                ));
            }
            Command::Diff(Diff {
                old: Source::parse(&a.old),
                new: Source::parse(&a.new),
                json: a.json,
                lenient: a.lenient,
            })
        }
        Cmd::ScanLogs(a) => {
            if a.crl == "-" && a.logs.iter().any(|l| l == "-") {
                return Err(clap::Error::raw(
                    clap::error::ErrorKind::ArgumentConflict,
                    "stdin (`-`) can feed only one of --crl and the logs\n",
                ));
            }
            Command::ScanLogs(ScanLogs {
                crl: Source::parse(&a.crl),
                logs: a.logs,
                examples: a.examples,
                json: a.json,
                lenient: a.lenient,
            })
        }
        Cmd::Gen(a) => {
            if a.next_update <= 0 {
                return Err(clap::Error::raw(
                    clap::error::ErrorKind::InvalidValue,
                    "--next-update must be after thisUpdate\n",
                ));
            }
            Command::Gen(Gen {
                entries: a.entries,
                out: a.out,
                to: a.to.into(),
                key: match a.key {
                    KeyArg::EcP256 => crlkit_sign::KeyKind::EcP256,
                    KeyArg::EcP384 => crlkit_sign::KeyKind::EcP384,
                    KeyArg::Rsa2048 => crlkit_sign::KeyKind::Rsa2048,
                    KeyArg::Rsa4096 => crlkit_sign::KeyKind::Rsa4096,
                    KeyArg::Ed25519 => crlkit_sign::KeyKind::Ed25519,
                },
                ca_out: a.ca_out,
                ca_cert: a.ca_cert,
                ca_key: a.ca_key,
                reasons: a.reasons,
                seed: a.seed,
                this_update: a.this_update,
                next_update: a.next_update,
                crl_number: a.crl_number,
            })
        }
        Cmd::Sign(a) => {
            let stdin_uses = usize::from(a.revoked == "-") + usize::from(a.previous.as_deref() == Some("-"));
            if stdin_uses > 1 {
                return Err(clap::Error::raw(
                    clap::error::ErrorKind::ArgumentConflict,
                    "stdin (`-`) can feed only one of --revoked and --previous\n",
                ));
            }
            let to = Format::from(a.to);
            let out = Dest::parse(a.out.as_deref());
            if out.is_terminal() && to == Format::Der {
                return Err(clap::Error::raw(
                    clap::error::ErrorKind::ArgumentConflict,
                    "refusing to write DER to a terminal; use --out FILE or --to pem\n",
                ));
            }
            Command::Sign(Sign {
                ca_cert: a.ca_cert,
                ca_key: a.ca_key,
                revoked: Source::parse(&a.revoked),
                previous: a.previous.as_deref().map(Source::parse),
                drop_revoked_before: a.drop_revoked_before,
                this_update: a.this_update,
                next_update: a.next_update,
                crl_number: a.crl_number,
                out,
                to,
                passphrase_fd: a.passphrase_fd,
                passphrase_env: a.passphrase_env,
                bare: bare_digits(a.decimal),
            })
        }
        Cmd::Bench(a) => Command::Bench(Bench {
            input: a.input.as_deref().map(Source::parse),
            entries: a.entries.unwrap_or(1_000_000),
            ca: a.ca,
            runs: a.runs,
            json: a.json,
            compare_openssl: a.compare_openssl,
        }),
        Cmd::Completions(a) => Command::Completions(a.shell),
        Cmd::Man(a) => Command::Man(a.dir),
    };
    let color = match cli.color {
        ColorArg::Auto => crate::term::ColorChoice::Auto,
        ColorArg::Always => crate::term::ColorChoice::Always,
        ColorArg::Never => crate::term::ColorChoice::Never,
    };
    let verbosity = if cli.quiet { -1 } else { i8::try_from(cli.verbose).unwrap_or(i8::MAX) };
    Ok(Config { threads: cli.threads, color, verbosity, command })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn parse_args(args: &[&str]) -> Result<Config, clap::Error> {
        parse(std::iter::once("crlkit").chain(args.iter().copied()).map(OsString::from))
    }

    #[test]
    fn clap_definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn convert_flags() {
        let Command::Convert(c) =
            parse_args(&["convert", "a.crl", "-o", "b.pem", "--to", "der", "--lenient", "--sync"]).unwrap().command
        else {
            panic!("convert")
        };
        assert!(matches!(c.source, Source::File(_)));
        assert!(matches!(c.dest, Dest::File(_)));
        assert_eq!(c.to, Format::Der);
        assert!(c.lenient && c.sync);
        let Command::Convert(c) = parse_args(&["convert", "-"]).unwrap().command else { panic!("convert") };
        assert!(matches!((c.source, c.dest, c.to), (Source::Stdin, Dest::Stdout, Format::Pem)));
    }

    #[test]
    fn convert_refuses_output_equal_to_input() {
        let e = parse_args(&["convert", "a.crl", "-o", "a.crl"]).err().unwrap();
        assert_eq!(e.kind(), clap::error::ErrorKind::ArgumentConflict);
    }

    #[test]
    fn inspect_and_list_flags() {
        let Command::Inspect(i) = parse_args(&["inspect", "x", "--json"]).unwrap().command else { panic!() };
        assert!(i.json && !i.lenient);
        let Command::List(l) = parse_args(&["list", "x", "--format", "csv"]).unwrap().command else { panic!() };
        assert_eq!(l.format, ListFormat::Csv);
        assert!(parse_args(&["list", "x", "--format", "xml"]).is_err());
    }

    #[test]
    fn verify_and_preflight_flags() {
        let Command::Verify(v) =
            parse_args(&["verify", "c.crl", "--ca", "b.pem", "--at", "2017-03-09", "--json"]).unwrap().command
        else {
            panic!()
        };
        assert_eq!((v.at, v.json, v.ca.to_str()), (Some(1_489_017_600), true, Some("b.pem")));
        assert!(parse_args(&["verify", "c.crl"]).is_err(), "--ca is required");
        assert!(parse_args(&["verify", "c.crl", "--ca", "b", "--at", "soon"]).is_err());
        let Command::Verify(v) = parse_args(&["verify", "c", "--ca", "b", "--at", "@100"]).unwrap().command else {
            panic!()
        };
        assert_eq!(v.at, Some(100));
        let Command::Preflight(p) = parse_args(&["preflight", "c.crl", "--max-entries", "7"]).unwrap().command else {
            panic!()
        };
        assert_eq!((p.max_entries, p.ca.is_none()), (Some(7), true));
    }

    #[test]
    fn serial_check_diff_scan_logs_flags() {
        let Command::Serial(s) = parse_args(&["serial", "a.pem", "dir", "--format", "openssl"]).unwrap().command else {
            panic!()
        };
        assert_eq!((s.inputs.len(), s.format), (2, crlkit_serial::SerialFormat::Openssl));
        assert!(parse_args(&["serial"]).is_err(), "a certificate is required");
        let Command::Check(c) =
            parse_args(&["check", "--crl", "c", "--serial", "-0124", "--serials-file", "-", "--decimal"])
                .unwrap()
                .command
        else {
            panic!()
        };
        assert_eq!((c.serials, c.bare), (vec!["-0124".to_owned()], crlkit_serial::BareDigits::Dec));
        assert!(matches!(c.serial_files[..], [Source::Stdin]));
        assert!(parse_args(&["check", "--crl", "c"]).is_err(), "something to check is required");
        assert!(parse_args(&["check", "--crl", "-", "--serials-file", "-"]).is_err(), "stdin twice");
        assert!(parse_args(&["diff", "-", "-"]).is_err(), "stdin twice");
        assert!(parse_args(&["diff", "a"]).is_err());
        let Command::ScanLogs(l) = parse_args(&["scan-logs", "--crl", "c", "x.log", "y/"]).unwrap().command else {
            panic!()
        };
        assert_eq!((l.logs.len(), l.examples), (2, 20));
        assert!(parse_args(&["scan-logs", "--crl", "c"]).is_err(), "a log is required");
    }

    #[test]
    fn threads_must_be_positive() {
        assert!(parse_args(&["--threads", "0", "list", "x"]).is_err());
        assert_eq!(parse_args(&["--threads", "3", "list", "x"]).unwrap().threads, Some(3));
    }
}
