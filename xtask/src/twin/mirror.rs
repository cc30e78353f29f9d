//! Which Debian mirror the base bootstrap (mmdebstrap) fetches from: the one this machine's apt
//! already uses (it is known to be reachable here), else deb.debian.org.

use std::path::Path;

/// Used when the machine's apt sources name no Debian archive.
pub const FALLBACK: &str = "http://deb.debian.org/debian";

/// The first main-archive URI (path ending in `/debian`) among the apt
/// sources: deb822 `*.sources` files first (what bookworm installs), then the
/// one-line `sources.list` formats. Security and third-party repositories
/// are skipped: the bootstrap needs the main archive.
pub fn detect() -> String {
    let mut uris = Vec::new();
    let dir = Path::new("/etc/apt/sources.list.d");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .collect();
    files.sort();
    for file in files.iter().filter(|f| has_ext(f, "sources")) {
        uris.extend(deb822_uris(&read(file)));
    }
    uris.extend(one_line_uris(&read(Path::new("/etc/apt/sources.list"))));
    for file in files.iter().filter(|f| has_ext(f, "list")) {
        uris.extend(one_line_uris(&read(file)));
    }
    uris.into_iter()
        .map(|uri| uri.trim_end_matches('/').to_string())
        .find(|uri| is_debian_archive(uri))
        .unwrap_or_else(|| FALLBACK.to_string())
}

fn has_ext(path: &Path, ext: &str) -> bool {
    path.extension().is_some_and(|e| e == ext)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

fn is_debian_archive(uri: &str) -> bool {
    (uri.starts_with("http://") || uri.starts_with("https://")) && uri.ends_with("/debian")
}

/// `URIs:` fields of deb822 stanzas of `Types: deb` (not `deb-src` only).
fn deb822_uris(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for stanza in text.split("\n\n") {
        let field = |name: &str| {
            stanza.lines().find_map(|line| {
                let (key, value) = line.split_once(':')?;
                key.trim()
                    .eq_ignore_ascii_case(name)
                    .then(|| value.trim().to_string())
            })
        };
        let is_deb = field("Types").is_some_and(|t| t.split_whitespace().any(|t| t == "deb"));
        let enabled = field("Enabled").is_none_or(|e| e != "no");
        if is_deb
            && enabled
            && let Some(uris) = field("URIs")
        {
            found.extend(uris.split_whitespace().map(str::to_string));
        }
    }
    found
}

/// URIs of `deb [options] URI suite components` lines.
fn one_line_uris(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| {
            let line = line.trim();
            let rest = line.strip_prefix("deb ")?;
            let rest = rest.trim_start();
            // Skip an `[arch=amd64 signed-by=...]` option block.
            let rest = match rest.strip_prefix('[') {
                Some(opts) => opts.split_once(']')?.1,
                None => rest,
            };
            rest.split_whitespace().next().map(str::to_string)
        })
        .collect()
}
