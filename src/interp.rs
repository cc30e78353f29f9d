//! Variables and `${name}` interpolation.
//!
//! Variables come from the target (`[targets.X.vars]`), its secrets, captures of earlier
//! steps and journal marks. In a shell command every value is inserted as exactly one
//! shell word (quoted with `shlex`), so output captured from the target can never become
//! shell code. `$${` writes a literal `${` for the shell. An unknown `${name}` is an error,
//! not an empty string: a typo must not silently weaken a claim.

use std::collections::BTreeMap;

use thiserror::Error;

/// Where an interpolated string is going.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quote {
    /// A shell command: each value becomes one shell word.
    Shell,
    /// A URL, header, or expected value: inserted as-is.
    Raw,
}

#[derive(Debug, Clone, Default)]
pub struct Vars {
    map: BTreeMap<String, Var>,
}

#[derive(Debug, Clone)]
struct Var {
    value: String,
    secret: bool,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum InterpError {
    #[error("unknown variable `${{{name}}}` (known: {known})")]
    Unknown { name: String, known: String },
    #[error("unterminated `${{` at byte {at}")]
    Unterminated { at: usize },
    #[error("variable `${{{name}}}` cannot be quoted for the shell: {message}")]
    Quote { name: String, message: String },
}

impl Vars {
    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        self.map.insert(
            name.to_string(),
            Var {
                value: value.into(),
                secret: false,
            },
        );
    }

    pub fn set_secret(&mut self, name: &str, value: impl Into<String>) {
        self.map.insert(
            name.to_string(),
            Var {
                value: value.into(),
                secret: true,
            },
        );
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.map.get(name).map(|v| v.value.as_str())
    }

    /// Non-secret variables, for the evidence (captured values are part of what was seen).
    pub fn public(&self) -> impl Iterator<Item = (&str, &str)> {
        self.map
            .iter()
            .filter(|(_, v)| !v.secret)
            .map(|(k, v)| (k.as_str(), v.value.as_str()))
    }

    /// Replace every `${name}`.
    pub fn interpolate(&self, template: &str, quote: Quote) -> Result<String, InterpError> {
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
                let name = &body[..end];
                let var = self.map.get(name).ok_or_else(|| InterpError::Unknown {
                    name: name.to_string(),
                    known: self.names(),
                })?;
                match quote {
                    Quote::Raw => out.push_str(&var.value),
                    Quote::Shell => out.push_str(&shlex::try_quote(&var.value).map_err(|e| {
                        InterpError::Quote {
                            name: name.to_string(),
                            message: e.to_string(),
                        }
                    })?),
                }
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
            v.interpolate("systemctl show ${unit}", Quote::Shell)
                .unwrap(),
            "systemctl show ssh.service"
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
            vars().interpolate("x ${nope}", Quote::Shell),
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
}
