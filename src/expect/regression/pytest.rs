//! Failure signatures out of pytest's output: for each failed test, its id, the type of the
//! exception that failed it (qualified as pytest shows it: `requests.exceptions.ConnectionError`,
//! `subprocess.CalledProcessError`, `AssertionError`) and its message, normalized so that what
//! changes from run to run (addresses, ports, durations, temp paths, hashes, times) does not
//! tell two runs apart.
//!
//! Read from pytest's default report (`-v`, long tracebacks): the `___ name ___` section of
//! each failure, its `E   ` lines (the exception and its message, as pytest renders it) and
//! its last `path:line: Type` line (where the exception was raised, and its type), matched to
//! the test's id by the short summary (`FAILED <id>`, `ERROR <id>`). A failure with a summary
//! line and no section (another `--tb`) is read from the summary line's ` - Type: message`.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;

/// What failed a test, normalized.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Signature {
    /// The exception's type as pytest names it (qualified when it is not a builtin).
    pub(crate) kind: String,
    pub(crate) message: String,
}

impl std::fmt::Display for Signature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.message.is_empty() {
            write!(f, "{}", self.kind)
        } else {
            write!(f, "{}: {}", self.kind, self.message)
        }
    }
}

static HEADER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^_{2,} (?P<name>.+?) _{2,}$").expect("regex"));
static SUMMARY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?P<what>FAILED|ERROR) (?P<id>\S+)(?: - (?P<msg>.*))?$").expect("regex")
});
static LOCATION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\S+:\d+: (?P<kind>[A-Za-z_][\w.]*)$").expect("regex"));
static E_LINE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^E(?: {1,}(?P<t>.*))?$").expect("regex"));
static TYPED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?P<kind>[A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)*)(?::\s?(?P<msg>.*))?$").expect("regex")
});
/// A line that ends a failure section: a `===` banner or a session's start.
static BANNER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^={3,}").expect("regex"));

/// One failure section as read, before its id is known.
#[derive(Debug)]
struct Section {
    name: String,
    /// `E` lines of the traceback entry last seen, and the type of its location line.
    e_lines: Vec<String>,
    last_e_block: Vec<String>,
    kind: Option<String>,
}

impl Section {
    fn new(name: &str) -> Self {
        Section {
            name: name.to_string(),
            e_lines: Vec::new(),
            last_e_block: Vec::new(),
            kind: None,
        }
    }

    /// A line inside the section: an `E` line, the location line that ends a traceback
    /// entry, or anything else (which ends the entry's `E` lines).
    fn read(&mut self, line: &str) {
        if let Some(c) = E_LINE.captures(line) {
            self.e_lines
                .push(c.name("t").map_or("", |m| m.as_str()).trim().to_string());
        } else if let Some(c) = LOCATION.captures(line) {
            self.kind = Some(c["kind"].to_string());
            if !self.e_lines.is_empty() {
                self.last_e_block = std::mem::take(&mut self.e_lines);
            }
        } else if !self.e_lines.is_empty() {
            // A new traceback entry (chained exceptions, a deeper frame): its `E` lines
            // replace the last entry's.
            self.last_e_block = std::mem::take(&mut self.e_lines);
        }
    }

    /// The signature: the last traceback entry's type, qualified by its `E` line when that
    /// names it, and the `E` lines as the message.
    fn signature(&self) -> Signature {
        let block = if self.e_lines.is_empty() {
            &self.last_e_block
        } else {
            &self.e_lines
        };
        let located = self.kind.clone().unwrap_or_default();
        let mut kind = located.clone();
        let mut lines: Vec<String> = block.clone();
        // The first `E` line naming the located type (by its last component) gives the
        // qualified name and the message's first line.
        if let Some((i, q, msg)) = block.iter().enumerate().find_map(|(i, l)| {
            let c = TYPED.captures(l)?;
            let q = c.name("kind")?.as_str();
            let last = q.rsplit('.').next().unwrap_or(q);
            (located.is_empty() && i == 0 && q.contains(['.', ':']) || last == located).then(|| {
                (
                    i,
                    q.to_string(),
                    c.name("msg").map_or("", |m| m.as_str()).to_string(),
                )
            })
        }) {
            kind = q;
            lines[i] = msg;
        }
        Signature {
            kind: if kind.is_empty() { "?".into() } else { kind },
            message: message(&lines),
        }
    }
}

