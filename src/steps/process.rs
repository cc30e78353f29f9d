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
//! With `env = "all"` it prints every variable the process has, sorted, so a scenario can
//! judge the whole environment against a declared set (`each_line`): a tool or library that
//! reaches the process through `PYTHONPATH`, `LD_LIBRARY_PATH` or any variable nobody
//! thought of is a line of no declared kind, not a variable nobody asked for.
//!
//! A recipe's test process (`python3 -m pytest …`, started by `run_recipe_ci`) can live for
//! a fraction of a second; a `retry` that lists the cgroup over SSH and reads the process in
//! a second command can miss it. With `poll`, one command on the target watches the cgroup,
//! matches the command line there and reads the process at once, in the same round.
//!
//! The evidence shows the commands as they ran (the PID as `[pid]`), so a person can paste
//! them on the host.

use std::time::{Duration, Instant};

use super::{Observed, StepCtx, quote};
use crate::interp::Quote;
use crate::report::{Observation, Outcome};
use crate::scenario::{CWD_VAR, EnvSelection, INVENTORY_VAR, ProcessStep};

/// The watch's exit status when the process that would start the one looked for is gone
/// and none came (`while_running`).
const ENDED_WITHOUT: i32 = 4;

/// The probe's exit status when the unit itself has ended (no cgroup, no job that would
/// start it) and no process matched: none can come any more, so waiting out the step's
/// deadline (15 minutes of a sweep's) would only delay what is already known.
const UNIT_ENDED: i32 = 5;

/// Separates the inventory from the environment and resolve lines in the probe's output.
const INVENTORY_MARK: &str = "--- inventory";

