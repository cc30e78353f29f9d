//! `junit.xml`: one test suite per gate, one test case per scenario (quick-junit writes
//! the XML), so a CI page shows each claim with its verdict, failure message and evidence
//! excerpt. The host identity rides along as the suite's properties. Test cases are named
//! `<gate>::<scenario>`, stable across runs and hosts (the target is in the report name).
//! Each run-scoped action that ran is a test case of its own, `<gate>::actions::<name>`,
//! with its real duration: the scenarios that observe a 30-minute sweep take seconds, so
//! without it a CI page would not show where the time went. The suite carries the run's
//! start (`timestamp`), its wall time (`time`) and the target's host name (`hostname`).

use std::time::Duration;

use quick_junit::{
    NonSuccessKind, Property, Report as JReport, TestCase, TestCaseStatus, TestSuite,
};

use chrono::{DateTime, FixedOffset};

use super::wire::{Action, Identity, Report, Scenario, Verdict};
use crate::error::ReportError;

pub(crate) fn render(r: &Report) -> Result<String, ReportError> {
    let mut report = JReport::new(format!("witness {}@{}", r.gate, r.target));
    let mut suite = TestSuite::new(r.gate.clone());
    suite.add_properties(properties(&r.identity));
    let started = rfc3339(&r.identity.started_utc);
    if let Some(start) = started {
        suite.set_timestamp(start);
    }
    if let (Some(start), Some(end)) = (started, rfc3339(&r.identity.ended_utc)) {
        suite.set_time((end - start).to_std().unwrap_or_default());
    }
    if let Some(host) = &r.identity.hostname {
        suite.extra.insert("hostname".into(), host.as_str().into());
    }
    suite.add_test_cases(r.actions.iter().map(|a| action_case(&r.gate, a)));
    for s in &r.scenarios {
        let mut case = TestCase::new(s.name.clone(), status(s));
        case.set_classname(r.gate.clone());
        case.set_time(Duration::from_millis(
            s.steps.iter().map(|st| st.duration_ms).sum(),
        ));
        let evidence = evidence(s);
        if !evidence.is_empty() {
            case.set_system_out(evidence);
        }
        suite.add_test_case(case);
    }
    report.add_test_suite(suite);
    report.to_string().map_err(ReportError::Junit)
}

/// An action as a test case: passed, or an `<error>` (the scenarios using it were not
/// witnessed); its outputs (what it fired or triggered) as `system-out`.
fn action_case(gate: &str, a: &Action) -> TestCase {
    let status = match &a.message {
        None => TestCaseStatus::success(),
        Some(m) => {
            let mut st = TestCaseStatus::non_success(NonSuccessKind::Error);
            st.set_type("action failed");
            st.set_message(m.lines().next().unwrap_or("action failed"));
            st.set_description(m.as_str());
            st
        }
    };
    let mut case = TestCase::new(a.name.clone(), status);
    case.set_classname(gate.to_string());
    if let Some(ms) = a.duration_ms {
        case.set_time(Duration::from_millis(ms));
    }
    if let Some(start) = a.started_utc.as_deref().and_then(rfc3339) {
        case.set_timestamp(start);
    }
    let out: String = [
        format!("{}\n", a.title),
        format!("{}\n", super::markdown::what_it_did(a)),
    ]
    .into_iter()
    .chain(a.outputs.iter().map(|(k, v)| format!("{k} = {v}\n")))
    .collect();
    case.set_system_out(out);
    case
}

/// A report time (RFC 3339); None when absent or unreadable.
fn rfc3339(t: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(t).ok()
}

/// passed → success, skipped → `<skipped>` with its reason, failed → `<failure>`; error and
/// refused are `<error>`s (the claim was not witnessed, which is not the same as broken).
/// The message is the first line of witness's message, the text all of it.
fn status(s: &Scenario) -> TestCaseStatus {
    let mut st = match s.verdict {
        Verdict::Passed => return TestCaseStatus::success(),
        Verdict::Skipped => TestCaseStatus::skipped(),
        Verdict::Failed => TestCaseStatus::non_success(NonSuccessKind::Failure),
        Verdict::Error | Verdict::Refused => TestCaseStatus::non_success(NonSuccessKind::Error),
    };
    st.set_type(s.verdict.label());
    let first = s.message.as_deref().and_then(|m| m.lines().next());
    st.set_message(first.unwrap_or(s.verdict.label()));
    if let Some(m) = &s.message {
        st.set_description(m.as_str());
    }
    st
}

fn evidence(s: &Scenario) -> String {
    s.steps
        .iter()
        .filter(|st| !st.evidence.is_empty())
        .map(|st| {
            format!(
                "step {} ({}):\n  {}\n",
                st.index,
                st.name,
                st.evidence.join("\n  ")
            )
        })
        .collect()
}

fn properties(i: &Identity) -> Vec<Property> {
    let mut p = vec![Property::new("transport", i.transport.as_str())];
    let optional = [
        ("host_key", &i.host_key),
        ("current_system", &i.current_system),
        ("booted_system", &i.booted_system),
        ("flake_commit", &i.flake_commit),
        ("witness_commit", &i.witness_commit),
        ("role", &i.role),
    ];
    p.extend(
        optional
            .into_iter()
            .filter_map(|(k, v)| v.as_deref().map(|v| Property::new(k, v))),
    );
    p.push(Property::new("witness_version", i.witness_version.as_str()));
    p.push(Property::new("run_id", i.run_id.as_str()));
    p.push(Property::new("started_utc", i.started_utc.as_str()));
    p.extend(
        i.reviewed
            .iter()
            .map(|(k, v)| Property::new(format!("reviewed.{k}"), v.as_str())),
    );
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_suite_says_when_how_long_and_where_and_each_action_is_a_case() {
        let xml = render(&super::super::markdown::tests::red_run()).unwrap();
        let suite = xml
            .lines()
            .find(|l| l.contains("<testsuite "))
            .unwrap_or_default();
        for attr in [
            r#"timestamp="2026-11-22T10:00:00.000+00:00""#,
            r#"time="5.000""#,
            r#"hostname="cc-ci""#,
            r#"tests="3""#,
        ] {
            assert!(suite.contains(attr), "{attr} not in {suite}\n{xml}");
        }
        // The sweep's real 30 minutes, not the seconds of the scenarios observing it.
        assert!(
            xml.contains(r#"<testcase name="m2::actions::sweep" classname="m2" timestamp="2026-11-22T10:00:01.000+00:00" time="1804.250">"#),
            "{xml}"
        );
        assert!(xml.contains("invocation = 0a1b2c"), "{xml}");
    }

    /// A skipped scenario says why, as JUnit readers show it (`<skipped message="…">`).
    #[test]
    fn a_skipped_case_carries_its_reason() {
        let mut r = super::super::markdown::tests::red_run();
        let mut s = r.scenarios[0].clone();
        s.name = "m2::c4".into();
        s.verdict = Verdict::Skipped;
        s.message = Some(
            "skipped: it changes the target (WITNESS_READ_ONLY)\nrun it with WITNESS_ALLOW_MUTATION=1"
                .into(),
        );
        r.scenarios.push(s);
        let xml = render(&r).unwrap();
        assert!(
            xml.contains(r#"<skipped message="skipped: it changes the target (WITNESS_READ_ONLY)" type="skipped">"#),
            "{xml}"
        );
        assert!(
            xml.contains("run it with WITNESS_ALLOW_MUTATION=1</skipped>"),
            "{xml}"
        );
    }
}
