//! Observe mode (`WITNESS_OBSERVE=1`, the nightly gate) against the real twin host (`cargo
//! xtask twin up` first; skipped, saying so, when it is not up and no target was asked for).
//!
//! - A unit nobody starts, observed with a small bound: the step fails in bounded time with
//!   the precise message (what did not come, what its timer says); a Drone repo nobody builds
//!   likewise.
//! - A timer firing on its own is observed: the run's InvocationID is recorded and the
//!   journal of exactly that run is read by it.
//! - The M2 gate, observing, without `WITNESS_ALLOW_MUTATION`: `nightly-sweep.timer` fires on
//!   its own (a runtime drop-in makes it elapse 20 s after the gate starts waiting), a Drone
//!   build is triggered by another party (this test, through Drone's API, standing in for a
//!   push); the gate ends PASSED, as a firing run does on the pristine twin, and the reports
//!   say observed, which run and which build. The timer is restored afterwards.
//!
//! The last one is a single test: it is the only one here that touches the sweep's timer
//! and the Drone repo, so nothing else here sees its fire or its build.

use std::io::{BufRead as _, BufReader, Read as _};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use witness::engine::run_scenario;
use witness::evidence::failure_message;
use witness::report::ScenarioReport;
use witness::scenario::Scenario;
use witness::scenario::load::load_str;
use witness::target::{TargetRuntime, TargetTransport};
use witness::transport::{Exec, ExecOpts, SshPool};

mod common;
use common::{root, twin};

fn pool() -> SshPool {
    match twin().transport {
        TargetTransport::Ssh(c) => SshPool::new(c),
        TargetTransport::Local => unreachable!("twin is an ssh target"),
    }
}

/// Run a shell command on the twin; it must succeed. Its stdout.
fn on_twin(pool: &SshPool, cmd: &str) -> String {
    let o = pool
        .exec(
            cmd,
            ExecOpts {
                deadline: Duration::from_secs(60),
                output_limit: 1 << 20,
            },
        )
        .unwrap();
    assert_eq!(o.exit, Some(0), "{cmd}: {}", o.stderr.text());
    o.stdout.text()
}

/// A scenario run by the engine on the twin in observe mode.
fn observe(body: &str) -> (Scenario, ScenarioReport) {
    let src = format!("title = \"test\"\nclaim = \"a test claim\"\nmutates = true\n{body}");
    let sc = load_str(std::path::Path::new("scenarios/test/t.toml"), &src)
        .unwrap_or_else(|e| panic!("{e}"));
    let mut rt = TargetRuntime::new(twin(), &root(), witness::transport::DEFAULT_OUTPUT_LIMIT);
    rt.observe = true;
    let report = run_scenario(&sc, &rt, &|l| eprintln!("progress: {l}"));
    (sc, report)
}

/// A command run on the twin when dropped, whatever happened: the test's traces undone.
struct Undo<'a> {
    pool: &'a SshPool,
    cmd: String,
}

impl Drop for Undo<'_> {
    fn drop(&mut self) {
        let opts = ExecOpts {
            deadline: Duration::from_secs(30),
            output_limit: 1 << 16,
        };
        let _ = self.pool.exec(&self.cmd, opts);
    }
}

/// A runtime oneshot `<name>.service` and its `<name>.timer` (started), gone when dropped.
fn units<'a>(pool: &'a SshPool, name: &'static str, exec: &str, timer: &str) -> Undo<'a> {
    on_twin(
        pool,
        &format!(
            "mkdir -p /run/systemd/system && \
             printf '[Service]\\nType=oneshot\\nExecStart=%s\\n' '{exec}' > /run/systemd/system/{name}.service && \
             printf '[Timer]\\n%s\\n' '{timer}' > /run/systemd/system/{name}.timer && \
             systemctl daemon-reload && systemctl restart {name}.timer"
        ),
    );
    Undo {
        pool,
        cmd: format!(
            "systemctl stop {name}.timer {name}.service; rm -f /run/systemd/system/{name}.*; systemctl daemon-reload"
        ),
    }
}

fn a_unit_that_does_not_start_on_its_own_is_a_precise_timeout() {
    let pool = pool();
    // A oneshot whose timer elapses only in 2099: nothing starts it within the bound.
    let _units = units(&pool, "witness-idle", "/bin/true", "OnCalendar=2099-01-01");
    let began = Instant::now();
    let (sc, r) = observe(
        "[[steps]]\nsystemd = { start = 'witness-idle.service', no_block = true }\nobserve = { within = '4s', systemd = { next = 'witness-idle.service' } }\n",
    );
    assert!(began.elapsed() < Duration::from_secs(30), "bounded");
    assert!(!r.passed(), "nothing started it: {r:?}");
    let m = failure_message("test", &sc, &r, "twin", "twin");
    assert!(
        m.contains(
            "no natural start of witness-idle.service within [duration] (it has not run since it was loaded); \
             the timer's next elapse is [timestamp] (witness-idle.timer, last triggered never)"
        ),
        "{m}"
    );
    // The report redacts times; the step itself saw 2099's.
    let raw = on_twin(
        &pool,
        "systemctl show --timestamp=utc -p NextElapseUSecRealtime --value witness-idle.timer",
    );
    assert_eq!(raw.trim(), "Thu 2099-01-01 00:00:00 UTC");
    // It started nothing itself.
    let state = on_twin(
        &pool,
        "systemctl show -p InvocationID --value witness-idle.service",
    );
    assert_eq!(state.trim(), "", "witness started the unit");
}

