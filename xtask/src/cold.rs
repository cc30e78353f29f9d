//! `cargo xtask cold-recipe`: the README's cold recipe for an adversary, walked against the
//! twin exactly as the README tells one to address cc-ci:
//!
//! 1. an ssh_config alias for the host (HostName, Port, User, IdentityFile);
//! 2. where the alias goes (`ssh -G`), its key fetched there (`ssh-keyscan -p PORT HOSTNAME`),
//!    its fingerprint shown (`ssh-keygen -lf -`) and recorded in a known_hosts file;
//! 3. the claim pinned in a targets file outside the checkout (`WITNESS_TARGETS`), commits
//!    given short as the seed gives them (resolved on the host);
//! 4. gates M1 and M2 run against that target, which has no committed snapshots: both end
//!    PASSED with their evidence `new`;
//! 5. under a sabotage, the gate ends with exit status 1 naming the broken claim;
//! 6. the checkout's tracked files are untouched.
//!
//! Each step prints what it did, as the closing note of an issue walks it.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use witness::target::{SecretSource, TargetTransport};

use crate::twin;
use crate::util::cargo;

const ALIAS: &str = "cc-ci-cold";

pub fn run(_args: &[String]) -> Result<()> {
    twin::with_twin("cold-recipe", |_| walk_on_twin())
}

/// The walk, on a twin that is up; the twin is restored afterwards, also on failure.
pub fn walk_on_twin() -> Result<()> {
    let result = walk();
    // Restore even when the walk failed half-way: the twin must not stay sabotaged.
    let restored = twin::run(&["restore".to_string()]);
    result?;
    restored
}

