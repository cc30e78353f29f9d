//! Where a gate run's report lives on disk, and how processes share it.
//!
//! ```text
//! <state>/runs/<run id>/<gate>/report.lock            flock: one writer at a time
//! <state>/runs/<run id>/<gate>/identity.json          the host identity, gathered once
//! <state>/runs/<run id>/<gate>/results/<g>__<s>.json  one TrialResult per scenario
//! <state>/<gate>@<target>/report.{md,json} junit.xml  rendered from all of the above
//! ```
//!
//! Every file is written to a temporary name and renamed, so a reader (another process, a
//! person with `cat`) never sees half of one.

use std::fs::File;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::wire;
use crate::config::RunConfig;
use crate::error::ReportError;

/// What one trial leaves for the report: its scenario as reported and the waivers its
/// steps had in force. Internal to a run (not part of the schema), so it may change freely.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct TrialResult {
    pub(crate) scenario: wire::Scenario,
    pub(crate) waivers: Vec<wire::Waiver>,
    /// The differences its checks classed as the platform's.
    #[serde(default)]
    pub(crate) platform: Vec<wire::Platform>,
}

/// The files of one gate run.
pub(crate) struct RunFiles {
    run_dir: PathBuf,
    out_dir: PathBuf,
}

impl RunFiles {
    pub(crate) fn new(cfg: &RunConfig, gate: &str) -> Self {
        let state = cfg.state_dir();
        RunFiles {
            run_dir: state.join("runs").join(&cfg.run_id).join(gate),
            out_dir: state.join(format!("{gate}@{}", cfg.target)),
        }
    }

    /// Hold this until the report is written: trials of one run (threads or nextest's
    /// processes) store and render one at a time.
    pub(crate) fn lock(&self) -> Result<File, ReportError> {
        create_dir(&self.run_dir)?;
        crate::lock::flock(&self.run_dir.join("report.lock"), true)
            .map_err(|source| ReportError::io("lock", self.run_dir.join("report.lock"), source))
    }

    /// True for the first caller in this run to ask about `what` (a marker file made with
    /// `create_new`): a notice said once per run, whichever process of it gets there first.
    pub(crate) fn first_to_say(&self, what: &str) -> bool {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(self.run_dir.join(format!("said-{what}")))
            .is_ok()
    }

    pub(crate) fn identity(&self) -> PathBuf {
        self.run_dir.join("identity.json")
    }

    pub(crate) fn store_result(&self, r: &TrialResult) -> Result<(), ReportError> {
        let dir = self.run_dir.join("results");
        create_dir(&dir)?;
        write_json(
            &dir.join(format!("{}.json", r.scenario.name.replace("::", "__"))),
            r,
        )
    }

    /// Every result stored so far in this run, sorted by scenario name.
    pub(crate) fn results(&self) -> Result<Vec<TrialResult>, ReportError> {
        let dir = self.run_dir.join("results");
        let mut out: Vec<TrialResult> = std::fs::read_dir(&dir)
            .map_err(|source| ReportError::io("read", dir.clone(), source))?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .filter_map(|p| read_json(&p))
            .collect();
        out.sort_by(|a, b| a.scenario.name.cmp(&b.scenario.name));
        Ok(out)
    }

    /// Write report.json, report.md and junit.xml; returns their directory.
    pub(crate) fn write_reports(&self, r: &wire::Report) -> Result<PathBuf, ReportError> {
        create_dir(&self.out_dir)?;
        write_json(&self.out_dir.join("report.json"), r)?;
        write_text(&self.out_dir.join("report.md"), &super::markdown::render(r))?;
        write_text(&self.out_dir.join("junit.xml"), &super::junit::render(r)?)?;
        Ok(self.out_dir.clone())
    }
}

/// A JSON file of ours; None when absent or unreadable (a result from an older witness is
/// left out rather than failing the report).
pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Option<T> {
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

pub(crate) fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), ReportError> {
    let text = serde_json::to_string_pretty(value).map_err(|source| ReportError::Json {
        path: path.to_path_buf(),
        source,
    })?;
    write_text(path, &(text + "\n"))
}

fn write_text(path: &Path, text: &str) -> Result<(), ReportError> {
    crate::atomic_file::write(path, text.as_bytes())
        .map_err(|source| ReportError::io("write", path.to_path_buf(), source))
}

fn create_dir(dir: &Path) -> Result<(), ReportError> {
    std::fs::create_dir_all(dir)
        .map_err(|source| ReportError::io("create", dir.to_path_buf(), source))
}
