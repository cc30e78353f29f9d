//! The twin's NixOS module system (`xtask/twin-files/nixpkgs/nixos.nix`) against nixpkgs' real
//! `lib.evalModules` (`../shared/nixpkgs-lib/lib`, a reference copy outside the project) as an
//! oracle. Each shape under `tests/module-oracle/shapes/` is an operator module added to a
//! miniature cc-ci host; both module systems evaluate it (`nix-instantiate --eval --strict
//! --json`, no build: the packages are stubs) and must give the same definitions of the
//! options cc-ci uses (file and value, in order), the same merged config, or the same kind of
//! error. Then `scenarios/m1/facts.nix` runs over the twin's cc-ci files through both and must
//! print the same fact lines. Without the reference lib or `nix-instantiate` the trials are
//! ignored, with the reason, never passed.

use std::path::{Path, PathBuf};
use std::process::Command;

use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn oracle_dir() -> PathBuf {
    root().join("tests/module-oracle")
}

fn nixpkgs_lib() -> PathBuf {
    root().join("../shared/nixpkgs-lib/lib")
}

/// Why the oracle cannot run here, if it cannot.
fn missing_prerequisite() -> Option<String> {
    if !nixpkgs_lib().join("modules.nix").is_file() {
        return Some(format!(
            "the reference nixpkgs lib is absent ({})",
            nixpkgs_lib().display()
        ));
    }
    match Command::new("nix-instantiate").arg("--version").output() {
        Ok(o) if o.status.success() => None,
        _ => Some("nix-instantiate is not installed".to_owned()),
    }
}

/// What one evaluation answered: a value, or the kind of error it ended in.
#[derive(Debug, PartialEq)]
enum Answer {
    Value(Value),
    Error(String),
}

impl std::fmt::Display for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Answer::Value(v) => write!(f, "{v}"),
            Answer::Error(k) => write!(f, "error: {k}"),
        }
    }
}

#[derive(Clone, Copy)]
enum Side {
    Twin,
    Real,
}

impl Side {
    fn name(self) -> &'static str {
        match self {
            Side::Twin => "twin",
            Side::Real => "real",
        }
    }
}

/// An error's kind: the module system's error classes (with the option they name), so the
/// two libraries' wordings of the same error compare equal; anything else by its first line.
fn error_kind(stderr: &str) -> String {
    let option = |s: &str| {
        s.split_once("The option `")
            .and_then(|(_, rest)| rest.split_once('\''))
            .map_or(String::new(), |(name, _)| format!(" `{name}'"))
    };
    const KINDS: [(&str, &str); 8] = [
        ("does not exist", "option does not exist"),
        (
            "has conflicting definition values",
            "conflicting definition values",
        ),
        ("infinite recursion", "infinite recursion"),
        ("is not of type", "definition not of the option's type"),
        (
            "defined multiple times",
            "unique option defined multiple times",
        ),
        ("non-Boolean condition", "mkIf with a non-Boolean condition"),
        ("has no value defined", "option accessed with no value"),
        ("defined both null and not null", "null and not null"),
    ];
    for (needle, kind) in KINDS {
        if stderr.contains(needle) {
            return format!("{kind}{}", option(stderr));
        }
    }
    let first = stderr
        .lines()
        .find(|l| l.trim_start().starts_with("error:"))
        .unwrap_or("no error line");
    format!("other: {}", first.trim())
}

fn nix_eval(file: &Path, args: &[(&str, &str, &str)]) -> Result<Answer, Failed> {
    let mut cmd = Command::new("nix-instantiate");
    cmd.args(["--eval", "--strict", "--json"]).arg(file);
    for (kind, name, value) in args {
        cmd.args([*kind, *name, *value]);
    }
    let out = cmd.output().map_err(|e| format!("nix-instantiate: {e}"))?;
    if out.status.success() {
        let v = serde_json::from_slice(&out.stdout)
            .map_err(|e| format!("nix-instantiate printed no JSON ({e})"))?;
        Ok(Answer::Value(v))
    } else {
        Ok(Answer::Error(error_kind(&String::from_utf8_lossy(
            &out.stderr,
        ))))
    }
}

fn path_arg(p: &Path) -> String {
    p.display().to_string()
}

