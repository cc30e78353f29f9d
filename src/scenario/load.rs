//! Loading: TOML text → [`ScenarioWire`] → validated [`Scenario`], with `file:line:col` errors.
//!
//! A load error never aborts the run: the runner turns it into a failing trial whose
//! message is this module's diagnostic, so `--list` and the other scenarios still work.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use regex::Regex;
use toml::Spanned;

use super::model::*;
use super::wire::*;
use crate::error::LoadError;
use crate::interp::shell::{self, Piece};

/// Default per-step deadline when a step names none.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// The scenario (or action) files of a folder: every `*.toml` directly in it, sorted by name.
/// The one place that says what a scenario file is, for the runner, the actions, `witness
/// check` and xtask.
pub fn toml_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|x| x == "toml") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Read and validate one scenario file.
pub fn load_file(path: &Path) -> Result<Scenario, LoadError> {
    let src = std::fs::read_to_string(path).map_err(|e| LoadError::Io {
        file: path.to_path_buf(),
        source: e,
    })?;
    load_str(path, &src)
}

/// Validate scenario text; `path` is used for the id and in messages.
pub fn load_str(path: &Path, src: &str) -> Result<Scenario, LoadError> {
    let cx = Cx { path, src };
    let wire: ScenarioWire = toml::from_str(src).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        cx.err(span, e.message().trim_end().to_string())
    })?;
    cx.scenario(wire)
}

/// Load context: knows the file so every error can point into it.
struct Cx<'a> {
    path: &'a Path,
    src: &'a str,
}

