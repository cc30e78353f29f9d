//! `cargo xtask twin up|down|status|ssh|sabotage|restore`: the built-in twin
//! host, a real Debian bookworm with systemd as PID 1, booted in
//! `systemd-nspawn` on this machine and reached over ssh on 127.0.0.1, so the
//! harness can be tested against an actual host without any other machine.
//! It is a twin of the cc-ci NixOS host, made of real parts: real Nix builds
//! a miniature cc-ci flake at /etc/cc-ci, `nixos-rebuild switch` installs its
//! units (the nightly-sweep timer, the Drone exec runner...), and a twin of
//! Drone's API runs builds through the runner.
//!
//! Other tasks (demo, test, bench) use the small API here: [`up`] (reuses a
//! running twin), [`down`], [`is_running`]. One job per submodule:
//! `paths` (where files live), `lock` (serializing `up`/`down`),
//! `host_tools` (apt-installing mmdebstrap/nspawn), `mirror` + `base` (the
//! cached mmdebstrap base), `configure` (per-boot keys, port, masks),
//! `container` (nspawn start/stop), `ssh` (pinned ssh), `cc_ci` (the cc-ci
//! layer: flake sources, Drone API port, the first switch), `sabotage`
//! (breaking one claim, and `restore`), `connection` (`connection.toml` for
//! the harness).

mod base;
mod cc_ci;
mod configure;
mod connection;
mod container;
mod host_tools;
mod lock;
mod mirror;
mod paths;
mod sabotage;
mod ssh;

use std::ops::ControlFlow::{Break, Continue};
use std::os::unix::process::CommandExt;
use std::process::Child;
use std::time::{Duration, Instant};

use crate::poll;
use anyhow::{Context, Result, bail};

use crate::util;
use connection::Connection;
use paths::Paths;
/// The sabotage files (for the sabotage matrix).
#[cfg(feature = "harness")]
pub use sabotage::{Reddens, Sabotage, all as sabotages, dir as sabotage_dir};

/// How long a boot may take until `systemctl is-system-running` says
/// `running` (it usually takes seconds; the first boot on a cold page cache
/// is slower).
const BOOT_TIMEOUT: Duration = Duration::from_secs(90);

/// A ready twin, as `up` returns it.
#[derive(Debug, Clone)]
pub struct Twin {
    /// sshd port on 127.0.0.1.
    pub port: u16,
    /// The Drone API twin, `http://127.0.0.1:<port>` (also the CI site).
    pub drone_url: String,
    /// False when an already-running twin was reused: a task should only
    /// stop a twin it started.
    pub started_here: bool,
}

const USAGE: &str = "usage: cargo xtask twin <command>
  up                build (once) and boot the twin; reuse it if already running
  down              stop the twin, leaving nothing running
  status            is it running? (exit code 0 if so, 1 if not)
  ssh [CMD...]      ssh into the twin (interactive without CMD)
  sabotage NAME     break one claim of the cc-ci gates on the running twin
  sabotage --list   the sabotages, each with what it breaks
  restore           back to the pristine cc-ci twin (undoes any sabotage)";

/// `cargo xtask twin ...`
pub fn run(args: &[String]) -> Result<()> {
    let Some((command, rest)) = args.split_first() else {
        bail!("{USAGE}");
    };
    match (command.as_str(), rest) {
        ("up", []) => up().map(drop),
        ("down", []) => down(),
        ("status", []) => {
            if !status() {
                std::process::exit(1);
            }
            Ok(())
        }
        ("ssh", remote) => ssh_into(remote),
        ("sabotage", rest) => sabotage::sabotage(rest),
        ("restore", []) => sabotage::restore(),
        ("-h" | "--help" | "help", _) => {
            println!("{USAGE}");
            Ok(())
        }
        _ => bail!("unexpected arguments: {}\n{USAGE}", args.join(" ")),
    }
}

