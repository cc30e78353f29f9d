//! `journal`: a unit's journal lines scoped to this run.
//!
//! A `mark` step records the journal's cursor *before* the trigger; a read step asks only
//! for entries after that cursor. So a `test_lfs_roundtrip PASSED` left by an earlier fire
//! can never satisfy the claim about this one. A read can also be scoped to one run of
//! the unit, by its InvocationID (recorded by a `systemd` start/wait step or an action).
//!
//! Reading by InvocationID cannot simply match `_SYSTEMD_INVOCATION_ID=`: journald stamps
//! a line with it by looking up the sender's cgroup, and a line sent just before a process
//! (or the whole unit) exits often arrives after the cgroup is gone — it keeps
//! `_SYSTEMD_UNIT` but loses the id. Those are exactly the last lines of a run, the verdict
//! lines. Nor is journal order the order of events: a unit's first lines can be stored
//! before the manager's `Starting …` message. So witness reads the unit's entries (its own
//! lines and the manager's messages about it, `INVOCATION_ID=` on systemd 252 and 256
//! alike) from a minute before the run's first entry, and keeps the lines that carry this
//! run's id, plus those that carry none and sit between the previous run's last sign and
//! the next run's first. Runs of one unit never overlap, so that window is exact.

use std::time::Instant;

use super::{Observed, StepCtx, StepError, quote};
use crate::interp::Quote;
use crate::report::{Observation, Outcome};
use crate::scenario::{JournalScope, JournalStep};

pub(crate) fn run(j: &JournalStep, cx: &StepCtx, deadline: Instant) -> Observed {
    match j {
        JournalStep::Mark { var } => {
            let mut obs = cx.remote_obs(
                "journalctl --show-cursor -n 0 --no-pager -q".to_string(),
                deadline,
            )?;
            let cursor = obs
                .stdout
                .lines()
                .chain(obs.stderr.lines())
                .find_map(|l| l.trim().strip_prefix("-- cursor: "))
                .map(str::to_string);
            match cursor {
                Some(c) => {
                    obs.defines.push((var.clone(), c));
                    obs.checks.push(Outcome {
                        ok: true,
                        expected: format!("journal cursor recorded as ${{{var}}}"),
                        seen: None,
                        matched_lines: Vec::new(),
                        platform: Vec::new(),
                    });
                }
                None => obs.checks.push(Outcome {
                    ok: false,
                    expected: "journalctl prints `-- cursor: …`".into(),
                    seen: Some("no cursor in its output".into()),
                    matched_lines: Vec::new(),
                    platform: Vec::new(),
                }),
            }
            // The cursor itself is run-dependent noise in the evidence.
            obs.stdout.clear();
            Ok(obs)
        }
        JournalStep::Read {
            unit,
            scope,
            output,
        } => {
            let unit = cx.vars.interpolate(unit, Quote::Raw)?;
            let cmd = match scope {
                JournalScope::After(mark) => {
                    let cursor = cx
                        .vars
                        .get(mark)
                        .ok_or_else(|| StepError::MissingMark { name: mark.clone() })?;
                    format!(
                        "journalctl --no-pager -q -u {} -o {} --after-cursor={}",
                        quote(&unit),
                        quote(output),
                        quote(cursor)
                    )
                }
                // The unit's own processes stamp every line with the run's id, so this is
                // exact on every systemd (252 on the twin, 256 on NixOS 24.11), whatever
                // ran before or after; `-u`'s cursor semantics changed between them.
                JournalScope::Invocation(id) => {
                    let id = cx.vars.interpolate(id, Quote::Raw)?;
                    let id = id.trim().to_string();
                    if id.is_empty() {
                        return Err(StepError::EmptyInvocation { unit });
                    }
                    return read_invocation(cx, &unit, &id, output, deadline);
                }
            };
            cx.remote_obs(cmd, deadline)
        }
    }
}

/// The lines of one run of `unit` (see the module doc for why it is done this way).
fn read_invocation(
    cx: &StepCtx,
    unit: &str,
    id: &str,
    output: &str,
    deadline: Instant,
) -> Result<Observation, StepError> {
    let u = quote(unit);
    let i = quote(id);
    // When the run's first and last entries were written, then the unit's entries from a
    // minute before the first to a minute after the last, as JSON for witness to cut (`+` is
    // journalctl's OR between match groups). Bounded on both sides: never the unit's whole
    // history since.
    let cmd = format!(
        "stamp() {{ journalctl -q -o export \"$@\" UNIT={u} INVOCATION_ID={i} + _SYSTEMD_UNIT={u} _SYSTEMD_INVOCATION_ID={i} \\\n\
         \x20 | sed -n 's/^__REALTIME_TIMESTAMP=//p' | head -n 1; }}\n\
         first=$(stamp) && last=$(stamp -r -n 1) && [ -n \"$first\" ] && \\\n\
         \x20 journalctl --no-pager -q -o json --since \"@$((first / 1000000 - 60))\" --until \"@$((last / 1000000 + 60))\" _SYSTEMD_UNIT={u} + UNIT={u}"
    );
    let mut obs = cx.remote_obs(cmd.clone(), deadline)?;
    obs.stdout = run_lines(&obs.stdout, unit, id, output);
    obs.command = format!(
        "# the lines of run {i} of {u}: stamped with its id, or unstamped between the runs before and after it\n{cmd}"
    );
    Ok(obs)
}

