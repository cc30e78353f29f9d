//! Integration tests against the real twin host (`cargo xtask twin up` first; `cargo xtask
//! test` does it for you). Every step kind is shown to pass where it should and to go red
//! where it should, and the transport's fault cases end in a precise message in bounded time.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use witness::engine::run_scenario;
use witness::error::TransportError;
use witness::evidence::{failure_message, render};
use witness::report::{ScenarioReport, StepStatus};
use witness::scenario::Scenario;
use witness::scenario::load::load_str;
use witness::target::TargetRuntime;
use witness::target::{self, SecretSource, TargetTransport};
use witness::transport::{Exec, ExecOpts, SshConfig, SshPool};

mod common;
use common::{root, twin};

fn twin_ssh() -> SshConfig {
    match twin().transport {
        TargetTransport::Ssh(c) => c,
        TargetTransport::Local => unreachable!("twin is an ssh target"),
    }
}

fn scenario(body: &str) -> Scenario {
    let src = format!("title = \"test\"\nclaim = \"a test claim\"\n{body}");
    load_str(Path::new("scenarios/test/t.toml"), &src).unwrap_or_else(|e| panic!("{e}"))
}

fn run_on(rt: &TargetRuntime, body: &str) -> (Scenario, ScenarioReport) {
    let sc = scenario(body);
    let report = run_scenario(&sc, rt, &|l| eprintln!("progress: {l}"));
    (sc, report)
}

fn run(body: &str) -> (Scenario, ScenarioReport) {
    run_on(
        &TargetRuntime::new(twin(), &root(), witness::transport::DEFAULT_OUTPUT_LIMIT),
        body,
    )
}

fn message(sc: &Scenario, r: &ScenarioReport) -> String {
    failure_message("test", sc, r, "twin", "twin")
}

fn opts(secs: u64) -> ExecOpts {
    ExecOpts {
        deadline: Duration::from_secs(secs),
        output_limit: 16 * 1024 * 1024,
    }
}

/// A command longer than an SSH packet holds (an action's facts written into it) runs whole,
/// with its exit status, its stdin at its end as a short command's is.
fn a_command_longer_than_an_ssh_packet_runs_whole() {
    let long = "x".repeat(100_000);
    let (_, r) = run(&format!(
        "[[steps]]\nrun = {{ cmd = \"printf '%s' '{long}' | wc -c; read -r line || echo stdin-at-end; exit 7\" }}\nexpect = {{ exit = 7, stdout = ['^100000$', '^stdin-at-end$'] }}\n"
    ));
    assert!(r.passed(), "{:?}", r.steps[0]);
}

fn run_step_passes_and_goes_red_on_exit_status() {
    let (_, r) =
        run("[[steps]]\nrun = { cmd = \"echo hello\" }\nexpect = { stdout = ['^hello$'] }\n");
    assert!(r.passed(), "{r:?}");
    let (sc, r) = run(
        "[[steps]]\nrun = { cmd = \"echo oops >&2; exit 3\" }\n[[steps]]\nrun = { cmd = \"echo never\" }\n",
    );
    assert!(!r.passed());
    assert_eq!(r.steps[1].status, StepStatus::Skipped);
    let m = message(&sc, &r);
    assert!(m.contains("expected: exit status 0"), "{m}");
    assert!(m.contains("seen:     exit status 3"), "{m}");
    assert!(m.contains("command:  echo oops >&2; exit 3"), "{m}");
    assert!(m.contains("| oops"), "{m}");
    assert!(m.contains("by hand:  ssh -p "), "{m}");
    assert!(
        m.contains("skipped after the failure: step 2 `echo never`"),
        "{m}"
    );
}

fn local_run_step() {
    let (_, r) = run(
        "[[steps]]\nrun = { cmd = \"test -f Cargo.toml && echo here\", local = true }\nexpect = { stdout = ['here'] }\n",
    );
    assert!(r.passed(), "{r:?}");
    let (_, r) = run("[[steps]]\nrun = { cmd = \"test -f no-such-file\", local = true }\n");
    assert!(!r.passed());
}

fn systemd_properties() {
    let (_, r) = run(
        "[[steps]]\nsystemd = { unit = 'ssh.service', properties = { ActiveState = 'active', SubState = 'running' } }\n",
    );
    assert!(r.passed(), "{r:?}");
    let (sc, r) = run(
        "[[steps]]\nsystemd = { unit = 'no-such-unit.service', properties = { ActiveState = 'active' } }\n",
    );
    assert!(!r.passed());
    let m = message(&sc, &r);
    assert!(
        m.contains("expected: no-such-unit.service ActiveState=active"),
        "{m}"
    );
    assert!(m.contains("seen:     ActiveState=inactive"), "{m}");
}

fn failed_units_with_waivers_shown_as_diff_and_an_expired_waiver_fails() {
    let pool = SshPool::new(twin_ssh());
    let unit = format!("witness-fail-{}", std::process::id());
    let out = pool
        .exec(
            &format!("systemd-run --unit={unit} --wait false; true"),
            opts(20),
        )
        .unwrap();
    assert_eq!(out.exit, Some(0), "{}", out.stderr.text());
    let (sc, r) = run("[[steps]]\nsystemd = { failed = {} }\n");
    let cleanup = || {
        pool.exec(&format!("systemctl reset-failed {unit}.service"), opts(20))
            .unwrap()
    };
    if r.passed() {
        cleanup();
        panic!("a failed unit was not noticed: {r:?}");
    }
    let m = message(&sc, &r);
    let waiver = |expires: &str| {
        run(&format!(
            "[[steps]]\nsystemd = {{ failed = {{ allow = [{{ unit = '{unit}.service', reason = 'a test', expires = '{expires}' }}] }} }}\n"
        ))
    };
    let (_, allowed) = waiver("2999-12-31");
    let (esc, expired) = waiver("2000-01-01");
    cleanup();
    let em = message(&esc, &expired);
    assert!(
        em.contains(&format!(
            "+ {unit}.service (failed; its waiver EXPIRED on 2000-01-01: a test)"
        )),
        "{em}"
    );
    assert!(
        m.contains(&format!("+ {unit}.service (failed, NOT allowed)")),
        "{m}"
    );
    assert!(allowed.passed(), "{allowed:?}");
    let (_, r) = run("[[steps]]\nsystemd = { failed = {} }\n");
    assert!(
        r.passed(),
        "reset-failed should leave no failed unit: {r:?}"
    );
}

/// Read-only: a waiver past its date fails the claim even though its unit never failed.
fn an_expired_waiver_of_a_healthy_unit_fails_naming_it() {
    let (sc, r) = run(
        "[[steps]]\nsystemd = { failed = { allow = [{ unit = 'witness-never-failed.service', reason = 'a test', expires = '2000-01-01' }] } }\n",
    );
    assert!(!r.passed(), "{r:?}");
    let m = message(&sc, &r);
    assert!(
        m.contains(
            "the waiver of witness-never-failed.service EXPIRED on 2000-01-01 (a test): renew it with a new date or remove it"
        ),
        "{m}"
    );
}

fn start_and_wait_for_a_oneshot() {
    let pool = SshPool::new(twin_ssh());
    // The first line waits a moment: journald may not yet know a brand-new process's unit
    // when it reads its very first line under load, and would file it without the unit.
    let setup = "mkdir -p /run/systemd/system && \
        printf '[Service]\\nType=oneshot\\nExecStart=/bin/sh -c \"sleep 0.5; echo working; sleep 2; echo done\"\\n' > /run/systemd/system/witness-ok.service && \
        printf '[Service]\\nType=oneshot\\nExecStart=/bin/sh -c \"sleep 1; exit 4\"\\n' > /run/systemd/system/witness-bad.service && \
        systemctl daemon-reload";
    let out = pool.exec(setup, opts(20)).unwrap();
    assert_eq!(out.exit, Some(0), "{}", out.stderr.text());

    let (_, r) = run(
        "mutates = true\n[[steps]]\njournal = { mark = 'm' }\n[[steps]]\nsystemd = { start = 'witness-ok.service' }\n[[steps]]\nretry = { interval = '300ms', deadline = '10s' }\njournal = { unit = 'witness-ok.service', after = 'm' }\nexpect = { stdout_in_order = ['working', 'done'] }\n",
    );
    assert!(r.passed(), "{r:?}");
    assert!(
        r.steps[1].elapsed >= Duration::from_secs(2),
        "it waited for the run"
    );

    let started = Instant::now();
    let (sc, r) = run(
        "mutates = true\n[[steps]]\ntimeout = '60s'\nsystemd = { start = 'witness-bad.service' }\n",
    );
    assert!(!r.passed());
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "a failed unit must fail at once, not at the deadline"
    );
    let m = message(&sc, &r);
    assert!(
        m.contains("expected: witness-bad.service runs and ends with Result=success"),
        "{m}"
    );
    assert!(
        m.contains("ActiveState=failed Result=exit-code ExecMainStatus=4"),
        "{m}"
    );
    pool.exec("systemctl reset-failed witness-bad.service", opts(20))
        .unwrap();
}