pub(crate) fn run(p: &ProcessStep, cx: &StepCtx, deadline: Instant) -> Observed {
    let unit = cx.vars.interpolate(&p.unit, Quote::Raw)?;
    if let Some(every) = p.poll {
        return run_polling(p, &unit, every, cx, deadline);
    }
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
    if listed.exit == Some(UNIT_ENDED) {
        unit_ended(p, &unit, &mut obs);
        return Ok(obs);
    }
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
    let script = format!("pid={pid}\n{}", environ_script(p));
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

/// `poll` mode: one command on the target watches `unit`'s cgroup until a process matches
/// (the target's bash matching the command line) and reads it in the same round.
fn run_polling(
    p: &ProcessStep,
    unit: &str,
    every: Duration,
    cx: &StepCtx,
    deadline: Instant,
) -> Observed {
    // The watch ends before the step's deadline, so a process never seen is reported as
    // such, not as a command killed by its timeout.
    let left = deadline.saturating_duration_since(Instant::now());
    // Rounded up, so the command (shown in the evidence) reads the same every run: the
    // deadline is a few milliseconds short of the step's timeout when the step begins.
    let limit = left
        .saturating_sub(Duration::from_secs(3))
        .max(Duration::from_secs(1))
        .as_millis()
        .div_ceil(1000);
    let script = poll_script(unit, p, every, limit);
    let seen = cx.remote_obs(script.clone(), deadline)?;
    let wanted = format!("a process of {unit} matching /{}/", pattern(p));
    let mut obs = Observation {
        command: format!(
            "# watch {unit}'s cgroup every {} for the newest process matching /{}/; its /proc/<pid>/environ and what its PATH resolves\n{script}",
            humantime::format_duration(every),
            pattern(p)
        ),
        exit_applies: false,
        elapsed: seen.elapsed,
        manual: seen.manual.clone(),
        stderr: seen.stderr.clone(),
        ..Observation::default()
    };
    let (found, body) = seen.stdout.split_once('\n').unwrap_or((&seen.stdout, ""));
    let cmdline = found.split_once('\t').map(|(_, c)| c.trim_end());
    if seen.exit == Some(UNIT_ENDED) {
        unit_ended(p, unit, &mut obs);
        return Ok(obs);
    }
    if seen.exit == Some(ENDED_WITHOUT) {
        // Recorded, not judged here: the scenarios see an empty environment.
        obs.checks.push(Outcome::pass(format!(
            "watched {unit} while a process matching /{}/ ran: none matching /{}/ came (recorded)",
            p.while_running.as_ref().map_or("", |r| trimmed(r)),
            pattern(p)
        )));
        // No `${cwd}` either: an earlier probe's stays what it was.
        obs.settled = true;
        return Ok(obs);
    }
    match (seen.exit, cmdline) {
        (Some(0), Some(cmdline)) if p.cmdline.is_match(cmdline) => {}
        (Some(0), Some(_)) => {
            // The target's ERE and witness's regex read the pattern differently.
            obs.checks.push(Outcome::fail(
                wanted,
                "the target's bash matched a command line that witness's regex does not: write `cmdline` in what both read alike".to_string(),
            ));
            return Ok(obs);
        }
        _ => {
            obs.checks
                .push(Outcome::fail(wanted, seen.stderr.trim().to_string()));
            return Ok(obs);
        }
    }
    obs.checks.push(Outcome::pass(wanted));
    obs.settled = true;
    judge_probe(p, body, &mut obs);
    Ok(obs)
}

/// The unit ended and no process matched: recorded, not judged here (the probe observes; the
/// scenarios judge what it saw, an empty environment and an empty inventory). Settled: no
/// retry can see a process of a unit that is gone.
fn unit_ended(p: &ProcessStep, unit: &str, obs: &mut Observation) {
    obs.checks.push(Outcome::pass(format!(
        "watched {unit} until it ended: no process matching /{}/ came (recorded)",
        pattern(p)
    )));
    if p.inventory {
        obs.defines.push((INVENTORY_VAR.to_string(), String::new()));
    }
    // No `${cwd}`: there was no process to have one.
    obs.settled = true;
}

/// The watching command of `poll` mode: every `every`, the processes of `unit`'s cgroup are
/// matched against the pattern (no process is skipped as seen: a PID's command line changes
/// when it execs, as `cc-ci-run`'s bash becoming `python3` does); the newest match is printed
/// as `<pid>\t<cmdline>` and probed at once. Builtins only inside the round (`mapfile`,
/// `[[ =~ ]]`), so a round costs no process of its own but the pause.
fn poll_script(unit: &str, p: &ProcessStep, every: Duration, limit: u128) -> String {
    format!(
        r#"unit={unit}; re={re}; end=$((SECONDS + {limit})); cg=
{while_re}shopt -s globstar nullglob
while [ "$SECONDS" -lt "$end" ]; do
  [ -n "$cg" ] || cg=$(systemctl show -p ControlGroup --value "$unit")
  [ -n "$cg" ] || [ -n "$(systemctl show -p Job --value "$unit")" ] || {{ echo "$unit has ended" >&2; exit {UNIT_ENDED}; }}
  best= alive=
  if [ -n "$cg" ]; then
    for base in /sys/fs/cgroup /sys/fs/cgroup/unified /sys/fs/cgroup/systemd; do [ -d "$base$cg" ] && break; done
    # The unit's cgroup is removed when the unit stops.
    [ -d "$base$cg" ] || {{ echo "$unit has ended" >&2; exit {UNIT_ENDED}; }}
    for f in "$base$cg"/**/cgroup.procs; do
      while read -r p; do
        mapfile -d '' -t a 2>/dev/null < /proc/$p/cmdline || continue
        c="${{a[*]}}"
        if [[ $c =~ $re ]] && {{ [ -z "$best" ] || [ "$p" -gt "$best" ]; }}; then best=$p; line=$c; fi
{alive}      done < "$f"
    done
  fi
  if [ -n "$best" ]; then
    pid=$best
    # Read at once. A process gone while it was read (a test process can live a few
    # milliseconds) was not seen whole: watch on.
    if probe=$(
{body}    ); then
      printf '%s\t%s\n%s\n' "$pid" "$line" "$probe"
      exit 0
    fi
  fi
{ended}  sleep {pause}
done
echo "no process of $unit matching /$re/ within {limit}s" >&2; exit 3
"#,
        unit = quote(unit),
        re = quote(pattern(p)),
        while_re = p
            .while_running
            .as_ref()
            .map(|w| format!("while_re={}\n", quote(trimmed(w))))
            .unwrap_or_default(),
        alive = if p.while_running.is_some() {
            "        [[ $c =~ $while_re ]] && alive=1\n"
        } else {
            ""
        },
        ended = if p.while_running.is_some() {
            format!(
                "  [ -n \"$alive\" ] || {{ echo \"no process of $unit matching /$while_re/ is left\" >&2; exit {ENDED_WITHOUT}; }}\n"
            )
        } else {
            String::new()
        },
        limit = limit,
        pause = every.as_secs_f64(),
        body = environ_script(p)
            .lines()
            .map(|l| format!("    {l}\n"))
            .collect::<String>(),
    )
}

/// Lists the processes of `unit`'s cgroup: `<pid>\t<cmdline with NULs as spaces>` per line.
fn list_script(unit: &str) -> String {
    format!(
        r#"cg=$(systemctl show -p ControlGroup --value {unit})
[ -n "$cg" ] || [ -n "$(systemctl show -p Job --value {unit})" ] || {{ echo "{unit} has ended (no cgroup, no job to start it)" >&2; exit {UNIT_ENDED}; }}
[ -n "$cg" ] || {{ echo "{unit} has no cgroup (not started yet)" >&2; exit 3; }}
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
    let mut lines: Vec<&str> = head.lines().filter(|l| !l.starts_with("cwd=")).collect();
    if matches!(p.env, EnvSelection::All) {
        // The environment's lines come before the resolve lines; their order is the
        // process's own, which another build of the same runner may change: sorted, the
        // evidence says what is there, not in which order it was set.
        let n = lines.len().saturating_sub(p.resolve.len());
        lines[..n].sort_unstable();
    }
    let head: String = lines.iter().map(|l| format!("{l}\n")).collect();
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

/// The probe of one process (`$pid`): its working directory (`cwd=`, where a relative
/// `runner/…` it runs comes from), its environment variables (the chosen ones, or all of
/// them with a newline in a value written `\n`), the tools to resolve and (with `inventory`)
/// every command name on its PATH, first match wins. The environment is read once, first,
/// into an array: the process may end a moment later.
fn environ_script(p: &ProcessStep) -> String {
    let mut script = String::from(
        "env=/proc/$pid/environ\n\
         mapfile -d '' -t E 2>/dev/null < $env || { echo \"process $pid is gone\" >&2; exit 3; }\n\
         cwd=$(readlink /proc/$pid/cwd) || { echo \"process $pid is gone\" >&2; exit 3; }\n\
         get() { local v; for v in \"${E[@]}\"; do [[ $v == \"$1=\"* ]] && { printf '%s' \"${v#*=}\"; return; }; done; }\n\
         printf 'cwd=%s\\n' \"$cwd\"\n",
    );
    match &p.env {
        EnvSelection::Names(names) => {
            for v in names {
                script.push_str(&format!(
                    "printf '%s=%s\\n' {v} \"$(get {v})\"\n",
                    v = quote(v)
                ));
            }
        }
        EnvSelection::All => {
            script
                .push_str("for v in \"${E[@]}\"; do printf '%s\\n' \"${v//$'\\n'/\\\\n}\"; done\n");
        }
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
    trimmed(&p.cmdline)
}

/// A regex as the scenario wrote it (the loader's multi-line flag left out).
fn trimmed(r: &regex::Regex) -> &str {
    r.as_str().trim_start_matches("(?m)")
}
