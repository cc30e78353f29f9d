//! Where each `${name}` of a shell command sits, and how to write a value there.
//!
//! A captured value is target output: it may hold `'`, `"`, backticks, `$(…)`, newlines.
//! Inserted as text into a shell command it must arrive byte-exact and never run, whatever
//! the author wrote around it. Authors write `echo "${v}"` by habit, so one quoting rule
//! for every place is not enough: a value quoted as a shell word (`'…'`) and then put inside
//! double quotes gains literal quotes, and one escaped for double quotes runs when bare.
//!
//! So the command is read the way a POSIX shell reads it — just far enough to know the
//! quoting context at each `${name}` — and the value is written for that context:
//!
//! | context                           | written as                                         |
//! |-----------------------------------|----------------------------------------------------|
//! | bare word, `$(…)`, assignment     | one shell word (`shlex` quoting)                   |
//! | inside `"…"`                      | `\` before `$`, `` ` ``, `"`, `\`                  |
//! | inside `'…'`                      | `'` written as `'\''`                              |
//! | heredoc body (`<<EOF`)            | `\` before `$`, `` ` ``, `\`                       |
//! | quoted heredoc body (`<<'EOF'`)   | as is (the shell expands nothing there)            |
//!
//! A value holding a line equal to the heredoc's delimiter would end the heredoc early: that
//! is refused when the step runs. Contexts where no writing is safe are refused when the
//! scenario loads ([`check`]): backticks (their backslash rules differ by shell),
//! `$((…))` (arithmetic evaluates `a[$(…)]`), `$'…'`, and comments (a newline in the value
//! would end the comment and run the rest).

use std::fmt;

use super::readers::{self, Cmd, Site, VAR_MARK, Word};
use crate::error::QuoteProblem;

/// The quoting context a `${name}` sits in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Context {
    Bare,
    Double,
    Single,
    Heredoc {
        delimiter: String,
        quoted: bool,
    },
    Backtick,
    Arithmetic,
    AnsiC,
    Comment,
    /// Right after a backslash that escapes its `$`.
    Escaped,
}

impl Context {
    /// Why a value cannot be written here, and what to write instead; `None` when it can.
    pub(crate) fn refusal(&self) -> Option<&'static str> {
        match self {
            Context::Backtick => Some(
                "inside backticks: their backslash rules differ between shells; write `$(…)` instead",
            ),
            Context::Arithmetic => Some(
                "inside `$((…))`: arithmetic evaluates the value as an expression (`a[$(…)]` runs); \
                 assign it first (`n=${v}`) and use `$((n + 1))`",
            ),
            Context::AnsiC => {
                Some("inside `$'…'`: write it outside the `$'…'` quotes, e.g. `$'\\t'\"${v}\"`")
            }
            Context::Comment => Some(
                "inside a `#` comment: a newline in the value would end the comment and run the rest; \
                 write `$${name}` to mention a variable in a comment",
            ),
            Context::Escaped => Some(
                "after a backslash: `\\${name}` would leave the value half-escaped; write `$${name}` \
                 for the shell's own variable, or drop the backslash",
            ),
            _ => None,
        }
    }
}

impl fmt::Display for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Context::Bare => f.write_str("a bare word"),
            Context::Double => f.write_str("double quotes"),
            Context::Single => f.write_str("single quotes"),
            Context::Heredoc {
                delimiter,
                quoted: false,
            } => write!(f, "the heredoc <<{delimiter}"),
            Context::Heredoc {
                delimiter,
                quoted: true,
            } => write!(f, "the quoted heredoc <<'{delimiter}'"),
            Context::Backtick => f.write_str("backticks"),
            Context::Arithmetic => f.write_str("$((…))"),
            Context::AnsiC => f.write_str("$'…'"),
            Context::Comment => f.write_str("a comment"),
            Context::Escaped => f.write_str("a backslash escape"),
        }
    }
}