/// An oracle expression (`tests/module-oracle/<file>`) through one module system: every one
/// takes the side, both module systems' entry points and facts.nix, plus its own arguments.
fn oracle_eval(file: &str, side: Side, own: &[(&str, &str, &str)]) -> Result<Answer, Failed> {
    let twin = path_arg(&root().join("xtask/twin-files/nixpkgs/nixos.nix"));
    let lib = path_arg(&nixpkgs_lib());
    let facts = path_arg(&root().join("scenarios/m1/facts.nix"));
    let mut args = vec![
        ("--argstr", "side", side.name()),
        ("--arg", "twinNixos", twin.as_str()),
        ("--arg", "nixpkgsLib", lib.as_str()),
        ("--arg", "facts", facts.as_str()),
    ];
    args.extend_from_slice(own);
    nix_eval(&oracle_dir().join(file), &args)
}

fn shape_answer(side: Side, shape: &Path, part: &str) -> Result<Answer, Failed> {
    let shape = path_arg(shape);
    oracle_eval(
        "shape.nix",
        side,
        &[("--arg", "shape", &shape), ("--argstr", "part", part)],
    )
}

/// What facts.nix must say of a shape on real NixOS (audit 4, part 2 rows 15, 17, 18, 26 and
/// part 1 §5): a fact line that must be there (true) or a text no line may hold (false).
const FACTS_EXPECTED: [(&str, &str, bool); 10] = [
    (
        "10-mkmerge-host.nix",
        "cc-ci: shapes/10-mkmerge-host.nix: environment.systemPackages = openssh",
        true,
    ),
    (
        "20-mkif-false-element.nix",
        "cc-ci: shapes/20-mkif-false-element.nix: environment.systemPackages = git-lfs",
        true,
    ),
    ("22-unit-path-mkif-false.nix", "nightly-sweep.path", false),
    (
        "24-unit-env-mkif-false.nix",
        "shapes/24-unit-env-mkif-false.nix: systemd.services",
        false,
    ),
    (
        "34-mkmerge-environment.nix",
        "cc-ci: shapes/34-mkmerge-environment.nix: systemd.services.nightly-sweep.environment.PATH = /run/current-system/sw/bin",
        true,
    ),
    (
        "35-mkmerge-unit.nix",
        "cc-ci: shapes/35-mkmerge-unit.nix: systemd.services.nightly-sweep.environment.PATH = /run/current-system/sw/bin",
        true,
    ),
    (
        "48-flake-inline.nix",
        "cc-ci: <unknown-file>: environment.systemPackages = jq",
        true,
    ),
    (
        "49-other-flake-input.nix",
        "cc-ci: /nix/store/00000000000000000000000000000000-source/modules/ops.nix: environment.systemPackages = jq",
        true,
    ),
    (
        "49-other-flake-input.nix",
        "cc-ci: modules = /nix/store/00000000000000000000000000000000-source/modules/ops.nix host.nix",
        true,
    ),
    ("36-unit-default-path.nix", "<nixos>", false),
];

/// The facts of a shape against FACTS_EXPECTED: what is wrong, if anything.
fn facts_wrong(name: &str, facts: &Answer) -> Vec<String> {
    FACTS_EXPECTED
        .iter()
        .filter(|(shape, _, _)| *shape == name)
        .filter_map(|(_, text, present)| {
            let lines: Vec<&str> = match facts {
                Answer::Value(Value::Array(l)) => l.iter().filter_map(Value::as_str).collect(),
                other => return Some(format!("{name}: facts.nix gave no lines: {other}")),
            };
            let found = if *present {
                lines.contains(text)
            } else {
                lines.iter().any(|l| l.contains(text))
            };
            (found != *present).then(|| {
                let want = if *present { "no line" } else { "a line with" };
                format!("{name}: facts.nix has {want} `{text}`: {facts}")
            })
        })
        .collect()
}

fn shapes() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(oracle_dir().join("shapes"))
        .expect("tests/module-oracle/shapes")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "nix"))
        .collect();
    v.sort();
    v
}