/// The lines of a message, normalized and joined.
fn message(lines: &[String]) -> String {
    lines
        .iter()
        .map(|l| normalize(l))
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" / ")
}

/// Failure signatures by test id (`tests/discourse/test_upgrade.py::test_sidekiq_running`;
/// an error outside a test is keyed by pytest's name for it, `ERROR collecting …`).
pub(crate) fn failures(log: &str) -> BTreeMap<String, Signature> {
    let mut out = BTreeMap::new();
    let mut pending: Vec<Section> = Vec::new();
    let mut current: Option<Section> = None;
    for line in log.lines().map(str::trim_end) {
        if let Some(c) = HEADER.captures(line) {
            pending.extend(current.take());
            current = Some(Section::new(&c["name"]));
            continue;
        }
        if let Some(c) = SUMMARY.captures(line) {
            pending.extend(current.take());
            let id = c["id"].to_string();
            let at = pending.iter().position(|s| names_match(&s.name, &id));
            let sig = match at {
                Some(i) => pending.remove(i).signature(),
                None => summary_signature(c.name("msg").map_or("", |m| m.as_str())),
            };
            out.insert(id, sig);
            continue;
        }
        if BANNER.is_match(line) {
            pending.extend(current.take());
            // A new session: sections never matched to a summary are keyed by their name.
            if line.contains("test session starts") {
                for s in pending.drain(..) {
                    out.insert(s.name.clone(), s.signature());
                }
            }
            continue;
        }
        if let Some(s) = current.as_mut() {
            s.read(line);
        }
    }
    pending.extend(current);
    for s in pending {
        out.entry(s.name.clone()).or_insert_with(|| s.signature());
    }
    out
}

/// A section named `test_x`, `TestC.test_x`, `test_x[p]` or `ERROR at setup of test_x` is
/// the failure of id `…::test_x`, `…::TestC::test_x`, `…::test_x[p]`.
fn names_match(section: &str, id: &str) -> bool {
    let name = section
        .strip_prefix("ERROR at setup of ")
        .or_else(|| section.strip_prefix("ERROR at teardown of "))
        .unwrap_or(section);
    if let Some(path) = name.strip_prefix("ERROR collecting ") {
        return path == id;
    }
    let Some((_, tail)) = id.split_once("::") else {
        return false;
    };
    tail.replace("::", ".") == name
}

/// `AssertionError: message...` of a short summary line (pytest may have cut it with `...`).
fn summary_signature(msg: &str) -> Signature {
    let msg = msg.trim_end_matches("...");
    match TYPED.captures(msg) {
        Some(c) if c.name("msg").is_some() || !msg.contains(' ') => Signature {
            kind: c["kind"].to_string(),
            message: normalize(c.name("msg").map_or("", |m| m.as_str())),
        },
        _ => Signature {
            kind: "?".into(),
            message: normalize(msg),
        },
    }
}