impl Cx<'_> {
    fn err(&self, span: Range<usize>, diagnostic: impl Into<String>) -> LoadError {
        let (line, col) = line_col(self.src, span.start);
        let line_text = self.src.lines().nth(line - 1).unwrap_or("").to_string();
        LoadError::Invalid {
            file: self.path.to_path_buf(),
            line,
            col,
            diagnostic: diagnostic.into(),
            line_text,
        }
    }

    fn scenario(&self, w: ScenarioWire) -> Result<Scenario, LoadError> {
        let id = self
            .path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        for field in [&w.title, &w.claim] {
            if field.get_ref().trim().is_empty() {
                return Err(self.err(field.span(), "must not be empty"));
            }
        }
        if w.steps.is_empty() && w.steps_from.is_none() {
            return Err(self.err(0..0, "a scenario needs at least one `[[steps]]` table"));
        }
        let mut redact = w
            .redact
            .iter()
            .map(|r| Ok((self.regex(&r.regex)?, r.replace.clone())))
            .collect::<Result<Vec<_>, LoadError>>()?;

        let mut uses = Vec::new();
        for u in &w.uses {
            if !is_ident(u.get_ref()) {
                return Err(self.err(u.span(), format!("`{}` is not an action name", u.get_ref())));
            }
            uses.push((u.get_ref().clone(), self.loc(u.span().start)));
        }
        let mut marks: Vec<String> = Vec::new();
        let mut steps = Vec::new();
        if let Some(from) = &w.steps_from {
            let sibling = self.steps_from(from, &w.steps, &uses)?;
            if sibling.mutates && !w.mutates {
                return Err(self.err(
                    from.span(),
                    "these steps change the target, but the scenario is not marked `mutates = true`",
                ));
            }
            redact.extend(sibling.redact);
            steps = sibling.steps;
        }
        // A `[[steps]]` element's span may cover only its header; its text runs to the next
        // step (or the end of the file), which is where its `${…}` are looked up.
        let starts: Vec<usize> = w.steps.iter().map(|s| s.span().start).collect();
        for (i, s) in w.steps.into_iter().enumerate() {
            let span = s.span();
            let end = starts
                .get(i + 1)
                .copied()
                .unwrap_or(self.src.len())
                .max(span.end);
            let step = self.step(i + 1, s.into_inner(), span.clone(), span.start..end, &marks)?;
            if let StepKind::Journal(JournalStep::Mark { var }) = &step.kind {
                marks.push(var.clone());
            }
            if step.kind.mutates() && !w.mutates {
                return Err(self.err(
                    span,
                    format!(
                        "step {} ({}) changes the target, but the scenario is not marked `mutates = true`",
                        i + 1,
                        step.name
                    ),
                ));
            }
            steps.push(step);
        }
        Ok(Scenario {
            id,
            path: self.path.to_path_buf(),
            title: w.title.into_inner(),
            claim: w.claim.into_inner().trim().to_string(),
            mutates: w.mutates,
            builds: w.builds,
            ignore: w.ignore,
            uses,
            redact,
            steps,
        })
    }

    /// The steps of the sibling scenario `from` names, for `steps_from`: only instead of
    /// `[[steps]]`, never a chain, and only when this scenario uses every action it does.
    fn steps_from(
        &self,
        from: &Spanned<String>,
        own: &[Spanned<StepWire>],
        uses: &[(String, Loc)],
    ) -> Result<Scenario, LoadError> {
        let span = from.span();
        if !own.is_empty() {
            return Err(self.err(
                span,
                "`steps_from` takes the steps of another scenario: remove this file's `[[steps]]`, or `steps_from`",
            ));
        }
        let name = from.get_ref();
        if !is_ident(name) {
            return Err(self.err(span, format!("`{name}` is not a scenario's file stem")));
        }
        let file = self
            .path
            .parent()
            .unwrap_or(Path::new("."))
            .join(format!("{name}.toml"));
        let src = std::fs::read_to_string(&file)
            .map_err(|e| self.err(span.clone(), format!("{}: {e}", file.display())))?;
        if toml::from_str::<ScenarioWire>(&src).is_ok_and(|w| w.steps_from.is_some()) {
            return Err(self.err(
                span,
                format!("`{name}` takes its steps from another scenario itself: name that one"),
            ));
        }
        let sibling = load_str(&file, &src)?;
        if let Some((action, _)) = sibling
            .uses
            .iter()
            .find(|(a, _)| !uses.iter().any(|(u, _)| u == a))
        {
            return Err(self.err(
                span,
                format!("`{name}` uses the action `{action}`: add it to this scenario's `uses`"),
            ));
        }
        Ok(sibling)
    }

    fn step(
        &self,
        n: usize,
        mut w: StepWire,
        span: Range<usize>,
        extent: Range<usize>,
        marks: &[String],
    ) -> Result<Step, LoadError> {
        self.one_kind(n, &w, span)?;
        let kind = self.kind(&mut w, marks)?;
        let name = w.name.unwrap_or_else(|| default_name(&kind));
        let timeout = match &w.timeout {
            Some(t) => self.duration(t)?,
            None => DEFAULT_TIMEOUT,
        };
        let retry = match &w.retry {
            Some(r) => Some(self.retry(r)?),
            None => None,
        };
        let record = record(w.record);
        let capture = self.captures(&w.capture)?;
        let expect = self.expect(w.expect)?;
        let mut defines = kind_defines(&kind);
        for re in &capture {
            defines.extend(re.capture_names().flatten().map(str::to_string));
        }
        let refs = self.refs(extent, &kind, &expect);
        let observe = match w.observe {
            Some(o) => Some(self.observe(o, &kind)?),
            None => None,
        };
        Ok(Step {
            observe,
            name,
            timeout,
            expect,
            capture,
            retry,
            record,
            kind,
            refs,
            defines,
        })
    }

    /// A step has exactly one kind (`run`, `systemd`, …).
    fn one_kind(&self, n: usize, w: &StepWire, span: Range<usize>) -> Result<(), LoadError> {
        let kinds: Vec<(&str, Range<usize>)> = [
            ("run", w.run.as_ref().map(Spanned::span)),
            ("systemd", w.systemd.as_ref().map(Spanned::span)),
            ("journal", w.journal.as_ref().map(Spanned::span)),
            ("http", w.http.as_ref().map(Spanned::span)),
            ("drone", w.drone.as_ref().map(Spanned::span)),
            ("process", w.process.as_ref().map(Spanned::span)),
            ("commands", w.commands.as_ref().map(Spanned::span)),
            ("units", w.units.as_ref().map(Spanned::span)),
            ("value", w.value.as_ref().map(Spanned::span)),
        ]
        .into_iter()
        .filter_map(|(name, sp)| Some((name, sp?)))
        .collect();
        match kinds.as_slice() {
            [] => Err(self.err(
                span,
                format!("step {n} has no kind: add one of `run`, `systemd`, `journal`, `http`, `drone`, `process`, `commands`, `units`, `value`"),
            )),
            [_] => Ok(()),
            [_, (second, sp), ..] => Err(self.err(
                sp.clone(),
                format!("step {n} has more than one kind (`{}` and `{second}`): split it into two steps", kinds[0].0),
            )),
        }
    }

    /// The step's one kind (taken out of `w`), validated.
    fn kind(&self, w: &mut StepWire, marks: &[String]) -> Result<StepKind, LoadError> {
        Ok(if let Some(r) = w.run.take() {
            let r = r.into_inner();
            if r.cmd.get_ref().trim().is_empty() {
                return Err(self.err(r.cmd.span(), "`cmd` must not be empty"));
            }
            let env = self.run_env(r.env)?;
            let names: Vec<String> = env.keys().cloned().collect();
            self.shell_contexts(&r.cmd, &names)?;
            StepKind::Run(RunStep {
                cmd: r.cmd.into_inner(),
                local: r.local,
                cwd: r.cwd,
                env,
            })
        } else if let Some(s) = w.systemd.take() {
            self.systemd(s)?
        } else if let Some(j) = w.journal.take() {
            self.journal(j, marks)?
        } else if let Some(h) = w.http.take() {
            self.http(h)?
        } else if let Some(d) = w.drone.take() {
            self.drone(d)?
        } else if let Some(p) = w.process.take() {
            self.process(p)?
        } else if let Some(c) = w.commands.take() {
            let c = c.into_inner();
            StepKind::Commands(CommandsStep {
                dirs: c.dirs.into_iter().map(value_step).collect(),
                names: c.names,
                read_under: c.read_under.into_iter().collect(),
            })
        } else if let Some(u) = w.units.take() {
            let span = u.span();
            let u = u.into_inner();
            if u.holding.is_none() && u.also.is_empty() {
                return Err(self.err(
                    span,
                    "`units` lists the units whose closure holds `holding`, and those named in `also`: give one",
                ));
            }
            if u.system.is_some() == u.live {
                return Err(self.err(
                    span,
                    "`units` reads exactly one of a built system (`system = \"<toplevel>\"`) or the running host (`live = true`)",
                ));
            }
            StepKind::Units(UnitsStep {
                system: u.system,
                holding: u.holding,
                also: u.also,
                scripts: u.scripts.into_iter().collect(),
            })
        } else if let Some(v) = w.value.take() {
            StepKind::Value(value_step(v.into_inner()))
        } else {
            unreachable!("exactly one kind was checked above")
        })
    }

    fn retry(&self, r: &RetryWire) -> Result<Retry, LoadError> {
        let retry = Retry {
            interval: self.duration(&r.interval)?,
            deadline: self.duration(&r.deadline)?,
        };
        if retry.interval.is_zero() || retry.interval > retry.deadline {
            return Err(self.err(
                r.interval.span(),
                "`interval` must be above zero and not longer than `deadline`",
            ));
        }
        Ok(retry)
    }

    /// Capture regexes, each with a named group.
    fn captures(&self, capture: &[Spanned<String>]) -> Result<Vec<Regex>, LoadError> {
        capture
            .iter()
            .map(|c| {
                let re = self.regex(c)?;
                if re.capture_names().flatten().next().is_none() {
                    return Err(self.err(
                        c.span(),
                        "a capture regex needs a named group, e.g. `(?P<name>…)`",
                    ));
                }
                Ok(re)
            })
            .collect()
    }

    fn systemd(&self, s: Spanned<SystemdWire>) -> Result<StepKind, LoadError> {
        let span = s.span();
        let s = s.into_inner();
        let modes = [
            s.unit.is_some(),
            s.failed.is_some(),
            s.start.is_some(),
            s.wait.is_some(),
        ];
        if modes.iter().filter(|m| **m).count() != 1 {
            return Err(self.err(
                span,
                "a `systemd` step needs exactly one of `unit` (show properties), `failed` (no failed units), `start` (start and wait) or `wait` (wait for the current run)",
            ));
        }
        if !s.properties.is_empty() && s.unit.is_none() {
            return Err(self.err(span, "`properties` needs a `unit`"));
        }
        if (s.no_block && s.start.is_none())
            || (s.invocation_var.is_some() && s.start.is_none() && s.wait.is_none())
        {
            return Err(self.err(
                span,
                "`no_block` goes with `start`, `invocation_var` with `start` or `wait`",
            ));
        }
        let any_result = match (s.result.as_deref(), s.wait.is_some()) {
            (None | Some("success"), _) => false,
            (Some("any"), true) => true,
            (Some("any"), false) => return Err(self.err(span, "`result` goes with `wait`")),
            (Some(other), _) => {
                return Err(self.err(
                    span,
                    format!(
                        "`result = \"{other}\"`: the result is `success` (the default) or `any`"
                    ),
                ));
            }
        };
        let invocation_var = s.invocation_var.unwrap_or_else(|| "invocation".into());
        if !is_ident(&invocation_var) {
            return Err(self.err(
                span,
                format!("`invocation_var = \"{invocation_var}\"` is not a variable name"),
            ));
        }
        Ok(StepKind::Systemd(if let Some(unit) = s.unit {
            SystemdStep::Show {
                unit,
                properties: s.properties,
            }
        } else if let Some(f) = s.failed {
            SystemdStep::NoFailed {
                allow: f
                    .allow
                    .into_iter()
                    .map(|w| self.waiver(w.into_inner()))
                    .collect::<Result<_, _>>()?,
            }
        } else if let Some(unit) = s.wait {
            SystemdStep::Wait {
                unit,
                invocation_var,
                any_result,
            }
        } else {
            SystemdStep::Start {
                unit: s.start.unwrap_or_default(),
                no_block: s.no_block,
                invocation_var,
            }
        }))
    }

    fn journal(&self, j: Spanned<JournalWire>, marks: &[String]) -> Result<StepKind, LoadError> {
        let span = j.span();
        let j = j.into_inner();
        match (j.mark, j.unit, j.after) {
            (None, Some(unit), None) if j.invocation.is_some() => {
                Ok(StepKind::Journal(JournalStep::Read {
                    unit,
                    scope: JournalScope::Invocation(j.invocation.map(Spanned::into_inner).unwrap_or_default()),
                    output: j.output.unwrap_or_else(|| "cat".into()),
                }))
            }
            (_, _, Some(after)) if j.invocation.is_some() => Err(self.err(
                after.span(),
                "give `after` (a cursor mark) or `invocation` (one run of the unit), not both",
            )),
            (Some(var), None, None) => {
                if !is_ident(&var) {
                    return Err(self.err(span, format!("`mark = \"{var}\"` is not a variable name")));
                }
                Ok(StepKind::Journal(JournalStep::Mark { var }))
            }
            (None, Some(unit), Some(after)) => {
                if !marks.iter().any(|m| m == after.get_ref()) {
                    return Err(self.err(
                        after.span(),
                        format!(
                            "`after = \"{}\"` names no earlier `journal = {{ mark = … }}` step (marks so far: {})",
                            after.get_ref(),
                            if marks.is_empty() { "none".to_string() } else { marks.join(", ") }
                        ),
                    ));
                }
                Ok(StepKind::Journal(JournalStep::Read {
                    unit,
                    scope: JournalScope::After(after.into_inner()),
                    output: j.output.unwrap_or_else(|| "cat".into()),
                }))
            }
            (None, Some(_), None) => Err(self.err(
                span,
                "a journal read needs `after = \"<mark>\"` or `invocation = \"${…}\"`: reading without either could match an earlier run's lines",
            )),
            _ => Err(self.err(
                span,
                "a `journal` step is `{ mark = \"name\" }`, `{ unit = \"…\", after = \"name\" }` or `{ unit = \"…\", invocation = \"${…}\" }`",
            )),
        }
    }

    fn http(&self, h: Spanned<HttpWire>) -> Result<StepKind, LoadError> {
        let h = h.into_inner();
        let method = h.method.unwrap_or(MethodWire::Get).as_str().to_string();
        let json = h
            .json
            .into_iter()
            .map(|(k, v)| {
                let v = serde_json::to_value(&v).unwrap_or(serde_json::Value::Null);
                (k, v)
            })
            .collect::<BTreeMap<_, _>>();
        if let Some(bad) = json.keys().find(|k| !k.is_empty() && !k.starts_with('/')) {
            return Err(self.err(
                h.url.span(),
                format!("JSON pointer `{bad}` must be empty or start with `/`"),
            ));
        }
        Ok(StepKind::Http(HttpStep {
            method,
            url: h.url.into_inner(),
            headers: h.headers,
            bearer_secret: h.bearer_secret,
            body: h.body,
            status: h.status.unwrap_or(200),
            json,
            ca_file: h.ca_file,
        }))
    }

    fn drone(&self, d: Spanned<DroneWire>) -> Result<StepKind, LoadError> {
        let span = d.span();
        let d = d.into_inner();
        if d.trigger.is_some() == d.build.is_some() {
            return Err(self.err(
                span,
                "a `drone` step needs exactly one of `trigger = { params = … }` (a new build) or `build = \"N\"` (an existing one)",
            ));
        }
        if !d.repo.contains("${") && d.repo.split('/').count() != 2 {
            return Err(self.err(
                span,
                format!("`repo = \"{}\"` must be `owner/name`", d.repo),
            ));
        }
        let poll = match &d.poll {
            Some(p) => self.duration(p)?,
            None => Duration::from_secs(5),
        };
        let log_at = match &d.log {
            Some(l) => {
                let parsed = l
                    .get_ref()
                    .split_once('/')
                    .and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)));
                match parsed {
                    Some(at) => Some(at),
                    None => {
                        return Err(self.err(
                            l.span(),
                            format!(
                                "`log = \"{}\"` must be `STAGE/STEP` numbers, e.g. \"1/2\"",
                                l.get_ref()
                            ),
                        ));
                    }
                }
            }
            None => None,
        };
        Ok(StepKind::Drone(DroneStep {
            log_at,
            server: d.server,
            repo: d.repo,
            token_secret: d.token_secret,
            trigger: d.trigger.map(|t| DroneTrigger {
                branch: t.branch,
                commit: t.commit,
                params: t.params,
            }),
            build: d.build,
            status: d.status.unwrap_or_else(|| "success".into()),
            log_step: d.log_step,
            poll,
            build_var: d.build_var.unwrap_or_else(|| "build".into()),
            wait: d.wait.unwrap_or(true),
        }))
    }

    /// A step's observing counterpart: one of `systemd` (on a `systemd.start` step, the
    /// same unit) or `drone` (on a `drone.trigger` step), and a bound.
    fn observe(&self, o: Spanned<ObserveWire>, kind: &StepKind) -> Result<Observe, LoadError> {
        let span = o.span();
        let o = o.into_inner();
        let within = match &o.within {
            Some(w) => self.duration(w)?,
            None => DEFAULT_OBSERVE_WITHIN,
        };
        let what = match (o.systemd, o.drone, kind) {
            (Some(s), None, StepKind::Systemd(SystemdStep::Start { unit, .. })) => {
                if &s.next != unit {
                    return Err(self.err(
                        span,
                        format!(
                            "`observe.systemd.next = \"{}\"` must name the unit the step starts, `{unit}`",
                            s.next
                        ),
                    ));
                }
                ObserveWhat::UnitStart(s.next)
            }
            (
                None,
                Some(d),
                StepKind::Drone(DroneStep {
                    trigger: Some(_), ..
                }),
            ) if d.next => ObserveWhat::DroneBuild,
            _ => {
                return Err(self.err(
                    span,
                    "`observe` goes on a step that changes the target, with exactly one of `systemd = { next = \"<the unit it starts>\" }` (on `systemd.start`) or `drone = { next = true }` (on `drone.trigger`)",
                ));
            }
        };
        Ok(Observe { within, what })
    }

    fn expect(&self, e: ExpectWire) -> Result<Expect, LoadError> {
        let res = |v: &[Spanned<String>]| {
            v.iter()
                .map(|r| self.regex(r))
                .collect::<Result<Vec<_>, _>>()
        };
        let contains = match e.contains {
            Some(c) => Some(Contains {
                item: self.regex(&c.item)?,
                all_of: c.all_of,
                normalize: match c.normalize {
                    None | Some(ContainsNormalizeWire::None) => Normalize::None,
                    Some(ContainsNormalizeWire::StorePath) => Normalize::StorePath,
                },
            }),
            None => None,
        };
        let subset_of = match e.subset_of {
            Some(so) => Some(SubsetOf {
                var: so.var,
                platform: so.platform,
                except: so
                    .except
                    .into_iter()
                    .map(|w| self.tool_waiver(w.into_inner()))
                    .collect::<Result<_, _>>()?,
            }),
            None => None,
        };
        let each_line = e
            .each_line
            .into_iter()
            .map(|k| self.line_kind(k))
            .collect::<Result<Vec<_>, _>>()?;
        let regression = match e.regression {
            Some(r) => Some(r.load(&super::regression::LoadCx {
                regex: &|r| self.regex(r),
                expiry: &|d, what| self.expiry(d, what),
                err: &|span, msg| self.err(span, msg),
            })?),
            None => None,
        };
        Ok(Expect {
            each_line,
            subset_of,
            regression,
            exit: if e.any_exit {
                None
            } else {
                Some(e.exit.unwrap_or(0))
            },
            stdout: res(&e.stdout)?,
            stdout_absent: res(&e.stdout_absent)?,
            stderr: res(&e.stderr)?,
            stderr_absent: res(&e.stderr_absent)?,
            stdout_in_order: res(&e.stdout_in_order)?,
            stdout_equals: e.stdout_equals,
            count: e
                .count
                .iter()
                .map(|c| Ok((self.regex(&c.regex)?, c.lines)))
                .collect::<Result<Vec<_>, LoadError>>()?,
            contains,
            same_as: match e.same_as {
                Some(sa) => Some(SameAs {
                    lines: match &sa.lines {
                        Some(l) => Some(self.regex(l)?),
                        None => None,
                    },
                    except: sa
                        .except
                        .into_iter()
                        .map(|w| self.tool_waiver(w.into_inner()))
                        .collect::<Result<_, _>>()?,
                    var: sa.var,
                    platform: sa.platform,
                    normalize: sa
                        .normalize
                        .iter()
                        .map(|n| match n {
                            SameNormalizeWire::StorePath => SameNormalize::StorePath,
                            SameNormalizeWire::SortedLines => SameNormalize::SortedLines,
                        })
                        .collect(),
                }),
                None => None,
            },
        })
    }

    /// One declared kind of an `each_line` check.
    fn line_kind(&self, k: Spanned<LineKindWire>) -> Result<LineKind, LoadError> {
        let span = k.span();
        let k = k.into_inner();
        if k.is.trim().is_empty() {
            return Err(self.err(
                span,
                "`is` must say why lines of this kind belong (it is shown in the evidence)",
            ));
        }
        let matcher = match (&k.regex, k.line_of) {
            (Some(re), None) => LineMatcher::Regex(self.regex(re)?),
            (None, Some(var)) => LineMatcher::LineOf(var),
            (Some(re), Some(var)) => {
                let compiled = self.regex(re)?;
                if !compiled.capture_names().flatten().any(|n| n == "value") {
                    return Err(self.err(
                        re.span(),
                        "with `line_of`, the regex picks the part of the line that must be one of the variable's lines: give it a `(?P<value>…)` group",
                    ));
                }
                LineMatcher::ValueOf(compiled, var)
            }
            (None, None) => {
                return Err(self.err(
                    span,
                    "an `each_line` kind has a `regex` (the line matches it), a `line_of` (the line is one of a variable's lines), or both (its `value` group is)",
                ));
            }
        };
        Ok(LineKind { matcher, is: k.is })
    }

    fn process(&self, p: Spanned<ProcessWire>) -> Result<StepKind, LoadError> {
        let span = p.span();
        let p = p.into_inner();
        let env = match p.env {
            EnvWire::Names(names) => EnvSelection::Names(names),
            EnvWire::All(AllWire::All) => EnvSelection::All,
        };
        let named = match &env {
            EnvSelection::Names(names) => names.as_slice(),
            EnvSelection::All => &[],
        };
        for name in named.iter().chain(&p.resolve) {
            if name.is_empty() || name.contains(['/', '=', ' ', '\'', '"', '$']) {
                return Err(self.err(
                    span,
                    format!("`{name}` is not a plain variable or tool name"),
                ));
            }
        }
        let poll = p.poll.as_ref().map(|d| self.duration(d)).transpose()?;
        if poll.is_some_and(|d| d.is_zero()) {
            return Err(self.err(span, "`poll` must be a pause, not 0".to_string()));
        }
        if poll.is_none()
            && let Some(w) = &p.while_running
        {
            return Err(self.err(
                w.span(),
                "`while_running` bounds a `poll` watch: add `poll`".to_string(),
            ));
        }
        Ok(StepKind::Process(ProcessStep {
            unit: p.unit,
            cmdline: self.regex(&p.cmdline)?,
            env,
            resolve: p.resolve,
            fail_on_missing: !matches!(p.missing, Some(MissingWire::Record)),
            inventory: p.inventory,
            poll,
            while_running: p
                .while_running
                .as_ref()
                .map(|r| self.regex(r))
                .transpose()?,
        }))
    }

    /// A run step's `env`: names a shell can carry and that neither the shell nor the
    /// loader reads for itself (a value in `PATH`, `BASH_ENV` or `LD_PRELOAD` would choose
    /// what runs).
    fn run_env(
        &self,
        env: Option<Spanned<BTreeMap<String, String>>>,
    ) -> Result<BTreeMap<String, String>, LoadError> {
        let Some(env) = env else {
            return Ok(BTreeMap::new());
        };
        let span = env.span();
        let env = env.into_inner();
        for name in env.keys() {
            if !is_ident(name) {
                return Err(self.err(
                    span.clone(),
                    format!(
                        "`env` name `{name}` is not a shell variable name ([A-Za-z_][A-Za-z0-9_]*)"
                    ),
                ));
            }
            if let Some(why) = reserved_env(name) {
                return Err(self.err(
                    span.clone(),
                    format!("`env` name `{name}` is {why}; choose another name"),
                ));
            }
        }
        Ok(env)
    }

    /// Refuse a `${name}` the shell command puts where no value can be written safely
    /// (backticks, `$((…))`, `$'…'`, a comment, after a backslash), or where a second program
    /// would parse it as code (`bash -c`, `eval`, `ssh`, a heredoc into a shell, …: see
    /// [`crate::interp::shell::analyse`]), at its own line and column: the k-th `${name}`
    /// of the command is looked up as the k-th in its source text.
    fn shell_contexts(&self, cmd: &Spanned<String>, env: &[String]) -> Result<(), LoadError> {
        let span = cmd.span();
        let (pieces, sites) = shell::analyse(cmd.get_ref(), env).map_err(|_| {
            self.err(
                span.clone(),
                "unterminated `${` in `cmd` (write `$${` for the shell's own `${`)",
            )
        })?;
        let source = self.src.get(span.clone()).unwrap_or("");
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        for p in &pieces {
            let Piece::Var { name, context, .. } = p else {
                continue;
            };
            let k = seen.entry(name).or_default();
            *k += 1;
            if let Some(why) = context.refusal() {
                let needle = format!("${{{name}}}");
                let at = source
                    .match_indices(&needle)
                    .nth(*k - 1)
                    .map_or(span.start, |(i, _)| span.start + i);
                return Err(self.err(at..at, format!("`${{{name}}}` cannot be used {why}")));
            }
        }
        if let Some(site) = sites.first() {
            // Locate it in the source: the k-th occurrence of its text in the command.
            let k = cmd.get_ref()[..site.at].matches(&site.what).count();
            let at = source
                .match_indices(&site.what)
                .nth(k)
                .map_or(span.start, |(i, _)| span.start + i);
            let rewrite = match site
                .what
                .strip_prefix("${")
                .and_then(|w| w.strip_suffix('}'))
            {
                _ if site.reader.starts_with("`ssh`") => {
                    "ssh carries no environment, so no value can reach a remote shell safely; \
                    make that host a target of its own and run the command there"
                        .to_string()
                }
                Some(var) => {
                    let env_name = env_name_for(var);
                    format!(
                        "pass it through the environment instead: add `env = {{ {env_name} = \"${{{var}}}\" }}` to this `run` and write `\"${env_name}\"` inside the inner program, where that program expands it as data"
                    )
                }
                None => format!(
                    "write `{}` so that the outer shell does not expand it (inside single quotes), so the inner program expands it as data",
                    site.what
                ),
            };
            return Err(self.err(
                at..at,
                format!(
                    "`{}` reaches {}: a value from the target could run as code; {rewrite}",
                    site.what, site.reader
                ),
            ));
        }
        Ok(())
    }

    fn tool_waiver(&self, w: ExceptWire) -> Result<ToolWaiver, LoadError> {
        let named: Vec<&str> = w
            .tools
            .iter()
            .chain(&w.packages)
            .map(String::as_str)
            .collect();
        let what = if named.is_empty() {
            "an exception".to_string()
        } else {
            format!("exception for `{}`", named.join(", "))
        };
        let date = self.expiry(&w.expires, &what)?;
        let blank = |l: &[String]| l.iter().any(|t| t.trim().is_empty());
        if (w.tools.is_empty() && w.packages.is_empty()) || blank(&w.tools) || blank(&w.packages) {
            return Err(self.err(
                w.expires.span(),
                format!("{what} names no tool and no package"),
            ));
        }
        if w.reason.trim().is_empty() {
            return Err(self.err(w.expires.span(), format!("{what} needs a reason")));
        }
        Ok(ToolWaiver {
            tools: w.tools,
            packages: w.packages,
            reason: w.reason,
            expires: date,
        })
    }

    /// A waiver's `expires`: a real `YYYY-MM-DD` date.
    fn expiry(&self, expires: &Spanned<String>, what: &str) -> Result<String, LoadError> {
        let date = expires.get_ref();
        let valid = crate::judging::is_date(date);
        if !valid {
            return Err(self.err(
                expires.span(),
                format!("{what}: `expires = \"{date}\"` is not a date (write YYYY-MM-DD)"),
            ));
        }
        Ok(date.clone())
    }

    fn waiver(&self, w: WaiverWire) -> Result<Waiver, LoadError> {
        let date = w.expires.get_ref();
        let valid = crate::judging::is_date(date);
        if !valid {
            return Err(self.err(
                w.expires.span(),
                format!(
                    "waiver of `{}`: `expires = \"{date}\"` is not a date (write YYYY-MM-DD)",
                    w.unit
                ),
            ));
        }
        if w.reason.trim().is_empty() {
            return Err(self.err(
                w.expires.span(),
                format!("waiver of `{}` needs a reason", w.unit),
            ));
        }
        Ok(Waiver {
            unit: w.unit,
            reason: w.reason,
            expires: date.clone(),
        })
    }

    /// Where a byte offset is, for errors found later.
    fn loc(&self, offset: usize) -> Loc {
        let (line, col) = line_col(self.src, offset);
        Loc {
            line,
            col,
            line_text: self.src.lines().nth(line - 1).unwrap_or("").to_string(),
        }
    }

    /// The variables a step reads, each located at its first `${name}` in the step's text
    /// (or at the step when it is named without `${}`, as `same_as.var` is).
    fn refs(&self, span: Range<usize>, kind: &StepKind, expect: &Expect) -> Vec<VarRef> {
        let (templates, named) = step_templates(kind, expect);
        let text = self.src.get(span.clone()).unwrap_or("");
        let mut out: Vec<VarRef> = Vec::new();
        let mut add = |name: String, needle: String| {
            if out.iter().any(|r| r.name == name) {
                return;
            }
            let at = text
                .find(&needle)
                .map(|i| span.start + i)
                .unwrap_or(span.start);
            out.push(VarRef {
                loc: self.loc(at),
                name,
            });
        };
        for t in templates {
            for name in template_names(t) {
                add(name.clone(), format!("${{{name}}}"));
            }
        }
        for name in named {
            add(name.to_string(), format!("\"{name}\""));
        }
        out
    }

    /// Compile in multi-line mode, so `^…$` anchor at line boundaries as in `grep`.
    fn regex(&self, r: &Spanned<String>) -> Result<Regex, LoadError> {
        Regex::new(&format!("(?m){}", r.get_ref())).map_err(|e| {
            self.err(
                r.span(),
                format!("invalid regex: {}", first_line_of_regex_error(&e)),
            )
        })
    }

    fn duration(&self, d: &Spanned<String>) -> Result<Duration, LoadError> {
        humantime::parse_duration(d.get_ref()).map_err(|e| {
            self.err(
                d.span(),
                format!(
                    "invalid duration `{}`: {e} (write e.g. \"30s\", \"5m\")",
                    d.get_ref()
                ),
            )
        })
    }
}

