//! The gate runner: scenario files → libtest-mimic trials named `<gate>::<scenario>`.
//!
//! Obeys the custom-harness contract that `cargo test` and `cargo nextest` rely on: `--list`
//! prints only `name: test` lines and connects to nothing; `--exact NAME` loads only that
//! scenario (nextest runs one process per trial); trials are sorted. A scenario file that
//! fails to load is a failing trial carrying the diagnostic, never a crash.
//!
//! Mutation safety: a `mutates = true` scenario fails as *refused* unless
//! `WITNESS_ALLOW_MUTATION=1`, and while it runs it holds an exclusive lock on the target
//! (read-only scenarios hold a shared one), so nothing else of ours touches that target at
//! the same time — across threads and across nextest's processes alike.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use libtest_mimic::{Arguments, Completion, Conclusion, Failed, Trial};

use crate::engine::{TargetRuntime, run_scenario};
use crate::evidence;
use crate::scenario::{Scenario, load::load_file};
use crate::target;

/// Trials run at once when `--test-threads` is not given.
pub const DEFAULT_THREADS: usize = 4;

/// Entry point of `tests/<gate>.rs`.
pub fn gate_main(gate: &str) -> ExitCode {
    let args = Arguments::from_args();
    let root = workspace_root();
    let target = target::selected_name();
    match run_gate(
        &root,
        gate,
        &root.join("scenarios").join(gate),
        &target,
        &args,
    ) {
        Ok(c) => c.exit_code(),
        Err(msg) => {
            eprintln!("witness: {msg}");
            ExitCode::FAILURE
        }
    }
}

