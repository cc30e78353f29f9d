//! Which program reads a value as code: the commands of a shell command, and the words a
//! second interpreter will parse.
//!
//! [`super::shell`] writes a value so the shell that reads the step's command takes it as
//! data. That is not enough where the value lands in text that *another* program parses as
//! code: the command string of `bash -c`, the arguments of `eval`, `su -c`, the remote
//! command of `ssh`, `nix-shell --run`, a heredoc or pipe into a shell, an awk or sed
//! program. There, correct outer quoting hands the second reader `$(…)` intact, and it runs.
//!
//! The lexer cuts the command into simple commands ([`Cmd`]: words, the pipeline they belong
//! to, the word of an outer command a `$(…)` or `<(…)` sits in); [`code_reader`] says, for a
//! place a value reaches, which program would read it as code. The rules follow each
//! reader's documented argument grammar (its manual page): a shell's `-c` string and script
//! operand, `eval`'s words, `su`/`runuser`/`flock`/`script` `-c`, `sudo -s`/`-i`, every
//! word after `ssh`, `nix-shell --run`/`--command`, `watch`/`parallel` command lines, the
//! `-c`/`-e` code and script operand of python/perl/ruby/node/php, an awk program, a sed
//! script, a file run by `.`/`source`, and the command name itself. A reader counts when it
//! is the command or follows a command that runs its arguments as a command (`sudo`,
//! `env`, `xargs`, `find -exec`, `docker exec`, `systemd-run`, …): those pass words on as
//! argv, unparsed, so the words they pass are judged by the program they start.
//!
//! Values that must reach such a program go through the environment instead (`env = { V =
//! "${v}" }` on the step, `"$V"` in the inner program): the second reader expands `$V` as
//! data. A shell variable of the step that holds a value (`env` names, and assignments
//! whose value includes a `${v}`) is held to the same rule where the *outer* shell expands
//! it into program text (`bash -c "echo $V"`).

/// One word of a simple command, as the shell would split it (quotes removed; a `$(…)`
/// written as `$(`; a witness variable as its name between two [`VAR_MARK`]s).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Word {
    pub(crate) text: String,
    /// A redirection operator (`>`, `<`, `2>&`, `<<<`): not an argument.
    pub(crate) op: bool,
}

/// A simple command: its words, the pipeline it is a stage of, and, for the commands inside
/// a `$(…)` or `<(…)`, the command and word the substitution sits in.
#[derive(Debug, Clone, Default)]
pub(crate) struct Cmd {
    pub(crate) words: Vec<Word>,
    pub(crate) pipeline: usize,
    pub(crate) parent: Option<(usize, usize)>,
}

/// How a witness variable is written in [`Word::text`] (the shell's own `${X}` stays as is).
pub(crate) const VAR_MARK: char = '\u{1}';

/// Where a value (or a shell variable holding one) lands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Site {
    /// In word `word` of command `cmd`.
    Word { cmd: usize, word: usize },
    /// On the standard input of command `cmd` (a heredoc body, a `<<<` word).
    Stdin { cmd: usize },
}

/// Programs that parse text as code.
const SHELLS: &[&str] = &[
    "sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "yash", "fish", "rbash",
];
const SCRIPTING: &[&str] = &[
    "python", "python2", "python3", "perl", "ruby", "node", "nodejs", "php", "lua", "tclsh",
];
const AWKS: &[&str] = &["awk", "gawk", "mawk", "nawk", "busybox-awk"];

/// Commands that run (some of) their arguments as another command, without a shell.
const RUNNERS: &[&str] = &[
    "sudo",
    "doas",
    "env",
    "exec",
    "command",
    "builtin",
    "nice",
    "nohup",
    "timeout",
    "setsid",
    "stdbuf",
    "time",
    "ionice",
    "chrt",
    "taskset",
    "chroot",
    "unshare",
    "nsenter",
    "setpriv",
    "systemd-run",
    "xargs",
    "find",
    "docker",
    "podman",
    "nerdctl",
    "kubectl",
    "machinectl",
    "ip",
    "busybox",
    "strace",
    "ltrace",
    "flatpak",
    "nix",
    "nix-shell",
    "firejail",
    "bwrap",
    "proot",
    "schroot",
    "runuser",
    "su",
    "flock",
    "script",
    "watch",
    "parallel",
    "ssh",
];

/// Shell keywords and grouping words that may precede a command's name.
const KEYWORDS: &[&str] = &[
    "if", "then", "else", "elif", "do", "while", "until", "!", "{", "(", "time",
];