/// Boots the twin, or reuses the one already running. Concurrent callers
/// serialize on a lock; the later ones reuse what the first booted.
pub fn up() -> Result<Twin> {
    let paths = Paths::new();
    std::fs::create_dir_all(&paths.dir)
        .with_context(|| format!("creating {}", paths.dir.display()))?;
    let _lock = lock::acquire(&paths.lock)?;

    if let Some((conn, state)) = running(&paths) {
        println!(
            "twin: already running: root@127.0.0.1:{} (nspawn PID {}, system {state}); \
             reusing it\ntwin: connection file: {}",
            conn.port,
            conn.nspawn_pid,
            paths.connection.display()
        );
        return Ok(Twin {
            port: conn.port,
            drone_url: drone_url(&conn),
            started_here: false,
        });
    }

    // Missing tools first: without root, the error names the apt command.
    host_tools::ensure()?;
    if !util::is_root() {
        bail!(
            "`twin up` must run as root: mmdebstrap and systemd-nspawn need it \
             (try: sudo -E cargo xtask twin up)"
        );
    }

    // A twin that never became ready (or whose ssh stopped answering) is
    // stopped before its rootfs is replaced.
    connection::remove(&paths)?;
    let stale = container::recorded_pid(&paths);
    if stale.is_some() || !container::processes_in(&paths.rootfs).is_empty() {
        println!("twin: a twin is running but not answering; stopping it first");
        container::stop(&paths, stale)?;
    }

    base::ensure(&paths)?;
    println!(
        "twin: fresh copy of the base rootfs -> {}",
        paths.rootfs.display()
    );
    configure::fresh_copy(&paths)?;
    let port = configure::free_port()?;
    let api_port = loop {
        let candidate = configure::free_port()?;
        if candidate != port {
            break candidate;
        }
    };
    configure::configure(&paths, port)?;
    cc_ci::prepare(&paths, api_port)?;

    let started = Instant::now();
    let mut child = container::spawn(&paths)?;
    let pid = child.id() as i32;
    let ready = wait_ready(&paths, port, &mut child, started).and_then(|()| {
        let booted = started.elapsed();
        println!(
            "twin: booted in {:.1}s; making it a cc-ci twin (cc-ci-twin setup)",
            booted.as_secs_f64()
        );
        let setup = cc_ci::setup(&paths, port)?;
        Ok((booted, setup, cc_ci::pinned_vars(&paths, port)?))
    });
    let (booted, setup, pinned) = match ready {
        Ok(times) => times,
        Err(err) => {
            // Leave nothing running behind a failed `up`.
            let stopped = container::stop(&paths, Some(pid));
            let _ = child.wait();
            stopped.context("stopping the twin after a failed boot")?;
            return Err(err);
        }
    };

    let conn = Connection {
        port,
        nspawn_pid: pid,
        api_port,
    };
    connection::write(&paths, &conn, &pinned)?;
    println!(
        "twin up: root@127.0.0.1:{port}, Drone API twin {} (booted in {:.1}s, cc-ci setup {:.1}s)",
        drone_url(&conn),
        booted.as_secs_f64(),
        setup.as_secs_f64()
    );
    Ok(Twin {
        port,
        drone_url: drone_url(&conn),
        started_here: true,
    })
}

/// The one bracket every task uses: the twin up (booted or reused) around `f`, and down
/// again afterwards — also when `f` fails — if and only if this call booted it. A failure
/// to stop is reported, but `f`'s own result is what the task returns.
pub fn with_twin<T>(task: &str, f: impl FnOnce(&Twin) -> Result<T>) -> Result<T> {
    let tw = up()?;
    let result = f(&tw);
    if tw.started_here
        && let Err(e) = down()
    {
        eprintln!("xtask {task}: stopping the twin failed: {e:#}");
    }
    result
}

/// Run `remote` in the twin over ssh and return its stdout (trimmed), whatever its exit
/// status; bounded by 15 minutes (a gate run inside the twin builds NixOS systems).
pub fn ask(tw: &Twin, remote: &str) -> Result<String> {
    match ssh::ask(&Paths::new(), tw.port, remote, Duration::from_secs(900))? {
        ssh::Answer::Ran { stdout } => Ok(stdout),
        ssh::Answer::NoConnection(e) => bail!("ssh into the twin failed: {e}"),
        ssh::Answer::TimedOut => bail!("no answer from the twin within 15 minutes: {remote}"),
    }
}

