//! The error class "a program could not be found", in whatever words the thing that tried to
//! run it used.
//!
//! A program could not be found when something tried to *run* (or look up) a program by name
//! or path and the name did not resolve. What says so differs by who tried:
//!
//! - a shell, or anything that runs its argument as a command (sudo, env, xargs, nohup,
//!   timeout, …), says the name was not found, or that executing it gave `ENOENT`;
//! - a POSIX shell's exit status for it is 127, which callers report as a status;
//! - a runtime that spawns processes (Go's `os/exec`, Node's `spawn`, Perl's `exec`, git's
//!   `run_command`, systemd, Python's `subprocess`) reports `ENOENT` against the program it
//!   tried to start, or "executable file not found" in/on PATH;
//! - a lookup (`shutil.which`, git's dispatch of `git <sub>` to `git-<sub>`, Git LFS's check
//!   for its own binary, Playwright's browser) says the program is not on PATH or does not
//!   exist.
//!
//! Each family is one rule below, written as the shape of the report (who, the program, the
//! not-found predicate), not as the sentences seen so far; the unit tests hold a corpus of
//! real spellings, and of lines that mention a missing *file* (which are not this class).

use std::sync::LazyLock;

use regex::Regex;

/// One line that says a program could not be found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Missing {
    /// The program as the report names it (`git-lfs`, `/usr/bin/docker`); empty when the
    /// report gives only the status (127).
    pub(crate) program: String,
    /// Which family of reporter said so.
    pub(crate) by: &'static str,
    pub(crate) line: String,
}

/// The not-found predicates of an exec attempt: the errno `ENOENT`, in its spellings.
const ENOENT: &str =
    r"(?:No such file or directory|no such file or directory|ENOENT|\(os error 2\))";

/// Programs whose job is to run their argument as a program: a report of theirs about a
/// name is about a program.
const LAUNCHERS: &str = r"(?:[\w./-]*/)?(?:sudo|doas|env|xargs|nohup|timeout|nice|ionice|stdbuf|setsid|chroot|flock|runuser|su|time|strace|nsenter|unshare|taskset|watch|make)";

/// Shells: a name they could not run is "not found" (ENOENT from a shell is as often a
/// redirect's file as a program, so it is not read as this class).
const SHELLS: &str = r"(?:[\w./-]*/)?(?:[a-z]*sh|exec|command)";

/// A name a report quotes or names: quotes of any kind stripped by the groups around it.
const NAME: &str = r#"[‘'"`]?(?P<p>[^\s'"‘’`:]+)[’'"`]?"#;

struct Rule {
    by: &'static str,
    re: Regex,
}

static RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    let rule = |by: &'static str, re: String| Rule {
        by,
        re: Regex::new(&re).expect("a missing-program rule"),
    };
    vec![
        // `bash: git-lfs: command not found`, `zsh: command not found: x`, `sudo: x: command
        // not found`: the phrase names its class wherever it stands.
        rule("shell", format!(r"\bcommand not found: {NAME}")),
        rule("shell", format!(r"{NAME}: command not found\b")),
        // `sh: 1: x: not found`, `/bin/sh: line 3: exec: x: not found`, `fish: Unknown
        // command: x`: a shell or launcher saying a name it was to run is not found.
        rule(
            "shell",
            format!(r"(?:^|[\s\[])(?i:{SHELLS}):(?: line \d+:| \d+:)?(?: exec:)? {NAME}: not found"),
        ),
        rule(
            "launcher",
            format!(r"(?:^|[\s\[])(?i:{LAUNCHERS}): {NAME}: (?:not found|{ENOENT})"),
        ),
        rule("shell", format!(r"\b(?i:unknown command): {NAME}")),
        // `env: 'x': No such file or directory`, `nohup: failed to run command 'x': …`,
        // `fatal: cannot run ssh: …`, `Can't exec "tar": …`, `fork/exec /x: …`, `Failed to
        // execute /x: …`, `Failed at step EXEC spawning /x: …`: an attempt to run, and ENOENT.
        rule(
            "exec",
            format!(
                r"(?i:cannot run|can't exec|could not exec(?:ute)?|unable to exec(?:ute)?|failed to (?:run(?: command)?|exec(?:ute)?|locate executable|find executable|spawn)|fork/exec|execvp?e?(?:\(\))?|spawning|error spawning) {NAME}:? {ENOENT}"
            ),
        ),
        // Node: `Error: spawn git-lfs ENOENT`.
        rule("exec", format!(r"\bspawn {NAME} ENOENT\b")),
        // Go: `exec: "docker": executable file not found in $PATH`; also "… not found in
        // PATH" / "on your path" from any lookup.
        rule(
            "lookup",
            format!(r#"\bexec: {NAME}: executable file not found"#),
        ),
        rule(
            "lookup",
            format!(r"{NAME} (?:was |is )?not found (?:in|on) (?:your |the )?\$?(?i:path)\b"),
        ),
        // Python's subprocess: `FileNotFoundError: [Errno 2] No such file or directory:
        // 'abra'`: a bare name (no directory, no extension) is what subprocess was given to
        // run; a path or a file name with an extension is a file.
        rule(
            "python",
            r#"\[Errno 2\] No such file or directory: ['"](?P<p>[^'"/.\s]+)['"]"#.to_string(),
        ),
        // Python's lookup, as pytest shows an assertion on it: `where None = <function which
        // at 0x…>('git-lfs')`, or `which('x')` said to be None.
        rule(
            "python",
            r#"None = <function which at 0x[0-9a-f]+>\(['"](?P<p>[^'"]+)['"]"#.to_string(),
        ),
        rule(
            "python",
            r#"\bwhich\(['"](?P<p>[^'"]+)['"]\) (?:is|returned|gave) None\b"#.to_string(),
        ),
        // git dispatches `git lfs` to `git-lfs`: `git: 'lfs' is not a git command`, or `'lfs'
        // appears to be a git command, but we were not able to execute it`.
        rule(
            "git",
            r#"\bgit: '(?P<sub>[^']+)' is not a git command"#.to_string(),
        ),
        rule(
            "git",
            r#"'(?P<sub>[^']+)' appears to be a git command, but we were not able to execute it"#
                .to_string(),
        ),
        // A program's status after its shell could not find it: 127.
        rule(
            "status 127",
            r"(?i:exit status|exit code|exited with(?: code)?|returned non-zero exit status|returncode=|status=|Error) 127\b"
                .to_string(),
        ),
        // Playwright: `Executable doesn't exist at /…/chrome`.
        rule(
            "lookup",
            r"\bExecutable doesn't exist at (?P<p>\S+)".to_string(),
        ),
    ]
});

