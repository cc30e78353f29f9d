//! Which programs take a value as data: an allow-list, by each program's argument grammar.
//!
//! [`super::shell`] writes a value so the shell that reads the step's command takes it as
//! data. That is not enough where the value reaches a *second* program that parses it: the
//! command string of `bash -c`, `script -c`, `tmux new`, `busybox sh -c`, `env -S`, an awk
//! program, a sed script. There, correct outer quoting hands the second reader `$(…)` intact,
//! and it runs. A list of the programs that read code is never complete, so this module
//! lists the other side: the programs known to take a value as data, and at which of their
//! arguments ([`KNOWN`], each entry saying why, from its manual page's grammar). A value may
//! reach a program only there; anywhere else the loader refuses it and names the `env`
//! rewrite. The list is what the committed scenarios need; a new need is a new entry,
//! argued the same way.
//!
//! The lexer cuts the command into simple commands ([`Cmd`]: words, the pipeline they belong
//! to, whether a pipe feeds them, the word of an outer command a `$(…)` or `<(…)` sits in).
//! [`code_reader`] follows a value from where it lands: the word of a program (or the loop
//! list of `for`, an assignment, a redirection's file name: data), the standard input a
//! heredoc or `<<<` feeds, every pipe stage after it (each must be known to read its input
//! as data), and, for a `$(…)`, the word of the command around it. `timeout` is the one
//! runner followed (it passes its words on as argv, unparsed); any other runner (`sudo`,
//! `env`, `nice`, `xargs`, …) is not known, and refused.
//!
//! Values that must reach another program go through the environment instead (`env = { V =
//! "${v}" }` on the step, `"$V"` in the inner program): the second reader expands `$V` as
//! data. A shell variable of the step that holds a value (`env` names, assignments and `for`
//! loop variables whose words include a `${v}`) is held to the same rule wherever the
//! *outer* shell expands it (`script -c "$V"`).

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
    /// A pipe feeds its standard input (it follows a `|`).
    pub(crate) piped: bool,
    /// How deep in groups (`{ … }`, `if … fi`, loops, `( … )`) it starts.
    pub(crate) depth: usize,
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

/// A program known to take a value as data, and where.
struct Known {
    names: &'static [&'static str],
    /// Whether argument `at` of `args` (the words after the program's name) takes a value
    /// as data.
    arg: fn(&[&str], usize) -> bool,
    /// Where it does, for the message ("" when nowhere: it is listed for its input).
    takes: &'static str,
    /// Whether it reads its standard input as data (or not at all), given its arguments.
    stdin: fn(&[&str]) -> bool,
    /// Whether it takes every argument it takes as data verbatim, whatever it begins with;
    /// otherwise a value that begins an operand must not begin with `-` (an option there:
    /// `git clone --upload-pack=…` runs a program), checked when the step runs.
    verbatim: bool,
    /// Its options whose value is the next word (taken verbatim, `-` or not).
    with_value: &'static [&'static str],
}

fn anywhere(_: &[&str], _: usize) -> bool {
    true
}

fn nowhere(_: &[&str], _: usize) -> bool {
    false
}

fn as_data(_: &[&str]) -> bool {
    true
}

