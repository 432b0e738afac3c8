//! What several commands share, and nothing that belongs to one command: reading inputs
//! (`input`), writing outputs without leaving partial files (`output`, `signals`), the progress
//! line (`progress`), diagnostics and color (`term`), failures and how they print (`failure`),
//! the `--json` writer (`json`), many inputs (`walk` finds them, `many` runs them in order), times (`time`), certificates and CA bundles (`certs`), and for
//! the online commands the async runtime (`runtime`) and object stores (`store`).

pub mod certs;
pub mod checked;
pub mod elb;
pub mod failure;
pub mod input;
pub mod items;
pub mod json;
pub mod many;
pub mod outcome;
pub mod output;
pub mod progress;
pub mod runtime;
pub mod signals;
pub mod store;
pub mod term;
pub mod time;
pub mod walk;
