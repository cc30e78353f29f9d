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

/// The quoting context a `${name}` sits in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Context {
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
    pub fn refusal(&self) -> Option<&'static str> {
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
pub enum Piece {
    /// Shell text, passed through (`$${` already turned into `${`).
    Text(String),
    /// A witness variable and the context it sits in.
    Var { name: String, context: Context },
}

/// Cut `template` into text and variables, each variable with its quoting context.
/// An unterminated `${` is returned as `Err(byte offset)`.
pub fn lex(template: &str) -> Result<Vec<Piece>, usize> {
    Lexer::new(template).run()
}

/// How `value` is written in `context`. `Err` says why it cannot be (the caller names
/// the variable).
pub fn write(value: &str, context: &Context) -> Result<String, String> {
    if value.contains('\0') {
        return Err("it holds a NUL byte, which no shell string can carry".into());
    }
    match context {
        Context::Bare => shlex::try_quote(value)
            .map(|q| q.into_owned())
            .map_err(|e| e.to_string()),
        Context::Double => Ok(escape(value, &['$', '`', '"', '\\'])),
        Context::Single => Ok(value.replace('\'', r"'\''")),
        Context::Heredoc { delimiter, quoted } => {
            if value
                .lines()
                .any(|l| l.trim_start_matches('\t') == delimiter)
            {
                return Err(format!(
                    "it holds a line `{delimiter}`, which would end the heredoc early"
                ));
            }
            Ok(if *quoted {
                value.to_string()
            } else {
                escape(value, &['$', '`', '\\'])
            })
        }
        other => Err(other
            .refusal()
            .unwrap_or("this context cannot hold a value")
            .to_string()),
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

/// One level of nesting the lexer is in.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Frame {
    /// Top level or inside `$(…)` (with its open-paren depth).
    Bare {
        parens: usize,
        subst: bool,
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
}

impl<'a> Lexer<'a> {
    fn new(src: &'a str) -> Self {
        Lexer {
            src,
            pos: 0,
            stack: vec![Frame::Bare {
                parens: 0,
                subst: false,
            }],
            pieces: Vec::new(),
            text: String::new(),
            pending: Vec::new(),
            escaped: false,
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
        if rest.starts_with("$${") {
            self.text.push_str("${");
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
                context()
            };
            self.pieces.push(Piece::Var { name, context });
            self.pos += 2 + end + 1;
            return Ok(true);
        }
        Ok(false)
    }

    fn run(mut self) -> Result<Vec<Piece>, usize> {
        while self.pos < self.src.len() {
            let frame = self.top().clone();
            match frame {
                Frame::Bare { parens, subst } => self.bare(parens, subst)?,
                Frame::Double => self.double()?,
                Frame::Single => self.single()?,
                Frame::Backtick => self.simple('`', Context::Backtick)?,
                Frame::AnsiC => self.ansi_c()?,
                Frame::Arithmetic { parens } => self.arithmetic(parens)?,
            }
        }
        self.flush();
        Ok(self.pieces)
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
                    self.take(3);
                    self.stack.push(Frame::Arithmetic { parens: 0 });
                } else if rest.starts_with("$(") {
                    self.take(2);
                    self.stack.push(Frame::Bare {
                        parens: 0,
                        subst: true,
                    });
                } else if rest.starts_with("$'") {
                    self.take(2);
                    self.stack.push(Frame::AnsiC);
                } else {
                    self.take(1);
                }
            }
            '\\' => self.backslash(),
            '\'' => {
                self.take(1);
                self.stack.push(Frame::Single);
            }
            '"' => {
                self.take(1);
                self.stack.push(Frame::Double);
            }
            '`' => {
                self.take(1);
                self.stack.push(Frame::Backtick);
            }
            '(' => {
                self.take(1);
                self.set_parens(parens + 1);
            }
            ')' => {
                self.take(1);
                if parens > 0 {
                    self.set_parens(parens - 1);
                } else if subst {
                    self.stack.pop();
                }
            }
            '#' if self.at_word_start() => self.comment()?,
            '<' if rest.starts_with("<<") && !rest.starts_with("<<<") => self.heredoc_operator(),
            '\n' => {
                self.take(1);
                self.heredoc_bodies()?;
            }
            _ => self.take(c.len_utf8()),
        }
        Ok(())
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
                self.take(1);
                self.stack.push(Frame::Backtick);
            }
            '$' => {
                if self.dollar(|| Context::Double)? {
                } else if rest.starts_with("$((") {
                    self.take(3);
                    self.stack.push(Frame::Arithmetic { parens: 0 });
                } else if rest.starts_with("$(") {
                    self.take(2);
                    self.stack.push(Frame::Bare {
                        parens: 0,
                        subst: true,
                    });
                } else {
                    self.take(1);
                }
            }
            _ => self.take(c.len_utf8()),
        }
        Ok(())
    }

    fn single(&mut self) -> Result<(), usize> {
        let rest = self.rest();
        if rest.starts_with('\'') {
            self.take(1);
            self.stack.pop();
        } else if !(rest.starts_with('$') && self.dollar(|| Context::Single)?) {
            self.take(rest.chars().next().map_or(1, char::len_utf8));
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
            self.pending.push(PendingHeredoc {
                delimiter,
                quoted,
                strip_tabs,
            });
        }
    }

    /// After a newline: the bodies of the heredocs opened on the line just ended.
    fn heredoc_bodies(&mut self) -> Result<(), usize> {
        for h in std::mem::take(&mut self.pending) {
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
                    return Ok(());
                }
                self.take(1);
            }
        }
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
                Piece::Var { name, context } => Some((name, context)),
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
        assert!(
            write("x\nEOF\ny", &heredoc("EOF", false))
                .unwrap_err()
                .contains("end the heredoc early")
        );
        assert!(write("a\0b", &Context::Double).unwrap_err().contains("NUL"));
        assert!(write("x", &Context::Comment).is_err());
    }
}
