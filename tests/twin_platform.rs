//! Offline: the twin's platform is NixOS's. The twin's system path
//! (`twinpkgs/modules/system-path.nix`, the packages every NixOS system has on its PATH) must
//! name only packages NixOS 24.11 puts there, under their nixpkgs attribute names and pnames,
//! and hold every required and default one; and no twin package may link a command that only
//! Debian's build of it has (`mawk`, `which.debianutils`, `run-parts`, `lesspipe`, …): cc-ci is
//! NixOS, so a scenario that learns such a name on the twin would learn it wrong.
//!
//! Reads `system-path.nix` and `twinpkgs/default.nix` as text, in the layout they are written in
//! (one attribute per `    name = …;` line or `    name = … {` … `    };` block): a layout it
//! cannot read fails here rather than passing.

use std::collections::BTreeSet;
use std::path::PathBuf;

/// Where a package comes from on NixOS 24.11.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Source {
    /// `requiredPackages` of nixos/modules/config/system-path.nix (release-24.11).
    Required,
    /// `defaultPackages` (`defaultPackageNames`) of the same file.
    Default,
    /// `environment.systemPackages` of another module a default server config has (the file).
    Module(&'static str),
}

/// NixOS 24.11's system-path packages: (attribute as the twin's list names it, nixpkgs pname,
/// source). Required and default: nixos/modules/config/system-path.nix; the stored copy read
/// (NixOS/nixpkgs 0354e8b7, after 24.11) has the same names as `corePackageNames` without
/// `config.programs.ssh.package`, which 24.11's `requiredPackages` has (here: `openssh`, the
/// option's default), and `stdenv.cc.libc` after the list. pnames as nixpkgs sets them
/// (`bash-interactive`, `coreutils-full`; `netcat` is `libressl.nc`, `su` is `shadow.su`,
/// `getent`/`getconf` glibc's programs).
const NIXOS: &[(&str, &str, Source)] = &[
    ("acl", "acl", Source::Required),
    ("attr", "attr", Source::Required),
    ("bashInteractive", "bash-interactive", Source::Required),
    ("bzip2", "bzip2", Source::Required),
    ("coreutils-full", "coreutils-full", Source::Required),
    ("cpio", "cpio", Source::Required),
    ("curl", "curl", Source::Required),
    ("diffutils", "diffutils", Source::Required),
    ("findutils", "findutils", Source::Required),
    ("gawk", "gawk", Source::Required),
    ("stdenv.cc.libc", "glibc", Source::Required),
    ("getent", "glibc", Source::Required),
    ("getconf", "glibc", Source::Required),
    ("gnugrep", "gnugrep", Source::Required),
    ("gnupatch", "gnupatch", Source::Required),
    ("gnused", "gnused", Source::Required),
    ("gnutar", "gnutar", Source::Required),
    ("gzip", "gzip", Source::Required),
    ("xz", "xz", Source::Required),
    ("less", "less", Source::Required),
    ("libcap", "libcap", Source::Required),
    ("ncurses", "ncurses", Source::Required),
    ("netcat", "libressl", Source::Required),
    ("openssh", "openssh", Source::Required),
    ("mkpasswd", "mkpasswd", Source::Required),
    ("procps", "procps", Source::Required),
    ("su", "shadow", Source::Required),
    ("time", "time", Source::Required),
    ("util-linux", "util-linux", Source::Required),
    ("which", "which", Source::Required),
    ("zstd", "zstd", Source::Required),
    ("perl", "perl", Source::Default),
    ("rsync", "rsync", Source::Default),
    ("strace", "strace", Source::Default),
    ("nix", "nix", Source::Module("nixos/modules/config/nix.nix")),
    (
        "nixos-rebuild",
        "nixos-rebuild",
        Source::Module("nixos/modules/installer/tools/tools.nix"),
    ),
    (
        "systemd",
        "systemd",
        Source::Module("nixos/modules/system/boot/systemd.nix"),
    ),
    (
        "kbd",
        "kbd",
        Source::Module("nixos/modules/config/console.nix"),
    ),
    (
        "nano",
        "nano",
        Source::Module("nixos/modules/programs/nano.nix"),
    ),
    (
        "hostname-debian",
        "hostname-debian",
        Source::Module("nixos/modules/tasks/network-interfaces.nix"),
    ),
    (
        "iproute2",
        "iproute2",
        Source::Module("nixos/modules/tasks/network-interfaces.nix"),
    ),
    (
        "sudo",
        "sudo",
        Source::Module("nixos/modules/security/sudo.nix"),
    ),
];

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

fn twinpkgs() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("xtask/twin-files/cc-ci/head/twinpkgs")
}

fn read(rel: &str) -> String {
    let path = twinpkgs().join(rel);
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
        let Some((_, pname, _)) = NIXOS.iter().find(|(a, _, _)| a == name) else {
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
    for (attr, _, source) in NIXOS {
        if matches!(source, Source::Required | Source::Default) && !listed.iter().any(|n| n == attr)
        {
            errors.push(format!(
                "{attr}: on every NixOS system ({source:?}), missing"
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
        if !NIXOS.iter().any(|(a, _, _)| *a == name) {
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