/// Every shape through both module systems; one line per disagreement with both answers.
fn module_shapes() -> Result<(), Failed> {
    let all = shapes();
    let mut disagreements = Vec::new();
    for shape in &all {
        let name = shape
            .file_name()
            .map_or(String::new(), |n| n.to_string_lossy().into_owned());
        for part in ["definitions", "config", "facts"] {
            let mut twin = shape_answer(Side::Twin, shape, part)?;
            let mut real = shape_answer(Side::Real, shape, part)?;
            if part == "facts" {
                disagreements.extend(facts_wrong(&name, &real));
                (twin, real) = (without_platform(twin), without_platform(real));
            }
            if twin != real {
                disagreements.push(format!("{name} ({part}):\n  twin: {twin}\n  real: {real}"));
            }
        }
    }
    let agree = all.len()
        - disagreements
            .iter()
            .map(|d| d.split([' ', ':']).next().unwrap_or_default())
            .collect::<std::collections::BTreeSet<_>>()
            .len();
    println!("module shapes: {agree}/{} agree", all.len());
    if disagreements.is_empty() {
        Ok(())
    } else {
        Err(disagreements.join("\n").into())
    }
}

/// A checkout of the twin's cc-ci flake as `cc-ci-twin setup` makes it: `head/` with the
/// `secrets` submodule inside.
fn twin_checkout() -> Result<tempfile::TempDir, Failed> {
    let dir = tempfile::tempdir().map_err(|e| format!("a temporary directory: {e}"))?;
    let cc_ci = root().join("xtask/twin-files/cc-ci");
    let status = Command::new("cp")
        .arg("-R")
        .arg(cc_ci.join("head"))
        .arg(cc_ci.join("secrets"))
        .arg(dir.path())
        .status()
        .map_err(|e| format!("cp: {e}"))?;
    if !status.success() {
        return Err("cp of the twin's cc-ci files failed".into());
    }
    std::fs::rename(dir.path().join("secrets"), dir.path().join("head/secrets"))
        .map_err(|e| format!("the secrets submodule into head/: {e}"))?;
    Ok(dir)
}

fn facts_answer(side: Side, head: &Path) -> Result<Answer, Failed> {
    oracle_eval("facts.nix", side, &[("--arg", "head", &path_arg(head))])
}

/// facts.nix's lines less its platform block (`<host>: platform package|wrapper …`): those
/// describe the NixOS modules each side declares (the twin's own platform, the oracle's
/// stand-in declarations), which differ by construction; the flake's own definitions are
/// what both module systems must discharge alike. The platform block's mechanism is shown
/// by tests/platform_facts.rs.
fn without_platform(a: Answer) -> Answer {
    match a {
        Answer::Value(Value::Array(lines)) => Answer::Value(Value::Array(
            lines
                .into_iter()
                .filter(|l| !l.as_str().is_some_and(|l| l.contains(": platform ")))
                .collect(),
        )),
        other => other,
    }
}

/// facts.nix over the twin's cc-ci head: the same lines (sorted) through both systems.
fn facts_of_twin_head() -> Result<(), Failed> {
    let dir = twin_checkout()?;
    let head = dir.path().join("head");
    let twin = without_platform(facts_answer(Side::Twin, &head)?);
    let real = without_platform(facts_answer(Side::Real, &head)?);
    let Answer::Value(Value::Array(lines)) = &twin else {
        return Err(format!("facts.nix on the twin: {twin}").into());
    };
    println!(
        "facts.nix over the twin's cc-ci head: {} lines",
        lines.len()
    );
    if twin == real {
        Ok(())
    } else {
        Err(format!("facts.nix differs:\n  twin: {twin}\n  real: {real}").into())
    }
}

fn main() -> std::process::ExitCode {
    let args = Arguments::from_args();
    let missing = missing_prerequisite();
    if let Some(reason) = &missing {
        eprintln!("IGNORED: module oracle: {reason}");
    }
    let trial = |name: &str, f: fn() -> Result<(), Failed>| {
        let reason = missing.clone();
        Trial::test(name, move || match reason {
            Some(reason) => Err(format!("cannot run: {reason}").into()),
            None => f(),
        })
        .with_ignored_flag(missing.is_some())
    };
    let trials = vec![
        trial("module_shapes", module_shapes),
        trial("facts_of_twin_head", facts_of_twin_head),
    ];
    libtest_mimic::run(&args, trials).exit_code()
}