/// The project root: `WITNESS_ROOT`, else this crate's manifest directory.
pub fn workspace_root() -> PathBuf {
    std::env::var_os("WITNESS_ROOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}

/// Is mutation allowed by the environment?
pub fn mutation_allowed() -> bool {
    matches!(
        std::env::var("WITNESS_ALLOW_MUTATION").as_deref(),
        Ok("1") | Ok("true") | Ok("yes")
    )
}

/// Run the scenarios of `dir` as gate `gate`. Errors are gate-level (no scenarios at all).
pub fn run_gate(
    root: &Path,
    gate: &str,
    dir: &Path,
    target_name: &str,
    args: &Arguments,
) -> Result<Conclusion, String> {
    let files = discover(gate, dir, args)?;
    if args.list {
        let trials = files
            .iter()
            .map(|(name, _)| Trial::test(name.clone(), || Ok(())))
            .collect();
        return Ok(libtest_mimic::run(args, trials));
    }

    let target_name = target_name.to_string();
    let runtime = target::load(root, &target_name)
        .map(|t| Arc::new(TargetRuntime::new(t, root)))
        .map_err(|e| e.to_string());
    match &runtime {
        Ok(rt) => println!("witness: gate {gate} on target {}", rt.describe()),
        Err(e) => println!("witness: gate {gate} on target {target_name}: UNUSABLE: {e}"),
    }

    // Trials wait on the target far more than they compute, so more threads than cores pay
    // off; each running trial holds one SSH session, which keeps well under sshd's
    // MaxStartups (10) when connecting. `--test-threads` still wins.
    let mut args = args.clone();
    if args.test_threads.is_none() {
        args.test_threads = Some(DEFAULT_THREADS);
    }
    let args = &args;
    let loaded_count = files.len();
    let mut trials = Vec::new();
    let mut refused = 0;
    for (name, path) in files {
        let loaded = load_file(&path);
        let ignored = loaded.as_ref().map(|s| s.ignore.is_some()).unwrap_or(false);
        if let Ok(sc) = &loaded
            && sc.mutates
            && !mutation_allowed()
            && !args.is_filtered_out(&Trial::test(name.clone(), || Ok(())))
        {
            refused += 1;
        }
        let runtime = runtime.clone();
        let root = root.to_path_buf();
        let gate = gate.to_string();
        let target_name = target_name.clone();
        let trial = Trial::ignorable_test(name, move || {
            let sc = loaded.map_err(|e| Failed::from(e.to_string()))?;
            let rt = runtime.map_err(|e| Failed::from(format!("target unusable: {e}")))?;
            run_trial(&root, &gate, &sc, &rt, &target_name)
        });
        trials.push(trial.with_ignored_flag(ignored));
    }
    let conclusion = libtest_mimic::run(args, trials);
    // Under `--exact` only one file was loaded; the gate's other scenarios did not run.
    let not_loaded = count_scenarios(dir).saturating_sub(loaded_count);
    summary(gate, &target_name, &conclusion, refused, not_loaded as u64);
    Ok(conclusion)
}

fn run_trial(
    root: &Path,
    gate: &str,
    sc: &Scenario,
    rt: &TargetRuntime,
    target_name: &str,
) -> Result<Completion, Failed> {
    if sc.mutates && !mutation_allowed() {
        return Err(format!(
            "REFUSED: scenario {gate}::{} changes the target ({}) and WITNESS_ALLOW_MUTATION is not set.\n\
             it was not run, so its claim is NOT witnessed. To run it: WITNESS_ALLOW_MUTATION=1 WITNESS_TARGET={target_name} cargo test --test {gate} -- --exact {gate}::{}",
            sc.id,
            sc.steps
                .iter()
                .filter(|s| s.kind.mutates())
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            sc.id
        )
        .into());
    }
    let _lock = lock_target(root, target_name, sc.mutates)?;
    let label = format!("{gate}::{}", sc.id);
    let progress = |line: &str| eprintln!("[{label}] {line}");
    let report = run_scenario(sc, rt, &progress);
    if !report.passed() {
        return Err(
            evidence::failure_message(gate, sc, &report, target_name, &rt.describe()).into(),
        );
    }
    let text = evidence::render(sc, &report);
    evidence::assert_snapshot(root, gate, sc, target_name, &text)?;
    Ok(Completion::Completed)
}

/// Shared lock for read-only scenarios, exclusive for mutating ones (flock: works across
/// threads, each holding its own open file, and across processes).
fn lock_target(root: &Path, target: &str, exclusive: bool) -> Result<File, Failed> {
    let dir = root.join("target").join("witness-locks");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let path = dir.join(format!("{target}.lock"));
    let f = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| format!("cannot open lock {}: {e}", path.display()))?;
    if exclusive { f.lock() } else { f.lock_shared() }
        .map_err(|e| format!("cannot lock {}: {e}", path.display()))?;
    Ok(f)
}

/// Scenario files of the gate, as (trial name, path), sorted. With `--exact NAME` only the
/// one file is looked at, so nextest's process-per-trial does not parse the whole gate
/// for every trial.
fn discover(gate: &str, dir: &Path, args: &Arguments) -> Result<Vec<(String, PathBuf)>, String> {
    if !dir.is_dir() {
        return Err(format!(
            "gate `{gate}`: no scenario folder {}",
            dir.display()
        ));
    }
    if args.exact
        && let Some(filter) = &args.filter
        && let Some(id) = filter.strip_prefix(&format!("{gate}::"))
    {
        let path = dir.join(format!("{id}.toml"));
        return Ok(if path.is_file() {
            vec![(filter.clone(), path)]
        } else {
            Vec::new()
        });
        // The others are not even parsed; `summary` counts them as not run.
    }
    let mut files: Vec<(String, PathBuf)> = std::fs::read_dir(dir)
        .map_err(|e| format!("gate `{gate}`: cannot read {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| {
            let id = p
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            (format!("{gate}::{id}"), p)
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(format!(
            "gate `{gate}`: {} holds no scenario files (*.toml)",
            dir.display()
        ));
    }
    Ok(files)
}

/// The gate's verdict, which — unlike libtest's `ok` — never calls a gate passed while any
/// of its scenarios were refused, ignored or filtered out.
fn summary(gate: &str, target: &str, c: &Conclusion, refused: u64, not_loaded: u64) {
    let filtered = c.num_filtered_out + not_loaded;
    let verdict = if c.num_failed > 0 {
        "FAILED"
    } else if c.num_ignored > 0 || filtered > 0 {
        "INCOMPLETE (not every scenario ran)"
    } else {
        "PASSED"
    };
    println!(
        "witness: gate {gate} on target {target}: {verdict} — {} passed, {} failed ({refused} of them refused: mutation not allowed), {} ignored, {} filtered out",
        c.num_passed, c.num_failed, c.num_ignored, filtered
    );
}

fn count_scenarios(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter(|e| e.path().extension().is_some_and(|x| x == "toml"))
                .count()
        })
        .unwrap_or(0)
}
