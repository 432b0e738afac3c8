//! How a command that did its job ended, apart from how it failed (`failure`): the exit
//! code's two good values.

/// How a command that did its job ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Done, or a check answered positively: exit 0.
    Positive,
    /// A check answered negatively (invalid, not ready, revoked, different, alarm): exit 1.
    Negative,
    /// Nothing done because another run is doing it (`sync` found the ledger's lease held):
    /// exit 75, sysexits' EX_TEMPFAIL, so a scheduler can tell it from success and from error.
    /// (Only `sync` answers it: the offline build has none.)
    #[cfg_attr(not(feature = "online"), allow(dead_code))]
    Busy,
}

impl Outcome {
    /// `Positive` when `ok`.
    pub fn from_ok(ok: bool) -> Self {
        if ok { Outcome::Positive } else { Outcome::Negative }
    }
}
