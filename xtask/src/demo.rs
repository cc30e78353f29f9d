//! `cargo xtask demo`: placeholder until the task is written.

pub fn run(_args: &[String]) -> anyhow::Result<()> {
    anyhow::bail!("not yet implemented")
}
