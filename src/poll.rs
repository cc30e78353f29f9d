//! Waiting until something is so, or a deadline passes: the one loop behind every wait of
//! the library (a step's retry-until, a Drone build, a unit's run, a step log not uploaded
//! yet).
//!
//! [`until`] calls an attempt, pauses, and calls it again until the attempt breaks. The
//! attempt decides when to give up, asking [`Attempt::is_last`] (another attempt would begin
//! at or after the deadline) or [`Attempt::number`] (a bounded number of tries), and says
//! where it is with [`Attempt::progress_due`], so every wait reads the same way.

use std::ops::ControlFlow;
use std::time::{Duration, Instant};

/// What an attempt knows about the wait it is part of.
#[derive(Debug)]
pub(crate) struct Attempt {
    number: u32,
    started: Instant,
    last_progress: Instant,
    deadline: Instant,
    interval: Duration,
}

impl Attempt {
    /// This attempt's number, from 1.
    pub(crate) fn number(&self) -> u32 {
        self.number
    }

    /// Time since the first attempt began.
    pub(crate) fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// No other attempt fits: the next would begin (one pause from now) at or after the
    /// deadline.
    pub(crate) fn is_last(&self) -> bool {
        self.ends_within(self.interval)
    }

    /// The deadline is at most `margin` away (a wait that keeps time for one more call).
    pub(crate) fn ends_within(&self, margin: Duration) -> bool {
        Instant::now() + margin >= self.deadline
    }

    /// The deadline has passed.
    pub(crate) fn past_deadline(&self) -> bool {
        Instant::now() >= self.deadline
    }

    /// `every` has passed since the wait began or since the last time this said yes: time
    /// for a progress line.
    pub(crate) fn progress_due(&mut self, every: Duration) -> bool {
        let due = self.last_progress.elapsed() >= every;
        if due {
            self.last_progress = Instant::now();
        }
        due
    }
}

/// Call `attempt` until it breaks (with its result, or an error), pausing `interval`
/// between attempts. `deadline` is what [`Attempt::is_last`] measures against; the attempt,
/// not this loop, decides to stop.
pub(crate) fn until<T, E>(
    deadline: Instant,
    interval: Duration,
    mut attempt: impl FnMut(&mut Attempt) -> Result<ControlFlow<T>, E>,
) -> Result<T, E> {
    let now = Instant::now();
    let mut state = Attempt {
        number: 0,
        started: now,
        last_progress: now,
        deadline,
        interval,
    };
    loop {
        state.number += 1;
        if let ControlFlow::Break(done) = attempt(&mut state)? {
            return Ok(done);
        }
        std::thread::sleep(interval);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempts_until_one_breaks() {
        let far = Instant::now() + Duration::from_secs(60);
        let got: Result<u32, ()> = until(far, Duration::ZERO, |a| {
            Ok(if a.number() == 3 {
                ControlFlow::Break(a.number())
            } else {
                ControlFlow::Continue(())
            })
        });
        assert_eq!(got, Ok(3));
    }

    #[test]
    fn the_last_attempt_is_the_one_the_deadline_leaves() {
        let soon = Instant::now() + Duration::from_millis(30);
        let tries: Result<u32, ()> = until(soon, Duration::from_millis(10), |a| {
            Ok(if a.is_last() {
                ControlFlow::Break(a.number())
            } else {
                ControlFlow::Continue(())
            })
        });
        let tries = tries.unwrap();
        assert!((1..=3).contains(&tries), "{tries} attempts");
    }

    #[test]
    fn an_error_ends_the_wait() {
        let far = Instant::now() + Duration::from_secs(60);
        let got: Result<(), &str> = until(far, Duration::ZERO, |_| Err("broken"));
        assert_eq!(got, Err("broken"));
    }
}
