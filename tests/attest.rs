//! Signed attestations end to end, offline (the `local` target): a builder's run signed with
//! a key file and an adversary's with a key held only by ssh-agent (`key::…`), each verified
//! by `witness verify` against an OpenSSH allowed_signers file and compared by `witness diff
//! --require-signed`, which names both signers; then each way it must go red, with what
//! differs: one byte of the payload, one byte of the signature, a key nobody allowed, a
//! scenario file changed or added in the checkout, a report.json edited after signing, a run
//! that was not signed. Keys are made here with `ssh-keygen`; nothing is mocked.

#[path = "common/signing.rs"]
mod signing;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use signing::{Agent, code, keygen, tamper, text};

const HOLDS: &str =
    "title = \"h\"\nclaim = \"c\"\n[[steps]]\nrun = { cmd = \"echo ${greeting}\" }\n";

struct Fixture {
    root: PathBuf,
    allowed: PathBuf,
}

fn fixture(name: &str) -> Fixture {
    let root = std::env::temp_dir().join(format!("witness-attest-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("scenarios/g")).unwrap();
    std::fs::create_dir_all(root.join("keys")).unwrap();
    std::fs::write(
        root.join("targets.toml"),
        "[targets.here]\nlocal = true\n[targets.here.vars]\ngreeting = \"hi\"\n",
    )
    .unwrap();
    std::fs::write(root.join("scenarios/g/h.toml"), HOLDS).unwrap();
    Fixture {
        allowed: root.join("allowed_signers"),
        root,
    }
}

impl Fixture {
    fn witness(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut c = Command::new(env!("CARGO_BIN_EXE_witness"));
        c.args(args)
            .env("WITNESS_ROOT", &self.root)
            .env("WITNESS_TARGET", "here")
            .env_remove("WITNESS_SIGNING_KEY")
            .env_remove("WITNESS_ALLOW_MUTATION")
            .env_remove("WITNESS_EVIDENCE");
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().unwrap()
    }

    /// A gate run into its own state directory, as one person's machine.
    fn run(&self, who: &str, env: &[(&str, &str)]) -> PathBuf {
        let state = self.root.join(who);
        let mut env = env.to_vec();
        let s = state.to_str().unwrap().to_string();
        env.push(("WITNESS_STATE_DIR", &s));
        env.push(("WITNESS_ROLE", who));
        let o = self.witness(&["g"], &env);
        assert_eq!(code(&o), 0, "{}", text(&o));
        state.join("g@here")
    }
}

fn verify(f: &Fixture, envelope: &Path, allowed: &Path) -> Output {
    f.witness(
        &[
            "verify",
            envelope.to_str().unwrap(),
            "--allowed-signers",
            allowed.to_str().unwrap(),
        ],
        &[],
    )
}

#[test]
fn signed_runs_verify_and_every_change_is_named() {
    let f = fixture("signed");
    let keys = f.root.join("keys");
    let (builder_key, builder_pub) = keygen(&keys, "builder");
    let (adversary_key, adversary_pub) = keygen(&keys, "adversary");
    std::fs::write(
        &f.allowed,
        format!(
            "builder namespaces=\"witness\" {builder_pub}\nadversary namespaces=\"witness\" {adversary_pub}\n"
        ),
    )
    .unwrap();

    // The builder signs with a key file; the adversary with a key only ssh-agent holds.
    let b = f.run(
        "builder",
        &[("WITNESS_SIGNING_KEY", builder_key.to_str().unwrap())],
    );
    let agent = Agent::start(&keys, &adversary_key);
    let literal = format!("key::{adversary_pub}");
    let a = f.run(
        "adversary",
        &[
            ("WITNESS_SIGNING_KEY", &literal),
            ("SSH_AUTH_SOCK", agent.sock.to_str().unwrap()),
        ],
    );
    drop(agent);
    let (b_env, a_env) = (
        b.join("attestation.dsse.json"),
        a.join("attestation.dsse.json"),
    );

    for (env, who) in [(&b_env, "builder"), (&a_env, "adversary")] {
        let o = verify(&f, env, &f.allowed);
        let out = text(&o);
        assert_eq!(code(&o), 0, "{out}");
        assert!(
            out.contains(&format!("signed by {who} (ssh-ed25519 key SHA256:")),
            "{out}"
        );
        assert!(
            out.contains(&format!("role {who}: PASSED (test result PASSED: 1 passed")),
            "{out}"
        );
        assert!(
            out.contains("scenario files: the 1 the run used, unchanged"),
            "{out}"
        );
        assert!(out.ends_with("VERIFIED\n"), "{out}");
    }
    // The Statement beside the report is exactly the signed payload.
    let statement = std::fs::read_to_string(b.join("attestation.intoto.json")).unwrap();
    assert!(statement.contains("\"_type\": \"https://in-toto.io/Statement/v1\""));

    // diff: both signers named, the runs agree.
    let o = f.witness(
        &[
            "diff",
            b.to_str().unwrap(),
            a.to_str().unwrap(),
            "--allowed-signers",
            f.allowed.to_str().unwrap(),
            "--require-signed",
        ],
        &[],
    );
    let out = text(&o);
    assert_eq!(code(&o), 0, "{out}");
    assert!(
        out.contains("report.json (signed by builder (ssh-ed25519 key SHA256:"),
        "{out}"
    );
    assert!(
        out.contains("report.json (signed by adversary (ssh-ed25519 key SHA256:"),
        "{out}"
    );
    assert!(out.contains("AGREE"), "{out}");

    // One byte of the payload, one of the signature: red, saying the signature does not
    // match what it signs, and (the run's Statement file beside it) which one changed.
    let copy = f.root.join("copy");
    std::fs::create_dir_all(&copy).unwrap();
    std::fs::copy(
        b.join("attestation.intoto.json"),
        copy.join("attestation.intoto.json"),
    )
    .unwrap();
    let t = copy.join("attestation.dsse.json");
    for (field, at, says) in [
        ("payload", 200, "the payload differs from "),
        ("sig", -12, "so the signature is what changed"),
    ] {
        tamper(&b_env, field, at, &t);
        let o = verify(&f, &t, &f.allowed);
        let out = text(&o);
        assert_eq!(code(&o), 1, "{field}: {out}");
        assert!(out.contains("NOT VERIFIED"), "{out}");
        assert!(
            out.contains("by builder")
                && out.contains("does not match the payload")
                && out.contains("the payload or the signature was changed after signing"),
            "{field}: {out}"
        );
        assert!(out.contains(says), "{field}: {out}");
    }
    // The same in the adversary's envelope, with nothing beside it to compare.
    let t = f.root.join("tampered.json");
    tamper(&a_env, "sig", -12, &t);
    let out = text(&verify(&f, &t, &f.allowed));
    assert!(
        out.contains("by adversary") && out.contains("does not match the payload"),
        "{out}"
    );
    tamper(&a_env, "payload", 100, &t);
    let out = text(&verify(&f, &t, &f.allowed));
    assert!(
        out.contains("by adversary") && out.contains("does not match the payload"),
        "{out}"
    );
    // A byte of the key inside the signature: the key is one nobody allowed.
    tamper(&a_env, "sig", 40, &t);
    let out = text(&verify(&f, &t, &f.allowed));
    assert!(out.contains("which no line of"), "{out}");

    // A signer the allowed_signers file does not name.
    let only_builder = f.root.join("only_builder");
    std::fs::write(&only_builder, format!("builder {builder_pub}\n")).unwrap();
    let o = verify(&f, &a_env, &only_builder);
    assert_eq!(code(&o), 1);
    assert!(text(&o).contains("which no line of"), "{}", text(&o));

    // No allowed_signers file: it cannot be checked (2), never "not verified".
    let o = verify(&f, &a_env, &f.root.join("absent"));
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert!(text(&o).contains("CANNOT CHECK"), "{}", text(&o));

    // The checkout's scenario files: one changed and one added, each named.
    std::fs::write(f.root.join("scenarios/g/h.toml"), format!("{HOLDS}\n")).unwrap();
    std::fs::write(f.root.join("scenarios/g/new.toml"), HOLDS).unwrap();
    let o = verify(&f, &b_env, &f.allowed);
    let out = text(&o);
    assert_eq!(code(&o), 1, "{out}");
    assert!(out.contains("signed by builder"), "{out}");
    assert!(
        out.contains("scenario files: 2 of 2 differ from the run's"),
        "{out}"
    );
    assert!(
        out.contains("scenarios/g/h.toml: changed (the run's sha256 "),
        "{out}"
    );
    assert!(
        out.contains("scenarios/g/new.toml: in this checkout; the run did not use it"),
        "{out}"
    );
    assert!(
        out.ends_with(
            "NOT VERIFIED: the scenario files of this checkout are not the ones the run used\n"
        ),
        "{out}"
    );
    std::fs::write(f.root.join("scenarios/g/h.toml"), HOLDS).unwrap();
    std::fs::remove_file(f.root.join("scenarios/g/new.toml")).unwrap();

    // A report.json edited after signing is not the signed one.
    let report = a.join("report.json");
    let edited = std::fs::read_to_string(&report)
        .unwrap()
        .replace("\"adversary\"", "\"builder\"");
    std::fs::write(&report, edited).unwrap();
    let o = f.witness(
        &[
            "diff",
            b.to_str().unwrap(),
            a.to_str().unwrap(),
            "--allowed-signers",
            f.allowed.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(code(&o), 1, "{}", text(&o));
    assert!(
        text(&o).contains("is not the report the attestation signed")
            || text(&o).contains("the report the attestation signed had"),
        "{}",
        text(&o)
    );
}

#[test]
fn an_unsigned_run_says_so_once_and_fails_a_signed_diff() {
    let f = fixture("unsigned");
    let (key, public) = keygen(&f.root.join("keys"), "builder");
    std::fs::write(&f.allowed, format!("builder {public}\n")).unwrap();
    let signed = f.run("builder", &[("WITNESS_SIGNING_KEY", key.to_str().unwrap())]);
    let state = f.root.join("nobody");
    let o = f.witness(&["g"], &[("WITNESS_STATE_DIR", state.to_str().unwrap())]);
    let out = text(&o);
    assert_eq!(code(&o), 0, "{out}");
    assert_eq!(
        out.matches("the attestation is unsigned").count(),
        1,
        "{out}"
    );
    let unsigned = state.join("g@here");
    assert!(unsigned.join("attestation.intoto.json").is_file());
    assert!(!unsigned.join("attestation.dsse.json").exists());
    let diff = |extra: &[&str]| {
        let mut args = vec![
            "diff",
            signed.to_str().unwrap(),
            unsigned.to_str().unwrap(),
            "--allowed-signers",
            f.allowed.to_str().unwrap(),
        ];
        args.extend(extra);
        f.witness(&args, &[])
    };
    let o = diff(&[]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(text(&o).contains("report.json (unsigned)"), "{}", text(&o));
    let o = diff(&["--require-signed"]);
    assert_eq!(code(&o), 1, "{}", text(&o));
    assert!(
        text(&o).contains("no signed attestation beside it (attestation.dsse.json is missing)"),
        "{}",
        text(&o)
    );
    // --require-signed without a file to check against is a usage error.
    let o = f.witness(&["diff", "a", "b", "--require-signed"], &[]);
    assert_eq!(code(&o), 64, "{}", text(&o));
}
