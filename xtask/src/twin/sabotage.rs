//! `cargo xtask twin sabotage <name> | --list` and `cargo xtask twin restore`:
//! switches that break one claim of the cc-ci `nixenv` gates on the running
//! twin, so each scenario can be seen to go red, and the way back to the
//! pristine cc-ci twin.
//!
//! Each switch is one file, `xtask/sabotages/<name>.toml`: what it breaks, the shell that
//! breaks it (run by the twin-side `cc-ci-twin sabotage <name> <script>` in the cc-ci checkout,
//! with its helpers), and the scenarios it must turn red (the sabotage matrix reads them).
//!
//! Most are what an operator would do: a change to the cc-ci tree committed on main and, where
//! the regression needs it live, `nixos-rebuild switch`ed; "claimed" means the commit becomes
//! the one the claim reviews (`nixenv-head`, the `head_commit` variable), as when a builder
//! claims a commit that carries the regression. A few break the running host directly (a unit
//! stopped, a fault file) or leave an edit uncommitted. Sabotages are meant for a pristine
//! twin, one at a time; `restore` undoes any of them: it remakes the checkout at `nixenv-head`,
//! switches, and resets the twin's state.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use super::paths::Paths;
use super::{cc_ci, connection, lock};

/// One switch, from `xtask/sabotages/<name>.toml`: what it breaks, the shell that breaks it
/// (run in the twin's cc-ci checkout with `cc-ci-twin`'s helpers), and the scenarios it must
/// turn red. Everything about a sabotage is in that one file.
#[derive(Debug)]
pub struct Sabotage {
    pub name: String,
    pub breaks: String,
    /// Its rows run their gate in observe mode (the regression exists only for what the
    /// nightly observes).
    pub observe: bool,
    pub script: String,
    pub reddens: Vec<Reddens>,
}

/// A scenario a sabotage must turn red, the claim its failure must name, and a fragment of
/// the reason it must give.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reddens {
    pub scenario: String,
    pub claim: String,
    pub because: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SabotageFile {
    breaks: String,
    #[serde(default)]
    observe: bool,
    script: String,
    reddens: Vec<Reddens>,
}

/// Where the sabotage files are.
pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sabotages")
}

/// Every sabotage, by name.
pub fn all() -> Result<Vec<Sabotage>> {
    let mut out = Vec::new();
    let dir = dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    files.retain(|p| p.extension().is_some_and(|e| e == "toml"));
    files.sort();
    for path in files {
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = std::fs::read_to_string(&path)?;
        let f: SabotageFile =
            toml::from_str(&text).with_context(|| format!("{}", path.display()))?;
        if f.reddens.is_empty() {
            bail!(
                "{}: a sabotage that turns nothing red proves nothing: add a `[[reddens]]`",
                path.display()
            );
        }
        out.push(Sabotage {
            name,
            breaks: f.breaks,
            observe: f.observe,
            script: f.script,
            reddens: f.reddens,
        });
    }
    Ok(out)
}

/// `cargo xtask twin sabotage <name> | --list`.
pub fn sabotage(args: &[String]) -> Result<()> {
    match args {
        [flag] if flag == "--list" => {
            for s in all()? {
                println!("{:<22} {}", s.name, squeeze(&s.breaks));
            }
            Ok(())
        }
        [name] => {
            let Some(s) = all()?.into_iter().find(|s| &s.name == name) else {
                bail!("no sabotage named `{name}`; `cargo xtask twin sabotage --list` lists them");
            };
            // The script travels as one shell word; `cc-ci-twin sabotage` runs it in the
            // checkout with its helpers.
            let script = shlex::try_quote(&s.script)
                .with_context(|| format!("sabotage `{name}`: its script holds a NUL byte"))?;
            let took = in_twin(&format!("sabotage {} {script}", s.name))?;
            println!(
                "twin: sabotaged `{}` in {:.1}s: {}\ntwin: undo with `cargo xtask twin restore`",
                s.name,
                took.as_secs_f64(),
                squeeze(&s.breaks)
            );
            Ok(())
        }
        _ => bail!("usage: cargo xtask twin sabotage <name> | --list"),
    }
}

/// `cargo xtask twin restore`.
pub fn restore() -> Result<()> {
    let took = in_twin("restore")?;
    println!(
        "twin: restored the pristine cc-ci twin in {:.1}s",
        took.as_secs_f64()
    );
    Ok(())
}

/// Runs `cc-ci-twin <args>` in the running twin, holding the twin lock so no
/// `up` or `down` runs meanwhile.
fn in_twin(args: &str) -> Result<std::time::Duration> {
    let paths = Paths::new();
    let Some(conn) = connection::read(&paths) else {
        bail!(
            "the twin is not running (no {}); run `cargo xtask twin up`",
            paths.connection.display()
        );
    };
    let _lock = lock::acquire(&paths.lock)?;
    let took = cc_ci::run(&paths, conn.port, args)?;
    // A restore (and a sabotage that rewrites the reviewed range) may move the pinned
    // values: the connection file always carries the twin's current ones.
    let pinned = cc_ci::pinned_vars(&paths, conn.port)?;
    connection::write(&paths, &conn, &pinned)?;
    Ok(took)
}

/// The descriptions are wrapped in the source; print each on one line.
fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every sabotage file loads, names its scenarios as `<gate>::<id>` of a scenario file
    /// that exists, and has a script.
    #[test]
    fn every_sabotage_file_is_whole() {
        let all = all().unwrap();
        assert!(all.len() > 30, "{} sabotages", all.len());
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        for s in &all {
            assert!(!s.script.trim().is_empty(), "{}", s.name);
            for r in &s.reddens {
                let (gate, id) = r.scenario.split_once("::").expect("<gate>::<id>");
                let file = root.join("scenarios").join(gate).join(format!("{id}.toml"));
                assert!(
                    file.exists(),
                    "{}: {} does not exist",
                    s.name,
                    file.display()
                );
            }
        }
    }
}