/// A command template cut at its `${name}`s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece {
    /// Shell text, passed through (`$${` already turned into `${`).
    Text(String),
    /// A witness variable and the context it sits in; `operand` when it begins an operand
    /// of a program that would read a leading `-` as an option ([`readers::begins_operand`]).
    Var {
        name: String,
        context: Context,
        operand: bool,
    },
}

/// Cut `template` into text and variables, each variable with its quoting context.
/// An unterminated `${` is returned as `Err(byte offset)`.
#[cfg(test)]
pub(crate) fn lex(template: &str) -> Result<Vec<Piece>, usize> {
    Ok(Lexer::new(template).lex()?.pieces)
}

/// How `value` is written in `context`. `Err` says why it cannot be (the caller names
/// the variable).
pub(crate) fn write(value: &str, context: &Context) -> Result<String, QuoteProblem> {
    if value.contains('\0') {
        return Err(QuoteProblem::Nul);
    }
    match context {
        // shlex refuses only a NUL byte, ruled out above.
        Context::Bare => shlex::try_quote(value)
            .map(|q| q.into_owned())
            .map_err(|_| QuoteProblem::Nul),
        Context::Double => Ok(escape(value, &['$', '`', '"', '\\'])),
        Context::Single => Ok(value.replace('\'', r"'\''")),
        Context::Heredoc { delimiter, quoted } => {
            if value
                .lines()
                .any(|l| l.trim_start_matches('\t') == delimiter)
            {
                return Err(QuoteProblem::EndsHeredoc {
                    delimiter: delimiter.clone(),
                });
            }
            Ok(if *quoted {
                value.to_string()
            } else {
                escape(value, &['$', '`', '\\'])
            })
        }
        other => Err(QuoteProblem::NoValueHere {
            why: other
                .refusal()
                .unwrap_or("this context cannot hold a value"),
        }),
    }
}

