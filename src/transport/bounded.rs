//! A byte buffer that keeps at most `limit` bytes and counts the rest.
//!
//! A flood of output (a runaway `journalctl`, a `yes`) must neither exhaust memory nor
//! stall the reader: bytes past the limit are still read from the stream, then dropped.

/// Output kept up to a bound, with the number of bytes dropped.
#[derive(Debug, Clone, Default)]
pub struct Bounded {
    data: Vec<u8>,
    limit: usize,
    dropped: u64,
}

impl Bounded {
    pub fn new(limit: usize) -> Self {
        Bounded {
            data: Vec::new(),
            limit,
            dropped: 0,
        }
    }

    pub fn push(&mut self, bytes: &[u8]) {
        let room = self.limit.saturating_sub(self.data.len());
        let take = room.min(bytes.len());
        self.data.extend_from_slice(&bytes[..take]);
        self.dropped += (bytes.len() - take) as u64;
    }

    /// Bytes that did not fit under the limit.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    pub fn bytes(&self) -> &[u8] {
        &self.data
    }

    /// The kept bytes as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.data).into_owned()
    }

    pub fn from_text(s: &str) -> Self {
        let mut b = Bounded::new(usize::MAX);
        b.push(s.as_bytes());
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_up_to_limit_and_counts_the_rest() {
        let mut b = Bounded::new(5);
        b.push(b"abc");
        b.push(b"defgh");
        assert_eq!(b.bytes(), b"abcde");
        assert_eq!(b.dropped(), 3);
    }
}