/// The running twin's root file system, as seen from this machine.
pub fn rootfs() -> std::path::PathBuf {
    Paths::new().rootfs
}

/// What a gate run did to the twin since `since` (Unix seconds): how many times the nightly
/// sweep ran (distinct InvocationIDs in its journal) and how many Drone builds were created
/// (the API twin's build list). This is how "one M2 run = one fire + one build" is counted.
pub fn side_effects_since(tw: &Twin, since: u64) -> Result<(usize, usize)> {
    let paths = Paths::new();
    let remote = format!(
        r#"journalctl -q -u nightly-sweep.service --since @{since} -o export \
  | sed -n 's/^_SYSTEMD_INVOCATION_ID=//p' | sort -u | wc -l
# The twin's own Python (Debian's), by path: ssh sessions have a NixOS PATH.
/usr/bin/python3 - {url} {since} <<'PY'
import json, sys, urllib.request as u
token = open("/run/secrets/bridge_drone_token").read().strip()
r = u.Request(sys.argv[1] + "/api/repos/recipe-maintainers/cc-ci/builds",
              headers={{"Authorization": "Bearer " + token}})
print(sum(1 for b in json.load(u.urlopen(r)) if b["created"] >= int(sys.argv[2])))
PY"#,
        url = tw.drone_url
    );
    match ssh::ask(&paths, tw.port, &remote, Duration::from_secs(30))? {
        ssh::Answer::Ran { stdout } => {
            let n: Vec<usize> = stdout
                .split_whitespace()
                .map(str::parse)
                .collect::<Result<_, _>>()
                .with_context(|| format!("counting side effects: unexpected answer {stdout:?}"))?;
            match n.as_slice() {
                [fires, builds] => Ok((*fires, *builds)),
                _ => bail!("counting side effects: unexpected answer {stdout:?}"),
            }
        }
        ssh::Answer::NoConnection(e) => bail!("counting side effects: ssh failed: {e}"),
        ssh::Answer::TimedOut => bail!("counting side effects: no answer within 30 s"),
    }
}

/// Stops the twin if one runs (by its recorded PID only) and removes its
/// connection file. Not running is not an error.
pub fn down() -> Result<()> {
    let paths = Paths::new();
    if !paths.dir.is_dir() {
        println!("twin: not running (no {})", paths.dir.display());
        return Ok(());
    }
    let _lock = lock::acquire(&paths.lock)?;
    // Remove the connection file first: from here on nobody should use it.
    connection::remove(&paths)?;
    let pid = container::recorded_pid(&paths);
    if pid.is_none() && container::processes_in(&paths.rootfs).is_empty() {
        let _ = std::fs::remove_file(&paths.pid_file);
        println!("twin: not running; nothing to stop");
        return Ok(());
    }
    container::stop(&paths, pid)?;
    println!(
        "twin down: no process left with its root in {}",
        paths.rootfs.display()
    );
    Ok(())
}

/// The running twin's connection and `systemctl is-system-running` answer:
/// the pid file names a live nspawn on our rootfs, connection.toml agrees,
/// and ssh answers.
fn running(paths: &Paths) -> Option<(Connection, String)> {
    let pid = container::recorded_pid(paths)?;
    let conn = connection::read(paths)?;
    if conn.nspawn_pid != pid {
        return None;
    }
    let state = ssh::system_state(paths, conn.port)?;
    Some((conn, state))
}

/// Prints the twin's state; true if it is running.
fn status() -> bool {
    let paths = Paths::new();
    let pid = container::recorded_pid(&paths);
    let conn = connection::read(&paths);
    match (pid, conn) {
        (Some(pid), Some(conn)) if conn.nspawn_pid == pid => {
            let state = ssh::system_state(&paths, conn.port);
            let answers = state.is_some();
            println!(
                "twin: {}",
                if answers {
                    "running"
                } else {
                    "not running (ssh does not answer)"
                }
            );
            println!("  nspawn PID: {pid}");
            println!("  ssh:        root@127.0.0.1:{}", conn.port);
            println!("  drone API:  {}", drone_url(&conn));
            println!("  system:     {}", state.as_deref().unwrap_or("?"));
            println!("  connection: {}", paths.connection.display());
            answers
        }
        (Some(pid), _) => {
            println!("twin: not running (nspawn PID {pid} is alive but the twin is not ready)");
            false
        }
        (None, _) => {
            println!("twin: not running");
            let left = container::processes_in(&paths.rootfs);
            if !left.is_empty() {
                println!(
                    "  but {} processes still run inside {} (a broken twin); \
                     `cargo xtask twin down` stops them",
                    left.len(),
                    paths.rootfs.display()
                );
            }
            false
        }
    }
}

