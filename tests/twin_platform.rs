//! Offline: the twin's platform is NixOS's. The twin's system path
//! (`xtask/twin-files/nixpkgs/modules/system-path.nix`, the packages every NixOS system has on its PATH) must
//! name only packages NixOS 24.11 puts there, under their nixpkgs attribute names and pnames,
//! and hold every required and default one; and no twin package may link a command that only
//! Debian's build of it has (`mawk`, `which.debianutils`, `run-parts`, `lesspipe`, …): cc-ci is
//! NixOS, so a scenario that learns such a name on the twin would learn it wrong.
//!
//! Reads `system-path.nix` and `nixpkgs/default.nix` as text, in the layout they are written in
//! (one attribute per `    name = …;` line or `    name = … {` … `    };` block): a layout it
//! cannot read fails here rather than passing.

use std::collections::BTreeSet;
use std::path::PathBuf;

/// NixOS 24.11's `requiredPackages` in nixos/modules/config/system-path.nix (release-24.11):
/// (attribute as the twin's list names it, nixpkgs pname). The stored copy read (NixOS/nixpkgs
/// 0354e8b7, after 24.11: `corePackageNames`) has the same names without
/// `config.programs.ssh.package`, which 24.11's list has (here `openssh`, the option's default),
/// and `stdenv.cc.libc` after the list. pnames as nixpkgs sets them (`bash-interactive`,
/// `coreutils-full`; `netcat` is `libressl.nc`, `su` is `shadow.su`, `getent`/`getconf` are
/// glibc's programs).
const REQUIRED: &[(&str, &str)] = &[
    ("acl", "acl"),
    ("attr", "attr"),
    ("bashInteractive", "bash-interactive"),
    ("bzip2", "bzip2"),
    ("coreutils-full", "coreutils-full"),
    ("cpio", "cpio"),
    ("curl", "curl"),
    ("diffutils", "diffutils"),
    ("findutils", "findutils"),
    ("gawk", "gawk"),
    ("stdenv.cc.libc", "glibc"),
    ("getent", "glibc"),
    ("getconf", "glibc"),
    ("gnugrep", "gnugrep"),
    ("gnupatch", "gnupatch"),
    ("gnused", "gnused"),
    ("gnutar", "gnutar"),
    ("gzip", "gzip"),
    ("xz", "xz"),
    ("less", "less"),
    ("libcap", "libcap"),
    ("ncurses", "ncurses"),
    ("netcat", "libressl"),
    ("openssh", "openssh"),
    ("mkpasswd", "mkpasswd"),
    ("procps", "procps"),
    ("su", "shadow"),
    ("time", "time"),
    ("util-linux", "util-linux"),
    ("which", "which"),
    ("zstd", "zstd"),
];

/// `defaultPackageNames` of the same file.
const DEFAULT: &[(&str, &str)] = &[("perl", "perl"), ("rsync", "rsync"), ("strace", "strace")];

/// What other modules of a default server configuration add to `environment.systemPackages`:
/// (attribute, the module under nixos/modules/); each package's pname is its attribute.
const MODULES: &[(&str, &str)] = &[
    ("nix", "config/nix.nix"),
    ("nixos-rebuild", "installer/tools/tools.nix"),
    ("systemd", "system/boot/systemd.nix"),
    ("kbd", "config/console.nix"),
    ("nano", "programs/nano.nix"),
    ("hostname-debian", "tasks/network-interfaces.nix"),
    ("iproute2", "tasks/network-interfaces.nix"),
    ("sudo", "security/sudo.nix"),
];

/// The nixpkgs pname of a package NixOS 24.11 puts on every system's PATH, by attribute.
fn nixos_pname(attr: &str) -> Option<&'static str> {
    REQUIRED
        .iter()
        .chain(DEFAULT)
        .map(|&(a, p)| (a, p))
        .chain(MODULES.iter().map(|&(a, _)| (a, a)))
        .find(|(a, _)| *a == attr)
        .map(|(_, p)| p)
}

