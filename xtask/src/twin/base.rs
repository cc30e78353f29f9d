//! The cached base rootfs: one `mmdebstrap` of Debian bookworm, built once
//! under the machine-wide cache and never booted (each `up` boots a fresh copy).
//!
//! mmdebstrap, not debootstrap: it resolves and downloads with apt itself (in
//! parallel) and unpacks in one go. Measured on this project's 2-core machine for
//! the same 39 packages from the same mirror: mmdebstrap 29 s, debootstrap 72 s;
//! the base is the first thing a fresh machine waits for.
//!
//! The package list lives in [`PACKAGES`]; the recipe (suite, variant, list)
//! is written to a stamp file next to the base, and a base whose stamp does
//! not match the current recipe is rebuilt. The build goes to a temp dir that
//! is renamed into place only when complete, so an interrupted build never
//! leaves a half-built cache behind.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use super::paths::Paths;
use super::{host_tools, mirror};
use crate::util;

const SUITE: &str = "bookworm";
const VARIANT: &str = "minbase";

/// What the twin has installed, on top of minbase. Extend freely: changing
/// this list invalidates the cached base.
pub const PACKAGES: &[&str] = &[
    // A real init: the harness checks units, journald, transient services.
    "systemd",
    "systemd-sysv",
    "dbus",
    // How the harness gets in.
    "openssh-server",
    // The everyday tools scenario files call.
    "iproute2",
    "procps",
    "util-linux",
    "bash",
    "coreutils",
    "curl",
    "ca-certificates",
    "jq",
    "git",
    "git-lfs",
    "openssl",
    "python3",
    // The cc-ci twin's recipe tests are real pytest runs (`cc-ci-run` puts a
    // Python env with pytest on PATH, as the real host's pyEnv does).
    "python3-pytest",
    // The cc-ci twin: real Nix builds the mini cc-ci flake (single-user, as
    // root; see twin-files/root/etc/nix/nix.conf).
    "nix-bin",
    // nix-bin needs libdbd-sqlite3-perl, which depends on the virtual package
    // perl-dbdabi-94, provided by libdbi-perl (named, as the base always had it).
    "libdbi-perl",
    "sudo",
    "less",
    // The platform's packages: what NixOS 24.11 puts on every system's PATH
    // (requiredPackages, defaultPackages, default modules), which the twin's nixpkgs
    // builds under nixpkgs' names (xtask/twin-files/nixpkgs/modules/system-path.nix).
    "acl",
    "attr",
    "bzip2",
    "cpio",
    "gawk",
    "patch",
    "xz-utils",
    "xzdec",
    "libcap2-bin",
    "netcat-openbsd",
    // mkpasswd
    "whois",
    "time",
    "zstd",
    "perl",
    "rsync",
    "strace",
    "nano",
    "kbd",
];

/// Bump when the bootstrap or the steps after it change, to force a rebuild
/// (2: mmdebstrap instead of debootstrap).
const RECIPE_VERSION: u32 = 2;

/// The recipe as stored in the stamp: a changed line means a stale base.
fn recipe() -> String {
    format!(
        "recipe {RECIPE_VERSION}\nsuite {SUITE}\nvariant {VARIANT}\npackages {}\n",
        PACKAGES.join(",")
    )
}

/// True if the cached base exists and was built from the current recipe.
pub fn is_current(paths: &Paths) -> bool {
    paths.base.is_dir()
        && std::fs::read_to_string(&paths.base_stamp).is_ok_and(|stamp| stamp == recipe())
}

/// Builds the base unless the cached one is current. Call with the twin lock
/// held: it removes leftovers of interrupted builds.
pub fn ensure(paths: &Paths) -> Result<()> {
    std::fs::create_dir_all(&paths.cache)
        .with_context(|| format!("creating {}", paths.cache.display()))?;
    // Other checkouts share the cache: one builds, the others wait and reuse.
    let _cache_lock = super::lock::acquire(&paths.cache.join("lock"))?;
    adopt_legacy(paths)?;
    if is_current(paths) {
        return Ok(());
    }
    if paths.base.exists() {
        println!(
            "twin: cached base rootfs is stale (built from another package list or recipe); \
             rebuilding"
        );
    }
    remove_leftover_builds(paths)?;
    let tmp = paths.cache.join(format!("base.tmp-{}", std::process::id()));
    let mirror = mirror::detect();
    println!(
        "twin: building the base rootfs (mmdebstrap {SUITE}, {} packages, from {mirror}); \
         this takes about half a minute, once",
        PACKAGES.len()
    );
    let started = Instant::now();
    mmdebstrap(paths, &tmp, &mirror)?;
    trim(&tmp)?;
    // Swap in: drop the stamp first, so a crash mid-swap reads as "stale".
    let _ = std::fs::remove_file(&paths.base_stamp);
    if paths.base.exists() {
        util::remove_tree(&paths.base)?;
    }
    std::fs::rename(&tmp, &paths.base)
        .with_context(|| format!("renaming {} to {}", tmp.display(), paths.base.display()))?;
    std::fs::write(&paths.base_stamp, recipe())
        .with_context(|| format!("writing {}", paths.base_stamp.display()))?;
    println!(
        "twin: base rootfs built in {:.0}s: {}",
        started.elapsed().as_secs_f64(),
        paths.base.display()
    );
    Ok(())
}