fn base(w: &str) -> &str {
    w.rsplit('/').next().unwrap_or(w)
}

fn is_assignment(w: &str) -> bool {
    match w.split_once('=') {
        Some((name, _)) => {
            !name.is_empty()
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !name.starts_with(|c: char| c.is_ascii_digit())
        }
        None => false,
    }
}

/// The argument words of a command (redirections and their targets dropped), each with
/// its index in [`Cmd::words`].
fn args(cmd: &Cmd) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut skip = false;
    for (i, w) in cmd.words.iter().enumerate() {
        if w.op {
            skip = true;
            continue;
        }
        if skip {
            skip = false;
            continue;
        }
        out.push((i, w.text.as_str()));
    }
    out
}

/// Where the command's name is in `args`: after keywords and assignments.
fn name_at(args: &[(usize, &str)]) -> Option<usize> {
    args.iter()
        .position(|(_, w)| !KEYWORDS.contains(w) && !is_assignment(w))
}

/// Which program reads the value at `site` as code, if any; `None` when every reader takes
/// it as data.
pub(crate) fn code_reader(cmds: &[Cmd], site: Site) -> Option<String> {
    let (cmd, why) = match site {
        Site::Word { cmd, word } => (cmd, word_reader(&cmds[cmd], word)),
        Site::Stdin { cmd } => (cmd, stdin_reader(&cmds[cmd])),
    };
    if why.is_some() {
        return why;
    }
    // What the command prints flows on through the rest of its pipeline.
    let later = cmds
        .iter()
        .enumerate()
        .skip(cmd + 1)
        .filter(|(_, c)| c.pipeline == cmds[cmd].pipeline && c.parent == cmds[cmd].parent);
    for (_, c) in later {
        if let Some(r) = stdin_reader(c) {
            return Some(format!("{r}, through a pipe"));
        }
    }
    // A `$(…)` becomes (part of) a word of the command around it.
    let (pc, pw) = cmds[cmd].parent?;
    code_reader(cmds, Site::Word { cmd: pc, word: pw })
}

/// The program that reads word `word` of `cmd` as code.
fn word_reader(cmd: &Cmd, word: usize) -> Option<String> {
    let args = args(cmd);
    let start = name_at(&args)?;
    // A redirection target is a file name: data.
    let pos = args.iter().position(|(i, _)| *i == word)?;
    if pos < start {
        return None;
    }
    if pos == start {
        return Some("the shell, as the name of the command it runs".into());
    }
    for k in chain(&args, start, pos) {
        let program = base(args[k].1);
        if let Some(why) = reads_word(program, &args[k + 1..], pos - k - 1) {
            return Some(why);
        }
        if is_interpreter(program) {
            // It took the value as data (an argument of its script).
            return None;
        }
    }
    None
}

/// The positions of `args` that may name the program a word reaches: the command, and when
/// the command runs another one (a runner), every word after it up to `until` — but for
/// the shell builtins `.`, `source` and `eval`: no runner can start them, so after the
/// command's name they are words (`find . -exec …`, `nix eval`).
fn chain(args: &[(usize, &str)], start: usize, until: usize) -> Vec<usize> {
    if !RUNNERS.contains(&base(args[start].1)) {
        return vec![start];
    }
    std::iter::once(start)
        .chain((start + 1..until).filter(|k| !matches!(base(args[*k].1), "." | "source" | "eval")))
        .collect()
}

fn is_interpreter(program: &str) -> bool {
    SHELLS.contains(&program)
        || SCRIPTING.contains(&program)
        || AWKS.contains(&program)
        || matches!(program, "eval" | "." | "source" | "sed")
}

