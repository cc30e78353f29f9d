//! A target at run time: its transports (connected lazily) and its secrets (resolved once),
//! shared by every trial of a gate run.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use super::{SecretSource, Target, TargetTransport};
use crate::error::{SecretError, TargetError, TargetProblem};
use crate::judging::JudgingDate;
use crate::redact::Redactor;
use crate::transport::{Exec, ExecOpts, LocalExec, SshPool};

/// A target, connected lazily, shared by all trials of a run.
pub struct TargetRuntime {
    pub(crate) target: Target,
    pub(crate) remote: Arc<dyn Exec>,
    pub(crate) ssh: Option<Arc<SshPool>>,
    pub(crate) local: LocalExec,
    pub output_limit: usize,
    /// Run every step of a scenario, also after a failed one (`WITNESS_ALL_STEPS`).
    pub(crate) all_steps: bool,
    /// Steps with an `observe` alternative watch instead of changing the target (`WITNESS_OBSERVE`).
    pub observe: bool,
    /// The date every waiver of the run is judged on: the target's pinned `judged_on`, else
    /// today (UTC) as the runtime was made, so one run never straddles two days.
    pub(crate) judging: JudgingDate,
    secrets: OnceLock<BTreeMap<String, Result<String, SecretError>>>,
}

/// 40 lower-case hex digits: a full SHA-1 commit hash.
fn is_full_hash(s: &str) -> bool {
    s.len() == 40
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl TargetRuntime {
    pub fn new(target: Target, root: &Path, output_limit: usize) -> Self {
        let local = LocalExec {
            cwd: root.to_path_buf(),
        };
        let (remote, ssh): (Arc<dyn Exec>, _) = match &target.transport {
            TargetTransport::Ssh(cfg) => {
                let pool = Arc::new(SshPool::new(cfg.clone()));
                (pool.clone(), Some(pool))
            }
            TargetTransport::Local => (Arc::new(local.clone()), None),
        };
        TargetRuntime {
            judging: target
                .judged_on
                .clone()
                .unwrap_or_else(JudgingDate::today_utc),
            target,
            remote,
            ssh,
            local,
            output_limit,
            all_steps: false,
            observe: false,
            secrets: OnceLock::new(),
        }
    }

    /// Every variable named `*_commit` as a full commit hash: a full one is kept, anything
    /// else (a short hash, a tag) is resolved on the target with `git rev-parse --verify` in
    /// the `flake` checkout and replaced by the full hash, so no step compares short with
    /// full later; one that does not resolve makes the target unusable, naming it.
    pub(crate) fn resolve_commits(mut self) -> Result<Self, TargetError> {
        let invalid = |problem: TargetProblem| TargetError::Invalid {
            name: self.target.name.clone(),
            problem: Box::new(problem),
        };
        let pending: Vec<(String, String)> = self
            .target
            .vars
            .iter()
            .filter(|(k, v)| k.ends_with("_commit") && !is_full_hash(v))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if pending.is_empty() {
            return Ok(self);
        }
        let Some(repo) = self.target.vars.get("flake").cloned() else {
            let (var, value) = pending.into_iter().next().expect("not empty");
            return Err(invalid(TargetProblem::ShortCommitNoFlake { var, value }));
        };
        for (name, short) in pending {
            let cmd = format!(
                "git -C {} rev-parse --verify --quiet {}",
                shlex::try_quote(&repo).unwrap_or_default(),
                shlex::try_quote(&format!("{short}^{{commit}}")).unwrap_or_default()
            );
            let out = self
                .remote
                .exec(
                    &cmd,
                    ExecOpts {
                        deadline: Duration::from_secs(30),
                        output_limit: 4096,
                    },
                )
                .map_err(|cause| {
                    invalid(TargetProblem::ResolveCommit {
                        var: name.clone(),
                        cause,
                    })
                })?;
            let full = out.stdout.text().trim().to_string();
            if out.exit != Some(0) || !is_full_hash(&full) {
                return Err(invalid(TargetProblem::CommitUnresolved {
                    var: name,
                    value: short,
                    repo,
                    command: cmd,
                    exit: out.exit,
                }));
            }
            self.target.vars.insert(name, full);
        }
        Ok(self)
    }

    /// Secrets, resolved once per run: a file is read on the target, an env var here.
    pub(crate) fn secrets(&self) -> &BTreeMap<String, Result<String, SecretError>> {
        self.secrets.get_or_init(|| {
            self.target
                .secrets
                .iter()
                .map(|(name, src)| (name.clone(), self.resolve(name, src)))
                .collect()
        })
    }

    fn resolve(&self, name: &str, src: &SecretSource) -> Result<String, SecretError> {
        let err = |kind| SecretError {
            name: name.to_string(),
            kind,
        };
        match src {
            SecretSource::Env(var) => std::env::var(var)
                .map_err(|_| err(crate::error::SecretErrorKind::EnvUnset { var: var.clone() })),
            SecretSource::TargetFile(path) => {
                let out = self
                    .remote
                    .exec(
                        &format!("cat -- {}", shlex::try_quote(path).unwrap_or_default()),
                        ExecOpts {
                            deadline: Duration::from_secs(30),
                            output_limit: 64 * 1024,
                        },
                    )
                    .map_err(|e| err(crate::error::SecretErrorKind::Transport(Box::new(e))))?;
                match out.exit {
                    // Never echo stdout here: it may hold part of the secret.
                    Some(0) => Ok(out.stdout.text().trim().to_string()),
                    _ => Err(err(crate::error::SecretErrorKind::Unreadable {
                        path: path.clone(),
                        stderr: out.stderr.text().trim().to_string(),
                    })),
                }
            }
        }
    }

    /// A redactor that knows every secret of this target.
    pub(crate) fn redactor(&self) -> Redactor {
        let mut r = Redactor::new();
        for v in self.secrets().values().flatten() {
            r.add_secret(v);
        }
        r
    }

    pub(crate) fn describe(&self) -> String {
        format!("{} ({})", self.target.name, self.remote.describe())
    }
}
