//! `cargo xtask sabotage-matrix`: proves every gate scenario can fail. For each sabotage
//! switch of the cc-ci twin, break the twin, run the scenarios that witness the broken claim,
//! require each to FAIL with a message that names the claim and says why, then restore.
//! A scenario that stays green under its sabotage fails the matrix.
//!
//! Runs with `CI=true`, so a sabotaged run can never write or update a snapshot.

use std::process::Command;

use anyhow::{Result, bail};

use crate::test::cargo;
use crate::twin;

/// (scenario, the claim its failure must name, a fragment of the reason it must give).
type Case = (&'static str, &'static str, &'static str);

/// Sabotage → the scenarios it must turn red.
pub const MATRIX: &[(&str, &[Case])] = &[
    (
        "lfs-dropped",
        &[
            (
                "m1::c4_superset",
                "M1.4",
                "MISSING on the timer path: git-lfs",
            ),
            ("m1::c6_hosts_converge", "M1.6", "git-lfs"),
            ("m2::c3_tools_resolve", "M2.3", "git-lfs MISSING"),
            ("m2::c4_timer_fire", "M2.4", "git-lfs"),
            ("m2::c5_drone_path", "M2.5", "test_lfs_roundtrip PASSED"),
        ],
    ),
    (
        "defect3",
        &[
            (
                "m1::c2_single_source",
                "M1.2",
                "OWN HARNESS LIST nix/hosts/",
            ),
            (
                "m1::c4_superset",
                "M1.4",
                "MISSING on the timer path: git-lfs",
            ),
            ("m2::c4_timer_fire", "M2.4", "git-lfs"),
            ("m2::c6_parity", "M2.6", "git-lfs"),
        ],
    ),
    (
        "defect3-drone-busy",
        &[(
            "m2::c4_timer_fire",
            "M2.4",
            "run_recipe_ci's PATH has /nix/store/",
        )],
    ),
    (
        "sweep-host-path",
        &[
            (
                "m1::c3_sweep_module_clean",
                "M1.3",
                "/run/current-system/sw/bin",
            ),
            ("m2::c4_timer_fire", "M2.4", "/run/current-system/sw/bin"),
        ],
    ),
    (
        "sweep-own-tools",
        &[
            ("m1::c2_single_source", "M1.2", "a harness unit's own list"),
            ("m1::c3_sweep_module_clean", "M1.3", "NOT DECLARED"),
            ("m2::c4_timer_fire", "M2.4", "git-lfs"),
        ],
    ),
    (
        "duplicate-pyenv",
        &[
            ("m1::c2_single_source", "M1.2", "withPackages"),
            ("m1::c3_sweep_module_clean", "M1.3", "withPackages"),
        ],
    ),
    (
        "host-copied-list",
        &[
            // The copied list replaces the reference: the host no longer names the shared set.
            (
                "m1::c2_single_source",
                "M1.2",
                r"hosts/cc-ci/configuration\.nix:.*ccciRuntimeTools/",
            ),
            ("m1::c6_hosts_converge", "M1.6", "identical"),
        ],
    ),
    (
        "host-divergence",
        &[("m1::c6_hosts_converge", "M1.6", "identical")],
    ),
    (
        "harness-own-cc-ci-run",
        &[
            ("m1::c2_single_source", "M1.2", "NOT-pkgs.cc-ci-run"),
            ("m1::c5_same_entrypoint", "M1.5", "DIFFERENT cc-ci-run"),
        ],
    ),
    (
        "pytest-dropped",
        &[
            ("m1::c2_single_source", "M1.2", "pytest playwright"),
            ("m1::c4_superset", "M1.4", "pytest"),
            ("m2::c4_timer_fire", "M2.4", "test_lfs_roundtrip PASSED"),
            ("m2::c5_drone_path", "M2.5", "test_lfs_roundtrip PASSED"),
            ("m2::c7_no_regression", "M2.7", "gitea"),
        ],
    ),
    (
        "ops-module-tools",
        &[
            (
                "m1::c2_single_source",
                "M1.2",
                "OWN HARNESS LIST nix/modules/ops.nix",
            ),
            (
                "m1::c4_superset",
                "M1.4",
                "MISSING on the timer path: git-lfs",
            ),
        ],
    ),
    (
        "sweep-host-path-profile",
        &[(
            "m1::c3_sweep_module_clean",
            "M1.3",
            "NOT DECLARED: /nix/var/nix/profiles/system/sw/bin",
        )],
    ),
    (
        "sweep-unit-path",
        &[
            ("m1::c2_single_source", "M1.2", "a harness unit's own list"),
            (
                "m1::c3_sweep_module_clean",
                "M1.3",
                "sweep unit: NOT DECLARED",
            ),
            ("m1::c4_superset", "M1.4", "(old: systemd)"),
        ],
    ),
    (
        "timer-lost-bash",
        &[("m1::c4_superset", "M1.4", "MISSING on the timer path: bash")],
    ),
    (
        "hosts-drop-openssh",
        &[("m1::c4_superset", "M1.4", "MISSING on the Drone path: ssh")],
    ),
    (
        "playwright-dropped",
        &[(
            "m1::c4_superset",
            "M1.4",
            "MISSING python package: playwright",
        )],
    ),
    (
        "sixteenth-tool",
        &[("m1::c4_superset", "M1.4", "cc-ci-run PATH entry")],
    ),
    (
        "host-imports-diverge",
        &[("m1::c9_hosts_consistent", "Guardrail", "units: DIFFER")],
    ),
    (
        "drone-runner-edited",
        &[("m1::c8_drone_runner_unchanged", "M1.5", "CHANGED")],
    ),
    (
        "unpushed",
        &[("m1::c10_guardrail", "Guardrail", "remote branches")],
    ),
    (
        "other-author",
        &[(
            "m1::c10_guardrail",
            "Guardrail",
            "root <root@cc-ci-hetzner>",
        )],
    ),
    (
        "build-collision",
        &[("m1::c1_both_hosts_build", "M1.1", "collision")],
    ),
    (
        "build-broken",
        &[
            ("m1::c1_both_hosts_build", "M1.1", "exit 0"),
            ("m1::c7_propagation", "M1.7", "LACKS"),
        ],
    ),
    (
        "other-commit-deployed",
        &[("m2::c1_deployed", "M2.1", "stdout equals")],
    ),
    (
        "failed-unit",
        &[("m2::c2_host_healthy", "M2.2", "NOT allowed")],
    ),
    (
        "timer-stopped",
        &[("m2::c2_host_healthy", "M2.2", "active$/")],
    ),
    (
        "endpoint-500",
        &[("m2::c2_host_healthy", "M2.2", "HTTP status 500")],
    ),
    (
        "drone-build-fails",
        &[("m2::c5_drone_path", "M2.5", "build ends `failure`")],
    ),
    (
        "diff-scope",
        &[("m2::c8_diff_scope", "M2.8", "runner/|tests/")],
    ),
];

/// `cargo xtask sabotage-matrix [--gate G] [NAME..]`: every sabotage (or the named ones),
/// each with its scenarios (or only gate G's: the M1 rows alone need no sweep fire).
pub fn run(args: &[String]) -> Result<()> {
    let mut gate = None;
    let mut only: Vec<&str> = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--gate" {
            let Some(g) = it.next() else {
                bail!("usage: cargo xtask sabotage-matrix [--gate G] [NAME..]");
            };
            gate = Some(g.as_str());
        } else {
            only.push(a);
        }
    }
    let rows = twin::with_twin("sabotage-matrix", |_| {
        let result = run_matrix(&only, gate);
        // Restore even when the matrix failed half-way: the twin must not stay sabotaged.
        let restored = restore();
        let rows = result?;
        restored?;
        Ok(rows)
    })?;
    println!(
        "\n{:<22} {:<28} {:<6} message",
        "sabotage", "scenario", "red?"
    );
    for (sab, sc, red, msg) in &rows {
        println!(
            "{sab:<22} {sc:<28} {:<6} {msg}",
            if *red { "red" } else { "GREEN" }
        );
    }
    let bad = rows.iter().filter(|r| !r.2).count();
    // A case "passes" when its scenario went red as it should; the plain closing line lets
    // CI count them like any test runner's.
    if bad == 0 {
        println!("sabotage matrix: every scenario went red under its sabotage, naming its claim");
    }
    println!("matrix: {} passed, {bad} failed", rows.len() - bad);
    if bad > 0 {
        bail!(
            "{bad} scenario(s) did not go red, or went red without naming the claim and the reason"
        );
    }
    Ok(())
}