/// Whether `program` (with arguments `rest`) parses `rest[at]` as code.
fn reads_word(program: &str, rest: &[(usize, &str)], at: usize) -> Option<String> {
    let words: Vec<&str> = rest.iter().map(|(_, w)| *w).collect();
    if SHELLS.contains(&program) {
        return shell_word(program, &words, at);
    }
    if SCRIPTING
        .iter()
        .any(|s| program == *s || program.starts_with(&format!("{s}3.")))
    {
        return code_operand(program, &words, at, &["-c", "-e", "-E", "-r"]);
    }
    if AWKS.contains(&program) {
        return program_operand(
            program,
            &words,
            at,
            &["-f", "--file"],
            &["-F", "-v", "-f", "--file", "--assign", "--field-separator"],
            "program",
        );
    }
    match program {
        "eval" => Some("`eval`, which runs its arguments as shell code".into()),
        "." | "source" if at == 0 => Some(format!("`{program}`, which runs the file it is given")),
        "ssh" => Some(
            "`ssh`, whose remote command (and options) a shell on the other host parses".into(),
        ),
        "watch" | "parallel" => Some(format!(
            "`{program}`, which runs its command line through `sh -c`"
        )),
        "su" | "runuser" | "flock" | "script" => option_value(
            program,
            &words,
            at,
            &["-c", "--command", "-s", "--shell"],
            "hands it to a shell",
        ),
        "nix-shell" => option_value(
            program,
            &words,
            at,
            &["--run", "--command"],
            "hands it to a shell",
        ),
        // The Nix language: an expression given on the command line is evaluated.
        "nix" | "nix-instantiate" | "nix-build" | "nix-env" => option_value(
            program,
            &words,
            at,
            &["--expr", "-E", "--apply"],
            "evaluates it as Nix code",
        ),
        "sudo" | "doas"
            if words[..at]
                .iter()
                .take_while(|w| w.starts_with('-'))
                .any(|w| !w.starts_with("--") && (w.contains('s') || w.contains('i'))) =>
        {
            Some(format!(
                "`{program} -s`/`-i`, which joins its command line for a shell"
            ))
        }
        "sed" => program_operand(
            program,
            &words,
            at,
            &["-f", "--file"],
            &["-e", "--expression", "-f", "--file", "-l", "--line-length"],
            "script",
        ),
        _ => None,
    }
}

/// A shell's words: with `-c`, the next operand is code and the rest are `$0`, `$1`…;
/// without, the first operand is a script file and the rest its arguments.
fn shell_word(shell: &str, words: &[&str], at: usize) -> Option<String> {
    let mut with_c = false;
    let mut k = 0;
    while k < words.len() {
        let w = words[k];
        if w == "--" {
            k += 1;
            break;
        }
        if !(w.starts_with('-') || w.starts_with('+')) || w.len() < 2 {
            break;
        }
        if k == at {
            return Some(format!("`{shell}`, as one of its options"));
        }
        if matches!(w, "-o" | "+o" | "-O" | "+O") {
            k += 1;
        } else if !w.starts_with("--") && w.contains('c') {
            with_c = true;
        }
        k += 1;
    }
    if at == k {
        return Some(if with_c {
            format!("`{shell} -c`, which parses its command string")
        } else {
            format!("`{shell}`, which runs the script file it is given")
        });
    }
    if at < k {
        return Some(format!("`{shell}`, as one of its options"));
    }
    None
}

/// Interpreters whose code comes after one of `flags`, or else as a script operand.
fn code_operand(program: &str, words: &[&str], at: usize, flags: &[&str]) -> Option<String> {
    for (k, w) in words.iter().enumerate() {
        if flags.contains(w) {
            if k + 1 == at {
                return Some(format!("`{program} {w}`, which runs the code it is given"));
            }
            return None;
        }
        if flags
            .iter()
            .any(|f| w.starts_with(f) && w.len() > f.len() && !w.starts_with("--"))
            && k == at
        {
            return Some(format!("`{program}`, which runs the code it is given"));
        }
        if !w.starts_with('-') {
            return (k == at)
                .then(|| format!("`{program}`, which runs the script file it is given"));
        }
        if k == at {
            return Some(format!("`{program}`, as one of its options"));
        }
    }
    None
}

/// awk's program / sed's script: the first operand, unless a file option gives it; options
/// in `with_value` take the next word.
fn program_operand(
    program: &str,
    words: &[&str],
    at: usize,
    file_flags: &[&str],
    with_value: &[&str],
    what: &str,
) -> Option<String> {
    let mut from_file = false;
    let mut k = 0;
    while k < words.len() {
        let w = words[k];
        if w == "--" {
            k += 1;
            break;
        }
        if !w.starts_with('-') || w.len() < 2 {
            break;
        }
        if with_value.contains(&w) {
            if file_flags.contains(&w) {
                from_file = true;
            }
            if k + 1 == at && matches!(w, "-e" | "--expression") {
                return Some(format!("`{program} {w}`, which parses its {what}"));
            }
            if k + 1 == at && file_flags.contains(&w) {
                return Some(format!(
                    "`{program}`, which runs the {what} file it is given"
                ));
            }
            if matches!(w, "-e" | "--expression") {
                from_file = true;
            }
            k += 2;
            continue;
        }
        if k == at && (w.starts_with("-e") || w.starts_with("--expression=")) {
            return Some(format!("`{program}`, which parses its {what}"));
        }
        k += 1;
    }
    (!from_file && at == k).then(|| format!("`{program}`, which parses its {what}"))
}

