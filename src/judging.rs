//! The run's judging date: the one clock every waiver's expiry is judged by.
//!
//! A waiver holds through its last day (UTC). Which day "today" is comes from here only:
//! the date a target pins (`judged_on = "YYYY-MM-DD"` in `targets.toml`, validated when the
//! target loads) or, when it pins none, today's date in UTC, read once when the target's
//! runtime is made. The twin pins it: it is a fixture, and its verdicts must not change
//! with the calendar. A real host's target does not: there a waiver past its date is a
//! promise broken today. The report says which date judged the run and whether it was
//! pinned, so a reader knows which one they are looking at.

/// The date waivers are judged on, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JudgingDate {
    /// `YYYY-MM-DD`.
    date: String,
    /// Pinned by the target (`judged_on`), not read from the clock.
    pinned: bool,
}

impl JudgingDate {
    /// Today's date in UTC: the judging date of a target that pins none.
    pub fn today_utc() -> Self {
        let now = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
        JudgingDate {
            date: now[..10].to_string(),
            pinned: false,
        }
    }

    /// A date a target pinned; `None` unless it is a real `YYYY-MM-DD` day.
    pub fn pinned(date: &str) -> Option<Self> {
        is_date(date).then(|| JudgingDate {
            date: date.to_string(),
            pinned: true,
        })
    }

    /// `YYYY-MM-DD`.
    pub fn date(&self) -> &str {
        &self.date
    }

    pub fn is_pinned(&self) -> bool {
        self.pinned
    }

    /// A waiver whose last day is `expires` (`YYYY-MM-DD`) holds on this date: ISO dates
    /// compare as strings.
    pub(crate) fn holds(&self, expires: &str) -> bool {
        self.date.as_str() <= expires
    }
}

/// A real calendar day written `YYYY-MM-DD` (`2026-02-30` is not one).
pub(crate) fn is_date(s: &str) -> bool {
    s.len() == 10 && humantime::parse_rfc3339(&format!("{s}T00:00:00Z")).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_waiver_holds_through_its_last_day_on_a_pinned_clock() {
        let on = |d: &str| JudgingDate::pinned(d).unwrap();
        assert!(on("2026-12-30").holds("2026-12-31"), "the day before");
        assert!(on("2026-12-31").holds("2026-12-31"), "the day of");
        assert!(!on("2027-01-01").holds("2026-12-31"), "the day after");
    }

    #[test]
    fn only_real_days_can_be_pinned() {
        assert!(JudgingDate::pinned("2026-12-05").unwrap().is_pinned());
        for bad in [
            "2026-02-30",
            "2026-12-5",
            "tomorrow",
            "",
            "2026-12-05T00:00:00Z",
        ] {
            assert!(JudgingDate::pinned(bad).is_none(), "{bad}");
        }
        assert!(!JudgingDate::today_utc().is_pinned());
        assert!(is_date(JudgingDate::today_utc().date()));
    }
}