fn a_timer_firing_on_its_own_is_observed_and_its_run_read() {
    let pool = pool();
    let units = units(
        &pool,
        "witness-tick",
        "/bin/sh -c \"sleep 2; echo fired by its timer\"",
        "OnActiveSec=5s",
    );
    let (sc, r) = observe(
        "[[steps]]\nsystemd = { start = 'witness-tick.service', no_block = true }\nobserve = { within = '60s', systemd = { next = 'witness-tick.service' } }\n\
         [[steps]]\nsystemd = { wait = 'witness-tick.service', invocation_var = 'same' }\n\
         [[steps]]\nretry = { interval = '300ms', deadline = '10s' }\njournal = { unit = 'witness-tick.service', invocation = '${invocation}' }\nexpect = { stdout = ['^fired by its timer$'] }\n",
    );
    drop(units);
    assert!(
        r.passed(),
        "{}",
        failure_message("test", &sc, &r, "twin", "twin")
    );
    assert_eq!(
        r.steps[0].outcomes[0].expected,
        "a natural start of witness-tick.service within [duration] (its InvocationID recorded as ${invocation})"
    );
}

/// The params of M2's Drone action (`scenarios/m2/actions/drone_build.toml`): the build the
/// "other party" makes is the one a firing run would make, so M2.5 judges the same thing.
const PARAMS: &str = "RECIPE=gitea&REF=357926f2&PR=1&SRC=recipe-maintainers/gitea";

const DROP_IN: &str = "/run/systemd/system/nightly-sweep.timer.d/witness-observe-test.conf";