/// The normalizations, in order: times before numbers, paths before hashes.
static RULES: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    [
        // times before numbers: `2026-06-17T17:57:54.123Z`, `17:57:54`
        (
            r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?",
            "[time]",
        ),
        (r"\b\d{2}:\d{2}:\d{2}(?:[.,]\d+)?\b", "[time]"),
        (
            r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b",
            "[uuid]",
        ),
        (r"/nix/store/[0-9a-z]{32}-", "/nix/store/[hash]-"),
        // temporary paths, whatever follows them
        (
            r#"(?:/private)?/(?:tmp|var/tmp|run/user/\d+)/[^\s'"),\]]*"#,
            "[tmp]",
        ),
        (r"\b0x[0-9a-fA-F]+\b", "0x[addr]"),
        (r"\b(?:\d{1,3}\.){3}\d{1,3}\b", "[ip]"),
        (r"\[[0-9a-fA-F:]*::[0-9a-fA-F:]*\]", "[ip]"),
        // ports: after a host, or named
        (
            r"((?:\[ip\]|localhost|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)):\d{1,5}\b",
            "$1:[port]",
        ),
        (r"(?i)\b(port[=: ]\s*)\d+", "${1}[port]"),
        (r"(?i)\b(pid[=: ]\s*)\d+", "${1}[pid]"),
        // hex digests of 7+ characters holding a digit and a letter
        (r"\b[0-9a-f]{7,64}\b", "[hash?]"),
        // durations: `0.03s`, `18.66 s`, `250ms`, `3 seconds`
        (
            r"\b\d+(?:\.\d+)?\s?(?:ms|s|sec|secs|seconds?|minutes?|min)\b",
            "[duration]",
        ),
    ]
    .into_iter()
    .map(|(re, to)| (Regex::new(re).expect("normalize regex"), to))
    .collect()
});

