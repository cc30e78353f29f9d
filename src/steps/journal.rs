//! `journal`: a unit's journal lines scoped to this run.
//!
//! A `mark` step records the journal's cursor *before* the trigger; a read step asks only
//! for entries after that cursor. So a `test_lfs_roundtrip PASSED` left by an earlier fire
//! can never satisfy the claim about this one. A read can also be scoped to one run of
//! the unit, by its InvocationID (recorded by a `systemd` start/wait step or an action).

use std::time::Instant;

use super::{StepCtx, StepError, quote};
use crate::interp::Quote;
use crate::report::{Observation, Outcome};
use crate::scenario::{JournalScope, JournalStep};

pub fn run(j: &JournalStep, cx: &StepCtx, deadline: Instant) -> Result<Observation, StepError> {
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
                    });
                }
                None => obs.checks.push(Outcome {
                    ok: false,
                    expected: "journalctl prints `-- cursor: …`".into(),
                    seen: Some("no cursor in its output".into()),
                    matched_lines: Vec::new(),
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
                    if id.trim().is_empty() {
                        return Err(StepError::EmptyInvocation { unit });
                    }
                    format!(
                        "journalctl --no-pager -q -o {} {} {}",
                        quote(output),
                        quote(&format!("_SYSTEMD_UNIT={unit}")),
                        quote(&format!("_SYSTEMD_INVOCATION_ID={}", id.trim()))
                    )
                }
            };
            cx.remote_obs(cmd, deadline)
        }
    }
}