fn m2_observes_the_timers_own_fire_and_another_partys_build() {
    let pool = pool();
    // `nightly-sweep.timer` back as it was, whatever happens: the drop-in gone and systemd
    // reloaded (no restart: with `Persistent=true` a restart could catch up a missed elapse
    // and fire the sweep behind the next test's back).
    let _restore = Undo {
        pool: &pool,
        cmd: format!("rm -f {DROP_IN}; systemctl daemon-reload"),
    };
    let t = twin();
    let url = t
        .vars
        .get("drone_url")
        .cloned()
        .expect("the twin's drone_url");
    let repo = t.vars.get("drone_repo").cloned().expect("drone_repo");
    let token = on_twin(&pool, "cat /run/secrets/bridge_drone_token")
        .trim()
        .to_string();
    let head = on_twin(
        &pool,
        &format!(
            "git -C /etc/cc-ci rev-parse --verify {}^{{commit}}",
            t.vars.get("head_commit").expect("head_commit")
        ),
    )
    .trim()
    .to_string();

    // Red first, while nobody builds: the precise timeout of a build that does not come.
    let began = Instant::now();
    let (sc, r) = observe(&format!(
        "[[steps]]\nobserve = {{ within = '4s', drone = {{ next = true }} }}\n[steps.drone]\nserver = '{url}'\nrepo = '{repo}'\ntoken_secret = 'drone_token'\npoll = '500ms'\ntrigger = {{ params = {{ RECIPE = 'gitea' }} }}\nwait = false\n"
    ));
    let m = failure_message("test", &sc, &r, "twin", "twin");
    assert!(!r.passed(), "{m}");
    let waited = began.elapsed();
    assert!(
        waited >= Duration::from_secs(4) && waited < Duration::from_secs(30),
        "bounded by its 4s: {waited:?}"
    );
    assert!(
        m.contains(&format!(
            "no natural build of {repo} within [duration]: the newest is still #"
        )),
        "{m}"
    );

    let sweep_before = on_twin(
        &pool,
        "systemctl show -p InvocationID --value nightly-sweep.service",
    );
    let state = std::env::temp_dir().join(format!("witness-observe-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&state);
    let mut gate = Command::new(env!("CARGO_BIN_EXE_witness"))
        .args(["m2", "--test-threads", "1"])
        .env("WITNESS_ROOT", root())
        .env("WITNESS_TARGET", "twin")
        .env("WITNESS_OBSERVE", "1")
        .env("WITNESS_STATE_DIR", &state)
        .env("WITNESS_RUN_ID", format!("observe-{}", std::process::id()))
        // Nothing written unless the person running it asks (`INSTA_UPDATE=always` accepts
        // the observed evidence, as for the gates).
        .env(
            "INSTA_UPDATE",
            std::env::var("INSTA_UPDATE").unwrap_or_else(|_| "no".to_string()),
        )
        .env_remove("WITNESS_ALLOW_MUTATION")
        .env_remove("WITNESS_READ_ONLY")
        // What it observed reads as the committed evidence (`*.observed.snap` for the actions).
        .env("WITNESS_EVIDENCE", "strict")
        .env_remove("NEXTEST_RUN_ID")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = gate.stdout.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        stdout.read_to_string(&mut s).unwrap();
        s
    });
    // Follow the gate's progress: once it waits for the sweep, the timer is made to elapse on
    // its own 20 s later; once it waits for a build, another party makes one.
    let (mut timer_set, mut build_made) = (false, false);
    for line in BufReader::new(gate.stderr.take().unwrap()).lines() {
        let line = line.unwrap();
        eprintln!("{line}");
        if !timer_set
            && line.contains("observe: waiting up to")
            && line.contains("nightly-sweep.service")
        {
            on_twin(
                &pool,
                &format!(
                    "mkdir -p $(dirname {DROP_IN}) && \
                     printf '[Timer]\\nPersistent=false\\nOnActiveSec=20s\\n' > {DROP_IN} && \
                     systemctl daemon-reload && systemctl restart nightly-sweep.timer"
                ),
            );
            timer_set = true;
        }
        if !build_made && line.contains("observe: waiting up to") && line.contains("next build of")
        {
            std::thread::sleep(Duration::from_secs(3));
            let resp = reqwest::blocking::Client::new()
                .post(format!(
                    "{url}/api/repos/{repo}/builds?commit={head}&{PARAMS}"
                ))
                .bearer_auth(&token)
                .send()
                .unwrap();
            assert_eq!(resp.status().as_u16(), 200, "the other party's build");
            build_made = true;
        }
    }
    let status = gate.wait().unwrap();
    let stdout = out.join().unwrap();
    assert!(
        timer_set && build_made,
        "the gate never waited for both:\n{stdout}"
    );
    assert!(status.success(), "the observing gate failed:\n{stdout}");
    let closing = stdout.lines().last().unwrap_or("");
    assert!(closing.contains("PASSED"), "{closing}");

    // The sweep ran once, started by its timer: a new InvocationID, and witness's reports say
    // observed, with which run and which build.
    let sweep_after = on_twin(
        &pool,
        "systemctl show -p InvocationID --value nightly-sweep.service",
    );
    assert_ne!(sweep_before.trim(), sweep_after.trim());
    let md = std::fs::read_to_string(state.join("m2@twin/report.md")).unwrap();
    assert!(
        md.contains(&format!(
            "observed (witness fired nothing): nightly-sweep.service: run {}, began",
            sweep_after.trim()
        )),
        "{md}"
    );
    assert!(
        md.contains("started by nightly-sweep.timer, not by witness"),
        "{md}"
    );
    assert!(
        md.contains(&format!(
            "observed (witness fired nothing): {repo}: build #"
        )),
        "{md}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(state.join("m2@twin/report.json")).unwrap())
            .unwrap();
    // What would fire or trigger (the sweep, the Drone build) is observed instead, once each;
    // an action that only reads (the platform's facts) fires nothing and observes nothing.
    let mut observing = Vec::new();
    for a in json["actions"].as_array().unwrap() {
        assert_eq!(a["mutates"], false, "{a}");
        let observed = a["observed"].as_array().map_or(0, Vec::len);
        if observed > 0 {
            assert_eq!(observed, 1, "{a}");
            observing.push(a["name"].as_str().unwrap_or_default().to_string());
        }
    }
    observing.sort();
    assert_eq!(
        observing,
        ["m2::actions::drone_build", "m2::actions::sweep"],
        "{json}"
    );
    let junit = std::fs::read_to_string(state.join("m2@twin/junit.xml")).unwrap();
    assert!(
        junit.contains("observed (witness fired nothing)"),
        "{junit}"
    );
    let _ = std::fs::remove_dir_all(&state);
}

/// libtest's own runner, so a test that cannot run here is reported ignored, with why,
/// never `ok`.
fn main() -> std::process::ExitCode {
    common::run_needing(
        "observe",
        common::Needs::Twin,
        &[
            (
                "a_unit_that_does_not_start_on_its_own_is_a_precise_timeout",
                a_unit_that_does_not_start_on_its_own_is_a_precise_timeout as fn(),
            ),
            (
                "a_timer_firing_on_its_own_is_observed_and_its_run_read",
                a_timer_firing_on_its_own_is_observed_and_its_run_read as fn(),
            ),
            (
                "m2_observes_the_timers_own_fire_and_another_partys_build",
                m2_observes_the_timers_own_fire_and_another_partys_build as fn(),
            ),
        ],
    )
}