/// Commands Debian's packages install that nixpkgs' packages do not: (command, why).
const DEBIAN_ONLY: &[(&str, &str)] = &[
    ("mawk", "Debian's awk; NixOS' awk is gawk"),
    ("which.debianutils", "debianutils"),
    ("run-parts", "debianutils"),
    ("installkernel", "debianutils"),
    ("ischroot", "debianutils"),
    ("savelog", "debianutils"),
    ("tempfile", "debianutils"),
    ("add-shell", "debianutils"),
    ("remove-shell", "debianutils"),
    ("update-shells", "debianutils"),
    ("rbash", "Debian's bash link"),
    ("clear_console", "Debian's bash"),
    ("md5sum.textutils", "Debian's coreutils link"),
    ("arch", "Debian's coreutils (--enable-install-program=arch)"),
    ("rgrep", "Debian's grep"),
    ("rmt-tar", "Debian's tar (nixpkgs' rmt is in libexec/)"),
    ("tarcat", "Debian's tar"),
    ("lessfile", "Debian's less"),
    ("lesspipe", "Debian's less"),
    ("slogin", "Debian's openssh-client"),
    ("ssh-argv0", "Debian's openssh-client"),
    ("ld.so", "Debian's libc-bin link"),
    ("mt-gnu", "Debian's cpio"),
    ("bzexe", "Debian's bzip2"),
    ("nc.openbsd", "Debian's netcat-openbsd (nixpkgs: nc)"),
    ("rename.ul", "Debian's util-linux (nixpkgs: rename)"),
    ("getty", "Debian's util-linux link (nixpkgs: agetty)"),
    ("skill", "Debian builds procps with --enable-skill"),
    ("snice", "Debian builds procps with --enable-skill"),
    ("rrsync", "Debian's rsync (nixpkgs: the rrsync package)"),
    ("codepage", "Debian's kbd (contrib)"),
    ("mk_modmap", "Debian's kbd (contrib)"),
    ("resizecons", "Debian's kbd (contrib)"),
    ("screendump", "Debian's kbd (contrib)"),
    ("splitfont", "Debian's kbd (contrib)"),
    ("vcstime", "Debian's kbd (contrib)"),
];

fn twin_nixpkgs() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("xtask/twin-files/nixpkgs")
}

fn read(rel: &str) -> String {
    let path = twin_nixpkgs().join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// The attribute paths in system-path.nix's `environment.systemPackages = with pkgs; [ … ];`.
fn system_path() -> Vec<String> {
    let text = read("modules/system-path.nix");
    let start = text
        .find("environment.systemPackages = with pkgs; [")
        .expect("system-path.nix: no `environment.systemPackages = with pkgs; [`");
    let body = &text[start..];
    let body = &body[body.find('[').unwrap() + 1..];
    let body = &body[..body
        .find("];")
        .expect("system-path.nix: the list has no `];`")];
    let names: Vec<String> = body
        .lines()
        .map(|l| l.split('#').next().unwrap())
        .flat_map(str::split_whitespace)
        .map(str::to_string)
        .collect();
    assert!(!names.is_empty(), "system-path.nix: an empty list");
    names
}

/// The text of `    <attr> = …` in default.nix: that line, or through its `    };`.
fn definition<'a>(text: &'a str, attr: &str) -> Option<&'a str> {
    let head = format!("\n    {attr} = ");
    let start = text.find(&head)? + 1;
    let rest = &text[start..];
    let first = rest.lines().next().unwrap();
    let end = if first.trim_end().ends_with(';') {
        first.len()
    } else {
        rest.find("\n    };")? + "\n    };".len()
    };
    Some(&rest[..end])
}

/// The strings of a Nix list starting at `text`'s first `[` (quoted strings only).
fn string_list(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = text[text.find('[').expect("a list") + 1..].chars();
    while let Some(c) = chars.next() {
        match c {
            ']' => return out,
            '"' => {
                let mut s = String::new();
                for c in chars.by_ref() {
                    if c == '"' {
                        break;
                    }
                    s.push(c);
                }
                out.push(s);
            }
            c if c.is_whitespace() => {}
            c => panic!("unexpected {c:?} in a list of strings: {text:.80}"),
        }
    }
    panic!("an unclosed list: {text:.80}")
}

/// A twin package as default.nix defines it, aliases (`= final.glibc;`) followed.
struct Package {
    /// The attribute that holds the definition.
    attr: String,
    pname: Option<String>,
    /// `commands = [ … ]` of a `debianTool`; None for other builders.
    commands: Option<Vec<String>>,
}

