//! `process`: a process of a unit, found through the unit's cgroup, and what its own
//! environment resolves.
//!
//! A command-line `pgrep` can pick the wrong process (a concurrent Drone build runs the
//! same `run_recipe_ci` command line as a timer fire), so the process is looked for only
//! among the PIDs of the unit's cgroup and its sub-cgroups (`ControlGroup`, cgroup v2 or
//! v1's systemd hierarchy). Its environment comes from `/proc/<pid>/environ`, and each
//! tool is resolved by walking *that* PATH, directory by directory, to a real path
//! (`readlink -f`), so a tool missing on the path prints `MISSING` and fails the step: a
//! tool missing on two paths is never "the same" on both.
//!
//! With `inventory = true` the step also records the process's whole PATH as
//! `${inventory}`: every executable name in every PATH directory, in PATH order, the first
//! directory holding a name winning (as the shell's lookup does), each resolved to its real
//! path. Parity is then judged on the whole set, not on a few names a claim happens to list.
//!
//! The evidence shows the commands as they ran (the PID as `[pid]`), so a person can paste
//! them on the host.

use std::time::Instant;

use super::{Observed, StepCtx, quote};
use crate::interp::Quote;
use crate::report::{Observation, Outcome};
use crate::scenario::{CWD_VAR, INVENTORY_VAR, ProcessStep};

/// Separates the inventory from the environment and resolve lines in the probe's output.
const INVENTORY_MARK: &str = "--- inventory";

pub(crate) fn run(p: &ProcessStep, cx: &StepCtx, deadline: Instant) -> Observed {
    let unit = cx.vars.interpolate(&p.unit, Quote::Raw)?;
    // 1. The unit's processes: `<pid>\t<cmdline with NULs as spaces>` per line.
    let list_cmd = list_script(&unit);
    let listed = cx.remote_obs(list_cmd.clone(), deadline)?;
    let mut obs = Observation {
        command: format!("# the processes of {unit}'s cgroup\n{list_cmd}"),
        exit_applies: false,
        elapsed: listed.elapsed,
        manual: listed.manual.clone(),
        ..Observation::default()
    };
    let wanted = format!("a process of {unit} matching /{}/", pattern(p));
    if listed.exit != Some(0) {
        obs.checks
            .push(Outcome::fail(wanted, listed.stderr.trim().to_string()));
        return Ok(obs);
    }
    // The newest match: a higher PID is younger unless PIDs wrapped, which a run of a
    // few minutes does not see.
    let found = listed
        .stdout
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .filter(|(_, cmdline)| p.cmdline.is_match(cmdline.trim_end()))
        .filter_map(|(pid, cmdline)| Some((pid.parse::<u32>().ok()?, cmdline.trim_end())))
        .max_by_key(|(pid, _)| *pid);
    let Some((pid, cmdline)) = found else {
        let n = listed.stdout.lines().count();
        obs.checks.push(Outcome::fail(
            wanted,
            format!("{n} processes in the cgroup, none matching"),
        ));
        return Ok(obs);
    };

    // 2. Its environment and its PATH's tools, read in one go while it still runs.
    let script = environ_script(pid, p);
    let env = cx.remote_obs(script.clone(), deadline)?;
    obs.command = format!(
        "{}\n# the newest process matching /{}/: its /proc/<pid>/environ and what its PATH resolves\n{script}",
        obs.command,
        pattern(p)
    );
    // The command line itself stays out of the evidence: its arguments (which recipe
    // was caught running) vary from run to run.
    let _ = cmdline;
    if env.exit != Some(0) {
        obs.checks
            .push(Outcome::fail(wanted, env.stderr.trim().to_string()));
        return Ok(obs);
    }
    obs.checks.push(Outcome::pass(wanted));
    // The process was found and its environment read: what it resolves is settled. A retry
    // exists to wait for a process to appear, not to wait out a tool missing from its PATH
    // (on the real host, 15 minutes of a sweep fire for nothing).
    obs.settled = true;
    judge_probe(p, &env.stdout, &mut obs);
    obs.stderr = env.stderr;
    obs.elapsed += env.elapsed;
    Ok(obs)
}