/// The allow-list. Each entry is there because a committed scenario (or a test of the
/// loader's contract) writes a value at that place; the comment says why the program takes
/// it as data there. A program that is not here is refused wherever a value reaches it.
const KNOWN: &[Known] = &[
    // Prints its arguments; `-e`/`-n` only change escapes and the newline; nothing runs
    // (the probe line of the `reviewed` action, the loader's tests).
    Known {
        names: &["echo"],
        arg: anywhere,
        takes: "as any argument",
        stdin: as_data,
        verbatim: true,
        with_value: &[],
    },
    // Prints its arguments through its format: an argument is data (`%s`, and `%b` only
    // expands escapes), the format is a little program and bash's `-v NAME` names a
    // variable it assigns (`a[$(…)]` there would run); M1.2 and M1.4 print captured lists.
    Known {
        names: &["printf"],
        arg: printf_arg,
        takes: "after its format",
        stdin: as_data,
        verbatim: true,
        with_value: &[],
    },
    // A file or string test compares or stats its operand (the `reviewed` action's
    // `test -e`, the runner's `test ${v} = …`); `-v`/`-R` name a variable, whose subscript
    // bash evaluates, and `[[ … ]]`'s arithmetic runs `$(…)`: neither is here.
    Known {
        names: &["test", "["],
        arg: test_arg,
        takes: "as the operand of a file or string test (`-e X`, `X = Y`)",
        stdin: as_data,
        verbatim: true,
        with_value: &[],
    },
    // Paths to list, resolve, read, move or remove: their operands are file names
    // (M1.4's site-packages, M2.6's browsers, the `reviewed` action's scratch clones).
    Known {
        names: &["ls", "readlink", "rm", "mv"],
        arg: anywhere,
        takes: "as a path",
        stdin: as_data,
        verbatim: false,
        with_value: &[],
    },
    Known {
        names: &["cat"],
        arg: anywhere,
        takes: "as a file to read",
        stdin: as_data,
        verbatim: false,
        with_value: &[],
    },
    // A pattern is matched, a file read; grep runs nothing (M1.4's probe package count).
    Known {
        names: &["grep", "egrep", "fgrep"],
        arg: anywhere,
        takes: "as a pattern or a file",
        stdin: as_data,
        verbatim: false,
        with_value: &["-e", "-f", "--regexp", "--file", "-m", "-A", "-B", "-C"],
    },
    // Files compared line by line (M1.2's one-off host tools, from two `<(…)`).
    Known {
        names: &["comm"],
        arg: anywhere,
        takes: "as a file",
        stdin: as_data,
        verbatim: false,
        with_value: &[],
    },
    // Revisions, paths and patterns of read-only subcommands, `-C`'s directory, a clone's
    // source and directory, a submodule's URL (M1 and M2 read the reviewed range; the
    // `reviewed` action clones it): see [`git_arg`].
    Known {
        names: &["git"],
        arg: git_arg,
        takes: "as `-C`'s directory, an operand of `rev-parse`, `status`, `diff`, `log`, `show`, \
                `grep`, `branch`, `checkout` or `clone`, or a `submodule.*.url` value",
        stdin: as_data,
        verbatim: false,
        with_value: &["-C"],
    },
    // An installable names an attribute of a flake, whose own code is what runs (`nix build
    // '.#…${host}…'`); `--expr`, `--apply`, `--arg` and `--file` take Nix code: not here.
    Known {
        names: &["nix"],
        arg: nix_arg,
        takes: "as an installable of `nix build` or `nix eval`",
        stdin: as_data,
        verbatim: false,
        with_value: &[],
    },
    // A flake reference, as `nix build`'s installable (M1.1's build of each host).
    Known {
        names: &["nixos-rebuild"],
        arg: |args, at| at > 0 && args[at - 1] == "--flake",
        takes: "as `--flake`'s reference",
        stdin: as_data,
        verbatim: false,
        with_value: &["--flake"],
    },
    // Times, units and cursors that select journal lines (M2.7's pre-deploy window).
    Known {
        names: &["journalctl"],
        arg: journalctl_arg,
        takes: "as the value of `--since`, `--until`, `-u`, `--cursor` or `--after-cursor`",
        stdin: as_data,
        verbatim: false,
        with_value: JOURNAL_SELECT,
    },
    // Files after the filter, and `--arg`/`--argjson` values (jq has no way to run a
    // program); the filter is a program (the `reviewed` action merges two hosts' facts).
    Known {
        names: &["jq"],
        arg: jq_arg,
        takes: "as a file after its filter, or an `--arg` value",
        stdin: as_data,
        verbatim: false,
        with_value: &["--arg", "--argjson"],
    },
    // `-v NAME=VALUE` makes VALUE a string (escapes expanded, never parsed as awk); the
    // program is code (the `reviewed` action's probe edit reads the package name so).
    Known {
        names: &["awk", "gawk", "mawk", "nawk"],
        arg: awk_arg,
        takes: "as a `-v NAME=VALUE` value or a file after its program",
        stdin: awk_stdin,
        verbatim: false,
        with_value: &["-v", "--assign", "-F", "--field-separator", "-f", "--file"],
    },
    // Files after the script; the script is code (`e` runs a command).
    Known {
        names: &["sed"],
        arg: sed_arg,
        takes: "as a file after its script",
        stdin: sed_stdin,
        verbatim: false,
        with_value: &["-e", "--expression", "-f", "--file", "-l", "--line-length"],
    },
    // Filters a value's output is piped through (M1.2, M2.7): they read their input as
    // text and print it; no value is written in their arguments.
    Known {
        names: &[
            "sort", "uniq", "head", "tail", "cut", "tr", "wc", "xxd", "base64",
        ],
        arg: nowhere,
        takes: "",
        stdin: as_data,
        verbatim: true,
        with_value: &[],
    },
    // Assigns what it reads to variables (values moved through `read` are not followed:
    // README's "Not covered"); M1.2 reads its facts line by line.
    Known {
        names: &["read"],
        arg: nowhere,
        takes: "",
        stdin: as_data,
        verbatim: true,
        with_value: &[],
    },
    // Assigns: `export NAME=VALUE` makes VALUE a variable's value, as a plain assignment
    // does (M2's `platform` action exports the deployed commit).
    Known {
        names: &["export"],
        arg: |args, at| is_assignment(args[at]),
        takes: "as the value of a `NAME=VALUE` word",
        stdin: as_data,
        verbatim: true,
        with_value: &[],
    },
];

