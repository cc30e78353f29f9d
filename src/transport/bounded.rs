//! A byte buffer that keeps the head and the tail of a stream within `limit` bytes and
//! counts what it dropped in between.
//!
//! A flood of output (a runaway `journalctl`, a `yes`) must neither exhaust memory nor
//! stall the reader: every byte is still read from the stream. What is kept is the first
//! half and the last half of the bound, because the line that decides a claim is as often
//! the last one (`sweep: gitea rc=0`, a test summary) as the first; the middle is what a
//! flood loses, and a marker line says how much.

use std::collections::VecDeque;

/// Output kept up to a bound (head and tail), with the number of bytes dropped.
#[derive(Debug, Clone, Default)]
pub struct Bounded {
    head: Vec<u8>,
    tail: VecDeque<u8>,
    limit: usize,
    dropped: u64,
}

impl Bounded {
    pub(crate) fn new(limit: usize) -> Self {
        Bounded {
            head: Vec::new(),
            tail: VecDeque::new(),
            limit,
            dropped: 0,
        }
    }

    fn head_cap(&self) -> usize {
        self.limit / 2
    }

    fn tail_cap(&self) -> usize {
        self.limit - self.head_cap()
    }

    pub(crate) fn push(&mut self, mut bytes: &[u8]) {
        let room = self.head_cap().saturating_sub(self.head.len());
        if room > 0 && self.tail.is_empty() {
            let take = room.min(bytes.len());
            self.head.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
        }
        let cap = self.tail_cap();
        if bytes.len() >= cap {
            // The chunk alone fills the tail: everything before its last `cap` bytes goes.
            self.dropped += (self.tail.len() + bytes.len() - cap) as u64;
            self.tail.clear();
            self.tail.extend(&bytes[bytes.len() - cap..]);
        } else {
            let over = (self.tail.len() + bytes.len()).saturating_sub(cap);
            self.tail.drain(..over);
            self.dropped += over as u64;
            self.tail.extend(bytes);
        }
    }

    /// Bytes that did not fit under the limit (the middle of the stream).
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// The kept bytes as text (invalid UTF-8 replaced). When bytes were dropped, a marker
    /// line stands where they were, and the tail starts at its first whole line, so every
    /// line shown is a line the command printed (the partial lines count as dropped).
    pub fn text(&self) -> String {
        let (head, tail) = self.tail.as_slices();
        let mut tail_bytes = Vec::with_capacity(self.tail.len());
        tail_bytes.extend_from_slice(head);
        tail_bytes.extend_from_slice(tail);
        if self.dropped == 0 {
            let mut all = self.head.clone();
            all.extend_from_slice(&tail_bytes);
            return String::from_utf8_lossy(&all).into_owned();
        }
        let head_end = self
            .head
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let tail_start = tail_bytes
            .iter()
            .position(|&b| b == b'\n')
            .map_or(tail_bytes.len(), |i| i + 1);
        let dropped = self.dropped + (self.head.len() - head_end + tail_start) as u64;
        let mut out = String::from_utf8_lossy(&self.head[..head_end]).into_owned();
        out.push_str(&format!(
            "[… witness: {dropped} bytes of output dropped here (the head and the tail are kept) …]\n"
        ));
        out.push_str(&String::from_utf8_lossy(&tail_bytes[tail_start..]));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(n: usize) -> String {
        (1..=n).map(|i| format!("line {i}\n")).collect()
    }

    #[test]
    fn under_the_limit_everything_is_kept() {
        let mut b = Bounded::new(64);
        b.push(b"abc\n");
        b.push(b"def");
        assert_eq!(b.text(), "abc\ndef");
        assert_eq!(b.dropped(), 0);
    }

    #[test]
    fn a_flood_keeps_its_first_and_last_lines_and_says_what_it_dropped() {
        let all = lines(10_000);
        let mut b = Bounded::new(200);
        // In uneven chunks, as a pipe delivers them.
        for chunk in all.as_bytes().chunks(37) {
            b.push(chunk);
        }
        let t = b.text();
        assert!(t.starts_with("line 1\nline 2\n"), "{t}");
        assert!(t.ends_with("line 9999\nline 10000\n"), "{t}");
        assert!(t.contains("bytes of output dropped here"), "{t}");
        // Every line shown is whole, and the counts add up.
        let shown: usize = t.lines().filter(|l| l.starts_with("line ")).count();
        assert!(
            t.lines()
                .all(|l| l.starts_with("line ") || l.starts_with("[… witness:"))
        );
        assert_eq!(b.dropped(), (all.len() - 200) as u64);
        assert!(shown > 10, "{t}");
    }

    #[test]
    fn one_huge_chunk_too() {
        let all = lines(5_000);
        let mut b = Bounded::new(100);
        b.push(all.as_bytes());
        let t = b.text();
        assert!(
            t.starts_with("line 1\n") && t.ends_with("line 5000\n"),
            "{t}"
        );
        assert_eq!(b.dropped(), (all.len() - 100) as u64);
    }
}
