//! The facts a unit gives about the environment of its processes, read from the text systemd
//! reads (a unit file and its drop-ins, or `systemctl show`) and from the wrapper scripts its
//! `ExecStart*=` lines run, rendered one fact a line for the `units` step.
//!
//! Pure text in, lines out: no I/O here, so each spelling is pinned by a unit test.

use std::sync::LazyLock;

use regex::Regex;

/// The settings that make a unit's processes' environment or choose what they run.
pub(crate) const EXEC_KEYS: [&str; 3] = ["ExecStartPre", "ExecStart", "ExecStartPost"];

/// What one unit says, in the order systemd reads it.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct UnitFacts {
    /// The file names of its drop-ins, in systemd's order.
    pub(crate) drop_ins: Vec<String>,
    /// Each `Environment=` assignment (`NAME=value`), split as systemd splits the line.
    pub(crate) environment: Vec<String>,
    /// Each `EnvironmentFile=` value.
    pub(crate) environment_files: Vec<String>,
    /// `(key, program)`: the program of each `ExecStart*=` line.
    pub(crate) programs: Vec<(String, String)>,
}

/// The settings of a unit file and its drop-ins (their texts, in systemd's order).
pub(crate) fn from_unit_files<'a>(texts: impl IntoIterator<Item = &'a str>) -> UnitFacts {
    let mut f = UnitFacts::default();
    for text in texts {
        for line in text.lines() {
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            match key.trim() {
                "Environment" => f.environment.extend(words(value)),
                "EnvironmentFile" => f.environment_files.push(value.trim().to_string()),
                k if EXEC_KEYS.contains(&k) => {
                    if let Some(p) = program(value) {
                        f.programs.push((k.to_string(), p));
                    }
                }
                _ => {}
            }
        }
    }
    f
}

/// The same settings from `systemctl show -p Environment -p EnvironmentFiles -p ExecStart…`
/// (systemd's own resolution: the unit file, every drop-in, and the defaults applied).
pub(crate) fn from_show(text: &str) -> UnitFacts {
    static PATH: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?:^|[{ ;])path=([^ ;]+)").expect("regex"));
    let mut f = UnitFacts::default();
    for line in text.lines() {
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        match key {
            "Environment" => f.environment.extend(words(value)),
            "DropInPaths" => f.drop_ins.extend(
                value
                    .split_whitespace()
                    .map(|p| p.rsplit('/').next().unwrap_or(p).to_string()),
            ),
            // `/etc/x (ignore_errors=no)`, one a line.
            "EnvironmentFiles" if !value.trim().is_empty() => f
                .environment_files
                .push(value.split(" (").next().unwrap_or(value).to_string()),
            k if EXEC_KEYS.contains(&k) => {
                for c in PATH.captures_iter(value) {
                    f.programs.push((k.to_string(), c[1].to_string()));
                }
            }
            _ => {}
        }
    }
    f
}

/// The words of an `Environment=` value: separated by spaces, each maybe quoted, as systemd
/// (and a shell) splits it. An unbalanced quote keeps the text whole rather than losing it.
fn words(value: &str) -> Vec<String> {
    shlex::split(value).unwrap_or_else(|| vec![value.trim().to_string()])
}

/// The program of an `ExecStart*=` value: its first word, after systemd's prefix characters
/// (`-`, `@`, `+`, `!`, `:`).
fn program(value: &str) -> Option<String> {
    let v = value.trim().trim_start_matches(['-', '@', '+', '!', ':']);
    words(v).into_iter().next().filter(|p| !p.is_empty())
}

/// What a wrapper script sets its processes' PATH to, and what it execs.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Wrapper {
    /// Every entry of every PATH assignment, whatever its spelling (`export PATH=…`,
    /// `PATH="$PATH:…"`, `PATH+=…`), quotes taken out: `$PATH` stays as the entry it is.
    pub(crate) path_entries: Vec<String>,
    /// The rest of each `exec` line.
    pub(crate) execs: Vec<String>,
}

/// The PATH entries and `exec`s of a script.
pub(crate) fn wrapper(script: &str) -> Wrapper {
    static ASSIGN: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?:^|[^A-Za-z_])PATH\+?=").expect("regex"));
    static EXEC: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^\s*exec\s+(.*)$").expect("regex"));
    let mut w = Wrapper::default();
    for line in script.lines() {
        // The value after the line's last assignment (as `sed 's/.*PATH=//'` takes it).
        if let Some(m) = ASSIGN.find_iter(line).last() {
            w.path_entries.extend(
                line[m.end()..]
                    .replace(['"', '\''], "")
                    .split([':', ' '])
                    .filter(|e| !e.is_empty())
                    .map(str::to_string),
            );
        }
        if let Some(c) = EXEC.captures(line) {
            w.execs.push(c[1].trim_end().to_string());
        }
    }
    w
}

/// The fact lines of one unit: its drop-ins, environment (PATH one entry a line), environment
/// files, programs and, for each program that is a script, its PATH entries and execs.
pub(crate) fn lines(
    unit: &str,
    facts: &UnitFacts,
    script: impl Fn(&str) -> Option<String>,
) -> Vec<String> {
    let mut out = Vec::new();
    for d in &facts.drop_ins {
        out.push(format!("unit {unit}: drop-in: {d}"));
    }
    for a in &facts.environment {
        match a.strip_prefix("PATH=") {
            Some(path) => out.extend(
                path.split(':')
                    .map(|e| format!("unit {unit}: Environment PATH entry: {e}")),
            ),
            None => out.push(format!("unit {unit}: Environment: {a}")),
        }
    }
    for f in &facts.environment_files {
        out.push(format!("unit {unit}: EnvironmentFile: {f}"));
    }
    for (key, prog) in &facts.programs {
        out.push(format!("unit {unit}: {key}: {prog}"));
        if let Some(text) = script(prog) {
            out.extend(wrapper_lines(&format!("unit {unit}: wrapper"), &text));
        }
    }
    out
}