/// Commands that run another command with its arguments as given (argv, no shell); the
/// words they pass are judged by the program they start. Only `timeout` (M2.7's bounded
/// journal read): any other runner is not known, and refused.
fn runs_program_at(program: &str, args: &[&str]) -> Option<usize> {
    if program != "timeout" {
        return None;
    }
    // timeout [OPTION]… DURATION COMMAND [ARG]…; `-s`/`-k` take a value.
    let mut k = 0;
    while k < args.len() && args[k].starts_with('-') && args[k].len() > 1 {
        k += if matches!(args[k], "-s" | "-k" | "--signal" | "--kill-after") {
            2
        } else {
            1
        };
    }
    Some(k + 1)
}

/// Words that open a group whose commands share its input and output.
const OPENERS: &[&str] = &["{", "(", "if", "while", "until", "for", "select", "case"];

/// Words that close a group: no program.
const CLOSERS: &[&str] = &["done", "fi", "esac", "}", ")", ";;"];

/// Shell keywords and grouping words that may precede a command's name.
const KEYWORDS: &[&str] = &[
    "if", "then", "else", "elif", "do", "while", "until", "!", "{", "(", "time",
];

fn known(program: &str) -> Option<&'static Known> {
    KNOWN.iter().find(|k| k.names.contains(&program))
}

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

/// The program a command runs, through the runners it starts with: its index in `args`.
fn program_at(args: &[(usize, &str)], start: usize) -> usize {
    let mut k = start;
    loop {
        let rest: Vec<&str> = args[k + 1..].iter().map(|(_, w)| *w).collect();
        match runs_program_at(base(args[k].1), &rest) {
            Some(n) if k + 1 + n < args.len() => k = k + 1 + n,
            _ => return k,
        }
    }
}

