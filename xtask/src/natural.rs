//! The natural events the nightly gate observes, made to happen in the twin while the
//! installed `witness-nightly.service` runs (observe mode: it fires no sweep and triggers no
//! build): `nightly-sweep.timer` elapsing on its own (a runtime drop-in, `OnActiveSec=20s`,
//! put in place once the gate says it waits for the sweep) and a Drone build made by another
//! party (the bridge's custom build for a recipe PR: a POST to the API twin inside the twin,
//! naming no commit, once the gate says it waits for a build). Each is made only after the
//! gate began to wait, as on cc-ci the nightly unit starts before the sweep's fire. The timer
//! is restored afterwards. The sabotage matrix makes the same events for its observe-mode
//! rows (`Naturals`, fed the gate's stderr).

use std::time::{Duration, Instant};

use anyhow::{Result, bail};

use crate::twin::{self, Twin};
use crate::util;

/// Where the drop-in goes: under /run, so a reboot forgets it too.
const DROP_IN: &str = "/run/systemd/system/nightly-sweep.timer.d/witness-nightly-check.conf";
/// A nightly run in the twin: M1, then M2 with a sweep and a build (a few minutes each).
const RUN_BOUND: Duration = Duration::from_secs(45 * 60);

/// Start the nightly unit and, while it runs, make the sweep timer fire and a build happen
/// when the gate waits for them; return once the unit's run is over.
pub fn run_nightly_unit(tw: &Twin) -> Result<()> {
    let cursor = twin::ask(
        tw,
        "journalctl --show-cursor -n 0 -q --no-pager 2>&1 | sed -n 's/^-- cursor: //p'",
    )?;
    twin::ask(
        tw,
        "systemctl reset-failed witness-nightly.service 2>/dev/null; \
         systemctl start --no-block witness-nightly.service",
    )?;
    let followed = follow(tw, cursor.trim());
    let restored = restore_timer(tw);
    followed?;
    restored
}

fn follow(tw: &Twin, cursor: &str) -> Result<()> {
    let began = Instant::now();
    let mut made = Naturals::default();
    loop {
        let log = twin::ask(
            tw,
            &format!(
                "journalctl -q --no-pager -o cat -u witness-nightly.service --after-cursor={}",
                sh(cursor)
            ),
        )?;
        for line in log.lines() {
            made.on_line(tw, line)?;
        }
        let state = twin::ask(tw, "systemctl is-active witness-nightly.service")?;
        if !matches!(state.trim(), "activating" | "active" | "reloading") {
            return Ok(());
        }
        if began.elapsed() > RUN_BOUND {
            bail!(
                "witness-nightly.service still runs after {RUN_BOUND:?} (waited for the sweep: {}, for a build: {})",
                made.timer,
                made.build
            );
        }
        std::thread::sleep(Duration::from_secs(2));
    }
}

/// The natural events made so far for one observing gate run, each made once, when the
/// gate's output first says it waits for it.
#[derive(Default)]
pub struct Naturals {
    /// `nightly-sweep.timer` was made to elapse on its own.
    pub timer: bool,
    /// The bridge's build was made.
    pub build: bool,
}

impl Naturals {
    /// One line of the observing gate's output (its journal, or its stderr): on "observe:
    /// waiting up to … nightly-sweep.service" the timer elapses 20 s later; on "… next build
    /// of …" the bridge makes its build.
    pub fn on_line(&mut self, tw: &Twin, line: &str) -> Result<()> {
        if !line.contains("observe: waiting up to") {
            return Ok(());
        }
        if !self.timer && line.contains("nightly-sweep.service") {
            println!("natural: the gate waits for the sweep: its timer elapses on its own in 20s");
            twin::ask(
                tw,
                &format!(
                    "mkdir -p $(dirname {DROP_IN}) && \
                     printf '[Timer]\\nPersistent=false\\nOnActiveSec=20s\\n' > {DROP_IN} && \
                     systemctl daemon-reload && systemctl restart nightly-sweep.timer"
                ),
            )?;
            self.timer = true;
        }
        if !self.build && line.contains("next build of") {
            println!("natural: the gate waits for a build: the bridge makes one");
            std::thread::sleep(Duration::from_secs(3));
            let made = twin::ask(tw, &bridge_build()?)?;
            if made.trim() != "200" {
                bail!("the bridge's build was refused: {made}");
            }
            self.build = true;
        }
        Ok(())
    }
}

/// Puts `nightly-sweep.timer` back as it was (the drop-in gone, systemd reloaded).
pub fn restore_timer(tw: &Twin) -> Result<()> {
    twin::ask(tw, &format!("rm -f {DROP_IN}; systemctl daemon-reload")).map(drop)
}

/// The shell command (run in the twin) making the build the bridge makes for a recipe PR: a
/// custom build with M2's params and the bridge's token, naming no commit, so Drone builds
/// main's head (drone-api.md, HandleCreate). It prints the HTTP status.
fn bridge_build() -> Result<String> {
    let t = witness::target::load(&util::workspace_root(), "twin")?;
    let var = |k: &str| t.vars.get(k).cloned().unwrap_or_default();
    let url = format!(
        "{}/api/repos/{}/builds",
        var("drone_url").trim_end_matches('/'),
        var("drone_repo")
    );
    Ok(format!(
        "/usr/bin/python3 -c 'import sys, urllib.request as u; \
t = open(\"/run/secrets/bridge_drone_token\").read().strip(); \
r = u.Request(sys.argv[1], method=\"POST\", headers={{\"Authorization\": \"Bearer \" + t}}); \
print(u.urlopen(r).status)' \
         {url}?RECIPE=gitea\\&REF=357926f2\\&PR=1\\&SRC=recipe-maintainers/gitea",
        url = sh(&url),
    ))
}

/// One shell word for `s`.
fn sh(s: &str) -> String {
    util::quote(std::ffi::OsStr::new(s))
}