fn journal_is_scoped_to_this_run() {
    let tag = format!("witness-j{}", std::process::id());
    let body = format!(
        "[[steps]]\nrun = {{ cmd = \"logger -t {tag} old-line\" }}\n[[steps]]\njournal = {{ mark = 'm' }}\n[[steps]]\nrun = {{ cmd = \"logger -t {tag} new-line\" }}\n[[steps]]\nretry = {{ interval = '300ms', deadline = '5s' }}\nrun = {{ cmd = \"journalctl -q --no-pager -t {tag} -o cat --after-cursor=${{m}}\" }}\nexpect = {{ stdout = ['new-line'], stdout_absent = ['old-line'] }}\n"
    );
    let (_, r) = run(&body);
    assert!(r.passed(), "{r:?}");
    // Red: the line logged before the mark is not there to be found.
    let red = body.replace("stdout = ['new-line'], ", "stdout = ['old-line'], ");
    let red = red.replace("stdout_absent = ['old-line']", "stdout_absent = []");
    let (sc, r) = run(&red);
    assert!(!r.passed());
    let m = message(&sc, &r);
    assert!(m.contains("expected: stdout matches /old-line/"), "{m}");
    assert!(m.contains("attempts:"), "{m}");
}

/// A tiny HTTP(S) server on loopback, stopped on drop.
struct Server {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn server(tls: bool) -> Server {
    let dir = std::env::temp_dir().join(format!("witness-http-{}-{tls}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("status.json"),
        r#"{"status":"success","number":7,"stages":[{"name":"default"}]}"#,
    )
    .unwrap();
    let port = free_port();
    let script = if tls {
        let ok = Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=127.0.0.1",
                "-addext",
                "subjectAltName=IP:127.0.0.1",
                "-addext",
                "basicConstraints=critical,CA:FALSE",
                "-addext",
                "extendedKeyUsage=serverAuth",
                "-keyout",
                "key.pem",
                "-out",
                "cert.pem",
            ])
            .current_dir(&dir)
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(ok.success());
        format!(
            "import http.server, ssl\ns = http.server.HTTPServer(('127.0.0.1', {port}), http.server.SimpleHTTPRequestHandler)\nc = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\nc.load_cert_chain('cert.pem', 'key.pem')\ns.socket = c.wrap_socket(s.socket, server_side=True)\ns.serve_forever()\n"
        )
    } else {
        format!(
            "import http.server\nhttp.server.HTTPServer(('127.0.0.1', {port}), http.server.SimpleHTTPRequestHandler).serve_forever()\n"
        )
    };
    serve(&script, port, dir)
}