/// The word after one of `flags` (or joined to it as `--flag=` / `-cWORD`) is code.
fn option_value(
    program: &str,
    words: &[&str],
    at: usize,
    flags: &[&str],
    does: &str,
) -> Option<String> {
    if at > 0 && flags.contains(&words[at - 1]) {
        return Some(format!("`{program} {}`, which {does}", words[at - 1]));
    }
    let w = words[at];
    let joined = flags.iter().any(|f| {
        (f.starts_with("--") && w.starts_with(&format!("{f}=")))
            || (!f.starts_with("--") && w.starts_with(f) && w.len() > f.len())
    });
    joined.then(|| format!("`{program} {w}`, which {does}"))
}

/// The program that reads `cmd`'s standard input as code.
pub(crate) fn stdin_reader(cmd: &Cmd) -> Option<String> {
    let args = args(cmd);
    let start = name_at(&args)?;
    for k in chain(&args, start, args.len()) {
        let w = base(args[k].1);
        let rest: Vec<&str> = args[k + 1..].iter().map(|(_, w)| *w).collect();
        let flags = || {
            rest.iter()
                .take_while(|r| r.starts_with('-') && !r.starts_with("--"))
        };
        let operands = rest
            .iter()
            .any(|r| !r.starts_with('-') && !r.starts_with('+'));
        let reads = if SHELLS.contains(&w) {
            flags().any(|r| r.contains('s')) || (!flags().any(|r| r.contains('c')) && !operands)
        } else if SCRIPTING.contains(&w) {
            !operands
        } else {
            match w {
                "ssh" => true,
                "su" | "runuser" => !rest
                    .iter()
                    .any(|r| matches!(*r, "-c" | "--command") || r.starts_with("--command=")),
                "." | "source" => rest.first().is_some_and(|f| {
                    f.starts_with("/dev/stdin") || f.starts_with("/proc/self/fd/0")
                }),
                "xargs" => rest.iter().any(|r| is_interpreter(base(r))),
                _ => false,
            }
        };
        if reads {
            return Some(format!("`{w}`, which runs what it reads on standard input"));
        }
        if is_interpreter(w) {
            return None;
        }
    }
    None
}

