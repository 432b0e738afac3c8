//! placeholder
use std::path::Path;
pub fn run(_root: &Path, _runs: usize, _quick: bool) -> anyhow::Result<()> {
    anyhow::bail!("not yet")
}
