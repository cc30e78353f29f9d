//! Variables and `${name}` interpolation.
//!
//! Variables come from the target (`[targets.X.vars]`), its secrets, captures of earlier
//! steps and journal marks. In a shell command every value is written for the quoting
//! context its `${name}` sits in ([`shell`]: bare, `"…"`, `'…'`, `$(…)`, heredocs), so output
//! captured from the target arrives byte-exact and never becomes shell code; contexts where
//! that cannot be done are refused when the scenario loads. `$${` writes a literal `${` for
//! the shell. An unknown `${name}` is an error, not an empty string: a typo must not
//! silently weaken a claim.

mod readers;
pub(crate) mod shell;

use std::collections::BTreeMap;

use shell::Piece;

pub(crate) use crate::error::InterpError;
use crate::error::QuoteProblem;

/// Where an interpolated string is going.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Quote {
    /// A shell command: each value is written for its quoting context.
    Shell,
    /// A URL, header, or expected value: inserted as-is.
    Raw,
}

/// The variables of a run. A secret is a variable like any other here: its value is
/// replaced by `[secret]` wherever output leaves the engine (the redactor knows it).
#[derive(Debug, Clone, Default)]
pub(crate) struct Vars {
    map: BTreeMap<String, Var>,
}

#[derive(Debug, Clone)]
struct Var {
    value: String,
}

