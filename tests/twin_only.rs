//! Offline: nothing the gates read names something only the twin has. The gates must be
//! true on the real cc-ci host; a scenario that reads a twin-only name would pass on the
//! twin and be meaningless (or never pass) on cc-ci.
//!
//! What is read: every step of every `scenarios/**/*.toml`, scenarios and actions alike
//! (commands, units, URLs, regexes, expected values, waivers — everything under
//! `[[steps]]`; titles and claims may quote the seeds freely, and `#` comments are not
//! read); every `scenarios/**/*.nix` (the evaluator expressions the gates send to the
//! host: `facts.nix`, `platform.nix`; whole-line `#` comments not read); and any other file
//! under `scenarios/` a step names (a file it `cat`s or evaluates). What is looked for:
//! - twin infrastructure: `cc-ci-twin`, `/usr/local/share/cc-ci-twin`, `/usr/local/lib/cc-ci-twin`,
//!   `drone-server-twin`, `/var/lib/drone-twin`, `twinpkgs`, `connection.toml`;
//! - the twin's store names: a `.twin` system suffix (`24.11.twin`);
//! - lines the twin once printed for witness: `resolve:`;
//! - Debian, which cc-ci is not: `/usr/bin/`, `/usr/sbin/`, `dpkg`, `apt-get`, `apt `;
//! - finding a process by command line instead of its unit's cgroup: `pgrep`, `pidof`;
//! - the twin's tag names for the reviewed commits (`nixenv-base`, `nixenv-head`): the real
//!   checkout has commits, pinned as `${base_commit}`/`${head_commit}`;
//! - the twin's address: `127.0.0.1`, `localhost`;
//! - sabotage switches: `sabotage`;
//! - the twin's Debian names, package and command names NixOS does not have (`mawk`,
//!   `debianutils`, `which.debianutils`, `run-parts`, `installkernel`, `ischroot`,
//!   `savelog`, `tempfile`, `add-shell`, `remove-shell`, `update-shells`, `libc-bin`, …),
//!   as whole words;
//! - attributes only the twin's package set has: `pkgs.ccciPyEnv` (a `let` of the overlay
//!   in seed 001), `debianTool` (the twin's builder).

use std::path::{Path, PathBuf};

/// (needle, why only the twin has it)
const TWIN_ONLY: &[(&str, &str)] = &[
    ("cc-ci-twin", "the twin's own tooling"),
    ("drone-server-twin", "the Drone API twin's unit"),
    ("/var/lib/drone-twin", "the Drone API twin's state"),
    ("twinpkgs", "the twin's nixpkgs stand-in"),
    ("connection.toml", "the twin's connection file"),
    (".twin", "the twin's system name suffix"),
    ("resolve:", "a line only the old twin printed"),
    ("/usr/bin/", "a Debian path; cc-ci is NixOS"),
    ("/usr/sbin/", "a Debian path; cc-ci is NixOS"),
    ("dpkg", "Debian's package manager"),
    ("apt-get", "Debian's package manager"),
    ("apt ", "Debian's package manager"),
    (
        "pgrep",
        "finds processes by command line, not by their unit's cgroup",
    ),
    (
        "pidof",
        "finds processes by name, not by their unit's cgroup",
    ),
    (
        "nixenv-base",
        "the twin's tag; cc-ci's commit is ${base_commit}",
    ),
    (
        "nixenv-head",
        "the twin's tag; cc-ci's commit is ${head_commit}",
    ),
    (
        "127.0.0.1",
        "the twin's address; use the target's variables",
    ),
    (
        "localhost",
        "the twin's address; use the target's variables",
    ),
    ("sabotage", "the twin's sabotage switches"),
    (
        "ccciPyEnv",
        "seed 001: `ccciPyEnv` is a `let` of the overlay, not a `pkgs.` attribute",
    ),
    ("debianTool", "the twin's builder of Debian packages"),
];

/// Debian package and command names that NixOS does not have, matched as whole words (a
/// name inside a longer one, `mktempfile`, is not a hit).
const DEBIAN_NAMES: &[&str] = &[
    "mawk",
    "debianutils",
    "which.debianutils",
    "run-parts",
    "installkernel",
    "ischroot",
    "savelog",
    "tempfile",
    "add-shell",
    "remove-shell",
    "update-shells",
    "libc-bin",
    "bsdutils",
    "lesspipe",
    "lessfile",
    "gzexe",
    "ncal",
    "dpkg-query",
    "update-alternatives",
    "sensible-editor",
    "sensible-pager",
];

/// `needle` in `line` with no name character on either side.
fn has_word(line: &str, needle: &str) -> bool {
    let name = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    line.match_indices(needle).any(|(i, _)| {
        let before = line[..i].chars().next_back();
        let after = line[i + needle.len()..].chars().next();
        // A trailing `.` ends a sentence, not a name.
        let after_ok = match after {
            Some('.') => line[i + needle.len() + 1..]
                .chars()
                .next()
                .is_none_or(|c| !name(c)),
            Some(c) => !name(c),
            None => true,
        };
        before.is_none_or(|c| !name(c)) && after_ok
    })
}

/// Every file under `dir` whose name ends in `ext`.
fn files(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, ext, out);
        } else if p.extension().is_some_and(|x| x == ext) {
            out.push(p);
        }
    }
}

