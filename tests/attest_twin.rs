//! Issue 21's "done when", on the twin: a builder's M1 run signed with a key file and an
//! adversary's signed with a key only ssh-agent holds both verify against an allowed_signers
//! file (`witness verify` names each signer and the reviewed commit it attests), `witness diff
//! --require-signed` names both signers and agrees; one byte changed in either envelope, or a
//! scenario file changed in a checkout, fails `witness verify` saying what differs. The gate
//! runs are real M1 runs (read-only) into state directories of their own.

mod common;
#[path = "common/signing.rs"]
mod signing;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use signing::{Agent, code, keygen, tamper, text};

fn witness(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_witness"));
    c.args(args)
        .env("WITNESS_ROOT", common::root())
        .env("WITNESS_TARGET", "twin")
        .env("INSTA_UPDATE", "no")
        .env_remove("WITNESS_SIGNING_KEY")
        .env_remove("WITNESS_ALLOW_MUTATION")
        .env_remove("WITNESS_EVIDENCE")
        .env_remove("NEXTEST_RUN_ID");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

/// One signed M1 run by `who`; its report directory.
fn signed_m1(dir: &Path, who: &str, env: &[(&str, &str)]) -> PathBuf {
    let state = dir.join(format!("{who}-state"));
    let run_id = format!("attest-{who}-{}", std::process::id());
    let mut env = env.to_vec();
    let s = state.to_str().unwrap().to_string();
    env.extend([
        ("WITNESS_STATE_DIR", s.as_str()),
        ("WITNESS_ROLE", who),
        ("WITNESS_RUN_ID", run_id.as_str()),
    ]);
    let o = witness(&["m1"], &env);
    let out = text(&o);
    assert_eq!(code(&o), 0, "{out}");
    assert!(
        out.contains("attestation signed with ssh-ed25519 key SHA256:"),
        "{out}"
    );
    state.join("m1@twin")
}

fn verify(envelope: &Path, allowed: &Path, root: &Path) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_witness"));
    c.args(["verify", envelope.to_str().unwrap(), "--allowed-signers"])
        .arg(allowed)
        .env("WITNESS_ROOT", root);
    c.output().unwrap()
}

fn two_signed_m1_runs_verify_agree_and_every_change_is_named() {
    let dir = std::env::temp_dir().join(format!("witness-attest-twin-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (builder_key, builder_pub) = keygen(&dir, "builder");
    let (adversary_key, adversary_pub) = keygen(&dir, "adversary");
    let allowed = dir.join("allowed_signers");
    std::fs::write(
        &allowed,
        format!(
            "builder namespaces=\"witness\" {builder_pub}\nadversary namespaces=\"witness\" {adversary_pub}\n"
        ),
    )
    .unwrap();
    let b = signed_m1(
        &dir,
        "builder",
        &[("WITNESS_SIGNING_KEY", builder_key.to_str().unwrap())],
    );
    let agent = Agent::start(&dir, &adversary_key);
    let literal = format!("key::{adversary_pub}");
    let a = signed_m1(
        &dir,
        "adversary",
        &[
            ("WITNESS_SIGNING_KEY", &literal),
            ("SSH_AUTH_SOCK", agent.sock.to_str().unwrap()),
        ],
    );
    drop(agent);

    let root = common::root();
    let head = common::twin()
        .vars
        .get("head_commit")
        .cloned()
        .expect("the twin pins head_commit");
    for (dir, who) in [(&b, "builder"), (&a, "adversary")] {
        let o = verify(dir, &allowed, &root);
        let out = text(&o);
        assert_eq!(code(&o), 0, "{out}");
        assert!(
            out.contains(&format!("signed by {who} (ssh-ed25519 key SHA256:")),
            "{out}"
        );
        assert!(out.contains(&format!("role {who}: PASSED")), "{out}");
        assert!(
            out.contains(&format!("subject: head_commit gitCommit:{head}")),
            "{out}"
        );
        assert!(out.contains("subject: ssh host key sha256:"), "{out}");
        assert!(out.ends_with("VERIFIED\n"), "{out}");
    }
    let o = witness(
        &[
            "diff",
            b.to_str().unwrap(),
            a.to_str().unwrap(),
            "--allowed-signers",
            allowed.to_str().unwrap(),
            "--require-signed",
        ],
        &[],
    );
    let out = text(&o);
    assert_eq!(code(&o), 0, "{out}");
    assert!(
        out.contains("(signed by builder (ssh-ed25519 key SHA256:"),
        "{out}"
    );
    assert!(
        out.contains("(signed by adversary (ssh-ed25519 key SHA256:"),
        "{out}"
    );
    assert!(out.contains("AGREE"), "{out}");

    // One byte of either envelope.
    let t = dir.join("tampered.json");
    for (run, field, at) in [(&b, "payload", 300), (&a, "sig", -12)] {
        tamper(&run.join("attestation.dsse.json"), field, at, &t);
        let o = verify(&t, &allowed, &root);
        let out = text(&o);
        assert_eq!(code(&o), 1, "{field}: {out}");
        assert!(
            out.contains("does not match the payload")
                && out.contains("the payload or the signature was changed after signing"),
            "{field}: {out}"
        );
    }
    // A checkout whose M1 scenario file differs from the one the run used.
    let other = dir.join("checkout");
    let copy = |from: &Path, to: &Path| {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap().flatten() {
            if e.path().is_file() {
                std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
            }
        }
    };
    copy(&root.join("scenarios/m1"), &other.join("scenarios/m1"));
    copy(
        &root.join("scenarios/m1/actions"),
        &other.join("scenarios/m1/actions"),
    );
    let changed = other.join("scenarios/m1/c2_single_source.toml");
    let text_before = std::fs::read_to_string(&changed).unwrap();
    std::fs::write(&changed, format!("{text_before}# changed\n")).unwrap();
    let o = verify(&a, &allowed, &other);
    let out = text(&o);
    assert_eq!(code(&o), 1, "{out}");
    assert!(out.contains("scenario files: 1 of "), "{out}");
    assert!(
        out.contains("scenarios/m1/c2_single_source.toml: changed (the run's sha256 "),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn main() -> std::process::ExitCode {
    common::run_needing(
        "attest_twin",
        common::Needs::Twin,
        &[(
            "two_signed_m1_runs_verify_agree_and_every_change_is_named",
            two_signed_m1_runs_verify_agree_and_every_change_is_named as fn(),
        )],
    )
}
