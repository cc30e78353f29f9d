//! `journal`: a unit's journal lines scoped to this run.
//!
//! A `mark` step records the journal's cursor *before* the trigger; a read step asks only
//! for entries after that cursor. So a `test_lfs_roundtrip PASSED` left by an earlier fire
//! can never satisfy the claim about this one.

use std::time::Instant;

use super::{StepCtx, StepError, quote};
use crate::interp::Quote;
use crate::report::{Observation, Outcome};
use crate::scenario::JournalStep;

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
            after,
            output,
        } => {
            let cursor = cx.vars.get(after).ok_or_else(|| StepError::MissingMark {
                name: after.clone(),
            })?;
            let unit = cx.vars.interpolate(unit, Quote::Raw)?;
            let cmd = format!(
                "journalctl --no-pager -q -u {} -o {} --after-cursor={}",
                quote(&unit),
                quote(output),
                quote(cursor)
            );
            cx.remote_obs(cmd, deadline)
        }
    }
}
