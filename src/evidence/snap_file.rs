//! insta's snapshot files, read and written by witness: the committed `.snap` and the
//! `.snap.new` that `cargo insta review` offers, in insta's own format. insta's `Snapshot`
//! parses them and writes the header as insta does; its `TextSnapshotContents` normalizes
//! the text as insta compares it.

use std::path::{Path, PathBuf};

use insta::internals::{SnapshotContents, TextSnapshotContents};
use insta::{Snapshot, TextSnapshotKind};

/// The header of a snapshot file (insta's metadata).
pub(super) struct Header<'a> {
    /// The scenario's claim.
    pub(super) description: &'a str,
    pub(super) target: &'a str,
    pub(super) title: &'a str,
    /// The scenario file, relative to the project root.
    pub(super) input_file: &'a str,
}

/// Where `cargo insta review` looks for the pending version of `snap`.
pub(super) fn pending(snap: &Path) -> PathBuf {
    snap.with_extension("snap.new")
}

/// `text` as insta compares it (trailing whitespace dropped, CRLF read as LF).
pub(super) fn contents(text: &str) -> String {
    TextSnapshotContents::new(text.to_string(), TextSnapshotKind::File).to_string()
}

/// The committed snapshot's text, normalized; `None` when there is none (or it is not a
/// text snapshot insta can read: then it is not the evidence either).
pub(super) fn read(path: &Path) -> Option<String> {
    if !path.is_file() {
        return None;
    }
    match Snapshot::from_file(path).ok()?.contents() {
        SnapshotContents::Text(t) => Some(t.to_string()),
        _ => None,
    }
}

/// Write a snapshot file: the header (each value a quoted YAML scalar), then insta rewrites
/// it whole in its own format, as `cargo insta accept` would leave it.
pub(super) fn write(path: &Path, header: &Header<'_>, contents: &str) -> std::io::Result<()> {
    let q = |s: &str| serde_json::to_string(s).unwrap_or_default();
    let text = format!(
        "---\nsource: {}\ndescription: {}\ninfo:\n  target: {}\n  title: {}\ninput_file: {}\n---\n{contents}\n",
        q("src/evidence/mod.rs"),
        q(header.description),
        q(header.target),
        q(header.title),
        q(header.input_file),
    );
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    crate::atomic_file::write(path, text.as_bytes())?;
    let canonical = Snapshot::from_file(path).and_then(|s| s.save(path));
    canonical.map_err(|e| std::io::Error::other(e.to_string()))
}

/// A line diff of two snapshot texts, `-` the committed, `+` this run's.
pub(super) fn diff(committed: &str, ours: &str) -> String {
    // Normalized texts end without a newline; the diff reads lines.
    let (committed, ours) = (format!("{committed}\n"), format!("{ours}\n"));
    similar::TextDiff::from_lines(&committed, &ours)
        .unified_diff()
        .context_radius(3)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What witness writes is what insta reads back: the same text and header, so `cargo
    /// insta review` shows it and accepts it.
    #[test]
    fn a_written_snapshot_reads_back_through_insta() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g/s@t.snap");
        let header = Header {
            description: "M2.2: `a` \"quoted\"\nsecond line: x",
            target: "t",
            title: "M2.2 Host: healthy",
            input_file: "scenarios/g/s.toml",
        };
        let text = contents("title: x\n\nstep 1: passed\n  output:\n    | a: b\n\n");
        write(&path, &header, &text).unwrap();
        assert_eq!(read(&path).as_deref(), Some(text.as_str()));
        let snap = Snapshot::from_file(&path).unwrap();
        assert_eq!(snap.metadata().description(), Some(header.description));
        assert_eq!(snap.metadata().input_file(), Some("scenarios/g/s.toml"));
        let on_disk = std::fs::read_to_string(&path).unwrap();
        assert!(on_disk.contains("  target: t\n"), "{on_disk}");
        assert_eq!(read(&dir.path().join("none.snap")), None);
        assert_eq!(pending(&path), dir.path().join("g/s@t.snap.new"));
    }
}