/// Why the value at `site` may be read as code — the program it reaches that is not known
/// to take it as data there — or `None` when every program it reaches takes it as data.
pub(crate) fn code_reader(cmds: &[Cmd], site: Site) -> Option<String> {
    let (cmd, why) = match site {
        Site::Word { cmd, word } => (cmd, word_reader(&cmds[cmd], word)),
        Site::Stdin { cmd } => (cmd, stdin_reader(&cmds[cmd])),
    };
    if why.is_some() {
        return why;
    }
    if let Some(why) = downstream(cmds, cmd, site) {
        return Some(why);
    }
    // A `$(…)` becomes (part of) a word of the command around it.
    let (pc, pw) = cmds[cmd].parent?;
    code_reader(cmds, Site::Word { cmd: pc, word: pw })
}

/// The commands that read what `cmd` prints: the pipe stage after it, or, when `cmd` ends a
/// group's list, the pipe stage after the group (`{ …; } | sh`), and so on along the
/// pipeline; a stage that is a group (`… | while read l; do …; done`) shares its input with
/// every command in it. Each must read its input as data. The list of a `for` loop prints
/// nothing.
fn downstream(cmds: &[Cmd], cmd: usize, site: Site) -> Option<String> {
    let first = |c: &Cmd| -> Option<String> {
        let a = args(c);
        a.first().map(|(_, w)| w.to_string())
    };
    let opens = |c: &Cmd| first(c).is_some_and(|w| OPENERS.contains(&w.as_str()));
    let closes = |c: &Cmd| first(c).is_some_and(|w| CLOSERS.contains(&w.as_str()));
    if let Site::Word { .. } = site {
        let a = args(&cmds[cmd]);
        if name_at(&a).is_some_and(|s| a[s].1 == "for") {
            return None;
        }
    }
    let x = &cmds[cmd];
    // The group level X's output flows at, whether it still flows there, and the depth of a
    // group that reads it.
    let mut level = x.depth + usize::from(opens(x));
    let mut flows = true;
    let mut reading: Option<usize> = None;
    let later = cmds
        .iter()
        .skip(cmd + 1)
        .filter(|c| c.pipeline == x.pipeline && c.parent == x.parent);
    for c in later {
        if let Some(g) = reading {
            if c.depth > g {
                if let Some(why) = stdin_reader(c) {
                    return Some(format!("{why}, through a pipe"));
                }
                continue;
            }
            reading = None;
        }
        if c.depth > level {
            continue;
        }
        if closes(c) {
            // The group ends: what X printed is the group's output, one level up.
            level = level.saturating_sub(1);
            flows = true;
            continue;
        }
        if c.piped && flows {
            if let Some(why) = stdin_reader(c) {
                return Some(format!("{why}, through a pipe"));
            }
            if opens(c) {
                reading = Some(c.depth);
            }
            continue;
        }
        flows = false;
    }
    None
}

/// The program that would not take word `word` of `cmd` as data.
fn word_reader(cmd: &Cmd, word: usize) -> Option<String> {
    let args = args(cmd);
    // A redirection's file name, or an assignment before the command: data.
    let pos = args.iter().position(|(i, _)| *i == word)?;
    let start = name_at(&args)?;
    if pos < start {
        return None;
    }
    if pos == start {
        return Some("the shell, as the name of the command it runs".into());
    }
    if args[start].1 == "for" {
        // `for NAME in WORDS`: the words are the loop variable's values (followed as a
        // variable that holds a value: [`tainted`]).
        return (pos == start + 1 || args.get(start + 2).map(|a| a.1) != Some("in"))
            .then(|| "`for`, as the name of its loop variable".to_string());
    }
    let k = program_at(&args, start);
    let program = base(args[k].1);
    if pos <= k {
        return Some(if pos == k {
            "the shell, as the name of the command it runs".into()
        } else {
            format!(
                "`{}`, where it takes no value as data (only the command it runs does)",
                base(args[start].1)
            )
        });
    }
    let rest: Vec<&str> = args[k + 1..].iter().map(|(_, w)| *w).collect();
    let at = pos - k - 1;
    match known(program) {
        Some(known) if (known.arg)(&rest, at) => None,
        Some(known) if known.takes.is_empty() => Some(format!(
            "`{program}`, which takes no value as data in its arguments (only on its input)"
        )),
        Some(known) => Some(format!(
            "`{program}` at a place where it is not known to take a value as data (it is {})",
            known.takes
        )),
        None => Some(unknown(program)),
    }
}

