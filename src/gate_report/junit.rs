//! `junit.xml`: one test suite per gate, one test case per scenario (quick-junit writes
//! the XML), so a CI page shows each claim with its verdict, failure message and evidence
//! excerpt. The host identity rides along as the suite's properties. Test cases are named
//! `<gate>::<scenario>`, stable across runs and hosts (the target is in the report name).

use std::time::Duration;

use quick_junit::{
    NonSuccessKind, Property, Report as JReport, TestCase, TestCaseStatus, TestSuite,
};

use super::wire::{Identity, Report, Scenario, Verdict};
use crate::error::ReportError;

pub fn render(r: &Report) -> Result<String, ReportError> {
    let mut report = JReport::new(format!("witness {}@{}", r.gate, r.target));
    let mut suite = TestSuite::new(r.gate.clone());
    suite.add_properties(properties(&r.identity));
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

/// passed → success, skipped → skipped, failed → `<failure>`; error and refused are
/// `<error>`s (the claim was not witnessed, which is not the same as broken).
fn status(s: &Scenario) -> TestCaseStatus {
    let kind = match s.verdict {
        Verdict::Passed => return TestCaseStatus::success(),
        Verdict::Skipped => return TestCaseStatus::skipped(),
        Verdict::Failed => NonSuccessKind::Failure,
        Verdict::Error | Verdict::Refused => NonSuccessKind::Error,
    };
    let mut st = TestCaseStatus::non_success(kind);
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