/// Lists the processes of `unit`'s cgroup: `<pid>\t<cmdline with NULs as spaces>` per line.
fn list_script(unit: &str) -> String {
    format!(
        r#"cg=$(systemctl show -p ControlGroup --value {unit}); [ -n "$cg" ] || {{ echo "{unit} has no cgroup (not running)" >&2; exit 3; }}
for base in /sys/fs/cgroup /sys/fs/cgroup/unified /sys/fs/cgroup/systemd; do [ -d "$base$cg" ] && break; done
find "$base$cg" -name cgroup.procs -exec cat {{}} + 2>/dev/null | sort -un | while read -r pid; do
  [ -r /proc/$pid/cmdline ] && printf '%s\t%s\n' "$pid" "$(tr '\0' ' ' < /proc/$pid/cmdline)"
done"#,
        unit = quote(unit)
    )
}
/// The step's checks on what the probe printed: each tool it resolves, and the inventory;
/// its stdout is the environment part of the probe.
fn judge_probe(p: &ProcessStep, out: &str, obs: &mut Observation) {
    for t in &p.resolve {
        let line = out
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{t}=")))
            .unwrap_or("MISSING");
        let outcome = if p.fail_on_missing {
            Outcome::check(
                line != "MISSING",
                format!("`{t}` resolves on the process's own PATH"),
                format!("{t}={line}"),
            )
        } else {
            // Only recorded: whoever reads the outputs judges them (MISSING included).
            Outcome::pass(format!("`{t}` looked up on the process's own PATH"))
        };
        obs.checks
            .push(outcome.with_lines(vec![format!("{t}={line}")]));
    }
    let (head, inventory) = match out.split_once(&format!("{INVENTORY_MARK}\n")) {
        Some((head, inv)) => (head.to_string(), Some(inv.to_string())),
        None => (out.to_string(), None),
    };
    // The working directory is a variable, not evidence: a Drone build's differs every build.
    let cwd = head
        .lines()
        .find_map(|l| l.strip_prefix("cwd="))
        .unwrap_or("");
    obs.defines.push((CWD_VAR.to_string(), cwd.to_string()));
    let head: String = head
        .lines()
        .filter(|l| !l.starts_with("cwd="))
        .map(|l| format!("{l}\n"))
        .collect();
    if p.inventory {
        let inventory = inventory.unwrap_or_default();
        let n = inventory.lines().count();
        obs.checks.push(Outcome::check(
            n > 0,
            "the commands on the process's own PATH are listed (`${inventory}`)".to_string(),
            format!("{n} command names"),
        ));
        obs.defines.push((INVENTORY_VAR.to_string(), inventory));
    }
    obs.stdout = head;
}

/// The probe of one process: `pid=N`, its working directory (`cwd=`, where a relative
/// `runner/…` it runs comes from), its environment variables, the tools to resolve and (with
/// `inventory`) every command name on its PATH, first match wins.
fn environ_script(pid: u32, p: &ProcessStep) -> String {
    let mut script = format!(
        "pid={pid}\nenv=/proc/$pid/environ; [ -r $env ] || {{ echo \"process $pid is gone\" >&2; exit 3; }}\n\
         get() {{ tr '\\0' '\\n' < $env | sed -n \"s/^$1=//p\" | head -n 1; }}\n\
         printf 'cwd=%s\\n' \"$(readlink /proc/$pid/cwd)\"\n"
    );
    for v in &p.env {
        script.push_str(&format!(
            "printf '%s=%s\\n' {v} \"$(get {v})\"\n",
            v = quote(v)
        ));
    }
    if !p.resolve.is_empty() || p.inventory {
        script.push_str("path=$(get PATH)\n");
    }
    for t in &p.resolve {
        script.push_str(&format!(
            "found=MISSING; IFS=:; for d in $path; do if [ -n \"$d\" ] && [ -f \"$d\"/{t} ] && [ -x \"$d\"/{t} ]; then found=$(readlink -f \"$d\"/{t}); break; fi; done; unset IFS; printf '%s=%s\\n' {t} \"$found\"\n",
            t = quote(t)
        ));
    }
    if p.inventory {
        script.push_str(&format!(
            "echo '{INVENTORY_MARK}'\n\
             IFS=:; for d in $path; do unset IFS; [ -n \"$d\" ] && [ -d \"$d\" ] || continue\n\
             \x20 for f in \"$d\"/*; do [ -f \"$f\" ] && [ -x \"$f\" ] && printf '%s=%s\\n' \"${{f##*/}}\" \"$(readlink -f \"$f\")\"; done\n\
             done | awk -F= '!seen[$1]++' | LC_ALL=C sort\n"
        ));
    }
    script
}

fn pattern(p: &ProcessStep) -> &str {
    p.cmdline.as_str().trim_start_matches("(?m)")
}