/// A base left in this checkout's `target/twin/` by an older witness is moved into the
/// machine-wide cache rather than built again (same file system: a rename).
fn adopt_legacy(paths: &Paths) -> Result<()> {
    let stamp = paths.legacy_base.with_extension("stamp");
    if paths.base.exists() || !paths.legacy_base.is_dir() {
        return Ok(());
    }
    if std::fs::rename(&paths.legacy_base, &paths.base).is_ok() {
        let _ = std::fs::rename(&stamp, &paths.base_stamp);
        println!(
            "twin: moved the cached base to the machine-wide cache {}",
            paths.base.display()
        );
    }
    Ok(())
}

/// `base.tmp-*` dirs are what an interrupted build left; we hold the lock,
/// so no other build is running.
fn remove_leftover_builds(paths: &Paths) -> Result<()> {
    for entry in std::fs::read_dir(&paths.cache)?.flatten() {
        if entry.file_name().to_string_lossy().starts_with("base.tmp-") {
            println!(
                "twin: removing an interrupted build: {}",
                entry.path().display()
            );
            util::remove_tree(&entry.path())?;
        }
    }
    Ok(())
}

/// Runs mmdebstrap, logging everything to `mmdebstrap.log` and printing its
/// phase lines (`I: …`; per-package lines at most every few seconds).
fn mmdebstrap(paths: &Paths, target: &std::path::Path, mirror: &str) -> Result<()> {
    let log_path = paths.cache.join("mmdebstrap.log");
    let mut log =
        File::create(&log_path).with_context(|| format!("creating {}", log_path.display()))?;
    let mut cmd = Command::new(host_tools::resolve("mmdebstrap"));
    // It writes its progress to stderr; stdout carries nothing for a directory.
    cmd.arg(format!("--variant={VARIANT}"))
        .arg(format!("--include={}", PACKAGES.join(",")))
        .arg("--format=directory")
        .arg(SUITE)
        .arg(target)
        .arg(mirror)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(Stdio::piped());
    let shown = util::display_command(&cmd);
    println!("twin: $ {shown}");
    let mut child = cmd
        .spawn()
        .with_context(|| format!("could not start `{shown}`"))?;
    let started = Instant::now();
    let mut last_print = Instant::now() - Duration::from_secs(60);
    let stderr = child.stderr.take().expect("piped stderr");
    for line in BufReader::new(stderr).lines() {
        let line = line?;
        writeln!(log, "{line}")?;
        let per_package = is_per_package(&line);
        if !per_package || last_print.elapsed() >= Duration::from_secs(5) {
            println!("twin:   [{:>3}s] {line}", started.elapsed().as_secs());
            last_print = Instant::now();
        }
    }
    let status = child.wait()?;
    if !status.success() {
        let log_text = std::fs::read_to_string(&log_path).unwrap_or_default();
        let tail: Vec<&str> = log_text.lines().rev().take(20).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        bail!(
            "`{shown}` failed ({status}); the half-built tree {} is left for inspection \
             and removed by the next build. Last lines of {}:\n{}",
            target.display(),
            log_path.display(),
            tail.join("\n")
        );
    }
    Ok(())
}

/// A line per package (`I: Retrieving jq 1.6-2.1`, `I: Unpacking jq...`), if
/// the bootstrapper prints them: shown at most every few seconds.
fn is_per_package(line: &str) -> bool {
    let Some(rest) = line.strip_prefix("I: ") else {
        return false;
    };
    let mut words = rest.split_whitespace();
    let verb = words.next().unwrap_or("");
    let rest: Vec<&str> = words.collect();
    matches!(
        verb,
        "Retrieving" | "Validating" | "Extracting" | "Unpacking" | "Configuring"
    ) && (1..=2).contains(&rest.len())
}

/// Drops any downloaded .debs left (mmdebstrap cleans its own): they are
/// installed already, and every `up` copies the whole tree.
fn trim(root: &std::path::Path) -> Result<()> {
    let archives = root.join("var/cache/apt/archives");
    for entry in std::fs::read_dir(&archives).into_iter().flatten().flatten() {
        if entry.path().extension().is_some_and(|e| e == "deb") {
            std::fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}
