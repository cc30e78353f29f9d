//! `cargo xtask evidence diff A B`: do two gate runs agree? A and B are `report.json`
//! files or the directories holding them (`target/witness/m2@cc-ci/`, a copy of the
//! builder's, an adversary's). Prints each disagreement scenario by scenario; exit status
//! 0 only when they agree — the adversary's "fresh PASS, same evidence" in one command.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use witness::gate_report::{diff, wire::Report};

const USAGE: &str =
    "usage: cargo xtask evidence diff A B   (report.json files or their directories)";

pub fn run(args: &[String]) -> Result<()> {
    let [cmd, a, b] = args else {
        bail!("{USAGE}");
    };
    if cmd != "diff" {
        bail!("{USAGE}");
    }
    let (pa, ra) = read(Path::new(a))?;
    let (pb, rb) = read(Path::new(b))?;
    let comparison = diff::compare(&ra, &rb);
    print!(
        "{}",
        diff::render(
            &pa.display().to_string(),
            &pb.display().to_string(),
            &comparison
        )
    );
    if !comparison.agree() {
        std::process::exit(1);
    }
    Ok(())
}

fn read(p: &Path) -> Result<(PathBuf, Report)> {
    Ok(diff::read(p)?)
}