fn unknown(program: &str) -> String {
    format!("`{program}`, which is not among the programs known to take a value as data")
}

/// Whether the value at `site` begins an operand of the program that takes it, where a
/// leading `-` would make it an option (`git clone ${v}` with `--upload-pack=…`, `rm ${v}`
/// with `-rf`): not after `--`, not the value of an option, not a program that takes every
/// argument verbatim ([`Known::verbatim`]). Such a value is refused when the step runs if it
/// begins with `-`.
pub(crate) fn begins_operand(cmds: &[Cmd], site: Site) -> bool {
    let Site::Word { cmd, word } = site else {
        return false;
    };
    let c = &cmds[cmd];
    if !c
        .words
        .get(word)
        .is_some_and(|w| w.text.starts_with(VAR_MARK))
    {
        return false;
    }
    let args = args(c);
    let (Some(pos), Some(start)) = (args.iter().position(|(i, _)| *i == word), name_at(&args))
    else {
        return false;
    };
    if pos <= start || args[start].1 == "for" {
        return false;
    }
    let k = program_at(&args, start);
    let Some(known) = known(base(args[k].1)).filter(|_| pos > k) else {
        return false;
    };
    let rest: Vec<&str> = args[k + 1..pos].iter().map(|(_, w)| *w).collect();
    let value_of = |back: usize| {
        rest.len()
            .checked_sub(back)
            .is_some_and(|i| known.with_value.contains(&rest[i]))
    };
    // `jq --arg NAME VALUE`: the value is two words after the option.
    let jq_value = known.names.contains(&"jq")
        && rest.len() >= 2
        && matches!(rest[rest.len() - 2], "--arg" | "--argjson");
    !(known.verbatim || rest.contains(&"--") || value_of(1) || jq_value)
}

/// The program that would not read `cmd`'s standard input as data.
pub(crate) fn stdin_reader(cmd: &Cmd) -> Option<String> {
    let args = args(cmd);
    let start = name_at(&args)?;
    if CLOSERS.contains(&args[start].1) {
        return None;
    }
    let k = program_at(&args, start);
    let program = base(args[k].1);
    let rest: Vec<&str> = args[k + 1..].iter().map(|(_, w)| *w).collect();
    match known(program) {
        Some(known) if (known.stdin)(&rest) => None,
        Some(_) => Some(format!("`{program}`, which would read its input as code")),
        None => Some(format!(
            "`{program}`, which is not among the programs known to read their input as data"
        )),
    }
}

/// printf: `[-v NAME] [--] FORMAT ARG…`: the ARGs.
fn printf_arg(args: &[&str], at: usize) -> bool {
    let mut format = 0;
    if args.first() == Some(&"-v") {
        format = 2;
    }
    if args.get(format) == Some(&"--") {
        format += 1;
    }
    at > format
}

/// test: the operand of a unary file or string test, or a side of `=`, `==`, `!=`.
fn test_arg(args: &[&str], at: usize) -> bool {
    const UNARY: &[&str] = &[
        "-e", "-f", "-d", "-s", "-r", "-w", "-x", "-L", "-h", "-b", "-c", "-p", "-S", "-g", "-u",
        "-k", "-O", "-G", "-N", "-n", "-z",
    ];
    const BINARY: &[&str] = &["=", "==", "!="];
    let before = at.checked_sub(1).map(|i| args[i]);
    let after = args.get(at + 1).copied();
    before.is_some_and(|b| UNARY.contains(&b) || BINARY.contains(&b))
        || after.is_some_and(|a| BINARY.contains(&a))
}