/// What differs from run to run taken out of a message line: addresses, ports, durations,
/// temporary paths, store and other hashes, UUIDs, times, process ids.
pub(crate) fn normalize(line: &str) -> String {
    let mut s = line.trim().to_string();
    for (re, to) in RULES.iter() {
        if *to == "[hash?]" {
            s = re
                .replace_all(&s, |c: &regex::Captures| {
                    let h = &c[0];
                    if h.bytes().any(|b| b.is_ascii_digit())
                        && h.bytes().any(|b| b.is_ascii_alphabetic())
                    {
                        "[hash]".to_string()
                    } else {
                        h.to_string()
                    }
                })
                .into_owned();
        } else {
            s = re.replace_all(&s, *to).into_owned();
        }
    }
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const DISCOURSE: &str = "\
============================= test session starts ==============================
collecting ... collected 2 items
tests/discourse/test_install.py::test_install PASSED                     [ 50%]
tests/discourse/test_upgrade.py::test_sidekiq_running FAILED             [100%]
=================================== FAILURES ===================================
_____________________________ test_sidekiq_running _____________________________
    def test_sidekiq_running():
>       assert out.returncode == 0, out.stdout + out.stderr
E       AssertionError: Error response from daemon: container ci-discourse_app.1 is not running
E
E       assert 1 == 0
E        +  where 1 = CompletedProcess(args=['docker'], returncode=1).returncode
tests/discourse/test_upgrade.py:13: AssertionError
=========================== short test summary info ============================
FAILED tests/discourse/test_upgrade.py::test_sidekiq_running - AssertionError...
========================= 1 failed, 1 passed in 0.03s ==========================
";

    #[test]
    fn a_failure_is_its_id_type_and_message() {
        let f = failures(DISCOURSE);
        let sig = &f["tests/discourse/test_upgrade.py::test_sidekiq_running"];
        assert_eq!(sig.kind, "AssertionError");
        assert_eq!(
            sig.message,
            "Error response from daemon: container ci-discourse_app.1 is not running / assert 1 == 0 / + where 1 = CompletedProcess(args=['docker'], returncode=1).returncode"
        );
        assert_eq!(f.len(), 1);
    }

    #[test]
    fn a_qualified_type_is_kept_and_a_raise_in_a_library_is_located_there() {
        let log = "\
_______________________________ test_restore _______________________________
    def test_restore():
>       subprocess.run(['docker', 'exec', 'x'], check=True)

/usr/lib/python3.11/subprocess.py:571:
    def run(*popenargs, check=False):
>               raise CalledProcessError(retcode, process.args,
E               subprocess.CalledProcessError: Command '['docker', 'exec', 'x']' returned non-zero exit status 1.

/usr/lib/python3.11/subprocess.py:571: CalledProcessError
=========================== short test summary info ============================
FAILED tests/mattermost-lts/test_backup_restore.py::test_restore - subprocess.CalledProcessError: Command...
";
        let f = failures(log);
        let sig = &f["tests/mattermost-lts/test_backup_restore.py::test_restore"];
        assert_eq!(sig.kind, "subprocess.CalledProcessError");
        assert_eq!(
            sig.message,
            "Command '['docker', 'exec', 'x']' returned non-zero exit status 1."
        );
    }

    #[test]
    fn chained_exceptions_are_judged_by_the_last() {
        let log = "\
___________________________ TestApi.test_health[http] ___________________________
E   ConnectionRefusedError: [Errno 111] Connection refused
/x/urllib3/connection.py:73: ConnectionRefusedError

During handling of the above exception, another exception occurred:

E   requests.exceptions.ConnectionError: HTTPConnectionPool(host='127.0.0.1', port=41817): Max retries exceeded (Caused by NewConnectionError('<urllib3.connection.HTTPConnection object at 0x7f2b1c9d3e50>: Failed'))
/x/requests/adapters.py:700: ConnectionError
=========================== short test summary info ============================
FAILED tests/hedgedoc/test_api.py::TestApi::test_health[http] - requests.exceptions.ConnectionError: HTTPConnectionPool(...
";
        let f = failures(log);
        let sig = &f["tests/hedgedoc/test_api.py::TestApi::test_health[http]"];
        assert_eq!(sig.kind, "requests.exceptions.ConnectionError");
        assert_eq!(
            sig.message,
            "HTTPConnectionPool(host='[ip]', port=[port]): Max retries exceeded (Caused by NewConnectionError('<urllib3.connection.HTTPConnection object at 0x[addr]>: Failed'))"
        );
    }

    #[test]
    fn two_sessions_with_the_same_test_name_keep_their_ids() {
        let other = DISCOURSE
            .replace("discourse", "mattermost-lts")
            .replace("is not running", "is gone");
        let f = failures(&format!("{DISCOURSE}{other}"));
        assert_eq!(f.len(), 2);
        assert!(
            f["tests/mattermost-lts/test_upgrade.py::test_sidekiq_running"]
                .message
                .contains("is gone")
        );
    }

    #[test]
    fn a_summary_without_a_section_gives_its_message() {
        let f = failures("FAILED tests/x/test_a.py::test_a - KeyError: 'RECIPE'\n");
        assert_eq!(
            f["tests/x/test_a.py::test_a"],
            Signature {
                kind: "KeyError".into(),
                message: "'RECIPE'".into()
            }
        );
    }

    #[test]
    fn what_changes_from_run_to_run_is_normalized_away() {
        for (a, b) in [
            ("took 18.66s at 17:57:54", "took 0.4s at 09:01:02"),
            (
                "/tmp/pytest-of-root/pytest-3/test_a0/repo",
                "/tmp/pytest-of-root/pytest-9/test_a1/repo",
            ),
            ("object at 0x7f3a2c1d0e50", "object at 0x55d1e2f3a4b0"),
            ("http://127.0.0.1:41817/api", "http://10.0.0.7:8080/api"),
            ("ci.example.net:443 refused", "ci.example.net:8443 refused"),
            ("commit 8b8fc1f2d", "commit d11f8f5aa"),
            (
                "/nix/store/zxlx9jnylh7la5m48bsqb1wfm5l9r0bd-cc-ci-run/bin",
                "/nix/store/aaaa9jnylh7la5m48bsqb1wfm5l9r0bd-cc-ci-run/bin",
            ),
            ("pid 2808444 exited", "pid 12 exited"),
            ("at 2026-06-17T17:57:54Z", "at 2026-12-06 03:22:10+00:00"),
        ] {
            assert_eq!(normalize(a), normalize(b), "{a} / {b}");
        }
        // The words of a message stay.
        assert_ne!(
            normalize("relation \"ci_marker\" does not exist"),
            normalize("relation \"ci_markers\" does not exist")
        );
        assert_eq!(normalize("exit status 1"), "exit status 1");
    }
}
