//! `cargo xtask fn-lengths [--top N]`: how long the functions of `src/` and `xtask/src/`
//! are, measured rather than claimed. Every `fn` with a body (free functions, methods,
//! trait defaults, nested and test functions alike) counts as the lines from its `fn`
//! keyword to its closing brace; attributes and doc comments are not counted. Prints the
//! longest, the median and the p90 (nearest rank), and fails when a function is over
//! [`MAX_LINES`] or the p90 is not under [`P90_BELOW`] (issue 11, item 6). `--root` measures
//! another checkout (an export of an older commit, to compare).

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use syn::spanned::Spanned;
use syn::visit::Visit;

use crate::util;

/// No function may be longer than this many lines.
const MAX_LINES: usize = 100;
/// The 90th percentile of function lengths must stay below this.
const P90_BELOW: usize = 40;

const USAGE: &str = "usage: cargo xtask fn-lengths [--top N] [--root DIR]";

pub fn run(args: &[String]) -> Result<()> {
    let mut top = 15;
    let mut root = util::workspace_root();
    for pair in args.chunks(2) {
        match pair {
            [flag, n] if flag == "--top" => top = n.parse().context(USAGE)?,
            [flag, dir] if flag == "--root" => root = PathBuf::from(dir),
            _ => bail!("{USAGE}"),
        }
    }
    let mut fns = Vec::new();
    for dir in ["src", "xtask/src"] {
        for file in rust_files(&root.join(dir))? {
            let shown = file.strip_prefix(&root).unwrap_or(&file).to_path_buf();
            fns.extend(measure_file(&file, &shown)?);
        }
    }
    let stats = Stats::of(&mut fns).context("no functions found")?;
    for f in fns.iter().take(top) {
        println!("{f}");
    }
    println!("{stats}");
    if stats.max > MAX_LINES || stats.p90 >= P90_BELOW {
        bail!("functions too long: the limit is {MAX_LINES} lines, and a p90 under {P90_BELOW}");
    }
    Ok(())
}

/// One function and its length in lines.
struct Fn {
    file: PathBuf,
    line: usize,
    name: String,
    lines: usize,
}

impl fmt::Display for Fn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = format!("{}:{}", self.file.display(), self.line);
        write!(f, "{:>4}  {at:<40} {}", self.lines, self.name)
    }
}

/// The figures the limits are about.
struct Stats {
    count: usize,
    median: usize,
    p90: usize,
    max: usize,
    over_50: usize,
    over_100: usize,
}

impl Stats {
    /// Sorts `fns` longest first and reads the figures off them.
    fn of(fns: &mut [Fn]) -> Option<Stats> {
        fns.sort_by(|a, b| b.lines.cmp(&a.lines).then(a.file.cmp(&b.file)));
        let mut lengths: Vec<usize> = fns.iter().map(|f| f.lines).collect();
        lengths.sort_unstable();
        let max = *lengths.last()?;
        let rank = |p: usize| lengths[(lengths.len() * p).div_ceil(100).max(1) - 1];
        Some(Stats {
            count: lengths.len(),
            median: rank(50),
            p90: rank(90),
            max,
            over_50: lengths.iter().filter(|&&l| l > 50).count(),
            over_100: lengths.iter().filter(|&&l| l > 100).count(),
        })
    }
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} functions: median {}, p90 {}, longest {}; {} over 50 lines, {} over 100",
            self.count, self.median, self.p90, self.max, self.over_50, self.over_100
        )
    }
}

/// Every `*.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            files.extend(rust_files(&path)?);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

fn measure_file(file: &Path, shown: &Path) -> Result<Vec<Fn>> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let ast = syn::parse_file(&text).with_context(|| format!("parsing {}", file.display()))?;
    let mut walk = Walk {
        file: shown,
        owner: Vec::new(),
        fns: Vec::new(),
    };
    walk.visit_file(&ast);
    Ok(walk.fns)
}

/// Walks one file, naming each function after the impl or trait it sits in.
struct Walk<'a> {
    file: &'a Path,
    owner: Vec<String>,
    fns: Vec<Fn>,
}

impl Walk<'_> {
    fn record(&mut self, sig: &syn::Signature, body: &syn::Block) {
        let first = sig.fn_token.span().start().line;
        let last = body.brace_token.span.close().end().line;
        let name = match self.owner.last() {
            Some(owner) => format!("{owner}::{}", sig.ident),
            None => sig.ident.to_string(),
        };
        self.fns.push(Fn {
            file: self.file.to_path_buf(),
            line: first,
            name,
            lines: last + 1 - first,
        });
    }
}

impl<'ast> Visit<'ast> for Walk<'_> {
    fn visit_item_fn(&mut self, item: &'ast syn::ItemFn) {
        self.record(&item.sig, &item.block);
        syn::visit::visit_item_fn(self, item);
    }

    fn visit_impl_item_fn(&mut self, item: &'ast syn::ImplItemFn) {
        self.record(&item.sig, &item.block);
        syn::visit::visit_impl_item_fn(self, item);
    }

    fn visit_trait_item_fn(&mut self, item: &'ast syn::TraitItemFn) {
        if let Some(body) = &item.default {
            self.record(&item.sig, body);
        }
        syn::visit::visit_trait_item_fn(self, item);
    }

    fn visit_item_impl(&mut self, item: &'ast syn::ItemImpl) {
        let ty = &item.self_ty;
        self.owner.push(self_type_name(ty));
        syn::visit::visit_item_impl(self, item);
        self.owner.pop();
    }

    fn visit_item_trait(&mut self, item: &'ast syn::ItemTrait) {
        self.owner.push(item.ident.to_string());
        syn::visit::visit_item_trait(self, item);
        self.owner.pop();
    }
}

/// The last path segment of an impl's self type (`Cx` for `impl<'a> Cx<'a>`).
fn self_type_name(ty: &syn::Type) -> String {
    match ty {
        syn::Type::Path(p) => p
            .path
            .segments
            .last()
            .map_or_else(|| "_".into(), |s| s.ident.to_string()),
        _ => "_".into(),
    }
}