impl Vars {
    pub(crate) fn set(&mut self, name: &str, value: impl Into<String>) {
        self.map.insert(
            name.to_string(),
            Var {
                value: value.into(),
            },
        );
    }

    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.map.get(name).map(|v| v.value.as_str())
    }

    /// Replace every `${name}`.
    pub(crate) fn interpolate(&self, template: &str, quote: Quote) -> Result<String, InterpError> {
        match quote {
            Quote::Raw => self.raw(template),
            Quote::Shell => self.shell(template),
        }
    }

    fn var(&self, name: &str) -> Result<&Var, InterpError> {
        self.map.get(name).ok_or_else(|| InterpError::Unknown {
            name: name.to_string(),
            known: self.names(),
        })
    }

    fn raw(&self, template: &str) -> Result<String, InterpError> {
        let mut out = String::with_capacity(template.len());
        let mut rest = template;
        let mut offset = 0;
        while let Some(i) = rest.find('$') {
            out.push_str(&rest[..i]);
            let after = &rest[i + 1..];
            if let Some(lit) = after.strip_prefix("${") {
                // `$${` → literal `${`.
                out.push_str("${");
                offset += i + 3;
                rest = lit;
            } else if let Some(body) = after.strip_prefix('{') {
                let end = body
                    .find('}')
                    .ok_or(InterpError::Unterminated { at: offset + i })?;
                out.push_str(&self.var(&body[..end])?.value);
                offset += i + 2 + end + 1;
                rest = &body[end + 1..];
            } else {
                out.push('$');
                offset += i + 1;
                rest = after;
            }
        }
        out.push_str(rest);
        Ok(out)
    }

    fn shell(&self, template: &str) -> Result<String, InterpError> {
        let (pieces, sites) =
            shell::analyse(template, &[]).map_err(|at| InterpError::Unterminated { at })?;
        if let Some(site) = sites.into_iter().next() {
            return Err(InterpError::Code {
                what: site.what,
                reader: site.reader,
            });
        }
        let mut out = String::with_capacity(template.len());
        for p in pieces {
            match p {
                Piece::Text(t) => out.push_str(&t),
                Piece::Var {
                    name,
                    context,
                    operand,
                } => {
                    let value = &self.var(&name)?.value;
                    if operand && value.starts_with('-') {
                        return Err(InterpError::Quote {
                            name,
                            context: context.to_string(),
                            problem: QuoteProblem::LeadingDash,
                        });
                    }
                    let written =
                        shell::write(value, &context).map_err(|problem| InterpError::Quote {
                            name: name.clone(),
                            context: context.to_string(),
                            problem,
                        })?;
                    out.push_str(&written);
                }
            }
        }
        Ok(out)
    }

    fn names(&self) -> String {
        if self.map.is_empty() {
            "none".into()
        } else {
            self.map.keys().cloned().collect::<Vec<_>>().join(", ")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> Vars {
        let mut v = Vars::default();
        v.set("flake", "/etc/cc-ci?submodules=1#cc-ci");
        v.set("unit", "ssh.service");
        v.set("evil", "x'; rm -rf / #");
        v
    }

    #[test]
    fn shell_values_are_one_word() {
        let v = vars();
        assert_eq!(
            v.interpolate("ls ${unit}", Quote::Shell).unwrap(),
            "ls ssh.service"
        );
        assert_eq!(
            v.interpolate("nix build ${flake}", Quote::Shell).unwrap(),
            "nix build '/etc/cc-ci?submodules=1#cc-ci'"
        );
    }

    #[test]
    fn captured_output_cannot_become_shell_code() {
        let cmd = vars().interpolate("echo ${evil}", Quote::Shell).unwrap();
        let words = shlex::split(&cmd).unwrap();
        assert_eq!(words, vec!["echo", "x'; rm -rf / #"]);
    }

    #[test]
    fn raw_inserts_as_is_and_shell_syntax_passes() {
        let v = vars();
        assert_eq!(v.interpolate("${unit}", Quote::Raw).unwrap(), "ssh.service");
        assert_eq!(
            v.interpolate("echo $PATH $(id -u) $${HOME}", Quote::Shell)
                .unwrap(),
            "echo $PATH $(id -u) ${HOME}"
        );
    }

    #[test]
    fn unknown_and_unterminated_are_errors() {
        assert_eq!(
            vars().interpolate("echo ${nope}", Quote::Shell),
            Err(InterpError::Unknown {
                name: "nope".into(),
                known: "evil, flake, unit".into()
            })
        );
        assert_eq!(
            vars().interpolate("x ${unit", Quote::Raw),
            Err(InterpError::Unterminated { at: 2 })
        );
    }

    /// Target output holding shell syntax, written into each quoting context, run by a
    /// real shell: it arrives byte-exact and nothing of it runs.
    #[test]
    fn nasty_values_arrive_byte_exact_in_every_context_and_never_run() {
        let values = [
            "it's",
            "say \"hi\"",
            "`touch ran-backtick`",
            "$(touch ran-subst)",
            "${HOME}",
            "two\nlines",
            "back\\slash\\",
            "\\$(touch ran-escaped)",
            "'; touch ran-quote; '",
            "\"; touch ran-dq; \"",
            "*",
            "~",
            "",
            "EOF-like\nEOFX",
            "a'b\"c`d$(e)\\f${g}\nh\ti",
        ];
        // (template, what the shell should print for value v)
        type Want = fn(&str) -> String;
        let contexts: [(&str, Want); 9] = [
            ("printf '%s' ${v}", |v| v.to_string()),
            ("printf '%s' \"<${v}>\"", |v| format!("<{v}>")),
            ("printf '%s' '<${v}>'", |v| format!("<{v}>")),
            ("printf '%s' \"$(printf '%s' ${v})\"", |v| {
                v.trim_end_matches('\n').into()
            }),
            ("printf '%s' \"$(printf '%s' \"${v}\")\"", |v| {
                v.trim_end_matches('\n').into()
            }),
            ("x=${v}; printf '%s' \"$x\"", |v| v.to_string()),
            ("cat <<EOF\n${v}\nEOF", |v| format!("{v}\n")),
            ("cat <<'EOF'\n${v}\nEOF", |v| format!("{v}\n")),
            ("cat <<-EOF\n\t<${v}>\n\tEOF", |v| format!("<{v}>\n")),
        ];
        let dir = std::env::temp_dir().join(format!("witness-interp-{}", std::process::id()));
        let shells: Vec<&str> = ["bash", "dash"]
            .into_iter()
            .filter(|s| {
                std::process::Command::new(s)
                    .arg("-c")
                    .arg("true")
                    .status()
                    .is_ok()
            })
            .collect();
        assert!(shells.contains(&"bash"), "bash is needed for this test");
        for shell in &shells {
            for value in values {
                for (template, want) in &contexts {
                    let _ = std::fs::remove_dir_all(&dir);
                    std::fs::create_dir_all(&dir).unwrap();
                    let mut vars = Vars::default();
                    vars.set("v", value);
                    let cmd = vars.interpolate(template, Quote::Shell).unwrap();
                    let out = std::process::Command::new(shell)
                        .arg("-c")
                        .arg(&cmd)
                        .current_dir(&dir)
                        .output()
                        .unwrap();
                    let what = format!("{shell}: value {value:?} in {template:?} as {cmd:?}");
                    assert!(out.status.success(), "{what}: {out:?}");
                    assert_eq!(String::from_utf8_lossy(&out.stdout), want(value), "{what}");
                    let ran: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
                    assert!(ran.is_empty(), "{what}: something ran: {ran:?}");
                }
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// The `env` rewrite of each second-reader context the loader refuses: run by a real
    /// shell with each nasty value, the inner program gets it byte-exact and nothing runs.
    #[test]
    fn env_values_reach_a_second_shell_as_data() {
        let values = [
            "$(touch ran-subst)",
            "`touch ran-backtick`",
            "'; touch ran-quote; '",
            "\"; touch ran-dq; \"",
            "a\nb; touch ran-newline",
            "${HOME}",
            "-c",
            "",
        ];
        // Each prints "$V" from a second reader; the value must come back unchanged.
        let inner = [
            "bash -c 'printf %s \"$V\"'",
            "sh -c 'printf %s \"$V\"'",
            "dash -ec 'printf %s \"$V\"'",
            "eval 'printf %s \"$V\"'",
            "find . -maxdepth 0 -exec sh -c 'printf %s \"$V\"' \\;",
            "echo x | xargs sh -c 'printf %s \"$V\"'",
            "bash <<'EOF'\nprintf %s \"$V\"\nEOF",
            "printf '%s' 'printf %s \"$V\"' | sh",
            "timeout 5 sh -c 'printf %s \"$V\"'",
            "awk 'BEGIN { printf \"%s\", ENVIRON[\"V\"] }'",
        ];
        let dir = std::env::temp_dir().join(format!("witness-env-{}", std::process::id()));
        for value in values {
            for cmd in inner {
                assert!(
                    shell::code_sites(cmd, &["V".into()]).unwrap().is_empty(),
                    "{cmd}"
                );
                let _ = std::fs::remove_dir_all(&dir);
                std::fs::create_dir_all(&dir).unwrap();
                let out = std::process::Command::new("bash")
                    .arg("-c")
                    .arg(cmd)
                    .env("V", value)
                    .current_dir(&dir)
                    .output()
                    .unwrap();
                let what = format!("value {value:?} through {cmd:?}");
                assert_eq!(
                    String::from_utf8_lossy(&out.stdout),
                    value,
                    "{what}: {out:?}"
                );
                let ran: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
                assert!(ran.is_empty(), "{what}: something ran: {ran:?}");
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn interpolation_refuses_a_second_reader_too() {
        let e = vars()
            .interpolate("bash -c \"echo ${evil}\"", Quote::Shell)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "variable `${evil}` reaches `bash`, which is not among the programs known to take a value as data; pass it through `env`"
        );
    }

    /// The allow-list's places, run by bash with the real programs (those on this machine):
    /// each takes shell code in a value as data, and nothing of it runs.
    #[test]
    fn the_allow_lists_places_take_shell_code_as_data() {
        let values = [
            "$(touch ran-subst)",
            "`touch ran-backtick`",
            "a; touch ran-semicolon",
            "x' ; touch ran-quote '",
            "\"; touch ran-dq; \"",
            "a\nb; touch ran-newline",
            "*",
            "${HOME}",
        ];
        let places = [
            "printf '%s' ${v}",
            "echo ${v}",
            "ls -d -- ${v} 2>/dev/null; true",
            "readlink -f ${v}; true",
            "cat ${v} 2>/dev/null; true",
            "grep -c -F -e ${v} f; true",
            "test -e ${v} || echo absent",
            "awk -v x=${v} 'BEGIN { print x }'",
            "jq -n --arg x ${v} '$x' 2>/dev/null; true",
            "git -C ${v} status 2>/dev/null; true",
            "printf '%s\\n' ${v} | sed -n p | sort | while IFS= read -r l; do echo \"$l\"; done",
            "for h in ${v}; do echo \"$h\"; done",
            "comm -3 <(printf '%s\\n' ${v}) <(printf 'x\\n')",
        ];
        let dir = std::env::temp_dir().join(format!("witness-allow-{}", std::process::id()));
        for value in values {
            let mut vars = Vars::default();
            vars.set("v", value);
            for place in places {
                assert!(shell::code_sites(place, &[]).unwrap().is_empty(), "{place}");
                let cmd = vars.interpolate(place, Quote::Shell).unwrap();
                let _ = std::fs::remove_dir_all(&dir);
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(dir.join("f"), "a\n").unwrap();
                let out = std::process::Command::new("bash")
                    .arg("-c")
                    .arg(&cmd)
                    .current_dir(&dir)
                    .output()
                    .unwrap();
                let ran: Vec<_> = std::fs::read_dir(&dir)
                    .unwrap()
                    .flatten()
                    .filter(|e| e.file_name().to_string_lossy().starts_with("ran"))
                    .map(|e| e.file_name())
                    .collect();
                assert!(
                    ran.is_empty(),
                    "{value:?} in {place:?} ran {ran:?}: {out:?}"
                );
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A value that begins an operand of a listed program must not begin with `-`: there it
    /// is an option (`git clone --upload-pack=…` runs a program). As an option's value, after
    /// `--`, or for a program that takes its arguments verbatim, it is data.
    #[test]
    fn a_value_that_would_be_an_option_is_refused_when_the_step_runs() {
        let mut vars = Vars::default();
        vars.set("v", "--upload-pack=touch ran");
        for cmd in [
            "git clone -q ${v} dir",
            "git -C /etc/cc-ci diff --stat ${v} HEAD",
            "rm -rf ${v}",
            "ls \"${v}\"",
            "timeout 5 grep -c x ${v}",
        ] {
            let e = vars.interpolate(cmd, Quote::Shell).unwrap_err();
            assert_eq!(
                e.to_string(),
                "variable `${v}` cannot be written into a bare word of the shell command: it begins with `-` where the program takes an operand, and would be read as an option; write `--` before it, or pass it through `env`"
                    .replace("a bare word", if cmd.contains('"') { "double quotes" } else { "a bare word" }),
                "{cmd}"
            );
        }
        for cmd in [
            "git -C ${v} status",
            "git diff --stat a b -- ${v}",
            "printf '%s' ${v}",
            "echo ${v}",
            "grep -e ${v} f",
            "journalctl -u x --since ${v}",
            "ls \"x${v}\"",
            "test -n ${v}",
        ] {
            assert!(vars.interpolate(cmd, Quote::Shell).is_ok(), "{cmd}");
        }
        vars.set("v", "/etc/cc-ci");
        assert!(
            vars.interpolate("git clone -q ${v} dir", Quote::Shell)
                .is_ok()
        );
    }

    #[test]
    fn a_value_that_would_end_its_heredoc_is_refused() {
        let mut vars = Vars::default();
        vars.set("v", "x\nEOF\ntouch ran");
        let e = vars
            .interpolate("cat <<EOF\n${v}\nEOF", Quote::Shell)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "variable `${v}` cannot be written into the heredoc <<EOF of the shell command: it holds a line `EOF`, which would end the heredoc early"
        );
    }
}
