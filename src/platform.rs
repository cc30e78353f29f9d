//! The platform's contents, as the evaluator reported them, and the class of a difference
//! they explain.
//!
//! Two paths of one NixOS host differ by what only one of them reaches: the Drone runner's
//! PATH is the system's (`/run/current-system/sw/bin:/run/wrappers/bin`), the timer's is
//! `cc-ci-run`'s. What one path has *because it is NixOS's own* is not a claim's business,
//! and which commands those are is a fact of the module system, never a list of names: a
//! scenario's evaluator step prints, one a line,
//!
//! ```text
//! platform package <name> <store path>        every output of a package whose every definition
//!                                             in environment.systemPackages is a platform file's
//! platform wrapper <name> <resolved path>     a security.wrappers entry all of whose definitions
//!                                             are a platform file's, and where
//!                                             /run/wrappers/bin/<name> resolves on the host
//! ```
//!
//! (M1's `facts.nix` prints `platform wrapper <name>` alone: it evaluates scratch clones, not
//! the host, and the timer path never reaches `/run/wrappers/bin`; such a line classes
//! nothing), and an expectation naming that variable (`platform = "…"` on `same_as` or `subset_of`)
//! classes a command that one side alone has as the platform's when it resolves into such a
//! package's store path or is such a wrapper. Anything else stays a difference.

use std::collections::BTreeMap;

/// The platform's packages and wrappers, read from an evaluator step's lines.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Platform {
    /// (name, store path) of every output of every platform package.
    packages: Vec<(String, String)>,
    /// Wrapper name → the path `/run/wrappers/bin/<name>` resolves to.
    wrappers: BTreeMap<String, String>,
}

impl Platform {
    /// The facts in `text`; lines of any other shape are not the platform's and are ignored.
    pub(crate) fn parse(text: &str) -> Self {
        let mut p = Platform::default();
        for line in text.lines() {
            let mut words = line.split_whitespace();
            match (words.next(), words.next(), words.next(), words.next()) {
                (Some("platform"), Some(kind), Some(name), Some(path))
                    if words.next().is_none() =>
                {
                    match kind {
                        "package" if path.starts_with("/nix/store/") => {
                            p.packages.push((name.to_string(), path.to_string()));
                        }
                        "wrapper" if path.starts_with('/') => {
                            p.wrappers.insert(name.to_string(), path.to_string());
                        }
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        p
    }

    /// How many packages and wrappers the evaluator gave.
    pub(crate) fn len(&self) -> (usize, usize) {
        (self.packages.len(), self.wrappers.len())
    }

    /// What of the platform a command `tool` that resolved to `resolved` comes from: the
    /// package whose store path holds it, or the setuid wrapper it is; `None`: not the
    /// platform's.
    pub(crate) fn source(&self, tool: &str, resolved: &str) -> Option<String> {
        let inside = |path: &str| {
            resolved == path
                || resolved
                    .strip_prefix(path)
                    .is_some_and(|rest| rest.starts_with('/'))
        };
        if let Some((name, _)) = self.packages.iter().find(|(_, path)| inside(path)) {
            return Some(name.clone());
        }
        (self.wrappers.get(tool).map(String::as_str) == Some(resolved))
            .then(|| "setuid wrapper (/run/wrappers/bin)".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FACTS: &str = "\
platform package gawk /nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-gawk-5.3.1
platform package xz /nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-xz-5.6.3-bin
platform wrapper sudo /run/wrappers/wrappers.x1/sudo
cc-ci-hetzner: units = nightly-sweep
platform package broken
";

    #[test]
    fn a_command_is_the_platforms_by_its_store_path_or_as_a_wrapper() {
        let p = Platform::parse(FACTS);
        assert_eq!(p.len(), (2, 1), "only well-formed fact lines count");
        assert_eq!(
            p.source(
                "awk",
                "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-gawk-5.3.1/bin/gawk"
            )
            .as_deref(),
            Some("gawk")
        );
        assert_eq!(
            p.source(
                "xz",
                "/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-xz-5.6.3-bin/bin/xz"
            )
            .as_deref(),
            Some("xz")
        );
        assert_eq!(
            p.source("sudo", "/run/wrappers/wrappers.x1/sudo")
                .as_deref(),
            Some("setuid wrapper (/run/wrappers/bin)")
        );
    }

    #[test]
    fn anything_else_is_not_the_platforms() {
        let p = Platform::parse(FACTS);
        // Another build of the same name, a path that only starts like a platform one, a
        // wrapper name resolving elsewhere, a wrapper that is not the platform's.
        for (tool, resolved) in [
            (
                "awk",
                "/nix/store/cccccccccccccccccccccccccccccccc-gawk-5.3.1/bin/gawk",
            ),
            (
                "awk",
                "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-gawk-5.3.1-extra/bin/awk",
            ),
            (
                "sudo",
                "/nix/store/dddddddddddddddddddddddddddddddd-sudo/bin/sudo",
            ),
            ("ping", "/run/wrappers/wrappers.x1/ping"),
        ] {
            assert_eq!(p.source(tool, resolved), None, "{tool}={resolved}");
        }
        assert_eq!(Platform::parse("").len(), (0, 0));
    }
}