/// What a file holds that the gates read: a TOML's steps (from the first `[[steps]]`), an
/// expression or other file whole; whole-line `#` comments never.
fn read_part(text: &str, toml: bool) -> impl Iterator<Item = (usize, &str)> {
    let mut in_steps = !toml;
    text.lines().enumerate().filter(move |(_, line)| {
        let t = line.trim_start();
        if t.starts_with("[[steps]]") {
            in_steps = true;
        }
        in_steps && !t.starts_with('#')
    })
}

/// Every hit in the part of `text` the gates read, as `file:line: names X (why)`.
fn hits(file: &str, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, line) in read_part(text, file.ends_with(".toml")) {
        let named = TWIN_ONLY
            .iter()
            .filter(|(needle, _)| line.contains(needle))
            .map(|(needle, why)| (*needle, *why));
        let debian = DEBIAN_NAMES
            .iter()
            .filter(|n| has_word(line, n))
            .map(|n| (*n, "a Debian name; NixOS has no such package or command"));
        for (needle, why) in named.chain(debian) {
            out.push(format!(
                "{file}:{}: names `{needle}` (only the twin has it: {why})",
                i + 1
            ));
        }
    }
    out
}

/// The files under `scenarios/` that the steps of `text` name (`cat scenarios/m1/facts.nix`).
fn named_files(text: &str) -> Vec<String> {
    read_part(text, true)
        .flat_map(|(_, line)| {
            line.match_indices("scenarios/")
                .map(move |(i, _)| &line[i..])
        })
        .map(|rest| {
            rest.split(|c: char| c.is_whitespace() || "\"'`;|)".contains(c))
                .next()
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

/// Every file the gates read: the scenario and action TOMLs, the expressions beside them,
/// and whatever else under `scenarios/` a step names.
fn gate_files(root: &Path) -> Vec<PathBuf> {
    let mut all = Vec::new();
    files(&root.join("scenarios"), "toml", &mut all);
    files(&root.join("scenarios"), "nix", &mut all);
    let named: Vec<PathBuf> = all
        .iter()
        .filter(|f| f.extension().is_some_and(|x| x == "toml"))
        .flat_map(|f| named_files(&std::fs::read_to_string(f).unwrap()))
        .map(|n| root.join(n))
        .filter(|p| p.is_file())
        .collect();
    all.extend(named);
    all.sort();
    all.dedup();
    all
}

#[test]
fn no_scenario_names_what_only_the_twin_has() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let files = gate_files(&root);
    assert!(files.len() > 10, "the gates' scenarios were not found");
    for expr in ["scenarios/m1/facts.nix", "scenarios/m2/platform.nix"] {
        assert!(files.contains(&root.join(expr)), "{expr} is not read");
    }
    let found: Vec<String> = files
        .iter()
        .flat_map(|f| {
            let rel = f.strip_prefix(&root).unwrap().display().to_string();
            hits(&rel, &std::fs::read_to_string(f).unwrap())
        })
        .collect();
    assert!(found.is_empty(), "{}", found.join("\n"));
}

/// The twin's Debian names are found as whole words, in a TOML's steps and in a whole
/// expression file, and twin-only attributes in an expression; names that merely contain
/// one are not.
#[test]
fn the_check_finds_debian_names_and_twin_only_attributes() {
    let text = "[[steps]]\nexpect = { except = [{ tools = [\"awk\", \"mawk\", \"which.debianutils\"] }] }\nrun = { cmd = \"mktempfile x; gawk 1\" }\n";
    assert_eq!(
        hits("x.toml", text),
        vec![
            "x.toml:2: names `mawk` (only the twin has it: a Debian name; NixOS has no such package or command)",
            "x.toml:2: names `which.debianutils` (only the twin has it: a Debian name; NixOS has no such package or command)",
        ]
    );
    let nix = "# ccciPyEnv in a comment\n{ c }: [ c.pkgs.ccciPyEnv ] ++ [ \"run-parts\" ]\n";
    assert_eq!(
        hits("x.nix", nix),
        vec![
            "x.nix:2: names `ccciPyEnv` (only the twin has it: seed 001: `ccciPyEnv` is a `let` of the overlay, not a `pkgs.` attribute)",
            "x.nix:2: names `run-parts` (only the twin has it: a Debian name; NixOS has no such package or command)",
        ]
    );
    assert_eq!(
        named_files("[[steps]]\nrun = { cmd = \"cat scenarios/m1/facts.nix\", local = true }\n"),
        vec!["scenarios/m1/facts.nix"]
    );
}

/// The check itself goes red on what it looks for (and ignores claims and comments).
#[test]
fn the_check_finds_a_twin_only_name_in_a_step() {
    let text = "title = \"t\"\nclaim = \"seed: pgrep was used\"\n# pgrep in a comment\n[[steps]]\nrun = { cmd = \"pgrep -f run_recipe_ci\" }\n[[steps]]\nrun = { cmd = \"git -C /etc/cc-ci diff nixenv-base\" }\n";
    assert_eq!(
        hits("x.toml", text),
        vec![
            "x.toml:5: names `pgrep` (only the twin has it: finds processes by command line, not by their unit's cgroup)",
            "x.toml:7: names `nixenv-base` (only the twin has it: the twin's tag; cc-ci's commit is ${base_commit})",
        ]
    );
}