/// The fact lines of a wrapper script under a label: `<label> PATH entry: …` for each entry
/// of its PATH, then `<label> execs: …` for each `exec`.
pub(crate) fn wrapper_lines(label: &str, script: &str) -> Vec<String> {
    let w = wrapper(script);
    let paths = w
        .path_entries
        .iter()
        .map(|e| format!("{label} PATH entry: {e}"));
    let execs = w.execs.iter().map(|e| format!("{label} execs: {e}"));
    paths.chain(execs).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_unit_file_and_its_drop_ins() {
        let unit = "[Unit]\nDescription=x\n[Service]\nEnvironment=\"LOCALE_ARCHIVE=/a\"\n\
                    Environment=\"PATH=/c/bin:/d/bin\"\nExecStart=@/nix/store/w/bin/sweep sweep --all\n";
        let drop = "[Service]\nEnvironment=PYTHONPATH=/p \"X=a b\"\nEnvironmentFile=-/etc/x.env\n\
                    ExecStartPre=+/nix/store/pre/bin/pre\n";
        let f = from_unit_files([unit, drop]);
        assert_eq!(
            f.environment,
            [
                "LOCALE_ARCHIVE=/a",
                "PATH=/c/bin:/d/bin",
                "PYTHONPATH=/p",
                "X=a b"
            ]
        );
        assert_eq!(f.environment_files, ["-/etc/x.env"]);
        assert_eq!(
            f.programs,
            [
                (
                    "ExecStart".to_string(),
                    "/nix/store/w/bin/sweep".to_string()
                ),
                (
                    "ExecStartPre".to_string(),
                    "/nix/store/pre/bin/pre".to_string()
                )
            ]
        );
    }

    #[test]
    fn systemctl_show() {
        let show = "ExecStartPre=\nExecStart={ path=/nix/store/w/bin/sweep ; argv[]=/nix/store/w/bin/sweep ; ignore_errors=no ; start_time=[n/a] ; stop_time=[n/a] ; pid=0 ; code=(null) ; status=0/0 }\n\
                    ExecStartPost=\nEnvironment=LOCALE_ARCHIVE=/a \"PATH=/c/bin:/d bin\"\nEnvironmentFiles=/etc/x.env (ignore_errors=yes)\n\
                    DropInPaths=/etc/systemd/system/u.service.d/override.conf /run/systemd/system/u.service.d/50-x.conf\n";
        let f = from_show(show);
        assert_eq!(f.environment, ["LOCALE_ARCHIVE=/a", "PATH=/c/bin:/d bin"]);
        assert_eq!(f.environment_files, ["/etc/x.env"]);
        assert_eq!(f.drop_ins, ["override.conf", "50-x.conf"]);
        assert_eq!(
            f.programs,
            [(
                "ExecStart".to_string(),
                "/nix/store/w/bin/sweep".to_string()
            )]
        );
    }

    #[test]
    fn a_wrappers_path_in_any_spelling() {
        let script = "#!/bin/bash\nset -o errexit\nexport PATH=\"/nix/store/r/bin:$PATH\"\n\
                      PATH=$PATH:'/nix/var/nix/profiles/system/sw/bin'\nexport PATH+=\":/x/bin\"\n\
                      MANPATH=/m\ncd /etc/cc-ci\nexec cc-ci-run runner/nightly_sweep.py \"$@\"\n";
        let w = wrapper(script);
        assert_eq!(
            w.path_entries,
            [
                "/nix/store/r/bin",
                "$PATH",
                "$PATH",
                "/nix/var/nix/profiles/system/sw/bin",
                "/x/bin"
            ]
        );
        assert_eq!(w.execs, ["cc-ci-run runner/nightly_sweep.py \"$@\""]);
    }

    #[test]
    fn fact_lines() {
        let f = UnitFacts {
            drop_ins: vec!["10-x.conf".into()],
            environment: vec!["PATH=/a/bin:/b/bin".into(), "TZDIR=/z".into()],
            environment_files: vec!["/etc/x".into()],
            programs: vec![
                ("ExecStart".into(), "/w".into()),
                ("ExecStartPost".into(), "/bin/true".into()),
            ],
        };
        let script =
            |p: &str| (p == "/w").then(|| "export PATH=/r/bin:$PATH\nexec r\n".to_string());
        assert_eq!(
            lines("u.service", &f, script),
            [
                "unit u.service: drop-in: 10-x.conf",
                "unit u.service: Environment PATH entry: /a/bin",
                "unit u.service: Environment PATH entry: /b/bin",
                "unit u.service: Environment: TZDIR=/z",
                "unit u.service: EnvironmentFile: /etc/x",
                "unit u.service: ExecStart: /w",
                "unit u.service: wrapper PATH entry: /r/bin",
                "unit u.service: wrapper PATH entry: $PATH",
                "unit u.service: wrapper execs: r",
                "unit u.service: ExecStartPost: /bin/true",
            ]
        );
    }
}
