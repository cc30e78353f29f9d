//! The evaluator's platform facts (`scenarios/m1/facts.nix`'s platform block and
//! `scenarios/m2/platform.nix`), evaluated with this machine's Nix over a stand-in of a
//! NixOS evaluation: what each option's definitions are and which file each comes from, as
//! `options.<o>.definitionsWithLocations` gives them. It shows the mechanism where the twin
//! cannot yet (the twin has no `security.wrappers` option): a package or wrapper is the
//! platform's only when every definition of it is a platform file's, a false `mkIf` defines
//! nothing, and a system without the option has no wrapper facts.
//!
//! Skipped, saying so, where `nix-instantiate` is not installed.

use std::path::Path;
use std::process::Command;

mod common;

/// A NixOS evaluation as facts.nix and platform.nix read it. `@WRAPPERS@` is the
/// `security` option set, or nothing.
const STAND_IN: &str = r#"
let
  nixpkgs = "/stand-in/nixpkgs";
  module = f: "${nixpkgs}/nixos/modules/${f}";
  own = f: "/stand-in/flake/${f}";
  pkg = name: hash: outputs: {
    pname = name; name = "${name}-1.0"; inherit outputs;
    outPath = "/nix/store/${hash}-${name}-1.0";
  } // builtins.listToAttrs (map (o: {
    name = o;
    value = { outPath = "/nix/store/${hash}-${name}-1.0" + (if o == "out" then "" else "-${o}"); };
  }) outputs);
  gawk = pkg "gawk" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" [ "out" "man" ];
  bash = pkg "bash" "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" [ "out" ];
  xz = pkg "xz" "cccccccccccccccccccccccccccccccc" [ "bin" "out" ];
  openssh = pkg "openssh" "dddddddddddddddddddddddddddddddd" [ "out" ];
  opt = defs: { definitionsWithLocations = defs; files = map (d: d.file) defs; };
  system = {
    pkgs = { path = nixpkgs; };
    options = {
      environment.systemPackages = opt [
        { file = module "config/system-path.nix"; value = [ gawk bash ]; }
        { file = module "programs/xz.nix"; value = { _type = "if"; condition = false; content = [ xz ]; }; }
        { file = own "nix/hosts/h/configuration.nix"; value = [ bash openssh ]; }
      ];
      systemd.services = opt [ ];
      systemd.timers = opt [ ];
      nixpkgs.overlays = opt [ ];
      @WRAPPERS@
    };
    config.systemd = { services = { }; timers = { }; };
  };
in
{ outPath = "/stand-in/flake"; nixosConfigurations.h = system; }
"#;

const WRAPPERS: &str = r#"security.wrappers = opt [
        { file = module "security/wrappers/default.nix"; value = { su = { }; sudo = { }; }; }
        { file = module "programs/ping.nix"; value = { _type = "if"; condition = false; content = { ping = { }; }; }; }
        { file = module "security/sudo.nix"; value = { sudoedit = { _type = "if"; condition = false; content = { }; }; }; }
        { file = own "nix/modules/ops.nix"; value = { sudo = { }; }; }
      ];"#;

/// The platform lines an expression gives over the stand-in.
fn platform_lines(expr: &str, wrappers: bool) -> Vec<String> {
    let flake = STAND_IN.replace("@WRAPPERS@", if wrappers { WRAPPERS } else { "" });
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("nix-instantiate")
        .args(["--eval", "--strict", "--json", "--expr"])
        .arg(expr.replace("@FLAKE@", &format!("({flake})")))
        .current_dir(root)
        .output()
        .expect("nix-instantiate runs (the runner ignores this test without it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<String> = serde_json::from_slice(&out.stdout).expect("a JSON list of lines");
    lines
        .into_iter()
        .filter_map(|l| {
            let at = l.find("platform ")?;
            Some(l[at..].to_string())
        })
        .collect()
}

const WANT: [&str; 3] = [
    "platform package gawk /nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-gawk-1.0",
    "platform package gawk /nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-gawk-1.0-man",
    "platform wrapper su",
];

fn m2_platform_nix_names_only_what_every_definition_gives_the_platform() {
    let expr = "(import ./scenarios/m2/platform.nix) { flake = @FLAKE@; host = \"h\"; }";
    let got = platform_lines(expr, true);
    // bash: the host lists it too; xz: a false mkIf; sudo: ops.nix defines it too;
    // ping and sudoedit: false mkIf.
    assert_eq!(got, WANT);
    let got = platform_lines(expr, false);
    assert_eq!(
        got,
        &WANT[..2],
        "no security.wrappers option, no wrapper facts"
    );
}

fn m1_facts_nix_gives_the_same_platform_facts() {
    let expr = "(import ./scenarios/m1/facts.nix) { flake = @FLAKE@; hosts = [ \"h\" ]; }";
    let mut got = platform_lines(expr, true);
    got.sort();
    assert_eq!(got, WANT);
    let mut got = platform_lines(expr, false);
    got.sort();
    assert_eq!(
        got,
        &WANT[..2],
        "no security.wrappers option, no wrapper facts"
    );
}

/// libtest's own runner, so without Nix these tests are reported ignored, with why, never `ok`.
fn main() -> std::process::ExitCode {
    common::run_needing(
        "platform_facts",
        common::Needs::Nix,
        &[
            (
                "m2_platform_nix_names_only_what_every_definition_gives_the_platform",
                m2_platform_nix_names_only_what_every_definition_gives_the_platform as fn(),
            ),
            (
                "m1_facts_nix_gives_the_same_platform_facts",
                m1_facts_nix_gives_the_same_platform_facts as fn(),
            ),
        ],
    )
}
