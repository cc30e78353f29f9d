//! Run a command on the machine running witness (`local = true` steps, the `local` target).
//!
//! The command gets its own process group so that a deadline can stop it *and* everything it
//! started; stdout and stderr are drained by two threads so neither pipe can fill and stall.

use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use wait_timeout::ChildExt;

use super::{Bounded, Exec, ExecOpts, Output};
use crate::error::TransportError;

/// Runs commands with `bash -c` in a working directory.
#[derive(Debug, Clone)]
pub(crate) struct LocalExec {
    pub(crate) cwd: PathBuf,
}

impl Exec for LocalExec {
    fn exec(&self, cmd: &str, opts: ExecOpts) -> Result<Output, TransportError> {
        let start = Instant::now();
        let mut child = Command::new("bash")
            .arg("-c")
            .arg(cmd)
            .current_dir(&self.cwd)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .map_err(|e| TransportError::Spawn {
                what: format!("bash -c in {}", self.cwd.display()),
                source: Arc::new(e),
            })?;
        let pgid = child.id() as i32;
        let out_rx = drain(child.stdout.take(), opts.output_limit);
        let err_rx = drain(child.stderr.take(), opts.output_limit);

        let mut timed_out = false;
        let left = (start + opts.deadline).saturating_duration_since(Instant::now());
        let status = match child.wait_timeout(left) {
            Ok(Some(status)) => Some(status),
            Ok(None) => {
                timed_out = true;
                // SAFETY: plain libc call on a process group we created.
                unsafe { libc::kill(-pgid, libc::SIGKILL) };
                child.wait().ok()
            }
            Err(e) => {
                return Err(TransportError::Spawn {
                    what: "waiting for bash".into(),
                    source: Arc::new(e),
                });
            }
        };
        // A daemonized grandchild may keep a pipe open forever: wait a little, then give up
        // on the rest rather than hang.
        let grace = Duration::from_secs(2);
        let stdout = out_rx.recv_timeout(grace).unwrap_or_default();
        let stderr = err_rx.recv_timeout(grace).unwrap_or_default();
        let (exit, signal) = match status {
            Some(s) if !timed_out => (s.code(), s.signal().map(signal_name)),
            _ => (None, Some("KILL".to_string())),
        };
        Ok(Output {
            stdout,
            stderr,
            exit,
            signal,
            timed_out,
            elapsed: start.elapsed(),
        })
    }

    fn describe(&self) -> String {
        "local".into()
    }

    fn manual_prefix(&self) -> String {
        format!("cd {} && bash -c", self.cwd.display())
    }
}

fn drain(pipe: Option<impl Read + Send + 'static>, limit: usize) -> mpsc::Receiver<Bounded> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut buf = Bounded::new(limit);
        if let Some(mut p) = pipe {
            let mut chunk = [0u8; 64 * 1024];
            while let Ok(n) = p.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                buf.push(&chunk[..n]);
            }
        }
        let _ = tx.send(buf);
    });
    rx
}

/// `15` → `TERM`, as ssh reports signals by name.
pub(crate) fn signal_name(sig: i32) -> String {
    match sig {
        libc::SIGHUP => "HUP",
        libc::SIGINT => "INT",
        libc::SIGQUIT => "QUIT",
        libc::SIGABRT => "ABRT",
        libc::SIGKILL => "KILL",
        libc::SIGSEGV => "SEGV",
        libc::SIGPIPE => "PIPE",
        libc::SIGTERM => "TERM",
        other => return format!("signal {other}"),
    }
    .to_string()
}
