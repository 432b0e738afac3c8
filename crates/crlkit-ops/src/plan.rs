//! A plan: the calls a run would make (API parameters and `aws` CLI commands) and what was
//! checked offline to find them, made without credentials and without sending anything.

use crlkit_elb::plan::PlannedCall;
use serde::Serialize;

/// What `--plan` prints (`--json`: `{"plan": [...], "sent": false, "offline_checks": [...]}`).
#[derive(Clone, Debug, Serialize)]
pub struct Plan {
    /// The calls, in order.
    #[serde(rename = "plan")]
    pub calls: Vec<PlannedCall>,
    /// Always false: a plan sends nothing.
    pub sent: bool,
    /// What was checked offline, one sentence each.
    pub offline_checks: Vec<String>,
}

impl Plan {
    /// A plan of `calls`, found by `offline_checks`.
    pub fn new(calls: Vec<PlannedCall>, offline_checks: Vec<String>) -> Self {
        Self { calls, sent: false, offline_checks }
    }
}