/// git: `-C DIR`, then a read-only subcommand's operands, `clone`'s, or the value of
/// `config submodule.NAME.url VALUE`. `-c NAME=VALUE` is not data (`core.sshCommand`,
/// `core.pager` run programs), nor is the subcommand's name.
fn git_arg(args: &[&str], at: usize) -> bool {
    let mut k = 0;
    while k < args.len() && args[k].starts_with('-') {
        if matches!(args[k], "-C" | "-c") {
            if k + 1 == at {
                return args[k] == "-C";
            }
            k += 2;
        } else {
            k += 1;
        }
    }
    if at <= k {
        return false;
    }
    match args.get(k).copied() {
        Some(
            "rev-parse" | "status" | "diff" | "log" | "show" | "grep" | "branch" | "checkout"
            | "clone",
        ) => true,
        Some("config") => {
            at == k + 2 && args[k + 1].starts_with("submodule.") && args[k + 1].ends_with(".url")
        }
        _ => false,
    }
}

/// nix: an installable of `nix build` / `nix eval`: an operand after the subcommand that is
/// no option's value (only options that take none may precede it).
fn nix_arg(args: &[&str], at: usize) -> bool {
    const NO_VALUE: &[&str] = &[
        "--no-link",
        "--json",
        "--raw",
        "--impure",
        "-L",
        "--print-build-logs",
        "--print-out-paths",
        "--quiet",
        "-v",
        "--offline",
        "--refresh",
    ];
    if !matches!(args.first(), Some(&("build" | "eval"))) || at == 0 {
        return false;
    }
    !args[at].starts_with('-')
        && args[1..at]
            .iter()
            .all(|w| !w.starts_with('-') || NO_VALUE.contains(w))
}

/// journalctl's options that select lines by the value after them.
const JOURNAL_SELECT: &[&str] = &[
    "--since",
    "-S",
    "--until",
    "-U",
    "-u",
    "--unit",
    "--cursor",
    "--after-cursor",
];

/// journalctl: the value of a selecting option, as its own word or joined (`--since=…`).
fn journalctl_arg(args: &[&str], at: usize) -> bool {
    (at > 0 && JOURNAL_SELECT.contains(&args[at - 1]))
        || JOURNAL_SELECT
            .iter()
            .any(|o| o.starts_with("--") && args[at].starts_with(&format!("{o}=")))
}

/// jq: `--arg NAME VALUE` / `--argjson NAME VALUE` values and the files after the filter.
fn jq_arg(args: &[&str], at: usize) -> bool {
    let mut k = 0;
    let mut filter_from_file = false;
    while k < args.len() && args[k].starts_with('-') && args[k].len() > 1 {
        match args[k] {
            "--arg" | "--argjson" => {
                if at == k + 2 {
                    return true;
                }
                k += 3;
            }
            "-f" | "--from-file" => {
                filter_from_file = true;
                k += 2;
            }
            _ => k += 1,
        }
    }
    at > k || (filter_from_file && at == k)
}

/// awk: a `-v NAME=VALUE` value, or a file after the program.
fn awk_arg(args: &[&str], at: usize) -> bool {
    if at > 0 && matches!(args[at - 1], "-v" | "--assign") {
        return is_assignment(args[at]);
    }
    matches!(program_index(args, &["-f", "--file"], &["-F", "-v", "--assign", "--field-separator"]),
        Some(p) if at > p)
}

fn awk_stdin(args: &[&str]) -> bool {
    !reads_code_from_stdin(args, &["-f", "--file"])
}

/// sed: a file after the script.
fn sed_arg(args: &[&str], at: usize) -> bool {
    matches!(program_index(args, &["-f", "--file", "-e", "--expression"], &["-l", "--line-length"]),
        Some(p) if at > p)
}

fn sed_stdin(args: &[&str]) -> bool {
    !reads_code_from_stdin(args, &["-f", "--file"])
}

/// Whether a program file option names the standard input.
fn reads_code_from_stdin(args: &[&str], file_flags: &[&str]) -> bool {
    args.windows(2)
        .any(|w| file_flags.contains(&w[0]) && matches!(w[1], "-" | "/dev/stdin"))
}