/// Shell variables that hold a value: the step's `env` names, and the names assigned a word
/// that includes a witness variable or another such name.
pub(crate) fn tainted(cmds: &[Cmd], env: &[String]) -> Vec<String> {
    let mut names: Vec<String> = env.to_vec();
    loop {
        let before = names.len();
        for c in cmds {
            for w in &c.words {
                let Some((name, value)) = w.text.split_once('=') else {
                    continue;
                };
                if !is_assignment(&w.text) || names.iter().any(|n| n == name) {
                    continue;
                }
                let holds = value.contains(VAR_MARK)
                    || names.iter().any(|n| {
                        value.contains(&format!("${n}")) || value.contains(&format!("${{{n}"))
                    });
                if holds {
                    names.push(name.to_string());
                }
            }
        }
        if names.len() == before {
            return names;
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::interp::shell::code_sites;

    fn reader(cmd: &str, env: &[&str]) -> Option<String> {
        let env: Vec<String> = env.iter().map(|s| s.to_string()).collect();
        code_sites(cmd, &env)
            .unwrap()
            .first()
            .map(|s| format!("{} → {}", s.what, s.reader))
    }

    /// Each way a second program parses text as code, as a new user would write it.
    #[test]
    fn a_value_a_second_reader_parses_is_refused() {
        let refused = [
            "bash -c 'echo ${v}'",
            "bash -c \"echo ${v}\"",
            "sh -c ${v}",
            "dash -ec \"echo ${v}\"",
            "bash -o pipefail -c \"echo ${v}\"",
            "/bin/bash -c 'x=1; echo ${v}'",
            "eval \"echo ${v}\"",
            "eval echo ${v}",
            "su root -c \"echo ${v}\"",
            "su -c \"echo ${v}\" root",
            "su --command=\"echo ${v}\" root",
            "runuser -u nobody -- sh -c \"echo ${v}\"",
            "sudo -u root sh -c \"echo ${v}\"",
            "sudo -s echo ${v}",
            "ssh host echo ${v}",
            "ssh -p 22 host \"echo ${v}\"",
            "ssh ${v}",
            "nix-shell -p hello --run \"echo ${v}\"",
            "nix eval --expr \"${v}\"",
            "find . -exec sh -c \"echo ${v}\" \\;",
            "xargs -I{} sh -c \"echo ${v}\"",
            "docker exec c sh -c \"echo ${v}\"",
            "podman exec -it c bash -c 'echo ${v}'",
            "systemd-run --wait -p User=x sh -c \"echo ${v}\"",
            "timeout 5 bash -c \"${v}\"",
            "flock /tmp/l -c \"echo ${v}\"",
            "watch \"echo ${v}\"",
            "python3 -c \"print('${v}')\"",
            "perl -e 'print q(${v})'",
            "awk \"BEGIN { print \\\"${v}\\\" }\"",
            "awk -F: '$1 == \"${v}\"' /etc/passwd",
            "sed \"s/a/${v}/\" f",
            "sed -n -e 's/a/${v}/p' f",
            "bash <<EOF\necho ${v}\nEOF",
            "ssh host <<EOF\necho ${v}\nEOF",
            "sudo bash -s <<EOF\necho ${v}\nEOF",
            "cat <<EOF | sh\necho ${v}\nEOF",
            "printf '%s' \"${v}\" | bash",
            "echo ${v} | sudo -u root sh",
            "{ echo ${v}; echo; } | sh",
            "if true; then echo ${v}; fi | bash",
            "(echo ${v}) | sh",
            "echo ${v} | xargs sh -c 'echo $0'",
            "bash <<< \"echo ${v}\"",
            "bash -c \"$(printf '%s' \"${v}\")\"",
            "eval \"$(echo ${v} | tr a b)\"",
            "bash <(echo ${v})",
            "source <(echo ${v})",
            "source /dev/stdin <<< \"${v}\"",
            "${v} --help",
            "\"${v}\"",
            "x=1 ${v}",
            "x=\"${v}\"; bash -c \"echo $x\"",
            "x=${v}\ny=\"a $x\"\neval \"$y\"",
        ];
        for cmd in refused {
            assert!(reader(cmd, &[]).is_some(), "not refused: {cmd:?}");
        }
        // A step's `env` name is a value too, where the outer shell expands it into code.
        assert!(reader("bash -c \"echo $V\"", &["V"]).is_some());
        assert!(reader("eval \"echo $${V}\"", &["V"]).is_some());
    }

    /// Where every reader takes the value as data, it loads (the `env` rewrites among them).
    #[test]
    fn a_value_every_reader_takes_as_data_loads() {
        let data = [
            "printf '%s' ${v}",
            "echo \"${v}\" | grep -c x",
            "grep -F -- \"${v}\" f | sort",
            "git -C ${flake} rev-parse HEAD",
            "systemctl show -p Environment ${unit}",
            "bash -c 'printf \"%s\" \"$1\"' _ \"${v}\"",
            "sh -c 'echo \"$0\"' \"${v}\"",
            "sudo -u root printf '%s' \"${v}\"",
            "env V=${v} bash -c 'printf %s \"$V\"'",
            "cat <<EOF\n${v}\nEOF",
            "cat <<EOF > f\n${v}\nEOF",
            "x=${v}; printf '%s' \"$x\"",
            "tools=${sweep.tools}\nprintf '%s\\n' \"$tools\" | sed -n 's/^PATH=//p'",
            "awk -v x=\"${v}\" 'BEGIN { print x }'",
            "sed -n 's/a/b/p' ${file}",
            "nix build ${flake}",
            "echo ${v} > /tmp/out; cat /tmp/f | sh",
            "printf '%s' \"$(readlink -f ${v})\"",
            "bash script.sh ${v}",
            "find ${dir} -name x -exec ls {} \\;",
            "journalctl -u x --after-cursor=${mark} | grep -c y",
        ];
        for cmd in data {
            assert_eq!(reader(cmd, &[]), None, "refused: {cmd:?}");
        }
        // An env name in single quotes reaches the inner program unexpanded: data there.
        assert_eq!(reader("bash -c 'echo \"$V\"'", &["V"]), None);
        assert_eq!(reader("bash -c \"echo $OTHER\"", &["V"]), None);
    }

    #[test]
    fn the_reader_is_named() {
        assert_eq!(
            reader("bash -c \"echo ${v}\"", &[]).unwrap(),
            "${v} → `bash -c`, which parses its command string"
        );
        assert_eq!(
            reader("printf %s ${v} | sh", &[]).unwrap(),
            "${v} → `sh`, which runs what it reads on standard input, through a pipe"
        );
        assert_eq!(
            reader("su root -c \"id ${v}\"", &[]).unwrap(),
            "${v} → `su -c`, which hands it to a shell"
        );
    }
}