fn walk() -> Result<()> {
    let root = witness::RunConfig::from_env()?.root;
    let tracked_before = tracked_state(&root)?;
    let twin = witness::target::load(&root, "twin").context("the twin target")?;
    let TargetTransport::Ssh(ssh) = &twin.transport else {
        bail!("the twin is an ssh target");
    };
    let dir = std::env::temp_dir().join(format!("witness-cold-recipe-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;

    let config = write_alias(&dir, ssh)?;
    let known_hosts = keyscan(&dir, &config)?;

    // 3. The claim pinned outside the checkout, commits short.
    let targets_file = pin_claim(&root, &dir, &config, &known_hosts)?;
    gates_pass_cold(&root, &targets_file)?;
    sabotage_is_named(&root, &dir, &config, &known_hosts)?;

    // 6. The checkout untouched.
    let tracked_after = tracked_state(&root)?;
    if tracked_after != tracked_before {
        bail!("the cold recipe changed the checkout's tracked files:\n{tracked_after}");
    }
    say(
        6,
        "the checkout's tracked files are untouched (git status --porcelain --untracked-files=no)",
    );
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "cold recipe: walked as the README tells an adversary; M1 and M2 PASSED cold, a sabotage ends exit 1 naming its claim"
    );
    Ok(())
}

/// 1. The alias, in an ssh_config file of its own under `dir`.
fn write_alias(dir: &Path, ssh: &witness::transport::SshConfig) -> Result<PathBuf> {
    let config = dir.join("ssh_config");
    std::fs::write(
        &config,
        format!(
            "Host {ALIAS}\n  HostName {}\n  Port {}\n  User {}\n  IdentityFile {}\n",
            ssh.hostname,
            ssh.port,
            ssh.user,
            ssh.identity_files[0].display()
        ),
    )?;
    say(
        1,
        &format!("ssh_config alias `{ALIAS}` in {}", config.display()),
    );
    Ok(config)
}

/// 2. Where the alias goes, its key (into a known_hosts file under `dir`), its fingerprint.
fn keyscan(dir: &Path, config: &Path) -> Result<PathBuf> {
    let g = output(Command::new("ssh").args(["-F", &config.display().to_string(), "-G", ALIAS]))?;
    let field = |k: &str| -> Result<String> {
        g.lines()
            .find_map(|l| l.strip_prefix(&format!("{k} ")))
            .map(str::to_string)
            .with_context(|| format!("ssh -G printed no {k}"))
    };
    let (hostname, port) = (field("hostname")?, field("port")?);
    say(
        2,
        &format!("ssh -G {ALIAS}: hostname {hostname}, port {port}"),
    );
    let keys = output(Command::new("ssh-keyscan").args(["-p", &port, &hostname]))?;
    let known_hosts = dir.join("known_hosts");
    std::fs::write(&known_hosts, &keys)?;
    let fingerprints =
        output(Command::new("ssh-keygen").args(["-lf", &known_hosts.display().to_string()]))?;
    say(
        2,
        &format!(
            "ssh-keyscan -p {port} {hostname} | ssh-keygen -lf -:\n{}",
            fingerprints.trim_end()
        ),
    );
    Ok(known_hosts)
}

/// 4. The gates, cold: both PASSED, their evidence new.
fn gates_pass_cold(root: &Path, targets_file: &Path) -> Result<()> {
    for (gate, mutation) in [("m1", false), ("m2", true)] {
        let (code, closing, seen) = gate_run(root, gate, targets_file, mutation)?;
        say(4, &format!("gate {gate}: exit {code}: {closing}"));
        // New evidence is said once, in witness's words: no insta panic or hint.
        for insta_words in [
            "panicked",
            "snapshot assertion",
            "Stopped on the first failure",
        ] {
            if seen.contains(insta_words) {
                bail!("gate {gate}: a cold run printed {insta_words:?}:\n{seen}");
            }
        }
        if code != 0 || !closing.contains(": PASSED") {
            bail!("the cold recipe's gate {gate} did not end PASSED: {closing}");
        }
        if !closing.contains("evidence: 0 same,") || closing.contains(", 0 new,") {
            bail!(
                "gate {gate}: a target without committed snapshots must report its evidence as new: {closing}"
            );
        }
    }
    Ok(())
}

/// 5. A broken claim: exit 1, naming it; the twin restored afterwards.
fn sabotage_is_named(root: &Path, dir: &Path, config: &Path, known_hosts: &Path) -> Result<()> {
    twin::run(&["sabotage".to_string(), "duplicate-pyenv".to_string()])?;
    // The sabotage is a new reviewed commit: the adversary pins that claim.
    let targets_file = pin_claim(root, dir, config, known_hosts)?;
    let (code, closing, stdout) = gate_run(root, "m1", &targets_file, false)?;
    say(
        5,
        &format!("under the sabotage `duplicate-pyenv`: gate m1: exit {code}: {closing}"),
    );
    let named: Vec<&str> = stdout
        .lines()
        .filter(|l| l.trim_start().starts_with("claim: M1."))
        .collect();
    say(
        5,
        &format!("the failures name their claims: {}", named.join(" | ")),
    );
    if code != 1 || !closing.contains(": FAILED") || named.is_empty() {
        bail!("under a sabotage the cold gate must end FAILED with exit 1, got {code}: {closing}");
    }
    twin::run(&["restore".to_string()])
}

/// Write the adversary's targets file: the alias, its known_hosts, the twin's claim
/// variables as they stand now (commits cut short, as the seed gives them) and its secrets.
fn pin_claim(
    root: &Path,
    dir: &Path,
    config: &Path,
    known_hosts: &Path,
) -> Result<std::path::PathBuf> {
    let twin = witness::target::load(root, "twin").context("the twin target")?;
    // The twin's pinned judging date is part of the claim as pinned: the fixture's verdicts
    // must not change with the day the adversary runs it.
    let judged_on = twin
        .judged_on
        .as_ref()
        .map(|on| format!("judged_on = \"{}\"\n", on.date()))
        .unwrap_or_default();
    let mut targets = format!(
        "[targets.{ALIAS}]\nssh = \"{ALIAS}\"\nssh_config = \"{}\"\nknown_hosts = \"{}\"\n{judged_on}\n[targets.{ALIAS}.vars]\n",
        config.display(),
        known_hosts.display()
    );
    for (k, v) in &twin.vars {
        let v = if k.ends_with("_commit") && v.len() == 40 {
            &v[..7]
        } else {
            v.as_str()
        };
        targets.push_str(&format!("{k} = {}\n", toml_string(v)));
    }
    targets.push_str(&format!("\n[targets.{ALIAS}.secrets]\n"));
    for (k, s) in &twin.secrets {
        if let SecretSource::TargetFile(f) = s {
            targets.push_str(&format!("{k} = {{ file = {} }}\n", toml_string(f)));
        }
    }
    let targets_file = dir.join("claim.toml");
    std::fs::write(&targets_file, &targets)?;
    say(
        3,
        &format!(
            "WITNESS_TARGETS={} (commits short: {})",
            targets_file.display(),
            twin.vars
                .iter()
                .filter(|(k, _)| k.ends_with("_commit"))
                .map(|(k, v)| format!("{k}={}", &v[..7.min(v.len())]))
                .collect::<Vec<_>>()
                .join(" ")
        ),
    );

    Ok(targets_file)
}

/// One gate run as the adversary: the exit status and the gate's closing line.
/// `INSTA_UPDATE=no`: nothing is written into the checkout (not even `.snap.new`); the
/// evidence is still compared and reported, once each, in witness's words.
fn gate_run(
    root: &Path,
    gate: &str,
    targets: &Path,
    mutation: bool,
) -> Result<(i32, String, String)> {
    let mut cmd = Command::new(cargo());
    cmd.args(["test", "--quiet", "--test", gate])
        .current_dir(root)
        .env("WITNESS_TARGET", ALIAS)
        .env("WITNESS_TARGETS", targets)
        .env("WITNESS_ROLE", "adversary")
        .env("CI", "true")
        .env_remove("WITNESS_EVIDENCE")
        .env("INSTA_UPDATE", "no");
    if mutation {
        cmd.env("WITNESS_ALLOW_MUTATION", "1");
    } else {
        cmd.env_remove("WITNESS_ALLOW_MUTATION");
    }
    let out = cmd.output()?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let closing = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with("witness: gate "))
        .unwrap_or("(no closing line)")
        .to_string();
    if !out.status.success() {
        eprintln!("{stdout}");
    }
    // What a person sees: the test runner's lines and witness's progress (stderr).
    let seen = format!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    Ok((out.status.code().unwrap_or(-1), closing, seen))
}

fn tracked_state(root: &Path) -> Result<String> {
    output(
        Command::new("git")
            .args(["status", "--porcelain", "--untracked-files=no"])
            .current_dir(root),
    )
}

fn output(cmd: &mut Command) -> Result<String> {
    let out = cmd.output().with_context(|| format!("running {cmd:?}"))?;
    if !out.status.success() {
        bail!(
            "{cmd:?} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn say(step: u8, what: &str) {
    println!("cold recipe, step {step}: {what}");
}
