//! `junit.xml`: one test suite per gate, one test case per scenario (quick-junit writes
//! the XML), so a CI page shows each claim with its verdict and failure message.

use std::time::Duration;

use quick_junit::{NonSuccessKind, Report as JReport, TestCase, TestCaseStatus, TestSuite};

use super::wire::Report;

pub fn render(r: &Report) -> Result<String, String> {
    let mut report = JReport::new(format!("witness {}@{}", r.gate, r.target));
    let mut suite = TestSuite::new(r.gate.clone());
    for s in &r.scenarios {
        let status = match s.verdict.as_str() {
            "passed" => TestCaseStatus::success(),
            "skipped" => TestCaseStatus::skipped(),
            verdict => {
                let kind = if verdict == "failed" {
                    NonSuccessKind::Failure
                } else {
                    NonSuccessKind::Error
                };
                let mut st = TestCaseStatus::non_success(kind);
                if let TestCaseStatus::NonSuccess {
                    message,
                    description,
                    ty,
                    ..
                } = &mut st
                {
                    *ty = Some(verdict.into());
                    *message = Some(
                        s.message
                            .as_deref()
                            .and_then(|m| m.lines().next())
                            .unwrap_or(verdict)
                            .into(),
                    );
                    *description = s.message.clone().map(Into::into);
                }
                st
            }
        };
        let mut case = TestCase::new(s.name.clone(), status);
        case.set_classname(r.gate.clone());
        case.set_time(Duration::from_millis(
            s.steps.iter().map(|st| st.duration_ms).sum(),
        ));
        suite.add_test_case(case);
    }
    report.add_test_suite(suite);
    report.to_string().map_err(|e| format!("junit.xml: {e}"))
}
