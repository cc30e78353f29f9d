//! `cargo xtask bench --checks N [--threads T]`: what N read-only checks cost through witness,
//! next to baselines on the same twin:
//! - the floor: ONE ssh session (one handshake, ssh2) running the same N commands in
//!   sequence, each on its own exec channel so that each has its own exit status and
//!   output, as a gate needs. This is what witness would cost with no overhead of its own;
//! - one `ssh` invocation per check (what a hand-rolled script does);
//! - for reference, one remote shell fed all N commands (`ssh twin bash -s`): cheaper than
//!   any per-check observation can be, since the checks' results are not told apart.
//!
//! witness runs a real gate: N scenario files are generated, loaded, run as libtest-mimic
//! trials, judged, redacted and asserted as snapshots (written on the first round, compared
//! on the measured one), exactly as `cargo test --test <gate>` would.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use witness::SnapshotUpdate;

use crate::twin;
use crate::util;

/// The read-only check each scenario makes.
const CHECK: &str = "systemctl is-active ssh.service";

pub fn run(args: &[String]) -> Result<()> {
    let mut checks = 100usize;
    let mut threads: Option<usize> = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--checks" => checks = it.next().context("--checks needs a number")?.parse()?,
            "--threads" => threads = Some(it.next().context("--threads needs a number")?.parse()?),
            other => bail!("unknown bench option `{other}` (use --checks N [--threads T])"),
        }
    }
    let (witness_s, floor_s, per_check_s, handshakes, batch_s) =
        twin::with_twin("bench", |_| measure(checks, threads))?;
    println!(
        "checks={checks}  witness handshakes={handshakes}  one-shell batch (reference)={batch_s:.3}s"
    );
    println!(
        "witness_s={witness_s:.3} floor_s={floor_s:.3} ssh_per_check_s={per_check_s:.3} ratio_vs_floor={:.3}",
        witness_s / floor_s
    );
    Ok(())
}

fn measure(checks: usize, threads: Option<usize>) -> Result<(f64, f64, f64, usize, f64)> {
    let root = util::target_dir().join("bench");
    let gate_dir = root.join("scenarios").join("bench");
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&gate_dir)?;
    let connection = util::target_dir().join("twin").join("connection.toml");
    std::fs::write(
        root.join("targets.toml"),
        format!(
            "[targets.twin]\nconnection = {:?}\n",
            connection.display().to_string()
        ),
    )?;
    for i in 0..checks {
        std::fs::write(
            gate_dir.join(format!("check_{i:05}.toml")),
            format!(
                "title = \"check {i}\"\nclaim = \"ssh is active ({i})\"\n[[steps]]\nrun = {{ cmd = \"{CHECK}\" }}\nexpect = {{ stdout = ['^active$'] }}\n"
            ),
        )?;
    }

    // Round 1 writes the snapshots; round 2, the measured one, compares against them.
    run_witness(&root, &gate_dir, threads, SnapshotUpdate::Accept)?;
    let t = Instant::now();
    let handshakes = run_witness(&root, &gate_dir, threads, SnapshotUpdate::Nothing)?;
    let witness_s = t.elapsed().as_secs_f64();

    let conn = Connection::read(&connection)?;
    let t = Instant::now();
    floor(&conn, checks)?;
    let floor_s = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let mut child = conn
        .ssh()
        .args(["bash", "-s"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()?;
    {
        let mut stdin = child.stdin.take().context("ssh stdin")?;
        for _ in 0..checks {
            writeln!(stdin, "{CHECK}")?;
        }
    }
    if !child.wait()?.success() {
        bail!("batch: ssh bash -s failed");
    }
    let batch_s = t.elapsed().as_secs_f64();

    let t = Instant::now();
    for _ in 0..checks {
        let st = conn.ssh().arg(CHECK).stdout(Stdio::null()).status()?;
        if !st.success() {
            bail!("ssh per check: `{CHECK}` failed");
        }
    }
    let per_check_s = t.elapsed().as_secs_f64();
    Ok((witness_s, floor_s, per_check_s, handshakes, batch_s))
}

/// One session, N exec channels in sequence, each read to the end with its exit status.
fn floor(conn: &Connection, checks: usize) -> Result<()> {
    use std::io::Read as _;
    // The twin is our own host on loopback, just brought up with a pinned key; the floor
    // measures exec cost, so it skips the known_hosts check that witness itself does.
    let tcp = std::net::TcpStream::connect(("127.0.0.1", conn.port.parse::<u16>()?))?;
    // Without TCP_NODELAY, Nagle plus delayed ACKs stall each small request ~40 ms, which
    // would make the floor look far worse than it is (witness sets it too).
    tcp.set_nodelay(true)?;
    let mut sess = ssh2::Session::new()?;
    sess.set_tcp_stream(tcp);
    sess.handshake()?;
    sess.userauth_pubkey_file("root", None, Path::new(&conn.identity), None)?;
    for _ in 0..checks {
        let mut ch = sess.channel_session()?;
        ch.exec(CHECK)?;
        let mut out = String::new();
        ch.read_to_string(&mut out)?;
        ch.wait_close()?;
        if ch.exit_status()? != 0 || out.trim() != "active" {
            bail!("floor: `{CHECK}` failed: {out}");
        }
    }
    Ok(())
}

/// Run the generated gate in-process; returns the number of SSH handshakes it made.
fn run_witness(
    root: &Path,
    gate_dir: &Path,
    threads: Option<usize>,
    update: SnapshotUpdate,
) -> Result<usize> {
    let mut args = libtest_mimic::Arguments::from_iter(["bench", "--quiet"]);
    args.test_threads = threads;
    let before = witness::transport::handshakes_total();
    debug_assert!(gate_dir.starts_with(root));
    let mut cfg = witness::RunConfig::for_root(root, "twin");
    cfg.snapshot_update = update;
    let c = witness::run_gate(&cfg, "bench", &args).map_err(anyhow::Error::msg)?;
    if c.num_failed > 0 {
        bail!("{} bench checks failed", c.num_failed);
    }
    Ok(witness::transport::handshakes_total() - before)
}

/// The twin's connection facts, for the plain-`ssh` baselines.
struct Connection {
    port: String,
    identity: String,
    known_hosts: String,
}

impl Connection {
    fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)?;
        let get = |key: &str| -> Result<String> {
            text.lines()
                .find_map(|l| {
                    let (k, v) = l.split_once('=')?;
                    (k.trim() == key).then(|| v.trim().trim_matches('"').to_string())
                })
                .with_context(|| format!("{} has no `{key}`", path.display()))
        };
        Ok(Connection {
            port: get("port")?,
            identity: get("identity_file")?,
            known_hosts: get("known_hosts")?,
        })
    }

    fn ssh(&self) -> Command {
        let mut c = Command::new("ssh");
        c.args([
            "-q",
            "-o",
            "BatchMode=yes",
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            &format!("UserKnownHostsFile={}", self.known_hosts),
            "-i",
            &self.identity,
            "-p",
            &self.port,
            "root@127.0.0.1",
        ]);
        c
    }
}