/// Every line of `text` that says a program could not be found.
pub(crate) fn missing_programs(text: &str) -> Vec<Missing> {
    text.lines()
        .filter_map(|line| {
            RULES.iter().find_map(|r| {
                let c = r.re.captures(line)?;
                let program = match (c.name("p"), c.name("sub")) {
                    (Some(p), _) => p.as_str().to_string(),
                    (None, Some(sub)) => format!("git-{}", sub.as_str()),
                    (None, None) => String::new(),
                };
                Some(Missing {
                    program,
                    by: r.by,
                    line: line.trim().to_string(),
                })
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (a line, the program it says could not be found)
    const CORPUS: &[(&str, &str)] = &[
        // shells
        ("bash: git-lfs: command not found", "git-lfs"),
        ("bash: line 1: git-lfs: command not found", "git-lfs"),
        ("/bin/bash: line 12: openssl: command not found", "openssl"),
        ("sh: 1: xz: not found", "xz"),
        ("/bin/sh: 1: abra: not found", "abra"),
        ("sh: 1: exec: docker: not found", "docker"),
        ("sh: docker: not found", "docker"),
        ("dash: 3: script: not found", "script"),
        ("zsh: command not found: git-lfs", "git-lfs"),
        ("fish: Unknown command: git-lfs", "git-lfs"),
        ("sudo: abra: command not found", "abra"),
        (
            "  E     bash: line 1: git-lfs: command not found",
            "git-lfs",
        ),
        // launchers
        ("env: ‘python3’: No such file or directory", "python3"),
        (
            "/usr/bin/env: 'python': No such file or directory",
            "python",
        ),
        ("xargs: docker: No such file or directory", "docker"),
        (
            "nohup: failed to run command 'abra': No such file or directory",
            "abra",
        ),
        (
            "timeout: failed to run command ‘git-lfs’: No such file or directory",
            "git-lfs",
        ),
        // runtimes that spawn
        (
            "exec: \"docker\": executable file not found in $PATH",
            "docker",
        ),
        (
            "Error: failed to start: exec: \"git-lfs\": executable file not found in $PATH",
            "git-lfs",
        ),
        (
            "OCI runtime exec failed: exec failed: unable to start container process: exec: \"psql\": executable file not found in $PATH: unknown",
            "psql",
        ),
        (
            "fork/exec /run/current-system/sw/bin/git: no such file or directory",
            "/run/current-system/sw/bin/git",
        ),
        ("Error: spawn git-lfs ENOENT", "git-lfs"),
        (
            "Can't exec \"tar\": No such file or directory at /usr/bin/x line 3.",
            "tar",
        ),
        (
            "nightly-sweep.service: Failed to locate executable cc-ci-run: No such file or directory",
            "cc-ci-run",
        ),
        (
            "nightly-sweep.service: Failed at step EXEC spawning /nix/store/abc-x/bin/x: No such file or directory",
            "/nix/store/abc-x/bin/x",
        ),
        ("fatal: cannot run ssh: No such file or directory", "ssh"),
        (
            "error: cannot run git-lfs: No such file or directory",
            "git-lfs",
        ),
        // Python
        (
            "E   FileNotFoundError: [Errno 2] No such file or directory: 'abra'",
            "abra",
        ),
        (
            "FileNotFoundError: [Errno 2] No such file or directory: 'git-lfs'",
            "git-lfs",
        ),
        (
            "E    +  where None = <function which at 0x7f3a2c1d0e50>('git-lfs')",
            "git-lfs",
        ),
        ("shutil.which('openssl') returned None", "openssl"),
        // git
        (
            "git: 'lfs' is not a git command. See 'git --help'.",
            "git-lfs",
        ),
        (
            "git: 'crypt' is not a git command. See 'git --help'.",
            "git-crypt",
        ),
        (
            "fatal: 'lfs' appears to be a git command, but we were not able to execute it. Maybe git-lfs is broken?",
            "git-lfs",
        ),
        (
            "This repository is configured for Git LFS but 'git-lfs' was not found on your path.",
            "git-lfs",
        ),
        // a status
        (
            "subprocess.CalledProcessError: Command 'git lfs pull' returned non-zero exit status 127.",
            "",
        ),
        ("make: *** [Makefile:3: all] Error 127", ""),
        ("error: exit status 127", ""),
        // a browser
        (
            "playwright._impl._errors.Error: BrowserType.launch: Executable doesn't exist at /root/.cache/ms-playwright/chromium-1091/chrome-linux/chrome",
            "/root/.cache/ms-playwright/chromium-1091/chrome-linux/chrome",
        ),
    ];

    /// Lines about a missing *file*, or not-found of other things, or outcomes: not the class.
    const NOT: &[&str] = &[
        "cat: /etc/cc-ci/config.yml: No such file or directory",
        "ls: cannot access '/srv/x': No such file or directory",
        "FileNotFoundError: [Errno 2] No such file or directory: '/tmp/pytest-of-root/pytest-3/x/config.yml'",
        "FileNotFoundError: [Errno 2] No such file or directory: 'compose.lfs.yml'",
        "bash: line 1: /tmp/nodir/out.txt: No such file or directory",
        "No such file or directory",
        "ERROR:  relation \"ci_marker\" does not exist",
        "Error response from daemon: container ci-discourse_app.1 is not running",
        "warning: templates not found in /usr/share/git-core/templates",
        "Unit foo.service not found.",
        "404 page not found",
        "fatal: not a git repository (or any of the parent directories): .git",
        "tests/x/test_command_not_found.py::test_command_not_found_is_reported PASSED",
        "sweep: cryptpad no-new-version SKIP",
        "E       assert 1 == 0",
        "subprocess.CalledProcessError: Command '['docker', 'exec', 'x']' returned non-zero exit status 1.",
        "========================= 1 failed, 1 passed in 0.03s ==========================",
        "sweep: gitea promote: FATA warm-gitea.ci.commoninternet.net is already deployed",
        "error: pathspec 'x' did not match any file(s) known to git",
    ];

    #[test]
    fn every_spelling_of_the_corpus_is_a_missing_program() {
        let wrong: Vec<String> = CORPUS
            .iter()
            .filter_map(|(line, program)| {
                let found = missing_programs(line);
                let got: Vec<&str> = found.iter().map(|m| m.program.as_str()).collect();
                (got != [*program]).then(|| format!("{line:?} → {got:?}, not {program:?}"))
            })
            .collect();
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn a_missing_file_or_other_not_found_is_not_a_missing_program() {
        let wrong: Vec<String> = NOT
            .iter()
            .filter(|line| !missing_programs(line).is_empty())
            .map(|line| format!("{line:?} → {:?}", missing_programs(line)))
            .collect();
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn a_log_yields_each_line_once_with_who_said_it() {
        let log = "sweep: gitea rc=0\nsh: 1: xz: not found\nok\ngit: 'lfs' is not a git command. See 'git --help'.\n";
        let found = missing_programs(log);
        assert_eq!(
            found
                .iter()
                .map(|m| (m.program.as_str(), m.by))
                .collect::<Vec<_>>(),
            vec![("xz", "shell"), ("git-lfs", "git")]
        );
    }
}