fn package(text: &str, attr: &str) -> Package {
    let mut attr = attr.to_string();
    for _ in 0..5 {
        let def = definition(text, &attr)
            .unwrap_or_else(|| panic!("default.nix defines no `{attr}` (as `    {attr} = …`)"));
        let value = def[def.find(" = ").unwrap() + 3..].trim();
        if let Some(target) = value
            .strip_prefix("final.")
            .and_then(|v| v.strip_suffix(';'))
            .filter(|t| !t.contains(' '))
        {
            attr = target.to_string();
            continue;
        }
        let pname = def.find("pname = \"").map(|i| {
            let s = &def[i + "pname = \"".len()..];
            s[..s.find('"').unwrap()].to_string()
        });
        let commands = if value.starts_with("final.debianTool") {
            Some(match def.find("commands = ") {
                None => Vec::new(),
                Some(i) => {
                    let v = &def[i + "commands = ".len()..];
                    if v.starts_with('[') {
                        string_list(v)
                    } else {
                        let name = &v[..v.find(';').unwrap()];
                        let let_def = text
                            .find(&format!("\n  {name} = ["))
                            .unwrap_or_else(|| panic!("default.nix: no `  {name} = [`"));
                        string_list(&text[let_def..])
                    }
                }
            })
        } else {
            None
        };
        return Package {
            attr,
            pname,
            commands,
        };
    }
    panic!("default.nix: aliases of `{attr}` go round")
}

#[test]
fn the_system_path_is_nixos_packages_under_their_nixpkgs_names() {
    let listed = system_path();
    let text = read("default.nix");
    let mut errors = Vec::new();
    for name in &listed {
        let Some(pname) = nixos_pname(name) else {
            errors.push(format!(
                "{name}: NixOS 24.11 puts no package of that nixpkgs name on every system's PATH"
            ));
            continue;
        };
        let p = package(&text, name);
        match (&p.pname, p.commands.is_some()) {
            (Some(got), _) if got != pname => errors.push(format!(
                "{name}: pname {got:?} (`{}`), nixpkgs' is {pname:?}",
                p.attr
            )),
            (None, true) => errors.push(format!("{name}: a debianTool without a pname")),
            _ => {}
        }
    }
    for (attr, _) in REQUIRED.iter().chain(DEFAULT) {
        if !listed.iter().any(|n| n == attr) {
            errors.push(format!(
                "{attr}: on every NixOS system (system-path.nix), missing"
            ));
        }
    }
    assert!(
        errors.is_empty(),
        "the twin's system path:\n{}",
        errors.join("\n")
    );
}

#[test]
fn no_twin_package_links_a_debian_only_command() {
    let text = read("default.nix");
    let mut errors = Vec::new();
    // Every system-path package built from Debian's binaries names its commands.
    let mut attrs: BTreeSet<String> = BTreeSet::new();
    for name in system_path() {
        if nixos_pname(&name).is_none() {
            continue; // not a NixOS name: the other test says so
        }
        let p = package(&text, &name);
        if p.commands.as_ref().is_some_and(Vec::is_empty) {
            errors.push(format!(
                "{name} (`{}`): a debianTool on the system path without `commands`: it would link \
                 every command Debian's packages install",
                p.attr
            ));
        }
        attrs.insert(p.attr);
    }
    // And no package, on the system path or not, names a Debian-only one.
    for line in text.lines() {
        let Some(attr) = line
            .strip_prefix("    ")
            .filter(|l| !l.starts_with(' ') && !l.starts_with('#'))
            .and_then(|l| l.split_once(" = ").map(|(a, _)| a))
        else {
            continue;
        };
        let p = package(&text, attr);
        for cmd in p.commands.iter().flatten() {
            if let Some((_, why)) = DEBIAN_ONLY.iter().find(|(c, _)| c == cmd) {
                errors.push(format!("{attr} links {cmd}: Debian-only ({why})"));
            }
        }
    }
    assert!(
        attrs.len() > 30,
        "only {} system-path packages read",
        attrs.len()
    );
    assert!(
        errors.is_empty(),
        "Debian in the twin's platform:\n{}",
        errors.join("\n")
    );
}