/// Waits until systemd in the twin reports `running`, printing progress;
/// fails on `degraded` (listing the failed units), on nspawn exiting, or
/// after [`BOOT_TIMEOUT`].
fn wait_ready(paths: &Paths, port: u16, child: &mut Child, started: Instant) -> Result<()> {
    println!(
        "twin: waiting for systemd in the twin to finish booting (at most {}s)",
        BOOT_TIMEOUT.as_secs()
    );
    let mut last_report = 0;
    let mut last_problem = String::from("no answer yet");
    poll::until(started + BOOT_TIMEOUT, Duration::from_millis(250), |_| {
        if let Some(status) = child.try_wait()? {
            bail!(
                "systemd-nspawn exited ({status}) before the twin was ready; \
                 last lines of {}:\n{}",
                paths.log.display(),
                container::log_tail(paths, 30)
            );
        }
        let elapsed = started.elapsed();
        if elapsed >= BOOT_TIMEOUT {
            bail!(
                "the twin did not come up within {}s ({last_problem}); last lines of {}:\n{}\n\
                 last lines of the twin's journal:\n{}",
                BOOT_TIMEOUT.as_secs(),
                paths.log.display(),
                container::log_tail(paths, 20),
                container::journal_tail(paths, 30)
            );
        }
        if elapsed.as_secs() >= last_report + 2 {
            last_report = elapsed.as_secs();
            println!("twin: booting... {last_report}s");
        }
        // `--wait` blocks until boot has finished, so one answer decides.
        let remaining = BOOT_TIMEOUT - elapsed;
        let wait = format!("{} is-system-running --wait", ssh::SYSTEMCTL);
        match ssh::ask(paths, port, &wait, remaining)? {
            ssh::Answer::Ran { stdout, .. } if stdout == "running" => return Ok(Break(())),
            ssh::Answer::Ran { stdout, .. } if stdout == "degraded" => {
                let failed = match ssh::ask(
                    paths,
                    port,
                    &format!("{} --failed --no-pager --no-legend", ssh::SYSTEMCTL),
                    Duration::from_secs(10),
                )? {
                    ssh::Answer::Ran { stdout, .. } => stdout,
                    _ => "(could not list them)".to_string(),
                };
                bail!(
                    "the twin booted degraded; failed units:\n{failed}\n\
                     (its journal: journalctl -D {}/var/log/journal)",
                    paths.rootfs.display()
                );
            }
            ssh::Answer::Ran { stdout, .. } => last_problem = format!("system is {stdout}"),
            ssh::Answer::NoConnection(err) => last_problem = format!("ssh: {err}"),
            ssh::Answer::TimedOut => last_problem = "ssh timed out".to_string(),
        }
        Ok(Continue(()))
    })
}

/// The Drone API twin's base URL (the CI site is its `/`).
fn drone_url(conn: &Connection) -> String {
    format!("http://127.0.0.1:{}", conn.api_port)
}

/// `cargo xtask twin ssh [CMD...]`: replaces this process with ssh.
fn ssh_into(remote: &[String]) -> Result<()> {
    let paths = Paths::new();
    let Some(conn) = connection::read(&paths) else {
        bail!(
            "the twin is not running (no {}); run `cargo xtask twin up`",
            paths.connection.display()
        );
    };
    let mut cmd = ssh::command(&paths, conn.port, !remote.is_empty());
    cmd.args(remote);
    let err = cmd.exec();
    Err(err).with_context(|| format!("could not run `{}`", util::display_command(&cmd)))
}