type Row = (String, String, bool, String);

fn run_matrix(only: &[&str], gate: Option<&str>) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    for (sabotage, cases) in MATRIX {
        if !only.is_empty() && !only.contains(sabotage) {
            continue;
        }
        let cases: Vec<&Case> = cases
            .iter()
            .filter(|(sc, _, _)| gate.is_none_or(|g| sc.starts_with(&format!("{g}::"))))
            .collect();
        if cases.is_empty() {
            continue;
        }
        eprintln!("sabotage-matrix: {sabotage}");
        twin::run(&["sabotage".to_string(), sabotage.to_string()])?;
        for (scenario, claim, why) in cases {
            let (gate, _) = scenario.split_once("::").unwrap_or(("m1", scenario));
            let out = Command::new(cargo())
                .args(["test", "--quiet", "--test", gate, "--", "--exact", scenario])
                .env("WITNESS_TARGET", "twin")
                .env("WITNESS_ALLOW_MUTATION", "1")
                .env("CI", "true")
                .output()?;
            let text = String::from_utf8_lossy(&out.stdout);
            let failed = !out.status.success() && text.contains(&format!("{scenario} ... FAILED"));
            let names_claim = text.contains(&format!("claim: {claim}"));
            let says_why = text.contains(why);
            // The first `seen:`/`error:` line (or the line after it, when the value is a
            // block such as the failed-units diff).
            let lines: Vec<&str> = text.lines().collect();
            let msg = lines
                .iter()
                .position(|l| {
                    let t = l.trim_start();
                    t.starts_with("seen:") || t.starts_with("error:")
                })
                .map(|i| {
                    let here = lines[i].trim();
                    if here == "seen:" {
                        format!("seen: {}", lines.get(i + 1).unwrap_or(&"").trim())
                    } else {
                        here.to_string()
                    }
                })
                .unwrap_or_else(|| "(no failure message)".to_string());
            let msg: String = msg.chars().take(160).collect();
            if failed && !(names_claim && says_why) {
                eprintln!("{text}");
            }
            rows.push((
                sabotage.to_string(),
                scenario.to_string(),
                failed && names_claim && says_why,
                msg,
            ));
        }
        restore()?;
    }
    Ok(rows)
}

fn restore() -> Result<()> {
    twin::run(&["restore".to_string()])
}

#[cfg(test)]
mod tests {
    use super::MATRIX;
    use crate::twin::SABOTAGES;

    /// Every switch of the twin is in the matrix (a sabotage that reddens nothing proves
    /// nothing), and the matrix names no switch the twin lacks.
    #[test]
    fn the_matrix_covers_every_sabotage() {
        let mut in_matrix: Vec<&str> = MATRIX.iter().map(|(s, _)| *s).collect();
        let mut switches: Vec<&str> = SABOTAGES.iter().map(|s| s.name).collect();
        in_matrix.sort_unstable();
        switches.sort_unstable();
        assert_eq!(in_matrix, switches);
    }
}