/// Cut the run `id` out of `journalctl -o json` entries of `unit` (its own lines and the
/// manager's messages about it, both kept) that start before the run.
fn run_lines(json: &str, unit: &str, id: &str, output: &str) -> String {
    let mut out = String::new();
    // Lines without an id seen before the run's first entry: this run's, unless a sign of
    // an earlier run follows them.
    let mut pending: Vec<String> = Vec::new();
    let mut started = false;
    for line in json.lines() {
        let Ok(entry) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let field = |k: &str| entry.get(k).and_then(serde_json::Value::as_str);
        let own = field("_SYSTEMD_UNIT") == Some(unit);
        let run = if own {
            field("_SYSTEMD_INVOCATION_ID")
        } else {
            field("INVOCATION_ID")
        };
        match run {
            Some(r) if r == id && !started => {
                started = true;
                for p in pending.drain(..) {
                    out.push_str(&p);
                    out.push('\n');
                }
            }
            Some(r) if r == id => {}
            // Another run: before ours, it voids what was pending; after ours, ours is over.
            Some(_) => {
                if started {
                    break;
                }
                pending.clear();
                continue;
            }
            None => {}
        }
        // The manager's messages about this run are kept, as `journalctl -u` shows them: its
        // `Deactivated successfully.` / `Failed with result …` is the run's end, stated by systemd.
        let text = render(&entry, output);
        if started {
            out.push_str(&text);
            out.push('\n');
        } else {
            pending.push(text);
        }
    }
    out
}

/// One entry as `journalctl -o cat` (the message) or, for any other output, a short ISO
/// line (`2026-06-17T17:57:54Z host ident[pid]: message`).
fn render(entry: &serde_json::Value, output: &str) -> String {
    let message = match entry.get("MESSAGE") {
        Some(serde_json::Value::String(s)) => s.clone(),
        // journald gives non-UTF-8 messages as an array of bytes.
        Some(serde_json::Value::Array(bytes)) => {
            let b: Vec<u8> = bytes
                .iter()
                .filter_map(|v| v.as_u64().and_then(|n| u8::try_from(n).ok()))
                .collect();
            String::from_utf8_lossy(&b).into_owned()
        }
        _ => String::new(),
    };
    if output == "cat" {
        return message;
    }
    let field = |k: &str| {
        entry
            .get(k)
            .and_then(serde_json::Value::as_str)
            .unwrap_or("")
    };
    let when = field("__REALTIME_TIMESTAMP")
        .parse::<u64>()
        .map(|us| {
            humantime::format_rfc3339_seconds(
                std::time::UNIX_EPOCH + std::time::Duration::from_micros(us),
            )
            .to_string()
        })
        .unwrap_or_default();
    format!(
        "{when} {} {}[{}]: {message}",
        field("_HOSTNAME"),
        field("SYSLOG_IDENTIFIER"),
        field("_PID")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(
        unit: Option<&str>,
        own_id: Option<&str>,
        manager_id: Option<&str>,
        msg: &str,
    ) -> String {
        let mut v = serde_json::json!({ "MESSAGE": msg });
        match unit {
            Some(u) => {
                v["_SYSTEMD_UNIT"] = u.into();
            }
            None => {
                v["_SYSTEMD_UNIT"] = "init.scope".into();
                v["UNIT"] = "s.service".into();
            }
        }
        if let Some(i) = own_id {
            v["_SYSTEMD_INVOCATION_ID"] = i.into();
        }
        if let Some(i) = manager_id {
            v["INVOCATION_ID"] = i.into();
        }
        v.to_string()
    }

    #[test]
    fn a_run_keeps_its_lines_without_an_id_and_ends_at_the_next_run() {
        let u = Some("s.service");
        let json = [
            entry(None, None, Some("Z"), "Finished s.service."),
            entry(u, None, None, "from the run before, after its end"),
            entry(
                None,
                None,
                Some("Z"),
                "s.service: Deactivated successfully.",
            ),
            // Stored before the manager's Starting message: order is arrival, not events.
            entry(u, None, None, "sweep: start"),
            entry(None, None, Some("A"), "Starting s.service..."),
            entry(u, Some("A"), None, "test_lfs_roundtrip PASSED"),
            // Sent as the process exited: journald lost the id, not the unit.
            entry(u, None, None, "sweep: gitea rc=0"),
            entry(None, None, Some("A"), "Finished s.service."),
            entry(None, None, Some("B"), "Starting s.service..."),
            entry(u, None, None, "sweep: gitea rc=1"),
        ]
        .join("\n");
        assert_eq!(
            run_lines(&json, "s.service", "A", "cat"),
            "sweep: start\nStarting s.service...\ntest_lfs_roundtrip PASSED\nsweep: gitea rc=0\nFinished s.service.\n"
        );
        // The next run's own line with its id also ends the window; an unknown run: nothing.
        let json = [
            entry(u, Some("A"), None, "a"),
            entry(u, Some("B"), None, "b"),
        ]
        .join("\n");
        assert_eq!(run_lines(&json, "s.service", "A", "cat"), "a\n");
        assert_eq!(run_lines(&json, "s.service", "C", "cat"), "");
    }
}
