//! `commands`: every command of some directories, each resolved to its real path, as
//! `name=/real/path` lines sorted by name; where two directories hold a name, the first wins,
//! as a shell's PATH lookup does.
//!
//! What a path reaches (a built system's sw/bin, a wrapper's PATH, the timer path of a base
//! commit) is judged on this whole list by `same_as`/`subset_of`/`each_line`; the scenario only
//! names the directories. A directory under `/run/current-system` means the running system on
//! a host; `read_under` reads it in a built system instead (`{ "/run/current-system" =
//! "${top}" }`), so a system that is not running can be listed as it would run.

use std::time::Instant;

use super::{Observed, StepCtx, quote};
use crate::interp::Quote;
use crate::scenario::CommandsStep;

pub(crate) fn run(c: &CommandsStep, cx: &StepCtx, deadline: Instant) -> Observed {
    let mut dirs = Vec::new();
    for t in &c.dirs {
        let value = cx.vars.interpolate(t, Quote::Raw)?;
        dirs.extend(split_dirs(&value));
    }
    let mut read_under = Vec::new();
    for (prefix, under) in &c.read_under {
        read_under.push((prefix.clone(), cx.vars.interpolate(under, Quote::Raw)?));
    }
    let dirs: Vec<String> = dirs.iter().map(|d| mapped(d, &read_under)).collect();
    let script = script(&dirs);
    let mut obs = cx.remote_obs(script, deadline)?;
    // The listing is the fact; a directory that does not exist lists nothing, and what must be
    // there is the scenario's expectation to say.
    obs.exit_applies = false;
    Ok(obs)
}

/// The directories of a value: separated by `:` or newlines (a PATH, or one a line), only the
/// absolute ones (a relative PATH entry names no fixed place).
fn split_dirs(value: &str) -> Vec<String> {
    value
        .split([':', '\n'])
        .map(str::trim)
        .filter(|d| d.starts_with('/'))
        .map(str::to_string)
        .collect()
}

/// `dir` read under another root when it begins with one of the prefixes (at a `/` boundary).
fn mapped(dir: &str, read_under: &[(String, String)]) -> String {
    for (prefix, under) in read_under {
        let prefix = prefix.trim_end_matches('/');
        if let Some(rest) = dir.strip_prefix(prefix)
            && (rest.is_empty() || rest.starts_with('/'))
        {
            return format!("{}{rest}", under.trim_end_matches('/'));
        }
    }
    dir.to_string()
}

/// The listing on the target: every executable regular file (after links) of each directory,
/// in order, the first of a name kept, sorted by name.
fn script(dirs: &[String]) -> String {
    let dirs: Vec<String> = dirs.iter().map(|d| quote(d)).collect();
    format!(
        "for d in {}; do [ -d \"$d\" ] || continue\n\
         \x20 for f in \"$d\"/*; do [ -f \"$f\" ] && [ -x \"$f\" ] && printf '%s=%s\\n' \"${{f##*/}}\" \"$(readlink -f \"$f\")\"; done\n\
         done | awk -F= '!seen[$1]++' | LC_ALL=C sort",
        if dirs.is_empty() {
            "''".to_string()
        } else {
            dirs.join(" ")
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dirs_are_split_like_a_path_and_read_under_a_built_system() {
        assert_eq!(
            split_dirs("/a/bin:$PATH:\n/b/bin\nrel/bin:"),
            vec!["/a/bin", "/b/bin"]
        );
        let under = vec![("/run/current-system".to_string(), "/tmp/top/".to_string())];
        assert_eq!(
            mapped("/run/current-system/sw/bin", &under),
            "/tmp/top/sw/bin"
        );
        assert_eq!(mapped("/run/current-system", &under), "/tmp/top");
        // Only at a path boundary.
        assert_eq!(
            mapped("/run/current-systemd/bin", &under),
            "/run/current-systemd/bin"
        );
        assert_eq!(mapped("/nix/store/x/bin", &under), "/nix/store/x/bin");
    }

    /// The listing, run here: the first directory holding a name wins, links resolved,
    /// non-executables and missing directories left out.
    #[test]
    fn the_first_directory_holding_a_name_wins() {
        let d = std::env::temp_dir().join(format!("witness-commands-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        for sub in ["a", "b"] {
            std::fs::create_dir_all(d.join(sub)).unwrap();
        }
        let exe = |p: &std::path::Path| {
            use std::os::unix::fs::PermissionsExt;
            std::fs::write(p, "#!/bin/sh\n").unwrap();
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
        };
        exe(&d.join("a/tool"));
        exe(&d.join("b/tool"));
        exe(&d.join("b/other"));
        std::fs::write(d.join("b/data"), "not a program").unwrap();
        std::os::unix::fs::symlink(d.join("b/other"), d.join("a/link")).unwrap();
        let dirs = vec![
            d.join("a").display().to_string(),
            d.join("missing").display().to_string(),
            d.join("b").display().to_string(),
        ];
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(script(&dirs))
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&out.stdout);
        let b = d.join("b").display().to_string();
        let a = d.join("a").display().to_string();
        assert_eq!(
            out,
            format!("link={b}/other\nother={b}/other\ntool={a}/tool\n")
        );
        let _ = std::fs::remove_dir_all(&d);
    }
}