/// What of a step's output the evidence keeps (all of it unless the file says otherwise).
fn record(w: Option<RecordWire>) -> Record {
    match w {
        None | Some(RecordWire::All) => Record::All,
        Some(RecordWire::Matched) => Record::Matched,
        Some(RecordWire::None) => Record::None,
    }
}

fn default_name(kind: &StepKind) -> String {
    match kind {
        StepKind::Run(r) => r.cmd.lines().next().unwrap_or("").trim().to_string(),
        StepKind::Systemd(SystemdStep::Show { unit, .. }) => format!("systemctl show {unit}"),
        StepKind::Systemd(SystemdStep::NoFailed { .. }) => "no failed units".into(),
        StepKind::Systemd(SystemdStep::Start {
            unit,
            no_block: false,
            ..
        }) => format!("start {unit} and wait"),
        StepKind::Systemd(SystemdStep::Start { unit, .. }) => format!("start {unit} (no wait)"),
        StepKind::Systemd(SystemdStep::Wait { unit, .. }) => format!("wait for {unit} to finish"),
        StepKind::Process(p) => format!(
            "a process of {} matching /{}/",
            p.unit,
            p.cmdline.as_str().trim_start_matches("(?m)")
        ),
        StepKind::Drone(d) => match &d.build {
            Some(b) => format!("drone build {b} of {}", d.repo),
            None => format!("trigger a drone build of {}", d.repo),
        },
        StepKind::Journal(JournalStep::Mark { var }) => format!("journal mark {var}"),
        StepKind::Journal(JournalStep::Read {
            unit,
            scope: JournalScope::After(after),
            ..
        }) => format!("journal of {unit} after {after}"),
        StepKind::Journal(JournalStep::Read {
            unit,
            scope: JournalScope::Invocation(id),
            ..
        }) => format!("journal of {unit} run {id}"),
        StepKind::Http(h) => format!("{} {}", h.method, h.url),
        StepKind::Commands(c) => format!(
            "the commands of {}",
            c.dirs
                .iter()
                .map(|d| d.of.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        StepKind::Units(u) => format!(
            "the units of {} {}",
            u.system.as_deref().unwrap_or("the running host"),
            match &u.holding {
                Some(h) => format!("holding {h}"),
                None => format!("named {}", u.also.join(", ")),
            }
        ),
        StepKind::Value(ValueStep {
            of, under: None, ..
        }) => format!("the value of {of}"),
        StepKind::Value(ValueStep {
            of, under: Some(u), ..
        }) => {
            format!("the lines of {of} under `{u}`")
        }
    }
}

/// A value: a whole template, or its lines under a prefix.
fn value_step(v: ValueWire) -> ValueStep {
    match v {
        ValueWire::Whole(of) => ValueStep {
            of,
            under: None,
            split: None,
        },
        ValueWire::Under(u) => ValueStep {
            of: u.of,
            under: Some(u.under),
            split: u.split.filter(|s| !s.is_empty()),
        },
    }
}

/// Variables a step kind defines by itself (captures are added by the caller).
fn kind_defines(kind: &StepKind) -> Vec<String> {
    match kind {
        StepKind::Journal(JournalStep::Mark { var }) => vec![var.clone()],
        StepKind::Systemd(SystemdStep::Start { invocation_var, .. })
        | StepKind::Systemd(SystemdStep::Wait { invocation_var, .. }) => {
            vec![invocation_var.clone()]
        }
        // A drone step that waits for the end records how it ended as `${build_status}`.
        StepKind::Drone(d) if d.wait => vec![
            d.build_var.clone(),
            "build_status".into(),
            "build_commit".into(),
        ],
        StepKind::Drone(d) => vec![d.build_var.clone()],
        StepKind::Process(p) if p.inventory => vec![INVENTORY_VAR.into(), CWD_VAR.into()],
        StepKind::Process(_) => vec![CWD_VAR.into()],
        _ => Vec::new(),
    }
}

/// Every string of a step that is interpolated, and the variables it names directly.
fn step_templates<'a>(kind: &'a StepKind, e: &'a Expect) -> (Vec<&'a str>, Vec<&'a str>) {
    let mut t: Vec<&str> = Vec::new();
    let mut named: Vec<&str> = Vec::new();
    match kind {
        StepKind::Run(r) => {
            t.push(&r.cmd);
            t.extend(r.cwd.as_deref());
            t.extend(r.env.values().map(String::as_str));
        }
        StepKind::Systemd(SystemdStep::Show { unit, properties }) => {
            t.push(unit);
            t.extend(properties.values().map(String::as_str));
        }
        StepKind::Systemd(SystemdStep::NoFailed { allow }) => {
            t.extend(allow.iter().map(|w| w.unit.as_str()))
        }
        StepKind::Systemd(SystemdStep::Start { unit, .. } | SystemdStep::Wait { unit, .. }) => {
            t.push(unit)
        }
        StepKind::Journal(JournalStep::Mark { .. }) => {}
        StepKind::Journal(JournalStep::Read { unit, scope, .. }) => {
            t.push(unit);
            match scope {
                JournalScope::After(mark) => named.push(mark),
                JournalScope::Invocation(id) => t.push(id),
            }
        }
        StepKind::Http(h) => {
            t.push(&h.url);
            t.extend(h.headers.values().map(String::as_str));
            t.extend(h.body.as_deref());
            named.extend(h.bearer_secret.as_deref());
        }
        StepKind::Drone(d) => {
            t.extend([d.server.as_str(), d.repo.as_str(), d.status.as_str()]);
            t.extend(d.log_step.as_deref());
            t.extend(d.build.as_deref());
            if let Some(tr) = &d.trigger {
                t.extend(tr.branch.as_deref());
                t.extend(tr.commit.as_deref());
                t.extend(tr.params.values().map(String::as_str));
            }
            named.push(&d.token_secret);
        }
        StepKind::Process(p) => t.push(&p.unit),
        StepKind::Units(u) => {
            t.extend(u.system.as_deref());
            t.extend(u.holding.as_deref());
            t.extend(u.also.iter().map(String::as_str));
            t.extend(u.scripts.iter().map(|(_, p)| p.as_str()));
        }
        StepKind::Commands(c) => {
            for d in &c.dirs {
                t.push(&d.of);
                t.extend(d.under.as_deref());
            }
            t.extend(c.read_under.iter().map(|(_, under)| under.as_str()));
        }
        StepKind::Value(v) => {
            t.push(&v.of);
            t.extend(v.under.as_deref());
        }
    }
    t.extend(e.stdout_equals.as_deref());
    named.extend(e.named_vars());
    (t, named)
}

/// The names of the `${name}` in a template (`$${` is a literal `${`, not a variable).
pub(crate) fn template_names(t: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = t;
    while let Some(i) = rest.find('$') {
        let after = &rest[i + 1..];
        if let Some(lit) = after.strip_prefix("${") {
            rest = lit;
        } else if let Some(body) = after.strip_prefix('{') {
            match body.find('}') {
                Some(end) => {
                    out.push(body[..end].to_string());
                    rest = &body[end + 1..];
                }
                None => break,
            }
        } else {
            rest = after;
        }
    }
    out
}

/// An environment name for a witness variable (`sweep.tools` → `SWEEP_TOOLS`).
fn env_name_for(var: &str) -> String {
    var.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// Why a shell or the dynamic loader reads `name` for itself (bash(1), dash(1), ld.so(8)),
/// if it does.
fn reserved_env(name: &str) -> Option<&'static str> {
    const SHELL: &[&str] = &[
        "PATH",
        "IFS",
        "ENV",
        "BASH_ENV",
        "CDPATH",
        "HOME",
        "PS1",
        "PS2",
        "PS4",
        "SHELLOPTS",
        "BASHOPTS",
        "PROMPT_COMMAND",
        "GLOBIGNORE",
        "FPATH",
        "SHELL",
        "POSIXLY_CORRECT",
    ];
    if SHELL.contains(&name) {
        Some("read by the shell itself")
    } else if name.starts_with("LD_") || name.starts_with("BASH_") {
        Some("read by the dynamic loader or bash itself")
    } else if name.starts_with("WITNESS_") {
        Some("witness's own")
    } else {
        None
    }
}

fn is_ident(s: &str) -> bool {
    !s.is_empty()
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !s.starts_with(|c: char| c.is_ascii_digit())
}

fn first_line_of_regex_error(e: &regex::Error) -> String {
    // The regex crate renders a multi-line caret diagram; keep the last, most specific line.
    e.to_string()
        .lines()
        .rfind(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
        .to_string()
}

/// 1-based line and column (in characters) of a byte offset.
pub(crate) fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(src.len());
    let before = &src[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "title = \"t\"\nclaim = \"c\"\n";

    /// Every loader message, whole (location, wording, the quoted source line), one row per
    /// mistake, pinned in one snapshot: a change to any message shows up in review.
    #[test]
    fn loader_messages() {
        let rows = file_rows()
            .into_iter()
            .chain(newer_rows())
            .chain(shell_rows());
        let mut out = String::new();
        for (what, src) in rows {
            let e = load_str(Path::new("scenarios/m1/x.toml"), &src)
                .map(|_| "LOADED (no error)".to_string())
                .unwrap_or_else(|e| e.to_string());
            out.push_str(&format!("── {what}\n{e}\n\n"));
        }
        insta::assert_snapshot!(out);
    }

    fn step(body: &str) -> String {
        format!("{HEAD}[[steps]]\n{body}\n")
    }

    /// Broken files: unknown keys, missing fields, kinds, regexes, durations, waivers.
    fn file_rows() -> Vec<(&'static str, String)> {
        vec![
            (
                "unknown key in expect",
                step("run = { cmd = \"true\" }\n[steps.expect]\nexitt = 0"),
            ),
            (
                "unknown key inside a step kind",
                step("[steps.run]\ncmd = \"true\"\nlocall = true"),
            ),
            (
                "unknown top-level key",
                "title = \"t\"\nclaim = \"c\"\nmutate = true\n".into(),
            ),
            (
                "missing title",
                "claim = \"c\"\n[[steps]]\nrun = { cmd = \"true\" }\n".into(),
            ),
            ("step without a kind", step("name = \"x\"")),
            (
                "systemd result without wait",
                step("systemd = { start = \"x.service\", result = \"any\" }"),
            ),
            (
                "systemd result neither success nor any",
                step("systemd = { wait = \"x.service\", result = \"failed\" }"),
            ),
            (
                "step with two kinds",
                step("run = { cmd = \"true\" }\nsystemd = { failed = {} }"),
            ),
            ("empty command", step("run = { cmd = \" \" }")),
            (
                "bad regex",
                step("run = { cmd = \"true\" }\nexpect = { stdout = [\"(unclosed\"] }"),
            ),
            (
                "bad duration",
                step("timeout = \"5 parsecs\"\nrun = { cmd = \"true\" }"),
            ),
            (
                "mutating step, scenario not marked",
                step("systemd = { start = \"x.service\" }"),
            ),
            (
                "journal read without a mark",
                step("journal = { unit = \"u\", after = \"before\" }"),
            ),
            (
                "capture without a named group",
                step("run = { cmd = \"true\" }\ncapture = [\"x(.*)\"]"),
            ),
            ("toml syntax", "title = \"t\nclaim = 1\n".into()),
            (
                "inventory exception naming nothing",
                step(
                    "run = { cmd = \"true\" }\nexpect = { subset_of = { var = \"x\", except = [{ reason = \"r\", expires = \"2026-12-31\" }] } }",
                ),
            ),
            (
                "inventory exception without a real date",
                step(
                    "run = { cmd = \"true\" }\nexpect = { subset_of = { var = \"x\", platform = \"p\", except = [{ packages = [\"openssh\"], reason = \"r\", expires = \"2026-02-30\" }] } }",
                ),
            ),
            (
                "unknown record mode",
                step("run = { cmd = \"true\" }\nrecord = \"some\""),
            ),
            (
                "unknown HTTP method",
                step("http = { url = \"http://x/\", method = \"FETCH\" }"),
            ),
            (
                "unknown same_as normalize",
                step(
                    "run = { cmd = \"true\" }\nexpect = { same_as = { var = \"x\", normalize = [\"sorted\"] } }",
                ),
            ),
        ]
    }

    /// Broken files, the newer step kinds and expectations: steps_from, units, each_line,
    /// waivers.
    fn newer_rows() -> Vec<(&'static str, String)> {
        vec![
            (
                "steps_from beside [[steps]]",
                step("run = { cmd = \"true\" }").replace(
                    "[[steps]]",
                    "steps_from = \"c8_drone_runner_unchanged\"\n[[steps]]",
                ),
            ),
            (
                "steps_from a scenario that does not exist",
                "title = \"t\"\nclaim = \"c\"\nsteps_from = \"no_such_scenario\"\n".into(),
            ),
            (
                "steps_from a scenario using an action this one does not",
                "title = \"t\"\nclaim = \"c\"\nsteps_from = \"c1_both_hosts_build\"\n".into(),
            ),
            ("units that names none", step("units = { live = true }")),
            (
                "units of both a built system and the live host",
                step("units = { system = \"/s\", live = true, holding = \"/nix/store/x\" }"),
            ),
            (
                "each_line kind with a regex and line_of but no value group",
                step(
                    "run = { cmd = \"true\" }\nexpect = { each_line = [{ regex = \"^a\", line_of = \"x\", is = \"why\" }] }",
                ),
            ),
            (
                "each_line kind that says not why",
                step(
                    "run = { cmd = \"true\" }\nexpect = { each_line = [{ regex = \"^a\", is = \" \" }] }",
                ),
            ),
            (
                "waiver without a date",
                step(
                    "systemd = { failed = { allow = [{ unit = \"x.service\", reason = \"r\", expires = \"soon\" }] } }",
                ),
            ),
            (
                "waiver without a reason",
                step(
                    "systemd = { failed = { allow = [{ unit = \"x.service\", expires = \"2026-12-31\" }] } }",
                ),
            ),
        ]
    }

    /// Variables where the shell cannot keep them data, and `env` misuse.
    fn shell_rows() -> Vec<(&'static str, String)> {
        vec![
            (
                "unterminated ${ in a command",
                step("run = { cmd = \"echo ${v\" }"),
            ),
            (
                "variable in backticks",
                step("run = { cmd = \"echo `cat ${v}`\" }"),
            ),
            (
                "variable in $((…))",
                step("run = { cmd = \"echo $((${n} + 1))\" }"),
            ),
            ("variable in $'…'", step("run = { cmd = \"echo $'${v}'\" }")),
            (
                "variable in a comment",
                step("run = { cmd = '''\necho ok # was ${v}\n''' }"),
            ),
            (
                "variable after a backslash",
                step("run = { cmd = 'echo \\${v}' }"),
            ),
            (
                "second use refused, first fine",
                step("run = { cmd = 'echo \"${v}\" `echo ${v}`' }"),
            ),
            (
                "variable in the command string of bash -c",
                step("run = { cmd = '''\nset -e\nbash -c \"echo ${v}\"\n''' }"),
            ),
            (
                "variable read by a program nobody listed",
                step(
                    "run = { cmd = '''\nprintf '%s' x\nscript -q -c \"echo ${v}\" /dev/null\n''' }",
                ),
            ),
            (
                "variable piped into a program nobody listed",
                step("run = { cmd = \"printf '%s' ${v} | frobnicate\" }"),
            ),
            (
                "variable in a heredoc fed to ssh",
                step("run = { cmd = '''\nssh h <<EOF\necho ${a.b}\nEOF\n''' }"),
            ),
            (
                "env name expanded by the outer shell into eval",
                step("run = { cmd = 'eval \"echo $V\"', env = { V = \"${v}\" } }"),
            ),
            (
                "env rewrite: the inner shell expands it",
                step("run = { cmd = \"bash -c 'echo \\\"$V\\\"'\", env = { V = \"${v}\" } }"),
            ),
            (
                "env name the shell reads itself",
                step("run = { cmd = 'true', env = { BASH_ENV = \"${v}\" } }"),
            ),
            (
                "env name that is not a name",
                step("run = { cmd = 'true', env = { \"A-B\" = \"x\" } }"),
            ),
        ]
    }

    #[test]
    fn mutating_step_loads_when_marked_and_a_mark_before_its_read() {
        let ok =
            format!("{HEAD}mutates = true\n[[steps]]\nsystemd = {{ start = \"x.service\" }}\n");
        assert!(load_str(Path::new("x.toml"), &ok).is_ok());
        let ok = format!(
            "{HEAD}[[steps]]\njournal = {{ mark = \"before\" }}\n[[steps]]\njournal = {{ unit = \"u\", after = \"before\" }}\n"
        );
        assert!(load_str(Path::new("x.toml"), &ok).is_ok());
    }

    #[test]
    fn variables_in_safe_shell_contexts_load() {
        let ok = format!(
            "{HEAD}[[steps]]\nrun = {{ cmd = '''\necho ${{a}} \"${{a}}\" '${{a}}' $(echo \"${{a}}\") # $${{a}}\nx=${{a}}\ncat <<EOF\n${{a}}\nEOF\n''' }}\n"
        );
        assert!(load_str(Path::new("x.toml"), &ok).is_ok());
    }

    /// `env = "all"` and a `poll` watch load; `while_running` only bounds a `poll` watch, and
    /// a poll of no pause would spin.
    #[test]
    fn process_env_all_and_its_poll_watch() {
        let step = |p: &str| {
            format!("{HEAD}[[steps]]\nprocess = {{ unit = \"u.service\", cmdline = \"x\", {p} }}\n")
        };
        let sc = load_str(
            Path::new("x.toml"),
            &step(r#"env = "all", poll = "20ms", while_running = "y""#),
        )
        .unwrap();
        let StepKind::Process(p) = &sc.steps[0].kind else {
            panic!("a process step");
        };
        assert!(matches!(p.env, EnvSelection::All));
        assert_eq!(p.poll, Some(Duration::from_millis(20)));
        let e = load_str(Path::new("x.toml"), &step(r#"while_running = "y""#)).unwrap_err();
        assert!(e.to_string().contains("add `poll`"), "{e}");
        let e = load_str(Path::new("x.toml"), &step(r#"poll = "0s""#)).unwrap_err();
        assert!(e.to_string().contains("not 0"), "{e}");
        assert!(load_str(Path::new("x.toml"), &step(r#"env = "some""#)).is_err());
    }

    #[test]
    fn a_valid_scenario_loads_with_defaults() {
        let sc = load_str(
            Path::new("scenarios/m1/ok.toml"),
            &format!("{HEAD}[[steps]]\nrun = {{ cmd = \"echo hi\" }}\n"),
        )
        .unwrap();
        assert_eq!(sc.id, "ok");
        assert_eq!(sc.steps[0].name, "echo hi");
        assert_eq!(sc.steps[0].timeout, DEFAULT_TIMEOUT);
        assert_eq!(sc.steps[0].expect.exit, Some(0));
    }
}
