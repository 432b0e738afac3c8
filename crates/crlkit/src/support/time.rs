//! Times as users give them (`--at`, `--this-update`, CSV columns) and the arithmetic on them:
//! every time is checked to lie in years 0000..=9999, the range a CRL can encode, and every sum
//! is checked, so nothing overflows and nothing is silently moved to another date.

use crlkit_der::Time;

/// Now, in Unix seconds.
pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// What a CRL can hold, for error messages.
const RANGE: &str = "times must lie between 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z";

/// A time as typed: RFC 3339 in UTC (`2026-12-01T00:00:00Z`), a date (`2026-12-01`, midnight
/// UTC) or `@UNIX-SECONDS`.
pub fn parse_time(s: &str) -> Result<i64, String> {
    if let Some(secs) = s.strip_prefix('@') {
        let n: i64 = secs.parse().map_err(|_| format!("not a number of seconds: {secs:?}"))?;
        return Time::from_unix(n).map(|t| t.unix()).ok_or_else(|| format!("@{n}: {RANGE}"));
    }
    crlkit_der::Time::from_rfc3339(s)
        .map(|t| t.unix())
        .ok_or_else(|| format!("{s:?}: expected YYYY-MM-DDTHH:MM:SSZ, YYYY-MM-DD or @UNIX-SECONDS"))
}

/// A duration as typed: `7d`, `12h`, `30m`, `45s` or `2w`, in seconds (positive).
pub fn parse_duration(s: &str) -> Result<i64, String> {
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
    n.checked_mul(unit).filter(|d| *d <= Time::MAX_UNIX - Time::MIN_UNIX).ok_or_else(|| format!("{s:?} is too long"))
}

/// `t + seconds` (either may be negative), or why it cannot be in a CRL; `what` names the
/// result in the message.
pub fn add(t: i64, seconds: i64, what: &str) -> Result<i64, String> {
    t.checked_add(seconds)
        .and_then(Time::from_unix)
        .map(|t| t.unix())
        .ok_or_else(|| format!("{what} would fall outside what a CRL can encode ({RANGE})"))
}

/// A time already checked to be in range, for display.
pub fn show(t: i64) -> String {
    Time::from_unix(t).map_or_else(|| format!("@{t}"), |t| t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_in_every_form_and_out_of_range_refused() {
        assert_eq!(parse_time("2017-03-09"), Ok(1_489_017_600));
        assert_eq!(parse_time("@100"), Ok(100));
        assert_eq!(parse_time("@-62167219200"), Ok(Time::MIN_UNIX));
        assert_eq!(parse_time("9999-12-31T23:59:59Z"), Ok(Time::MAX_UNIX));
        for bad in ["@253402300800", "@-62167219201", "@9223372036854775807", "@99999999999999999999", "soon"] {
            assert!(parse_time(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn durations_and_sums_are_checked() {
        assert_eq!(parse_duration("7d"), Ok(604_800));
        assert!(parse_duration("9999999999999999w").is_err());
        assert!(parse_duration("7y").is_err());
        assert_eq!(add(0, 60, "x"), Ok(60));
        assert!(add(Time::MAX_UNIX, 1, "nextUpdate").unwrap_err().contains("nextUpdate"));
        assert!(add(i64::MAX, 1, "x").is_err());
        assert_eq!(show(0), "1970-01-01T00:00:00Z");
    }
}