/// Run a Python server script in `dir` and wait (bounded) until it accepts on `port`.
fn serve(script: &str, port: u16, dir: PathBuf) -> Server {
    let child = Command::new("python3")
        .args(["-c", script])
        .current_dir(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "test server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    Server { child, port, dir }
}

fn http_status_body_and_json_pointer() {
    let s = server(false);
    let p = s.port;
    let (_, r) = run(&format!(
        "[[steps]]\nhttp = {{ url = 'http://127.0.0.1:{p}/status.json', json = {{ '/status' = 'success', '/stages/0/name' = 'default' }} }}\nexpect = {{ stdout = ['\"number\":7'] }}\n"
    ));
    assert!(r.passed(), "{r:?}");
    let (sc, r) = run(&format!(
        "[[steps]]\nhttp = {{ url = 'http://127.0.0.1:{p}/status.json', json = {{ '/status' = 'failure' }} }}\n"
    ));
    assert!(!r.passed());
    let m = message(&sc, &r);
    assert!(m.contains("expected: JSON /status = \"failure\""), "{m}");
    assert!(m.contains("seen:     JSON /status = \"success\""), "{m}");
    let (sc, r) = run(&format!(
        "[[steps]]\nhttp = {{ url = 'http://127.0.0.1:{p}/missing' }}\n"
    ));
    let m = message(&sc, &r);
    assert!(
        m.contains("expected: HTTP status 200") && m.contains("seen:     HTTP status 404"),
        "{m}"
    );
}

fn https_is_verified() {
    let s = server(true);
    let p = s.port;
    let (sc, r) = run(&format!(
        "[[steps]]\nhttp = {{ url = 'https://127.0.0.1:{p}/status.json' }}\n"
    ));
    assert!(!r.passed(), "a self-signed certificate must not be trusted");
    let m = message(&sc, &r);
    assert!(m.to_lowercase().contains("certificate"), "{m}");
    let ca = s.dir.join("cert.pem");
    let (_, r) = run(&format!(
        "[[steps]]\nhttp = {{ url = 'https://127.0.0.1:{p}/status.json', ca_file = '{}' }}\n",
        ca.display()
    ));
    assert!(r.passed(), "{r:?}");
}

fn unknown_host_key_is_refused_with_fingerprint() {
    let dir = std::env::temp_dir().join(format!("witness-kh-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let empty = dir.join("known_hosts_empty");
    std::fs::write(&empty, "").unwrap();
    let mut cfg = twin_ssh();
    cfg.known_hosts = vec![empty.clone()];
    let err = SshPool::new(cfg).check().unwrap_err();
    let m = err.to_string();
    assert!(matches!(err, TransportError::UnknownHostKey { .. }), "{m}");
    assert!(
        m.contains("SHA256:") && m.contains(&empty.display().to_string()),
        "{m}"
    );
    assert!(m.contains("no trust on first use"), "{m}");
}

fn changed_host_key_is_refused() {
    let dir = std::env::temp_dir().join(format!("witness-kh2-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let st = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(dir.join("other"))
        .status()
        .unwrap();
    assert!(st.success());
    let public = std::fs::read_to_string(dir.join("other.pub")).unwrap();
    let cfg = twin_ssh();
    let kh = dir.join("known_hosts");
    // A hashed entry, as `HashKnownHosts yes` writes them, to show those are read too.
    let mut f = std::fs::File::create(&kh).unwrap();
    writeln!(f, "[{}]:{} {}", cfg.hostname, cfg.port, public.trim()).unwrap();
    drop(f);
    let st = Command::new("ssh-keygen")
        .args(["-q", "-H", "-f"])
        .arg(&kh)
        .status()
        .unwrap();
    assert!(st.success());
    assert!(std::fs::read_to_string(&kh).unwrap().starts_with("|1|"));
    let mut bad = cfg.clone();
    bad.known_hosts = vec![kh.clone()];
    let err = SshPool::new(bad).check().unwrap_err();
    assert!(
        matches!(err, TransportError::HostKeyMismatch { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("CHANGED"), "{err}");

    // The genuine key, hashed, is accepted.
    let genuine = dir.join("known_hosts_genuine");
    std::fs::copy(&cfg.known_hosts[0], &genuine).unwrap();
    let st = Command::new("ssh-keygen")
        .args(["-q", "-H", "-f"])
        .arg(&genuine)
        .status()
        .unwrap();
    assert!(st.success());
    let mut good = cfg;
    good.known_hosts = vec![genuine];
    SshPool::new(good).check().unwrap();
}

fn stderr_flood_does_not_hang() {
    let pool = SshPool::new(twin_ssh());
    let t = Instant::now();
    let out = pool
        .exec(
            "head -c 4000000 /dev/zero >&2; head -c 4000000 /dev/zero; echo; echo done",
            opts(30),
        )
        .unwrap();
    assert_eq!(out.exit, Some(0));
    assert_eq!(
        (out.stderr.text().len(), out.stderr.dropped()),
        (4_000_000, 0)
    );
    assert!(out.stdout.text().ends_with("done\n"));
    // Over the bound, the head and the tail are kept: the last line survives the flood.
    let small = ExecOpts {
        deadline: Duration::from_secs(30),
        output_limit: 64 * 1024,
    };
    let out = pool
        .exec(
            "echo first; head -c 20000000 /dev/zero | tr '\\0' x; echo; echo 'sweep: gitea rc=0'",
            small,
        )
        .unwrap();
    let text = out.stdout.text();
    assert!(text.starts_with("first\n"), "{}", &text[..40]);
    assert!(
        text.ends_with("\nsweep: gitea rc=0\n"),
        "{}",
        &text[text.len() - 80..]
    );
    assert!(out.stdout.dropped() > 19_000_000);
    assert!(
        t.elapsed() < Duration::from_secs(10),
        "took {:?}",
        t.elapsed()
    );
}

fn hung_command_hits_its_deadline_and_is_stopped_on_the_target() {
    let marker = format!("witness-hang-{}", std::process::id());
    let (sc, r) = run(&format!(
        "[[steps]]\ntimeout = '2s'\nrun = {{ cmd = \"echo started; exec -a {marker} sleep 300\" }}\n"
    ));
    assert!(!r.passed());
    assert!(r.steps[0].timed_out);
    assert!(
        r.steps[0].elapsed < Duration::from_secs(5),
        "{:?}",
        r.steps[0].elapsed
    );
    let m = message(&sc, &r);
    assert!(
        m.contains("timed out: the step's deadline of 2s passed"),
        "{m}"
    );
    assert!(m.contains("| started"), "output so far is shown: {m}");
    // The remote backstop `timeout` ends the command a few seconds later.
    std::thread::sleep(Duration::from_secs(6));
    let pool = SshPool::new(twin_ssh());
    // `[w]` keeps pgrep from matching its own command line.
    let pattern = format!("[{}]{}", &marker[..1], &marker[1..]);
    let out = pool
        .exec(&format!("pgrep -f '{pattern}' || echo gone"), opts(10))
        .unwrap();
    assert_eq!(out.stdout.text().trim(), "gone");
}

fn output_is_bounded_and_the_excess_counted() {
    let mut rt = TargetRuntime::new(twin(), &root(), witness::transport::DEFAULT_OUTPUT_LIMIT);
    rt.output_limit = 1024 * 1024;
    let (_, r) = run_on(
        &rt,
        "[[steps]]\nrun = { cmd = \"head -c 5000000 /dev/zero | tr '\\\\0' x\" }\n",
    );
    assert!(r.passed(), "{r:?}");
    assert_eq!(r.steps[0].stdout_dropped, 5_000_000 - 1024 * 1024);
    let (sc, r) = run_on(
        &rt,
        "[[steps]]\nrun = { cmd = \"head -c 5000000 /dev/zero | tr '\\\\0' x\" }\nexpect = { stdout = ['nothing like this'] }\n",
    );
    let m = message(&sc, &r);
    assert!(
        m.contains("bytes over the output bound were dropped"),
        "{m}"
    );
    let text = render(&sc, &r);
    assert!(
        text.contains("stdout over the output bound: 3951424 bytes dropped"),
        "{text}"
    );
}

fn unreachable_target_fails_every_scenario_fast_with_one_message() {
    let mut t = twin();
    let port = free_port(); // nothing listens there
    if let TargetTransport::Ssh(c) = &mut t.transport {
        c.port = port;
        c.connect_timeout = Duration::from_secs(3);
    }
    let rt = Arc::new(TargetRuntime::new(
        t,
        &root(),
        witness::transport::DEFAULT_OUTPUT_LIMIT,
    ));
    let started = Instant::now();
    let mut messages = Vec::new();
    for _ in 0..5 {
        let (_, r) = run_on(&rt, "[[steps]]\nrun = { cmd = \"true\" }\n");
        match &r.steps[0].status {
            StepStatus::Error(e) => messages.push(e.clone()),
            other => panic!("expected an error, got {other:?}"),
        }
    }
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert!(messages.iter().all(|m| m == &messages[0]));
    assert!(
        messages[0].starts_with(&format!(
            "target unreachable: cannot connect to 127.0.0.1:{port}"
        )),
        "{}",
        messages[0]
    );
}

fn one_handshake_for_many_checks_and_reconnect_after_a_drop() {
    let pool = SshPool::new(twin_ssh());
    for i in 0..30 {
        let out = pool.exec(&format!("echo {i}"), opts(10)).unwrap();
        assert_eq!(out.stdout.text().trim(), i.to_string());
    }
    assert_eq!(pool.handshakes(), 1);
    // Kill this connection's sshd process: the step sees a dropped session…
    let dropped = pool.exec("kill -KILL $(ps -o ppid= -p $PPID)", opts(10));
    assert!(
        dropped.is_err() || dropped.as_ref().unwrap().exit != Some(0),
        "{dropped:?}"
    );
    // …and the next step gets a fresh connection.
    let out = pool.exec("echo back", opts(10)).unwrap();
    assert_eq!(out.stdout.text().trim(), "back");
    assert_eq!(pool.handshakes(), 2);
}

fn secrets_never_reach_evidence_or_messages() {
    let mut t = twin();
    t.secrets.insert(
        "tok".into(),
        SecretSource::Env("WITNESS_TEST_SECRET".into()),
    );
    // SAFETY: set before the runtime (and any thread that reads it) exists; no other
    // test reads this variable.
    unsafe { std::env::set_var("WITNESS_TEST_SECRET", "hunter2-sekret") };
    let rt = TargetRuntime::new(t, &root(), witness::transport::DEFAULT_OUTPUT_LIMIT);
    let (sc, r) = run_on(
        &rt,
        "[[steps]]\nrun = { cmd = \"echo token=${tok}; echo ${tok} >&2; exit 1\" }\n",
    );
    let m = message(&sc, &r);
    let text = render(&sc, &r);
    assert!(
        !m.contains("hunter2") && !text.contains("hunter2"),
        "{m}\n{text}"
    );
    assert!(m.contains("token=[secret]"), "{m}");
}

fn captured_output_is_data_not_shell_code() {
    let pwned = format!("/tmp/witness-pwned-{}", std::process::id());
    let (_, r) = run(&format!(
        "[[steps]]\nrun = {{ cmd = \"echo 'value=$(touch {pwned})'\" }}\ncapture = ['value=(?P<v>.*)']\n[[steps]]\nrun = {{ cmd = \"echo got ${{v}}; test ! -e {pwned}\" }}\nexpect = {{ stdout = ['got \\$\\(touch'] }}\n"
    ));
    assert!(r.passed(), "{r:?}");
    assert_eq!(r.captures[0].0, "v");
}

fn retry_until_passes_and_reports_the_last_attempt() {
    let f = format!("/tmp/witness-retry-{}", std::process::id());
    let (_, r) = run(&format!(
        "[[steps]]\nretry = {{ interval = '200ms', deadline = '5s' }}\nrun = {{ cmd = \"if test -e {f}; then echo ready; rm {f}; else touch {f}; echo notyet; exit 1; fi\" }}\nexpect = {{ stdout = ['ready'] }}\n"
    ));
    assert!(r.passed(), "{r:?}");
    assert_eq!(r.steps[0].attempts, 2);
    let started = Instant::now();
    let (sc, r) = run(
        "[[steps]]\nretry = { interval = '300ms', deadline = '2s' }\nrun = { cmd = \"echo attempt-$RANDOM; exit 1\" }\n",
    );
    assert!(!r.passed());
    assert!(started.elapsed() < Duration::from_secs(4));
    let m = message(&sc, &r);
    assert!(r.steps[0].attempts >= 3, "{m}");
    assert!(m.contains("| attempt-"), "{m}");
}

/// A Drone-shaped server whose create endpoint answers `null`, as Drone does for a
/// skipped build.
fn null_drone() -> Server {
    let dir = std::env::temp_dir().join(format!("witness-null-drone-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let port = free_port();
    let script = format!(
        "import http.server\nclass H(http.server.BaseHTTPRequestHandler):\n    def do_POST(self):\n        self.send_response(200); self.send_header('Content-Type', 'application/json'); self.send_header('Content-Length', '5'); self.end_headers(); self.wfile.write(b'null\\n')\n    def log_message(self, *a): pass\nhttp.server.HTTPServer(('127.0.0.1', {port}), H).serve_forever()\n"
    );
    serve(&script, port, dir)
}

/// A twin runtime whose secret `tok` comes from its own environment variable (`var`:
/// unique per caller, since secrets are read lazily and tests run in parallel).
fn drone_target(var: &str, token: &str) -> TargetRuntime {
    let mut t = twin();
    t.secrets
        .insert("tok".into(), SecretSource::Env(var.into()));
    // SAFETY: each caller owns its variable name; nothing else reads or writes it.
    unsafe { std::env::set_var(var, token) };
    TargetRuntime::new(t, &root(), witness::transport::DEFAULT_OUTPUT_LIMIT)
}

const DRONE_TRIGGER: &str = "mutates = true\n[[steps]]\ntimeout = '60s'\n[steps.drone]\nserver = '${url}'\nrepo = 'recipe-maintainers/cc-ci'\ntoken_secret = 'tok'\nlog_step = 'LOGSTEP'\npoll = '500ms'\ntrigger = { params = { RECIPE = 'gitea' } }\n";

fn drone_null_create_response_is_a_clear_failure() {
    let s = null_drone();
    let rt = drone_target("WITNESS_TEST_TOKEN_NULL", "any");
    let body = DRONE_TRIGGER.replace("${url}", &format!("http://127.0.0.1:{}", s.port));
    let (sc, r) = run_on(&rt, &body);
    assert!(!r.passed());
    let m = message(&sc, &r);
    assert!(m.contains("expected: drone creates a build"), "{m}");
    assert!(m.contains("it skipped the build"), "{m}");
}

fn drone_twin_refuses_a_wrong_token_and_finds_steps_by_name() {
    let t = twin();
    let url = t
        .vars
        .get("drone_url")
        .cloned()
        .expect("the cc-ci twin's drone_url");
    let token = SshPool::new(twin_ssh())
        .exec("cat /run/secrets/bridge_drone_token", opts(10))
        .unwrap()
        .stdout
        .text();
    let body = DRONE_TRIGGER.replace("${url}", &url);

    let (sc, r) = run_on(
        &drone_target("WITNESS_TEST_TOKEN_WRONG", "not-the-token"),
        &body.replace("LOGSTEP", "test"),
    );
    let m = message(&sc, &r);
    assert!(m.contains("drone refused the build: HTTP 401"), "{m}");
    assert!(!m.contains(token.trim()), "the real token must not appear");

    let (sc, r) = run_on(
        &drone_target("WITNESS_TEST_TOKEN_REAL", token.trim()),
        &body.replace("LOGSTEP", "no-such-step"),
    );
    let m = message(&sc, &r);
    assert!(
        m.contains("expected: build has a step named `no-such-step`"),
        "{m}"
    );
    assert!(m.contains("steps: [clone, test]"), "{m}");
}

fn journal_by_invocation_sees_exactly_one_run() {
    let pool = SshPool::new(twin_ssh());
    let setup = "mkdir -p /run/systemd/system && \
        printf '[Service]\\nType=oneshot\\nExecStart=/bin/sh -c \"echo run-$$RANDOM; echo lfs PASSED\"\\n' > /run/systemd/system/witness-inv.service && \
        systemctl daemon-reload && systemctl start witness-inv.service";
    let out = pool.exec(setup, opts(20)).unwrap();
    assert_eq!(out.exit, Some(0), "{}", out.stderr.text());
    // Two runs: the read by the second run's id sees its lines only.
    let (_, r) = run(
        "mutates = true\n[[steps]]\nsystemd = { start = 'witness-inv.service', invocation_var = 'second' }\n[[steps]]\nretry = { interval = '300ms', deadline = '10s' }\njournal = { unit = 'witness-inv.service', invocation = '${second}' }\nexpect = { count = [{ regex = '^lfs PASSED$', lines = 1 }, { regex = '^run-', lines = 1 }] }\n",
    );
    assert!(r.passed(), "{r:?}");
    assert!(r.steps[1].command.contains("the lines of run"), "{r:?}");
    // Red: the same read without the scope would see both runs.
    let (_, r) = run(
        "[[steps]]\nrun = { cmd = 'journalctl -q -o cat -u witness-inv.service' }\nexpect = { count = [{ regex = '^lfs PASSED$', lines = 1 }] }\n",
    );
    assert!(!r.passed(), "an unscoped read sees more than one run");
}

fn process_is_found_in_its_units_cgroup_and_its_path_resolved() {
    let pool = SshPool::new(twin_ssh());
    let setup = "mkdir -p /run/witness-tools/bin && ln -sf /bin/bash /run/witness-tools/bin/mybash && \
        systemctl stop witness-proc.service 2>/dev/null; \
        systemd-run --unit=witness-proc.service --setenv=PATH=/run/witness-tools/bin --setenv=MARK=one /bin/bash -c 'exec -a probe-me /bin/sleep 60' && \
        systemd-run --unit=witness-decoy.service /bin/bash -c 'exec -a probe-me sleep 60' || true";
    let out = pool.exec(setup, opts(20)).unwrap();
    assert_eq!(out.exit, Some(0), "{}", out.stderr.text());
    let (_, r) = run(
        "[[steps]]\nretry = { interval = '300ms', deadline = '10s' }\nprocess = { unit = 'witness-proc.service', cmdline = '^probe-me', env = ['MARK', 'PATH'], resolve = ['mybash'] }\nrecord = 'all'\n",
    );
    assert!(r.passed(), "{r:?}");
    let ev = r.steps[0].evidence.join("\n");
    assert!(ev.contains("MARK=one"), "{ev}");
    assert!(
        ev.contains("mybash=/usr/bin/bash") || ev.contains("mybash=/bin/bash"),
        "{ev}"
    );
    // Red: a tool not on that process's PATH is MISSING (though the twin has it elsewhere),
    // at once: the process was found, so a retry has nothing left to wait for.
    let (sc, r) = run(
        "[[steps]]\nretry = { interval = '300ms', deadline = '30s' }\nprocess = { unit = 'witness-proc.service', cmdline = '^probe-me', resolve = ['git'] }\n",
    );
    assert!(!r.passed());
    assert_eq!(r.steps[0].attempts, 1, "a settled failure is not retried");
    let m = message(&sc, &r);
    assert!(
        m.contains("`git` resolves on the process's own PATH") && m.contains("git=MISSING"),
        "{m}"
    );
    // Red: a unit whose cgroup holds no matching process.
    let (sc, r) = run(
        "[[steps]]\nprocess = { unit = 'witness-proc.service', cmdline = 'nothing-like-this' }\n",
    );
    assert!(!r.passed());
    assert!(
        message(&sc, &r).contains("none matching"),
        "{}",
        message(&sc, &r)
    );
    pool.exec(
        "systemctl stop witness-proc.service witness-decoy.service",
        opts(20),
    )
    .unwrap();
}

/// `poll` catches a process that lives a fraction of a second (as a recipe's test process
/// does) and `env = "all"` prints every variable it has, sorted, a newline in a value escaped;
/// with `while_running`, a watch whose starter is gone records that none came, at once.
#[test]
fn process_poll_catches_a_short_lived_child_and_its_whole_environment() {
    if skip() {
        return;
    }
    let pool = SshPool::new(twin_ssh());
    let setup = r#"systemctl stop witness-poll.service witness-poll2.service 2>/dev/null
systemd-run --unit=witness-poll.service /bin/bash -c ': witness-parent; sleep 1; for i in 1 2 3 4 5; do env -i B="$(printf "x
y")" A=1 /bin/bash -c "exec -a quick-child sleep 0.15"; sleep 0.5; done' &&
systemd-run --unit=witness-poll2.service /bin/bash -c ': witness-parent; sleep 1'"#;
    let out = pool.exec(setup, opts(20)).unwrap();
    assert_eq!(out.exit, Some(0), "{}", out.stderr.text());
    let (_, r) = run(
        "[[steps]]\ntimeout = '20s'\nprocess = { unit = 'witness-poll.service', cmdline = '^quick-child', env = 'all', poll = '20ms', while_running = 'witness-parent' }\nrecord = 'all'\nexpect = { stdout_in_order = ['^A=1$', '^B=x\\\\ny$'] }\n",
    );
    assert!(r.passed(), "{r:?}");
    // The starter ends without starting it: recorded at once, empty, not a 20 s wait.
    let started = Instant::now();
    let (_, r) = run(
        "[[steps]]\ntimeout = '20s'\nprocess = { unit = 'witness-poll2.service', cmdline = '^never-started', env = 'all', poll = '20ms', while_running = 'witness-parent' }\nexpect = { stdout_equals = '' }\n",
    );
    assert!(r.passed(), "{r:?}");
    assert!(started.elapsed() < Duration::from_secs(10), "{r:?}");
    let _ = pool.exec(
        "systemctl stop witness-poll.service witness-poll2.service",
        opts(20),
    );
}

/// `wait` waits for the run whatever the unit's type: a oneshot is `activating` while it
/// runs, a simple or exec service `active (running)` (the seeds do not say which the sweep is).
fn start_without_blocking_returns_while_the_run_is_under_way() {
    let pool = SshPool::new(twin_ssh());
    for (ty, running) in [
        ("oneshot", "activating"),
        ("simple", "active"),
        ("exec", "active"),
    ] {
        let setup = format!(
            "systemctl stop witness-long.service 2>/dev/null; mkdir -p /run/systemd/system && \
             printf '[Service]\\nType={ty}\\nExecStart=/bin/sh -c \"sleep 3; echo finished\"\\n' > /run/systemd/system/witness-long.service && \
             systemctl daemon-reload"
        );
        assert_eq!(pool.exec(&setup, opts(20)).unwrap().exit, Some(0));
        let started = Instant::now();
        let (_, r) = run(&format!(
            "mutates = true\n[[steps]]\nsystemd = {{ start = 'witness-long.service', no_block = true }}\n[[steps]]\nrun = {{ cmd = 'systemctl is-active witness-long.service' }}\nexpect = {{ any_exit = true, stdout = ['^{running}$'] }}\n[[steps]]\nsystemd = {{ wait = 'witness-long.service', invocation_var = 'same' }}\n[[steps]]\nrun = {{ cmd = 'systemctl is-active witness-long.service' }}\nexpect = {{ any_exit = true, stdout = ['^inactive$'] }}\n[[steps]]\nretry = {{ interval = '300ms', deadline = '10s' }}\njournal = {{ unit = 'witness-long.service', invocation = '${{invocation}}' }}\nexpect = {{ stdout = ['^finished$'] }}\n",
        ));
        assert!(r.passed(), "Type={ty}: {r:?}");
        assert!(
            started.elapsed() >= Duration::from_secs(3),
            "Type={ty}: wait waited for the run"
        );
    }
}

/// A run that fails: `wait` fails the step, `wait` with `result = "any"` records how it ended
/// (an action observes; its scenarios judge).
fn wait_fails_on_a_failed_run_unless_any_result_is_asked_for() {
    let pool = SshPool::new(twin_ssh());
    let setup = "mkdir -p /run/systemd/system && \
        printf '[Service]\\nType=oneshot\\nExecStart=/bin/sh -c \"sleep 1; exit 3\"\\n' > /run/systemd/system/witness-fails.service && \
        systemctl daemon-reload";
    assert_eq!(pool.exec(setup, opts(20)).unwrap().exit, Some(0));
    let scenario = |result: &str| {
        format!(
            "mutates = true\n[[steps]]\nsystemd = {{ start = 'witness-fails.service', no_block = true }}\n\
             [[steps]]\nsystemd = {{ wait = 'witness-fails.service'{result} }}\ncapture = ['(?m)^Result=(?P<result>\\S*)$']\n\
             [[steps]]\nvalue = '${{result}}'\nexpect = {{ stdout_equals = 'exit-code' }}\n"
        )
    };
    let (_, strict) = run(&scenario(""));
    assert!(
        !strict.passed(),
        "a failed run fails a plain wait: {strict:?}"
    );
    let (_, any) = run(&scenario(", result = 'any'"));
    assert!(
        any.passed(),
        "result = 'any' records the failed run: {any:?}"
    );
    let _ = pool.exec(
        "systemctl reset-failed witness-fails.service; rm -f /run/systemd/system/witness-fails.service; systemctl daemon-reload",
        opts(20),
    );
}

/// The README's cold recipe for a host key, followed as written against the twin addressed
/// through an ssh_config alias: `ssh -G` says where the alias goes, `ssh-keyscan` fetches the
/// key from there, and witness then looks it up exactly where OpenSSH does. With
/// `HostKeyAlias`, the key recorded under the alias is the one that counts.
fn the_readme_host_key_advice_works_for_an_alias() {
    let tw = twin_ssh();
    let dir = std::env::temp_dir().join(format!("witness-cold-kh-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("ssh_config");
    let block = format!(
        "Host cc-ci-cold\n  HostName {}\n  Port {}\n  User {}\n  IdentityFile {}\n",
        tw.hostname,
        tw.port,
        tw.user,
        tw.identity_files[0].display()
    );
    std::fs::write(&config, &block).unwrap();
    // README: `ssh -G cc-ci | awk '$1 == "hostname" || $1 == "port"'`
    let g = Command::new("ssh")
        .args(["-F", &config.display().to_string(), "-G", "cc-ci-cold"])
        .output()
        .unwrap();
    let g = String::from_utf8_lossy(&g.stdout);
    let field = |k: &str| {
        g.lines()
            .find_map(|l| l.strip_prefix(&format!("{k} ")))
            .unwrap_or_else(|| panic!("ssh -G printed no {k}: {g}"))
            .to_string()
    };
    let (hostname, port) = (field("hostname"), field("port"));
    // README: `ssh-keyscan -p <port> <hostname> >> ~/.ssh/known_hosts` (after comparing
    // `ssh-keygen -lf -` of it with the operator's fingerprint).
    let scan = Command::new("ssh-keyscan")
        .args(["-p", &port, &hostname])
        .output()
        .unwrap();
    assert!(!scan.stdout.is_empty(), "ssh-keyscan found no key");
    let kh = dir.join("known_hosts");
    std::fs::write(&kh, &scan.stdout).unwrap();
    let targets = format!(
        "[targets.cold]\nssh = \"cc-ci-cold\"\nssh_config = \"{}\"\nknown_hosts = \"{}\"\n",
        config.display(),
        kh.display()
    );
    std::fs::write(dir.join("targets.toml"), &targets).unwrap();
    let connect = |dir: &Path| -> Result<(), String> {
        let t = target::load(dir, "cold").unwrap();
        let TargetTransport::Ssh(c) = t.transport else {
            unreachable!()
        };
        SshPool::new(c)
            .exec("true", opts(10))
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    connect(&dir).unwrap();
    // With HostKeyAlias the same key must be recorded under the alias name: the line
    // keyed by HostName no longer counts, as with OpenSSH.
    std::fs::write(&config, format!("{block}  HostKeyAlias cc-ci-cold-key\n")).unwrap();
    let e = connect(&dir).unwrap_err();
    assert!(e.contains("looked up as `cc-ci-cold-key`"), "{e}");
    let renamed: String = String::from_utf8_lossy(&scan.stdout)
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| format!("cc-ci-cold-key {}\n", l.split_once(' ').unwrap().1))
        .collect();
    std::fs::write(&kh, renamed).unwrap();
    connect(&dir).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

/// The mutation lock lives on the target: while one run holds it (on its own SSH session),
/// a second run — another pool, as from another machine — waits, says who holds it, and is
/// refused when its wait ends; once the holder's session ends, the lock is free again.
fn the_mutation_lock_is_held_on_the_target_and_released_with_its_session() {
    let rt = |_: ()| TargetRuntime::new(twin(), &root(), witness::transport::DEFAULT_OUTPUT_LIMIT);
    let (a, b) = (rt(()), rt(()));
    let seen = std::sync::Mutex::new(Vec::new());
    let progress = |l: &str| seen.lock().unwrap().push(l.to_string());
    let held = witness::lock_on_target(
        &a,
        "run A of the builder",
        Duration::from_secs(5),
        &progress,
    )
    .unwrap();
    let e = match witness::lock_on_target(&b, "run B", Duration::from_secs(2), &progress) {
        Ok(_) => panic!("two runs held the target's mutation lock at once"),
        Err(e) => e.to_string(),
    };
    assert!(
        e.contains("REFUSED") && e.contains("run A of the builder"),
        "{e}"
    );
    assert!(
        seen.lock()
            .unwrap()
            .iter()
            .any(|l| l.contains("held by run A of the builder")),
        "{:?}",
        seen.lock().unwrap()
    );
    drop(held);
    let again = witness::lock_on_target(&b, "run B", Duration::from_secs(10), &progress);
    assert!(again.is_ok(), "{:?}", again.err());
}

/// Could not witness is not a broken claim: when witness's own `facts.nix` does not evaluate on
/// a system that does (here it asks for an attribute the host has not, as the first facts.nix
/// asked cc-ci for `pkgs.ccciPyEnv`, a `let` there), the `reviewed` action fails and gate M1
/// ends exit 2, naming the action, the expression and the evaluator's message; never exit 1.
fn m1_whose_facts_do_not_evaluate_is_not_witnessed() {
    let project = root();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("scenarios")).unwrap();
    let cp = Command::new("cp")
        .arg("-R")
        .arg(project.join("scenarios/m1"))
        .arg(dir.path().join("scenarios"))
        .status()
        .unwrap();
    assert!(cp.success());
    std::fs::write(
        dir.path().join("scenarios/m1/facts.nix"),
        "{ flake, hosts }: map (h: flake.nixosConfigurations.${h}.pkgs.ccciPyEnv.name) hosts\n",
    )
    .unwrap();
    let targets = std::fs::read_to_string(project.join("targets.toml")).unwrap();
    let conn = project.join("target/twin/connection.toml");
    let targets = targets.replace(
        "\"target/twin/connection.toml\"",
        &format!("{:?}", conn.display().to_string()),
    );
    std::fs::write(dir.path().join("targets.toml"), targets).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_witness"))
        .arg("m1")
        .env("WITNESS_ROOT", dir.path())
        .env("WITNESS_TARGET", "twin")
        .env_remove("WITNESS_ALLOW_MUTATION")
        .env_remove("WITNESS_EVIDENCE")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(2), "{text}");
    for said in [
        "action `reviewed` failed",
        "could not witness: scenarios/m1/facts.nix does not evaluate",
        "attribute 'ccciPyEnv' missing",
    ] {
        assert!(text.contains(said), "the gate says {said:?}:\n{text}");
    }
}

/// A second sshd in the twin, on its own loopback port with its own host key: a bastion in
/// front of the twin's sshd. Stopped (by its pid file) when dropped.
struct Bastion {
    pool: SshPool,
    port: u16,
    /// Its directory in the twin, one per bastion: tests run in parallel.
    dir: String,
}

impl Bastion {
    /// With a host key of each of `kinds` (`ssh-keygen -t`).
    fn start(kinds: &[&str]) -> Bastion {
        // A free port on the loopback the twin shares with this machine.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let pool = SshPool::new(twin_ssh());
        let dir = format!("/run/witness-bastion-{port}");
        let host_keys: String = kinds
            .iter()
            .map(|k| format!("HostKey {dir}/host_{k}\n"))
            .collect();
        let keygen: String = kinds
            .iter()
            .map(|k| format!("/usr/bin/ssh-keygen -q -t {k} -N '' -f {dir}/host_{k}; "))
            .collect();
        let config = format!(
            "ListenAddress 127.0.0.1\nPort {port}\n{host_keys}PidFile {dir}/sshd.pid\nPermitRootLogin prohibit-password\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nUseDNS no\nAllowTcpForwarding yes\n"
        );
        let out = pool
            .exec(
                &format!(
                    "set -e; rm -rf {dir}; mkdir -p {dir}; {keygen}printf '%s' '{config}' > {dir}/sshd_config; /usr/sbin/sshd -f {dir}/sshd_config"
                ),
                opts(30),
            )
            .unwrap();
        assert_eq!(out.exit, Some(0), "{}", out.stderr.text());
        let up = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                up.elapsed() < Duration::from_secs(10),
                "the bastion sshd did not listen"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Bastion { pool, port, dir }
    }
}

impl Drop for Bastion {
    fn drop(&mut self) {
        let _ = self.pool.exec(
            &format!("kill $(cat {0}/sshd.pid); rm -rf {0}", self.dir),
            opts(10),
        );
    }
}

/// A jump-host target: the twin behind a bastion (a second sshd on loopback), reached through
/// `ProxyJump` as `ssh -G` resolves it, with strict host keys on both hops. OpenSSH's own `ssh`
/// goes the same way; witness is refused when either hop's key is not known; two hops work
/// too; gate M1 runs through the bastion and ends PASSED.
fn a_jump_host_target_runs_m1_with_strict_host_keys_on_both_hops() {
    let tw = twin();
    let TargetTransport::Ssh(direct) = tw.transport.clone() else {
        unreachable!("twin is an ssh target")
    };
    let bastion = Bastion::start(&["ed25519"]);
    let dir = tempfile::tempdir().unwrap();
    let kh = dir.path().join("known_hosts");
    let scan = Command::new("ssh-keyscan")
        .args(["-p", &bastion.port.to_string(), "127.0.0.1"])
        .output()
        .unwrap();
    let bastion_keys = String::from_utf8_lossy(&scan.stdout).into_owned();
    assert!(
        bastion_keys.contains("ssh-ed25519"),
        "ssh-keyscan: {bastion_keys}"
    );
    let twin_keys = std::fs::read_to_string(&direct.known_hosts[0]).unwrap();
    let config = dir.path().join("ssh_config");
    let id = direct.identity_files[0].display().to_string();
    std::fs::write(
        &config,
        format!(
            "Host bastion\n  HostName 127.0.0.1\n  Port {}\n  User root\n\
             Host cc-ci-jumped\n  HostName {}\n  Port {}\n  User root\n  ProxyJump bastion\n\
             Host *\n  IdentityFile {id}\n  UserKnownHostsFile {}\n  GlobalKnownHostsFile none\n  StrictHostKeyChecking yes\n  BatchMode yes\n",
            bastion.port,
            direct.hostname,
            direct.port,
            kh.display()
        ),
    )
    .unwrap();
    let targets = dir.path().join("targets.toml");
    let quote = |v: &str| toml::Value::String(v.to_string()).to_string();
    let mut text = format!(
        "[targets.jumped]\nssh = \"cc-ci-jumped\"\nssh_config = {}\njudged_on = \"2026-12-06\"\n[targets.jumped.vars]\n",
        quote(&config.display().to_string())
    );
    for (k, v) in &tw.vars {
        text.push_str(&format!("{k} = {}\n", quote(v)));
    }
    text.push_str("[targets.jumped.secrets]\n");
    for (k, s) in &tw.secrets {
        if let SecretSource::TargetFile(f) = s {
            text.push_str(&format!("{k} = {{ file = {} }}\n", quote(f)));
        }
    }
    std::fs::write(&targets, text).unwrap();
    let connect = || -> Result<String, String> {
        let t = target::load_with(&root(), "jumped", Some(&targets)).map_err(|e| e.to_string())?;
        let TargetTransport::Ssh(c) = t.transport else {
            unreachable!()
        };
        assert_eq!(
            c.jumps.iter().map(|j| j.port).collect::<Vec<_>>(),
            [bastion.port],
            "one hop, the bastion"
        );
        let out = SshPool::new(c)
            .exec("hostname", opts(20))
            .map_err(|e| e.to_string())?;
        Ok(out.stdout.text().trim().to_string())
    };
    // Only the twin's key known: the bastion's is not, and nothing goes through it.
    std::fs::write(&kh, &twin_keys).unwrap();
    let e = connect().unwrap_err();
    assert!(
        e.contains("host key of bastion is NOT in")
            && e.contains(&format!("[127.0.0.1]:{}", bastion.port)),
        "{e}"
    );
    // Only the bastion's key known: the hop is verified, the target behind it refused.
    std::fs::write(&kh, &bastion_keys).unwrap();
    let e = connect().unwrap_err();
    assert!(e.contains("host key of cc-ci-jumped is NOT in"), "{e}");
    // Both known: OpenSSH's own ssh and witness both get through.
    std::fs::write(&kh, format!("{twin_keys}{bastion_keys}")).unwrap();
    let ssh = Command::new("ssh")
        .arg("-F")
        .arg(&config)
        .args(["cc-ci-jumped", "hostname"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        ssh.status.success(),
        "OpenSSH: {}",
        String::from_utf8_lossy(&ssh.stderr)
    );
    let theirs = String::from_utf8_lossy(&ssh.stdout).trim().to_string();
    assert_eq!(connect().unwrap(), theirs);
    // Two hops (`ProxyJump bastion,second`): each a session over the one before, each key checked.
    let second = Bastion::start(&["ed25519"]);
    let second_keys = String::from_utf8_lossy(
        &Command::new("ssh-keyscan")
            .args(["-p", &second.port.to_string(), "127.0.0.1"])
            .output()
            .unwrap()
            .stdout,
    )
    .into_owned();
    let two_hops = dir.path().join("two_hops.toml");
    std::fs::write(
        &two_hops,
        std::fs::read_to_string(&targets)
            .unwrap()
            .replace("[targets.jumped", "[targets.two-hops")
            .replace("\"cc-ci-jumped\"", "\"cc-ci-two-hops\""),
    )
    .unwrap();
    let mut cfg = std::fs::read_to_string(&config).unwrap();
    cfg = format!(
        "Host second\n  HostName 127.0.0.1\n  Port {}\n  User root\nHost cc-ci-two-hops\n  HostName {}\n  Port {}\n  User root\n  ProxyJump bastion,second\n{cfg}",
        second.port, direct.hostname, direct.port
    );
    std::fs::write(&config, cfg).unwrap();
    let two = |known: &str| -> Result<String, String> {
        std::fs::write(&kh, known).unwrap();
        let t =
            target::load_with(&root(), "two-hops", Some(&two_hops)).map_err(|e| e.to_string())?;
        let TargetTransport::Ssh(c) = t.transport else {
            unreachable!()
        };
        assert_eq!(
            c.jumps.iter().map(|j| j.port).collect::<Vec<_>>(),
            [bastion.port, second.port]
        );
        let out = SshPool::new(c)
            .exec("hostname", opts(20))
            .map_err(|e| e.to_string())?;
        Ok(out.stdout.text().trim().to_string())
    };
    let e = two(&format!("{twin_keys}{bastion_keys}")).unwrap_err();
    assert!(e.contains("host key of second is NOT in"), "{e}");
    let ours = two(&format!("{twin_keys}{bastion_keys}{second_keys}")).unwrap();
    let ssh = Command::new("ssh")
        .arg("-F")
        .arg(&config)
        .args(["cc-ci-two-hops", "hostname"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        ssh.status.success(),
        "OpenSSH: {}",
        String::from_utf8_lossy(&ssh.stderr)
    );
    assert_eq!(ours, String::from_utf8_lossy(&ssh.stdout).trim());
    drop(second);
    // The gate, through the bastion. Evidence for this target is new and stays unwritten
    // (INSTA_UPDATE=no): the verdict comes from the claims.
    let state = dir.path().join("state");
    let out = Command::new(env!("CARGO_BIN_EXE_witness"))
        .arg("m1")
        .env("WITNESS_ROOT", root())
        .env("WITNESS_TARGETS", &targets)
        .env("WITNESS_TARGET", "jumped")
        .env("WITNESS_STATE_DIR", &state)
        .env("INSTA_UPDATE", "no")
        .env_remove("WITNESS_ALLOW_MUTATION")
        .env_remove("WITNESS_EVIDENCE")
        .env_remove("CI")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("{text}");
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains(&format!(
            "gate m1 on target jumped (root@{}:{} via root@127.0.0.1:{})",
            direct.hostname, direct.port, bastion.port
        )),
        "{text}"
    );
    assert!(text.contains("gate m1 on target jumped: PASSED"), "{text}");
}

/// An ssh_config alias for `port` on the loopback, with its own known_hosts files, and a targets
/// file naming it: what OpenSSH's `ssh` and witness are both pointed at.
struct Shape {
    dir: tempfile::TempDir,
}

impl Shape {
    fn new(port: u16) -> Shape {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        std::fs::write(
            p.join("ssh_config"),
            format!(
                "Host shape\n  HostName 127.0.0.1\n  Port {port}\n  User root\n  IdentityFile {}\n  UserKnownHostsFile {}\n  GlobalKnownHostsFile {}\n  StrictHostKeyChecking yes\n  BatchMode yes\n",
                twin_ssh().identity_files[0].display(),
                p.join("user_known_hosts").display(),
                p.join("global_known_hosts").display()
            ),
        )
        .unwrap();
        std::fs::write(
            p.join("targets.toml"),
            format!(
                "[targets.shape]\nssh = \"shape\"\nssh_config = \"{}\"\n",
                p.join("ssh_config").display()
            ),
        )
        .unwrap();
        Shape { dir }
    }

    fn write(&self, user: &str, global: &str, hash: bool) {
        let p = self.dir.path();
        std::fs::write(p.join("user_known_hosts"), user).unwrap();
        std::fs::write(p.join("global_known_hosts"), global).unwrap();
        if hash {
            let out = Command::new("ssh-keygen")
                .args(["-q", "-H", "-f"])
                .arg(p.join("user_known_hosts"))
                .output()
                .unwrap();
            assert!(out.status.success());
        }
    }

    /// OpenSSH's verdict: does `ssh shape true` get in?
    fn openssh(&self) -> Result<(), String> {
        let out = Command::new("ssh")
            .arg("-F")
            .arg(self.dir.path().join("ssh_config"))
            // SHAPE_DEBUG=1: OpenSSH says which line it found (`ssh -v`).
            .args(if std::env::var_os("SHAPE_DEBUG").is_some() {
                &["-v", "shape", "true"][..]
            } else {
                &["shape", "true"][..]
            })
            .stdin(Stdio::null())
            .output()
            .unwrap();
        if std::env::var_os("SHAPE_DEBUG").is_some() {
            eprintln!("{}", String::from_utf8_lossy(&out.stderr));
        }
        if out.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    /// witness's verdict, and the key type it verified.
    fn witness(&self) -> Result<String, String> {
        let t = target::load(self.dir.path(), "shape").map_err(|e| e.to_string())?;
        let TargetTransport::Ssh(c) = t.transport else {
            unreachable!()
        };
        let pool = SshPool::new(c);
        pool.check().map_err(|e| e.to_string())?;
        Ok(pool.verified_host_key().unwrap_or_default())
    }
}

/// The key part (`type base64`) of each line `ssh-keyscan` prints for `port`, by type.
fn scanned(port: u16) -> Vec<(String, String)> {
    let scan = Command::new("ssh-keyscan")
        .args(["-p", &port.to_string(), "127.0.0.1"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&scan.stdout)
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let mut f = l.split_whitespace().skip(1);
            let (kind, b64) = (f.next()?, f.next()?);
            Some((kind.to_string(), format!("{kind} {b64}")))
        })
        .collect()
}

/// known_hosts shapes against a real sshd (the bastion, with an ed25519 and an ECDSA host key):
/// for each, OpenSSH's own `ssh` (StrictHostKeyChecking yes) and witness agree on getting in or
/// being refused, and witness's refusal names what OpenSSH's reading of the file says.
fn known_hosts_shapes_are_judged_as_openssh_judges_them() {
    let bastion = Bastion::start(&["ed25519", "ecdsa"]);
    let port = bastion.port;
    let keys = scanned(port);
    let key = |kind: &str| {
        keys.iter()
            .find(|(k, _)| k == kind)
            .map(|(_, line)| line.clone())
            .unwrap_or_else(|| panic!("no {kind} key scanned: {keys:?}"))
    };
    let (ed, ec) = (key("ssh-ed25519"), key("ecdsa-sha2-nistp256"));
    let other = {
        let dir = tempfile::tempdir().unwrap();
        let st = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(dir.path().join("k"))
            .status()
            .unwrap();
        assert!(st.success());
        let text = std::fs::read_to_string(dir.path().join("k.pub")).unwrap();
        text.split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ")
    };
    let name = format!("[127.0.0.1]:{port}");
    let shape = Shape::new(port);
    // (what, user file, global file, hashed, gets in, what witness's refusal says)
    let cases: Vec<(&str, String, String, bool, bool, &str)> = vec![
        (
            "bracketed name, ed25519 only: ed25519 is asked for first",
            format!("{name} {ed}\n"),
            String::new(),
            false,
            true,
            "",
        ),
        (
            "bracketed name, ECDSA only",
            format!("{name} {ec}\n"),
            String::new(),
            false,
            true,
            "",
        ),
        (
            "hashed",
            format!("{name} {ed}\n"),
            String::new(),
            true,
            true,
            "",
        ),
        // OpenSSH looks again without the port ("checking without port identifier"): the same
        // key under the bare name is accepted, another key there is not.
        (
            "a plain host entry with the same key, another port",
            format!("127.0.0.1 {ed}\n"),
            String::new(),
            false,
            true,
            "",
        ),
        (
            "a plain host entry with another key, another port",
            format!("127.0.0.1 {other}\n"),
            String::new(),
            false,
            false,
            "is NOT in",
        ),
        (
            "wildcard",
            format!("[127.0.0.?]:{port} {ed}\n"),
            String::new(),
            false,
            true,
            "",
        ),
        (
            "negated",
            format!("[127.0.0.*]:{port},!{name} {ed}\n"),
            String::new(),
            false,
            false,
            "is NOT in",
        ),
        (
            "the global file only",
            String::new(),
            format!("{name} {ed}\n"),
            false,
            true,
            "",
        ),
        (
            "revoked with a plain entry for the same key",
            format!("{name} {ed}\n@revoked * {ed}\n"),
            String::new(),
            false,
            false,
            "user_known_hosts:2. Refusing",
        ),
        (
            "changed",
            format!("{name} {other}\n"),
            String::new(),
            false,
            false,
            "CHANGED",
        ),
        (
            "trusted only through @cert-authority",
            format!("@cert-authority {name} {other}\n"),
            String::new(),
            false,
            false,
            "trusted only through `@cert-authority` at",
        ),
    ];
    for (what, user, global, hash, gets_in, says) in cases {
        shape.write(&user, &global, hash);
        let theirs = shape.openssh();
        let ours = shape.witness();
        assert_eq!(
            ours.is_ok(),
            theirs.is_ok(),
            "{what}: witness {ours:?}, OpenSSH {theirs:?}"
        );
        assert_eq!(ours.is_ok(), gets_in, "{what}: {ours:?}");
        match ours {
            Ok(verified) if what.contains("ECDSA") => {
                assert!(
                    verified.contains("ecdsa-sha2-nistp256"),
                    "{what}: {verified}"
                )
            }
            Ok(verified) => assert!(verified.contains("ssh-ed25519"), "{what}: {verified}"),
            Err(e) => assert!(e.contains(says), "{what}: {e}"),
        }
    }
}

/// libtest's own runner, so a test that cannot run here is reported ignored, with why,
/// never `ok`.
fn main() -> std::process::ExitCode {
    common::run_needing(
        "twin",
        common::Needs::Twin,
        &[
            (
                "a_command_longer_than_an_ssh_packet_runs_whole",
                a_command_longer_than_an_ssh_packet_runs_whole as fn(),
            ),
            (
                "run_step_passes_and_goes_red_on_exit_status",
                run_step_passes_and_goes_red_on_exit_status as fn(),
            ),
            ("local_run_step", local_run_step as fn()),
            ("systemd_properties", systemd_properties as fn()),
            (
                "failed_units_with_waivers_shown_as_diff_and_an_expired_waiver_fails",
                failed_units_with_waivers_shown_as_diff_and_an_expired_waiver_fails as fn(),
            ),
            (
                "an_expired_waiver_of_a_healthy_unit_fails_naming_it",
                an_expired_waiver_of_a_healthy_unit_fails_naming_it as fn(),
            ),
            (
                "start_and_wait_for_a_oneshot",
                start_and_wait_for_a_oneshot as fn(),
            ),
            (
                "journal_is_scoped_to_this_run",
                journal_is_scoped_to_this_run as fn(),
            ),
            (
                "http_status_body_and_json_pointer",
                http_status_body_and_json_pointer as fn(),
            ),
            ("https_is_verified", https_is_verified as fn()),
            (
                "unknown_host_key_is_refused_with_fingerprint",
                unknown_host_key_is_refused_with_fingerprint as fn(),
            ),
            (
                "changed_host_key_is_refused",
                changed_host_key_is_refused as fn(),
            ),
            (
                "known_hosts_shapes_are_judged_as_openssh_judges_them",
                known_hosts_shapes_are_judged_as_openssh_judges_them as fn(),
            ),
            (
                "a_jump_host_target_runs_m1_with_strict_host_keys_on_both_hops",
                a_jump_host_target_runs_m1_with_strict_host_keys_on_both_hops as fn(),
            ),
            (
                "stderr_flood_does_not_hang",
                stderr_flood_does_not_hang as fn(),
            ),
            (
                "hung_command_hits_its_deadline_and_is_stopped_on_the_target",
                hung_command_hits_its_deadline_and_is_stopped_on_the_target as fn(),
            ),
            (
                "output_is_bounded_and_the_excess_counted",
                output_is_bounded_and_the_excess_counted as fn(),
            ),
            (
                "unreachable_target_fails_every_scenario_fast_with_one_message",
                unreachable_target_fails_every_scenario_fast_with_one_message as fn(),
            ),
            (
                "one_handshake_for_many_checks_and_reconnect_after_a_drop",
                one_handshake_for_many_checks_and_reconnect_after_a_drop as fn(),
            ),
            (
                "secrets_never_reach_evidence_or_messages",
                secrets_never_reach_evidence_or_messages as fn(),
            ),
            (
                "captured_output_is_data_not_shell_code",
                captured_output_is_data_not_shell_code as fn(),
            ),
            (
                "retry_until_passes_and_reports_the_last_attempt",
                retry_until_passes_and_reports_the_last_attempt as fn(),
            ),
            (
                "drone_null_create_response_is_a_clear_failure",
                drone_null_create_response_is_a_clear_failure as fn(),
            ),
            (
                "drone_twin_refuses_a_wrong_token_and_finds_steps_by_name",
                drone_twin_refuses_a_wrong_token_and_finds_steps_by_name as fn(),
            ),
            (
                "journal_by_invocation_sees_exactly_one_run",
                journal_by_invocation_sees_exactly_one_run as fn(),
            ),
            (
                "process_is_found_in_its_units_cgroup_and_its_path_resolved",
                process_is_found_in_its_units_cgroup_and_its_path_resolved as fn(),
            ),
            (
                "start_without_blocking_returns_while_the_run_is_under_way",
                start_without_blocking_returns_while_the_run_is_under_way as fn(),
            ),
            (
                "wait_fails_on_a_failed_run_unless_any_result_is_asked_for",
                wait_fails_on_a_failed_run_unless_any_result_is_asked_for as fn(),
            ),
            (
                "the_readme_host_key_advice_works_for_an_alias",
                the_readme_host_key_advice_works_for_an_alias as fn(),
            ),
            (
                "the_mutation_lock_is_held_on_the_target_and_released_with_its_session",
                the_mutation_lock_is_held_on_the_target_and_released_with_its_session as fn(),
            ),
            (
                "m1_whose_facts_do_not_evaluate_is_not_witnessed",
                m1_whose_facts_do_not_evaluate_is_not_witnessed as fn(),
            ),
        ],
    )
}
