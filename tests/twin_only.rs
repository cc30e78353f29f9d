//! Offline: no scenario or action names something only the twin has. The gates must be
//! true on the real cc-ci host; a scenario that reads a twin-only name would pass on the
//! twin and be meaningless (or never pass) on cc-ci.
//!
//! What is checked, in every step of every `scenarios/**/*.toml` (commands, units, URLs,
//! regexes, expected values — everything under `[[steps]]`; titles and claims may quote
//! the seeds freely, and `#` comments in the TOML are not read):
//! - twin infrastructure: `cc-ci-twin`, `/usr/local/share/cc-ci-twin`, `/usr/local/lib/cc-ci-twin`,
//!   `drone-server-twin`, `/var/lib/drone-twin`, `twinpkgs`, `connection.toml`;
//! - the twin's store names: a `.twin` system suffix (`24.11.twin`);
//! - lines the twin once printed for witness: `resolve:`;
//! - Debian, which cc-ci is not: `/usr/bin/`, `/usr/sbin/`, `dpkg`, `apt-get`, `apt `;
//! - finding a process by command line instead of its unit's cgroup: `pgrep`, `pidof`;
//! - the twin's tag names for the reviewed commits (`nixenv-base`, `nixenv-head`): the real
//!   checkout has commits, pinned as `${base_commit}`/`${head_commit}`;
//! - the twin's address: `127.0.0.1`, `localhost`;
//! - sabotage switches: `sabotage`.

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
];

fn tomls(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            tomls(&p, out);
        } else if p.extension().is_some_and(|x| x == "toml") {
            out.push(p);
        }
    }
}

/// Every hit in the step part of `text`, as `file:line: names X (why)`.
fn hits(file: &str, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_steps = false;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        if t.starts_with("[[steps]]") {
            in_steps = true;
        }
        if !in_steps || t.starts_with('#') {
            continue;
        }
        for (needle, why) in TWIN_ONLY {
            if line.contains(needle) {
                out.push(format!(
                    "{file}:{}: names `{needle}` (only the twin has it: {why})",
                    i + 1
                ));
            }
        }
    }
    out
}

#[test]
fn no_scenario_names_what_only_the_twin_has() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    tomls(&root.join("scenarios"), &mut files);
    files.sort();
    assert!(files.len() > 10, "the gates' scenarios were not found");
    let found: Vec<String> = files
        .iter()
        .flat_map(|f| {
            let rel = f.strip_prefix(&root).unwrap().display().to_string();
            hits(&rel, &std::fs::read_to_string(f).unwrap())
        })
        .collect();
    assert!(found.is_empty(), "{}", found.join("\n"));
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
