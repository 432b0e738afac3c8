//! Argument groups several commands share, each defined once with one help text and
//! flattened into the commands that take it (`#[command(flatten)]`), and the value parsers for
//! times, durations and the libraries' named values.

use std::marker::PhantomData;

use clap::Args;
use clap::builder::TypedValueParser;

use crate::support::input::{Format, Source};
pub use crate::support::time::{parse_duration, parse_time};

/// `--json`.
#[derive(Args, Debug, Clone, Copy)]
pub struct JsonArg {
    /// Machine-readable output (documented in docs/JSON.md).
    #[arg(long)]
    pub json: bool,
}

/// `--lenient`.
#[derive(Args, Debug, Clone, Copy)]
pub struct LenientArg {
    /// Accept BER length forms (re-encoded to DER) and harmless RFC 5280 profile deviations.
    #[arg(long)]
    pub lenient: bool,
}

/// `--at`.
#[derive(Args, Debug, Clone, Copy)]
pub struct AtArg {
    /// Judge freshness at this time instead of now: RFC 3339 (2026-12-01T00:00:00Z), a date, or
    /// @UNIX-SECONDS.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub at: Option<i64>,
}

impl AtArg {
    /// The time given, or now.
    pub fn or_now(self) -> i64 {
        self.at.unwrap_or_else(crate::support::time::now)
    }
}

/// The one CRL a command reads, as a positional argument.
#[derive(Args, Debug, Clone)]
pub struct CrlInput {
    /// Input CRL file (DER or PEM), or `-` for stdin.
    #[arg(value_name = "CRL")]
    pub input: String,
}

impl CrlInput {
    pub fn source(&self) -> Source {
        Source::parse(&self.input)
    }
}

/// Which output format a command writes when `--to` is not given.
pub trait DefaultFormat: Clone + Send + Sync + 'static {
    /// Its name on the command line. (A name, not `Format` with `default_value_t`: clap keeps
    /// that default in a static shared by every instance of the generic.)
    const NAME: &'static str;
}

/// PEM unless asked otherwise (`convert`: what ALB wants).
#[derive(Clone, Copy, Debug)]
pub struct PemByDefault;
impl DefaultFormat for PemByDefault {
    const NAME: &'static str = "pem";
}

/// DER unless asked otherwise (`gen`, `sign`: what a CA writes).
#[derive(Clone, Copy, Debug)]
pub struct DerByDefault;
impl DefaultFormat for DerByDefault {
    const NAME: &'static str = "der";
}

/// `--to pem|der`, with the command's default.
#[derive(Args, Debug, Clone)]
pub struct ToArg<D: DefaultFormat> {
    /// Output format.
    #[arg(long, value_enum, value_name = "FORMAT", default_value = D::NAME)]
    pub to: Format,
    #[arg(skip)]
    _default: PhantomData<D>,
}

/// A value parser for a library's enum from its own names (`SerialFormat::ALL`,
/// `SerialFormat::name`): the possible values come from the library, so there is nothing to
/// keep in step by hand.
pub fn named<T: Copy + Send + Sync + 'static>(
    all: &'static [T],
    name: fn(T) -> &'static str,
) -> impl TypedValueParser<Value = T> {
    clap::builder::PossibleValuesParser::new(all.iter().map(|v| name(*v)))
        .map(move |s| *all.iter().find(|v| name(**v) == s).expect("clap accepted a possible value"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser, Debug)]
    struct Pem {
        #[command(flatten)]
        to: ToArg<PemByDefault>,
        #[arg(long, value_parser = named(&crlkit_serial::SerialFormat::ALL, crlkit_serial::SerialFormat::name))]
        format: Option<crlkit_serial::SerialFormat>,
    }

    #[derive(Parser, Debug)]
    struct Der {
        #[command(flatten)]
        to: ToArg<DerByDefault>,
    }

    #[test]
    fn to_defaults_per_command_and_named_values() {
        assert_eq!(Pem::try_parse_from(["x"]).unwrap().to.to, Format::Pem);
        assert_eq!(Der::try_parse_from(["x"]).unwrap().to.to, Format::Der);
        assert_eq!(Der::try_parse_from(["x", "--to", "pem"]).unwrap().to.to, Format::Pem);
        let p = Pem::try_parse_from(["x", "--format", "openssl"]).unwrap();
        assert_eq!(p.format, Some(crlkit_serial::SerialFormat::Openssl));
        assert!(Pem::try_parse_from(["x", "--format", "octal"]).is_err());
    }
}