/// Where an awk program / sed script operand is (the first operand), or, when an option
/// gives it (`from_options`), where the options end (`Some(k - 1)`: every operand after is
/// a file). `None` when there is no program operand at all.
fn program_index(args: &[&str], from_options: &[&str], with_value: &[&str]) -> Option<usize> {
    let mut given = false;
    let mut k = 0;
    while k < args.len() {
        let w = args[k];
        if w == "--" {
            k += 1;
            break;
        }
        if !w.starts_with('-') || w.len() < 2 {
            break;
        }
        if from_options.contains(&w) {
            given = true;
            k += 2;
        } else if with_value.contains(&w) {
            k += 2;
        } else {
            given |= from_options
                .iter()
                .any(|f| !f.starts_with("--") && w.starts_with(f));
            k += 1;
        }
    }
    if given {
        return k.checked_sub(1);
    }
    (k < args.len()).then_some(k)
}

/// Whether a word includes a witness variable or one of the shell variables `names`.
fn holds(text: &str, names: &[String]) -> bool {
    text.contains(VAR_MARK)
        || names
            .iter()
            .any(|n| text.contains(&format!("${n}")) || text.contains(&format!("${{{n}")))
}

/// Shell variables that hold a value: the step's `env` names, the names assigned a word
/// that includes a witness variable or another such name, and `for` loop variables over
/// such words.
pub(crate) fn tainted(cmds: &[Cmd], env: &[String]) -> Vec<String> {
    let mut names: Vec<String> = env.to_vec();
    loop {
        let before = names.len();
        for c in cmds {
            // `for NAME in WORDS`: NAME takes each word in turn.
            if let [f, name, kw, words @ ..] = c.words.as_slice()
                && f.text == "for"
                && kw.text == "in"
                && !names.contains(&name.text)
                && words.iter().any(|w| holds(&w.text, &names))
            {
                names.push(name.text.clone());
            }
            for w in &c.words {
                let Some((name, value)) = w.text.split_once('=') else {
                    continue;
                };
                if !is_assignment(&w.text) || names.iter().any(|n| n == name) {
                    continue;
                }
                if holds(value, &names) {
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
            "nix eval --impure --expr \"import ./f.nix { h = ${v}; }\"",
            "nix build --file ${v}",
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
            "printf '%s\\n' ${v} | while read -r l; do sh; done",
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
            "for h in ${v}; do sed \"s/^/$h: /\" f; done",
            "printf ${v}",
            "printf -v ${v} '%s' x",
            "test -v ${v}",
            "git -c ${v} status",
            "git ${v}",
            "git config core.pager ${v}",
            "jq ${v} f.json",
            "f() { sh -c \"$1\"; }; f ${v}",
        ];
        for cmd in refused {
            assert!(reader(cmd, &[]).is_some(), "not refused: {cmd:?}");
        }
        // A step's `env` name is a value too, where the outer shell expands it into code.
        assert!(reader("bash -c \"echo $V\"", &["V"]).is_some());
        assert!(reader("eval \"echo $${V}\"", &["V"]).is_some());
    }

    /// Readers no list of code readers named: an allow-list refuses them all, as a value
    /// or as an `env` name the outer shell expands.
    #[test]
    fn readers_nobody_listed_are_refused() {
        let unheard = [
            "script -q -c \"echo ${v}\" /dev/null",
            "tmux new -d \"echo ${v}\"",
            "busybox sh -c \"echo ${v}\"",
            "nice sh -c \"echo ${v}\"",
            "env -S \"sh -c ${v}\"",
            "frobnicate ${v}",
            "frobnicate --data=\"${v}\"",
            "printf '%s' \"${v}\" | frobnicate",
            "cat <<EOF | frobnicate\n${v}\nEOF",
            "frobnicate <<< \"${v}\"",
            "ls \"$(frobnicate ${v})\"",
            "echo \"$(printf '%s' ${v})\" | frobnicate",
        ];
        for cmd in unheard {
            assert!(reader(cmd, &[]).is_some(), "not refused: {cmd:?}");
            let as_env = cmd.replace("${v}", "$V");
            assert!(reader(&as_env, &["V"]).is_some(), "not refused: {as_env:?}");
        }
    }

    /// Where every reader takes the value as data, it loads (the `env` rewrites among them).
    #[test]
    fn a_value_every_reader_takes_as_data_loads() {
        let data = [
            "printf '%s' ${v}",
            "printf -- '%s\\n' \"${v}\"",
            "echo \"${v}\" | grep -c x",
            "grep -F -- \"${v}\" f | sort",
            "git -C ${flake} rev-parse HEAD",
            "git show ${rev}:.drone.yml | grep -c x",
            "git log --format='%an' ${a}..${b} | sort | uniq -c",
            "git config submodule.x.url ${flake}/x",
            "env V=x bash -c 'printf %s \"$V\"'",
            "cat <<EOF\n${v}\nEOF",
            "cat <<EOF > f\n${v}\nEOF",
            "x=${v}; printf '%s' \"$x\"",
            "tools=${sweep.tools}\nprintf '%s\\n' \"$tools\" | sed -n 's/^PATH=//p'",
            "awk -v x=\"${v}\" 'BEGIN { print x }'",
            "sed -n 's/a/b/p' ${file}",
            "nix build ${flake}",
            "nix build --no-link --json '.#c.${host}.top' | jq -r '.[0]'",
            "echo ${v} > /tmp/out; cat /tmp/f | sh",
            "printf '%s' \"$(readlink -f ${v})\"",
            "test -e \"$top/bin/${v}\" && echo yes",
            "test ${v} = value-42 && echo ok",
            "timeout 5 journalctl -u x --since ${a} --until ${b} | sed -n p | tail -n 1",
            "journalctl -u x --after-cursor=${mark} | grep -c y",
            "ls -1 ${dir}",
            "rm -rf ${dir}",
            "for h in ${a} ${b}; do echo \"$h\"; done | sort",
            "for h in ${a}; do test -e \"$h\" && mv x \"../$h\"; done",
            "jq -s add \"$c-$H.json\" > out.json",
            "export REV=$(git -C \"$D\" rev-parse HEAD)",
            "comm -3 <(printf '%s\\n' ${a}) <(printf '%s\\n' ${b})",
            "printf '%s\\n' ${v} | sed -n p | while IFS= read -r l; do echo \"$l\"; done | sort -u",
            "cat <<EOF > a\n${v}\nEOF\ncat <<EOF > b\n${v}\nEOF",
            "pkgs() { printf '%s\\n' \"$f\" | awk -v p=\"$on: \" '{ print p $0 }'; }\nx=$(on=${h}; pkgs)",
            "{ printf '%s' ${v}; echo; } | sort",
        ];
        for cmd in data {
            assert_eq!(reader(cmd, &["H", "D"]), None, "refused: {cmd:?}");
        }
        // An env name in single quotes reaches the inner program unexpanded: data there.
        assert_eq!(reader("bash -c 'echo \"$V\"'", &["V"]), None);
        assert_eq!(reader("bash -c \"echo $OTHER\"", &["V"]), None);
    }

    #[test]
    fn the_reader_is_named() {
        assert_eq!(
            reader("bash -c \"echo ${v}\"", &[]).unwrap(),
            "${v} → `bash`, which is not among the programs known to take a value as data"
        );
        assert_eq!(
            reader("printf %s ${v} | sh", &[]).unwrap(),
            "${v} → `sh`, which is not among the programs known to read their input as data, through a pipe"
        );
        assert_eq!(
            reader("printf ${v}", &[]).unwrap(),
            "${v} → `printf` at a place where it is not known to take a value as data (it is after its format)"
        );
        assert_eq!(
            reader("sed -f - f <<< \"${v}\"", &[]).unwrap(),
            "${v} → `sed`, which would read its input as code"
        );
    }
}