fn escape(value: &str, special: &[char]) -> String {
    let mut out = String::with_capacity(value.len() + 8);
    for c in value.chars() {
        if special.contains(&c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A place in a shell command where a second program would run a value as code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CodeSite {
    /// `${name}` for a witness variable, `$NAME` for a shell variable that holds one.
    pub(crate) what: String,
    /// Byte offset of it in the command.
    pub(crate) at: usize,
    /// The program that would parse it as code.
    pub(crate) reader: String,
}

/// Every place in `template` where a second reader would parse a value as code: each
/// witness `${name}`, and each `$NAME` the outer shell expands where `NAME` holds a value
/// (an `env` name of the step, or a variable assigned one). See [`readers`].
#[cfg(test)]
pub(crate) fn code_sites(template: &str, env: &[String]) -> Result<Vec<CodeSite>, usize> {
    analyse(template, env).map(|(_, sites)| sites)
}

/// [`lex`] and [`code_sites`] from one reading of `template`.
pub(crate) fn analyse(
    template: &str,
    env: &[String],
) -> Result<(Vec<Piece>, Vec<CodeSite>), usize> {
    let mut lexed = Lexer::new(template).lex()?;
    // The lexer records each witness variable twice, in order: as a piece and as a site.
    let mut sites = lexed.vars.iter();
    for p in &mut lexed.pieces {
        if let Piece::Var { operand, .. } = p
            && let Some((_, site, _)) = sites.next()
        {
            *operand = readers::begins_operand(&lexed.cmds, *site);
        }
    }
    let mut out = Vec::new();
    for (name, site, at) in &lexed.vars {
        if let Some(reader) = readers::code_reader(&lexed.cmds, *site) {
            out.push(CodeSite {
                what: format!("${{{name}}}"),
                at: *at,
                reader,
            });
        }
    }
    let tainted = readers::tainted(&lexed.cmds, env);
    for (name, site, at) in &lexed.params {
        if !tainted.contains(name) {
            continue;
        }
        if let Some(reader) = readers::code_reader(&lexed.cmds, *site) {
            out.push(CodeSite {
                what: format!("${name}"),
                at: *at,
                reader,
            });
        }
    }
    out.sort_by_key(|c| c.at);
    Ok((lexed.pieces, out))
}

/// What the lexer found: the pieces, the simple commands, where each witness variable and
/// each expanded shell variable lands (name, place, byte offset).
struct Lexed {
    pieces: Vec<Piece>,
    cmds: Vec<Cmd>,
    vars: Vec<(String, Site, usize)>,
    params: Vec<(String, Site, usize)>,
}

/// One level of nesting the lexer is in.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Frame {
    /// Top level or inside `$(…)` / `<(…)` (with its open-paren depth, its current simple
    /// command, and how deep it is in `{ … }`, `if … fi` and loop groups).
    Bare {
        parens: usize,
        subst: bool,
        cmd: usize,
        groups: usize,
    },
    Double,
    Single,
    Backtick,
    Arithmetic {
        parens: usize,
    },
    AnsiC,
}

struct PendingHeredoc {
    delimiter: String,
    quoted: bool,
    strip_tabs: bool,
    /// The command whose standard input the body is.
    cmd: usize,
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    stack: Vec<Frame>,
    pieces: Vec<Piece>,
    text: String,
    pending: Vec<PendingHeredoc>,
    /// The previous character was an escaping backslash in front of a `${`.
    escaped: bool,
    cmds: Vec<Cmd>,
    /// The word being built, per command (`None` between words).
    current: Vec<Option<Word>>,
    /// The next word of the command is a `<<<` here-string (its standard input).
    herestring: Vec<bool>,
    pipelines: usize,
    vars: Vec<(String, Site, usize)>,
    params: Vec<(String, Site, usize)>,
    /// Where the variables of a heredoc body land (set while reading one).
    in_heredoc: Option<usize>,
}

impl<'a> Lexer<'a> {
    fn new(src: &'a str) -> Self {
        Lexer {
            src,
            pos: 0,
            stack: vec![Frame::Bare {
                parens: 0,
                subst: false,
                cmd: 0,
                groups: 0,
            }],
            pieces: Vec::new(),
            text: String::new(),
            pending: Vec::new(),
            escaped: false,
            cmds: vec![Cmd::default()],
            current: vec![None],
            herestring: vec![false],
            pipelines: 1,
            vars: Vec::new(),
            params: Vec::new(),
            in_heredoc: None,
        }
    }

    /// The simple command being read (of the innermost `$(…)` or the top level).
    fn cmd(&self) -> usize {
        self.stack
            .iter()
            .rev()
            .find_map(|f| match f {
                Frame::Bare { cmd, .. } => Some(*cmd),
                _ => None,
            })
            .expect("the bottom frame is a Bare frame")
    }

    /// Append to the word being built (starting one); a heredoc body is no command's word.
    fn word(&mut self, s: &str) {
        if self.in_heredoc.is_some() {
            return;
        }
        let c = self.cmd();
        self.current[c]
            .get_or_insert_with(Word::default)
            .text
            .push_str(s);
    }

    fn end_word(&mut self) {
        let c = self.cmd();
        if let Some(w) = self.current[c].take() {
            if !w.op {
                self.herestring[c] = false;
            }
            let first = !self.cmds[c].words.iter().any(|w| !w.op);
            let text = w.text.clone();
            self.cmds[c].words.push(w);
            if first {
                self.group_keyword(&text);
            }
        }
    }

    /// `{`, `if`, loops and `case` open a group whose commands share one pipeline (a pipe
    /// after the group takes all their output); their closing words end it.
    fn group_keyword(&mut self, word: &str) {
        let delta: isize = match word {
            "{" | "if" | "while" | "until" | "for" | "select" | "case" => 1,
            "}" | "fi" | "done" | "esac" => -1,
            _ => return,
        };
        if let Some(Frame::Bare { groups, .. }) = self
            .stack
            .iter_mut()
            .rev()
            .find(|f| matches!(f, Frame::Bare { .. }))
        {
            *groups = groups.saturating_add_signed(delta);
        }
    }

    fn push_op(&mut self, op: &str) {
        self.end_word();
        let c = self.cmd();
        self.cmds[c].words.push(Word {
            text: op.to_string(),
            op: true,
        });
    }

    /// A command ends (`;`, `&`, `&&`, `||`, newline, or `|` when `pipe`): the next one
    /// starts; it is a stage of the same pipeline after `|` or inside a group.
    fn end_cmd(&mut self, pipe: bool) {
        self.end_word();
        let old = self.cmd();
        let in_group = matches!(self.stack.iter().rev().find(|f| matches!(f, Frame::Bare { .. })),
            Some(Frame::Bare { parens, groups, .. }) if *parens > 0 || *groups > 0);
        let pipeline = if pipe || in_group {
            self.cmds[old].pipeline
        } else {
            self.pipelines += 1;
            self.pipelines - 1
        };
        let parent = self.cmds[old].parent;
        let new = self.new_cmd(parent, pipeline);
        self.cmds[new].piped = pipe;
        if let Some(Frame::Bare { cmd, .. }) = self
            .stack
            .iter_mut()
            .rev()
            .find(|f| matches!(f, Frame::Bare { .. }))
        {
            *cmd = new;
        }
    }

    fn new_cmd(&mut self, parent: Option<(usize, usize)>, pipeline: usize) -> usize {
        // How deep in `{ … }`, `if … fi`, loops and `( … )` the command starts.
        let depth = match self
            .stack
            .iter()
            .rev()
            .find(|f| matches!(f, Frame::Bare { .. }))
        {
            Some(Frame::Bare { parens, groups, .. }) => parens + groups,
            _ => 0,
        };
        self.cmds.push(Cmd {
            words: Vec::new(),
            pipeline,
            parent,
            piped: false,
            depth,
        });
        self.current.push(None);
        self.herestring.push(false);
        self.cmds.len() - 1
    }

    /// `$(…)`, `<(…)`, `>(…)`: its commands run apart, and what they print becomes (part
    /// of) the current word of the command around it.
    fn open_subst(&mut self, opener: &str) {
        self.word(opener);
        let outer = self.cmd();
        let word = self.cmds[outer].words.len();
        self.pipelines += 1;
        let cmd = self.new_cmd(Some((outer, word)), self.pipelines - 1);
        self.take(opener.len());
        self.stack.push(Frame::Bare {
            parens: 0,
            subst: true,
            cmd,
            groups: 0,
        });
    }

    /// Where a value at this point lands.
    fn site(&self) -> Site {
        if let Some(cmd) = self.in_heredoc {
            return Site::Stdin { cmd };
        }
        let cmd = self.cmd();
        if self.herestring[cmd] {
            return Site::Stdin { cmd };
        }
        Site::Word {
            cmd,
            word: self.cmds[cmd].words.len(),
        }
    }

    /// A shell variable the outer shell expands here (`$NAME`, `$${NAME…}`).
    fn param(&mut self, name_from: usize) {
        let name: String = self.src[name_from..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() && !name.starts_with(|c: char| c.is_ascii_digit()) {
            let site = self.site();
            self.params.push((name, site, self.pos));
        }
    }

    fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    fn top(&self) -> &Frame {
        self.stack.last().expect("the bottom frame is never popped")
    }

    /// Copy `n` bytes of source text through.
    fn take(&mut self, n: usize) {
        self.text.push_str(&self.src[self.pos..self.pos + n]);
        self.pos += n;
    }

    /// A backslash escapes the next character; one in front of a witness `${name}` is
    /// recorded so the variable is refused rather than written half-escaped.
    fn backslash(&mut self) {
        let next = &self.src[self.pos + 1..];
        if next.starts_with("${") {
            self.take(1);
            self.escaped = true;
        } else {
            let n = next.chars().next().map_or(0, char::len_utf8);
            if n > 0 && next.starts_with('\n') {
                // A line continuation joins lines; it is not part of a word.
            } else {
                self.word(&next[..n]);
            }
            self.take(1 + n);
        }
    }

    fn flush(&mut self) {
        if !self.text.is_empty() {
            self.pieces
                .push(Piece::Text(std::mem::take(&mut self.text)));
        }
    }

    /// At a `$`: a literal `$${`, a witness `${name}`, or shell text. Returns true when it
    /// consumed something.
    fn dollar(&mut self, context: impl FnOnce() -> Context) -> Result<bool, usize> {
        let rest = self.rest();
        let context = context();
        let expands = matches!(context, Context::Bare | Context::Double)
            || matches!(context, Context::Heredoc { quoted: false, .. });
        if rest.starts_with("$${") {
            if expands {
                self.param(self.pos + 3);
            }
            self.text.push_str("${");
            self.word("${");
            self.pos += 3;
            return Ok(true);
        }
        if let Some(body) = rest.strip_prefix("${") {
            let end = body.find('}').ok_or(self.pos)?;
            let name = body[..end].to_string();
            self.flush();
            let context = if std::mem::take(&mut self.escaped) {
                Context::Escaped
            } else {
                context
            };
            let site = self.site();
            self.vars.push((name.clone(), site, self.pos));
            self.word(&format!("{VAR_MARK}{name}{VAR_MARK}"));
            self.pieces.push(Piece::Var {
                name,
                context,
                operand: false,
            });
            self.pos += 2 + end + 1;
            return Ok(true);
        }
        if expands && rest[1..].starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
            self.param(self.pos + 1);
        }
        Ok(false)
    }

    fn lex(mut self) -> Result<Lexed, usize> {
        while self.pos < self.src.len() {
            let frame = self.top().clone();
            match frame {
                Frame::Bare { parens, subst, .. } => self.bare(parens, subst)?,
                Frame::Double => self.double()?,
                Frame::Single => self.single()?,
                Frame::Backtick => self.simple('`', Context::Backtick)?,
                Frame::AnsiC => self.ansi_c()?,
                Frame::Arithmetic { parens } => self.arithmetic(parens)?,
            }
        }
        self.flush();
        while self.stack.len() > 1 {
            self.end_word();
            self.stack.pop();
        }
        self.end_word();
        Ok(Lexed {
            pieces: self.pieces,
            cmds: self.cmds,
            vars: self.vars,
            params: self.params,
        })
    }

    fn set_parens(&mut self, n: usize) {
        match self.stack.last_mut() {
            Some(Frame::Bare { parens, .. }) | Some(Frame::Arithmetic { parens }) => *parens = n,
            _ => {}
        }
    }

    fn bare(&mut self, parens: usize, subst: bool) -> Result<(), usize> {
        let rest = self.rest();
        let c = rest.chars().next().expect("not at the end");
        match c {
            '$' => {
                if self.dollar(|| Context::Bare)? {
                } else if rest.starts_with("$((") {
                    self.word("$((");
                    self.take(3);
                    self.stack.push(Frame::Arithmetic { parens: 0 });
                } else if rest.starts_with("$(") {
                    self.open_subst("$(");
                } else if rest.starts_with("$'") {
                    self.word("$'");
                    self.take(2);
                    self.stack.push(Frame::AnsiC);
                } else {
                    self.word("$");
                    self.take(1);
                }
            }
            '\\' => self.backslash(),
            '\'' => {
                self.word("");
                self.take(1);
                self.stack.push(Frame::Single);
            }
            '"' => {
                self.word("");
                self.take(1);
                self.stack.push(Frame::Double);
            }
            '`' => {
                self.word("`");
                self.take(1);
                self.stack.push(Frame::Backtick);
            }
            // `name() { …; }` defines a function: its body is commands of their own.
            '(' if rest.starts_with("()") => {
                self.end_cmd(false);
                self.take(2);
            }
            '(' => {
                self.end_word();
                self.take(1);
                self.set_parens(parens + 1);
            }
            ')' => {
                self.end_word();
                self.take(1);
                if parens > 0 {
                    self.set_parens(parens - 1);
                } else if subst {
                    self.stack.pop();
                }
            }
            '#' if self.at_word_start() => self.comment()?,
            '<' if rest.starts_with("<<<") => {
                self.push_op("<<<");
                self.take(3);
                let c = self.cmd();
                self.herestring[c] = true;
            }
            '<' if rest.starts_with("<<") => self.heredoc_operator(),
            '<' | '>' if rest[1..].starts_with('(') => self.open_subst(&rest[..2]),
            '<' | '>' => self.redirection(),
            '&' if rest.starts_with("&>") => self.redirection(),
            ' ' | '\t' => {
                self.end_word();
                self.take(1);
            }
            '\n' => {
                self.end_cmd(false);
                self.take(1);
                self.heredoc_bodies()?;
            }
            ';' | '&' => {
                let n = if rest.starts_with("&&") || rest.starts_with(";;") {
                    2
                } else {
                    1
                };
                self.end_cmd(false);
                self.take(n);
            }
            '|' => {
                let or = rest.starts_with("||");
                self.end_cmd(!or);
                self.take(if or || rest.starts_with("|&") { 2 } else { 1 });
            }
            _ => {
                self.word(&rest[..c.len_utf8()]);
                self.take(c.len_utf8());
            }
        }
        Ok(())
    }

    /// `>`, `>>`, `2>&`, `<`, `&>`, `>|`…: an operator word; a file descriptor number just
    /// before it belongs to it.
    fn redirection(&mut self) {
        let c = self.cmd();
        if self.current[c]
            .as_ref()
            .is_some_and(|w| !w.text.is_empty() && w.text.chars().all(|d| d.is_ascii_digit()))
        {
            self.current[c] = None;
        }
        let n = self
            .rest()
            .find(|ch: char| !matches!(ch, '<' | '>' | '&' | '|'))
            .unwrap_or(self.rest().len());
        let op = self.rest()[..n].to_string();
        self.push_op(&op);
        self.take(n);
    }

    fn at_word_start(&self) -> bool {
        self.src[..self.pos]
            .chars()
            .next_back()
            .is_none_or(|p| p.is_whitespace() || matches!(p, ';' | '&' | '|' | '(' | ')'))
    }

    /// A `#` comment, to the end of the line. Its `${name}`s are recorded (to be refused).
    fn comment(&mut self) -> Result<(), usize> {
        while let Some(c) = self.rest().chars().next() {
            if c == '\n' {
                break;
            }
            if c == '$' && self.dollar(|| Context::Comment)? {
                continue;
            }
            self.take(c.len_utf8());
        }
        Ok(())
    }

    fn double(&mut self) -> Result<(), usize> {
        let rest = self.rest();
        let c = rest.chars().next().expect("not at the end");
        match c {
            '"' => {
                self.take(1);
                self.stack.pop();
            }
            '\\' => self.backslash(),
            '`' => {
                self.word("`");
                self.take(1);
                self.stack.push(Frame::Backtick);
            }
            '$' => {
                if self.dollar(|| Context::Double)? {
                } else if rest.starts_with("$((") {
                    self.word("$((");
                    self.take(3);
                    self.stack.push(Frame::Arithmetic { parens: 0 });
                } else if rest.starts_with("$(") {
                    self.open_subst("$(");
                } else {
                    self.word("$");
                    self.take(1);
                }
            }
            _ => {
                self.word(&rest[..c.len_utf8()]);
                self.take(c.len_utf8());
            }
        }
        Ok(())
    }

    fn single(&mut self) -> Result<(), usize> {
        let rest = self.rest();
        if rest.starts_with('\'') {
            self.take(1);
            self.stack.pop();
        } else if !(rest.starts_with('$') && self.dollar(|| Context::Single)?) {
            let n = rest.chars().next().map_or(1, char::len_utf8);
            self.word(&rest[..n]);
            self.take(n);
        }
        Ok(())
    }

    /// A frame whose variables are all refused, closed by `close` (backslash escapes it).
    fn simple(&mut self, close: char, context: Context) -> Result<(), usize> {
        let rest = self.rest();
        let c = rest.chars().next().expect("not at the end");
        if c == close {
            self.take(1);
            self.stack.pop();
        } else if c == '\\' {
            self.backslash();
        } else if !(c == '$' && self.dollar(|| context.clone())?) {
            self.take(c.len_utf8());
        }
        Ok(())
    }

    fn ansi_c(&mut self) -> Result<(), usize> {
        self.simple('\'', Context::AnsiC)
    }

    fn arithmetic(&mut self, parens: usize) -> Result<(), usize> {
        let rest = self.rest();
        if rest.starts_with("))") && parens == 0 {
            self.take(2);
            self.stack.pop();
            return Ok(());
        }
        match rest.chars().next().expect("not at the end") {
            '(' => {
                self.take(1);
                self.set_parens(parens + 1);
            }
            ')' => {
                self.take(1);
                self.set_parens(parens.saturating_sub(1));
            }
            '$' if self.dollar(|| Context::Arithmetic)? => {}
            c => self.take(c.len_utf8()),
        }
        Ok(())
    }

    /// `<<WORD`, `<<-WORD`, `<<'WORD'`, `<<"WORD"`, `<<\WORD`: remember it; its body starts
    /// after the end of this line.
    fn heredoc_operator(&mut self) {
        self.push_op("<<");
        self.take(2);
        let strip_tabs = self.rest().starts_with('-');
        if strip_tabs {
            self.take(1);
        }
        while self.rest().starts_with([' ', '\t']) {
            self.take(1);
        }
        let mut delimiter = String::new();
        let mut quoted = false;
        while let Some(c) = self.rest().chars().next() {
            match c {
                '\'' | '"' => {
                    quoted = true;
                    self.take(1);
                    while let Some(q) = self.rest().chars().next() {
                        self.take(q.len_utf8());
                        if q == c {
                            break;
                        }
                        delimiter.push(q);
                    }
                }
                '\\' => {
                    quoted = true;
                    self.take(1);
                }
                c if c.is_whitespace() || matches!(c, ';' | '&' | '|' | '<' | '>' | ')') => break,
                c => {
                    delimiter.push(c);
                    self.take(c.len_utf8());
                }
            }
        }
        if !delimiter.is_empty() {
            let cmd = self.cmd();
            // The delimiter is the operator's operand, not an argument.
            self.cmds[cmd].words.push(Word {
                text: delimiter.clone(),
                op: false,
            });
            self.pending.push(PendingHeredoc {
                delimiter,
                quoted,
                strip_tabs,
                cmd,
            });
        }
    }

    /// After a newline: the bodies of the heredocs opened on the line just ended.
    fn heredoc_bodies(&mut self) -> Result<(), usize> {
        for h in std::mem::take(&mut self.pending) {
            self.in_heredoc = Some(h.cmd);
            let context = Context::Heredoc {
                delimiter: h.delimiter.clone(),
                quoted: h.quoted,
            };
            loop {
                let line_end = self
                    .rest()
                    .find('\n')
                    .map_or(self.src.len(), |i| self.pos + i);
                let line = &self.src[self.pos..line_end];
                let bare = if h.strip_tabs {
                    line.trim_start_matches('\t')
                } else {
                    line
                };
                if bare == h.delimiter {
                    self.take(line_end - self.pos);
                    if self.pos < self.src.len() {
                        self.take(1);
                    }
                    break;
                }
                while self.pos < line_end {
                    let rest = self.rest();
                    let c = rest.chars().next().expect("before the line end");
                    if c == '\\' && !h.quoted {
                        self.backslash();
                    } else if !(c == '$' && self.dollar(|| context.clone())?) {
                        self.take(c.len_utf8());
                    }
                }
                if self.pos >= self.src.len() {
                    self.in_heredoc = None;
                    return Ok(());
                }
                self.take(1);
            }
        }
        self.in_heredoc = None;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contexts(t: &str) -> Vec<(String, Context)> {
        lex(t)
            .unwrap()
            .into_iter()
            .filter_map(|p| match p {
                Piece::Var { name, context, .. } => Some((name, context)),
                Piece::Text(_) => None,
            })
            .collect()
    }

    fn heredoc(d: &str, quoted: bool) -> Context {
        Context::Heredoc {
            delimiter: d.into(),
            quoted,
        }
    }

    #[test]
    fn every_context_is_recognised() {
        use Context::*;
        let t = r#"echo ${a} "${b}" '${c}' $(echo ${d} "x${e}") x=${f} `${g}` $((${h}+1)) $'${i}' # ${j}
cat <<EOF
${k} 'not a quote' "nor this"
EOF
cat <<-'END' ; echo "${l}"
	${m}
	END
echo "$(printf '%s' "${n}")" '"${o}"'
"#;
        let got = contexts(t);
        let want = vec![
            ("a", Bare),
            ("b", Double),
            ("c", Single),
            ("d", Bare),
            ("e", Double),
            ("f", Bare),
            ("g", Backtick),
            ("h", Arithmetic),
            ("i", AnsiC),
            ("j", Comment),
            ("k", heredoc("EOF", false)),
            ("l", Double),
            ("m", heredoc("END", true)),
            ("n", Double),
            ("o", Single),
        ];
        assert_eq!(
            got,
            want.into_iter()
                .map(|(n, c)| (n.to_string(), c))
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn shell_syntax_passes_through_and_double_dollar_is_literal() {
        assert_eq!(
            lex("echo $HOME $(id -u) $${HOME:-x} '$${lit}' \\$x").unwrap(),
            vec![Piece::Text(
                "echo $HOME $(id -u) ${HOME:-x} '${lit}' \\$x".into()
            )]
        );
        // A backslash in front of a witness variable is refused, not half-escaped.
        assert_eq!(
            contexts("echo \\${v} \"\\${w}\""),
            vec![
                ("v".into(), Context::Escaped),
                ("w".into(), Context::Escaped)
            ]
        );
    }

    #[test]
    fn a_hash_inside_a_word_is_not_a_comment_and_quotes_in_comments_do_not_open() {
        let got = contexts("echo a#${x} # don't\necho ${y}");
        assert_eq!(
            got,
            vec![("x".into(), Context::Bare), ("y".into(), Context::Bare)]
        );
    }

    #[test]
    fn unterminated_is_an_offset() {
        assert_eq!(lex("echo \"${oops"), Err(6));
    }

    #[test]
    fn values_are_written_per_context() {
        let v = "a'b\"c`d$(e)\\f";
        assert_eq!(
            shlex::split(&write(v, &Context::Bare).unwrap()).unwrap(),
            vec![v]
        );
        assert_eq!(write(v, &Context::Double).unwrap(), r#"a'b\"c\`d\$(e)\\f"#);
        assert_eq!(write(v, &Context::Single).unwrap(), r#"a'\''b"c`d$(e)\f"#);
        assert_eq!(
            write(v, &heredoc("EOF", false)).unwrap(),
            r#"a'b"c\`d\$(e)\\f"#
        );
        assert_eq!(write(v, &heredoc("EOF", true)).unwrap(), v);
        assert_eq!(
            write("x\nEOF\ny", &heredoc("EOF", false)),
            Err(QuoteProblem::EndsHeredoc {
                delimiter: "EOF".into()
            })
        );
        assert_eq!(write("a\0b", &Context::Double), Err(QuoteProblem::Nul));
        assert!(write("x", &Context::Comment).is_err());
    }
}
