//! Redaction: what varies between runs, and what must never be written, becomes a placeholder.
//!
//! Applied to every text that leaves the engine — snapshot bodies, failure messages,
//! progress lines — so a secret cannot reach evidence or logs by any path. Secrets go first
//! (exact values → `[secret]`), then the built-in run-dependent patterns, then the
//! scenario's own filters.

use std::sync::LazyLock;

use regex::Regex;

/// Placeholders, named so tests and docs can refer to them.
pub(crate) const SECRET: &str = "[secret]";

/// The built-in filters, in order: (pattern, replacement).
static BUILTIN: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    let table: &[(&str, &str)] = &[
        // Nix store hashes (nix base32), keeping the name that follows.
        (r"/nix/store/[0-9a-df-np-sv-z]{32}-", "/nix/store/[hash]-"),
        // journald cursors.
        (
            r"s=[0-9a-f]{32};i=[0-9a-f]+;b=[0-9a-f]{32};m=[0-9a-f]+;t=[0-9a-f]+;x=[0-9a-f]+",
            "[cursor]",
        ),
        (
            r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b",
            "[uuid]",
        ),
        // systemd invocation ids, boot ids, machine ids.
        (r"\b[0-9a-f]{32}\b", "[id]"),
        // ISO 8601 / RFC 3339 and `systemctl show`'s `Sun 2026-11-22 10:11:12 UTC`.
        (
            r"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) )?\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?: ?(?:Z|[+-]\d{2}:?\d{2}|UTC|[A-Z]{3,4}))?",
            "[timestamp]",
        ),
        // syslog style: `Nov 22 10:11:12`.
        (
            r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d{2}:\d{2}:\d{2}\b",
            "[timestamp]",
        ),
        (r"\b\d{2}:\d{2}:\d{2}(?:\.\d+)?\b", "[time]"),
        // PIDs: `unit[1234]:`, `MainPID=1234`, `pid 1234`.
        (r"\[\d+\]:", "[[pid]]:"),
        (
            r"(?i)\b((?:exec)?main_?pid|pid)([=: ]+)\d+\b",
            "${1}${2}[pid]",
        ),
        (
            r"(?i)\b(ControlPID|ExecMainStartTimestampMonotonic|ExecMainExitTimestampMonotonic|InactiveExitTimestampMonotonic|ActiveEnterTimestampMonotonic|ActiveExitTimestampMonotonic|InactiveEnterTimestampMonotonic|StateChangeTimestampMonotonic)=\d+",
            "${1}=[n]",
        ),
        // Loopback ports are picked per run (the twin's sshd and Drone API twin).
        (
            r"\b(127\.\d+\.\d+\.\d+|localhost|\[::1\]):\d+\b",
            "${1}:[port]",
        ),
        // Build numbers.
        (r"(?i)\b(builds/|build #|build number:? ?)\d+", "${1}[n]"),
        // Durations: `1.5s`, `230ms`, `2min`, `3h`.
        (
            r"\b\d+(?:\.\d+)?(?:ns|us|µs|ms|s|sec|min|m|h)\b",
            "[duration]",
        ),
    ];
    table
        .iter()
        .map(|(re, rep)| (Regex::new(re).expect("built-in redaction regex"), *rep))
        .collect()
});

/// A redaction pipeline: secrets, built-ins, then extra filters.
#[derive(Debug, Clone, Default)]
pub(crate) struct Redactor {
    secrets: Vec<String>,
    extra: Vec<(Regex, String)>,
}

impl Redactor {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Register a secret value; it will be replaced wherever it appears.
    pub(crate) fn add_secret(&mut self, value: &str) {
        let v = value.trim();
        if !v.is_empty() && !self.secrets.iter().any(|s| s == v) {
            self.secrets.push(v.to_string());
            // Longest first, so a secret that contains another is replaced whole.
            self.secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        }
    }

    pub(crate) fn add_filter(&mut self, re: Regex, replacement: impl Into<String>) {
        self.extra.push((re, replacement.into()));
    }

    /// Only the secrets: for text that must stay byte-exact otherwise (commands shown for
    /// re-running by hand).
    pub(crate) fn secrets_only(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in &self.secrets {
            out = out.replace(s.as_str(), SECRET);
        }
        out
    }

    /// The full pipeline.
    pub(crate) fn apply(&self, text: &str) -> String {
        let mut out = self.secrets_only(text);
        for (re, rep) in BUILTIN.iter() {
            if re.is_match(&out) {
                out = re.replace_all(&out, *rep).into_owned();
            }
        }
        for (re, rep) in &self.extra {
            out = re.replace_all(&out, rep.as_str()).into_owned();
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> String {
        Redactor::new().apply(s)
    }

    #[test]
    fn store_hashes_keep_the_name() {
        assert_eq!(
            r("/nix/store/zxlx9jnylh7la5m48bsqb1wfm5l9r0bd-cc-ci-run/bin"),
            "/nix/store/[hash]-cc-ci-run/bin"
        );
    }

    #[test]
    fn timestamps_pids_durations_uuids() {
        assert_eq!(
            r("2026-06-17T17:57:54Z nightly-sweep[2743890]: took 18.66s"),
            "[timestamp] nightly-sweep[[pid]]: took [duration]"
        );
        assert_eq!(
            r("ExecMainPID=123 MainPID=0"),
            "ExecMainPID=[pid] MainPID=[pid]"
        );
        assert_eq!(r("id 1b4e28ba-2fa1-11d2-883f-0016d3cca427"), "id [uuid]");
        assert_eq!(
            r("ActiveEnterTimestamp=Sun 2026-11-22 10:11:12 UTC"),
            "ActiveEnterTimestamp=[timestamp]"
        );
        assert_eq!(r("Nov 22 10:11:12 twin sshd"), "[timestamp] twin sshd");
        assert_eq!(
            r("InvocationID=0123456789abcdef0123456789abcdef"),
            "InvocationID=[id]"
        );
    }

    #[test]
    fn loopback_ports() {
        assert_eq!(
            r("GET http://127.0.0.1:43579/healthz"),
            "GET http://127.0.0.1:[port]/healthz"
        );
        assert_eq!(
            r("https://drone.example:8443/x"),
            "https://drone.example:8443/x"
        );
    }

    #[test]
    fn build_numbers() {
        assert_eq!(
            r("GET /api/repos/a/b/builds/871/logs/1/2"),
            "GET /api/repos/a/b/builds/[n]/logs/1/2"
        );
        assert_eq!(r("Drone build #871 success"), "Drone build #[n] success");
    }

    #[test]
    fn secrets_everywhere_and_first() {
        let mut red = Redactor::new();
        red.add_secret("s3cr3t-token\n");
        red.add_secret("s3cr3t");
        assert_eq!(
            red.apply("Bearer s3cr3t-token and s3cr3t"),
            "Bearer [secret] and [secret]"
        );
        assert_eq!(
            red.secrets_only("curl -H 's3cr3t' 10s"),
            "curl -H '[secret]' 10s"
        );
    }

    #[test]
    fn extra_filters_apply_after_builtins() {
        let mut red = Redactor::new();
        red.add_filter(Regex::new(r"git-\d+\.\d+\.\d+").unwrap(), "git-[version]");
        assert_eq!(
            red.apply("git-2.47.2 at 10:11:12"),
            "git-[version] at [time]"
        );
    }

    #[test]
    fn leaves_ordinary_text_alone() {
        assert_eq!(r("sweep: gitea rc=0"), "sweep: gitea rc=0");
        assert_eq!(r("ActiveState=active"), "ActiveState=active");
    }
}
