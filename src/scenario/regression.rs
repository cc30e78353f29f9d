//! The `regression` expectation (M2.7 by meaning) as a scenario states it: its domain types,
//! its serde wire types and their loading. `crate::expect::regression` judges a fire with it.

use std::ops::Range;

use regex::Regex;
use schemars::JsonSchema;
use serde::Deserialize;
use toml::Spanned;

use crate::error::LoadError;

// ---------------------------------------------------------------------------------------
// The model.

#[derive(Debug, Clone, Default)]
pub(crate) struct Regression {
    pub(crate) promoted: Option<Promoted>,
    pub(crate) failures: Option<Failures>,
    pub(crate) programs_found: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Promoted {
    /// A recipe whose run is green (group `recipe`).
    pub(crate) green: Regex,
    /// A recipe promoted (groups `recipe`, `version`).
    pub(crate) promoted: Regex,
    /// The variable holding the known-good record after the fire: `started=@<unix>` (when
    /// the fire began) and `written=@<unix>` (when the record was last written) lines, each
    /// optional, then the record, a JSON object recipe → version.
    pub(crate) known_good: String,
    /// The pre-deploy run's journal.
    pub(crate) before: String,
    pub(crate) may_fail: Vec<Known>,
}

#[derive(Debug, Clone)]
pub(crate) struct Failures {
    pub(crate) before: String,
    /// The recipe a test id belongs to (group `recipe`).
    pub(crate) recipe: Regex,
    pub(crate) known_reds: Vec<Known>,
}

/// A known non-regression: a recipe, why, and the last day it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Known {
    pub(crate) recipe: String,
    pub(crate) reason: String,
    pub(crate) expires: String,
}

impl Regression {
    /// The variables it reads, for the loader's check that each is defined before.
    pub(crate) fn named(&self) -> Vec<&str> {
        let mut out = Vec::new();
        if let Some(p) = &self.promoted {
            out.extend([p.known_good.as_str(), p.before.as_str()]);
        }
        if let Some(f) = &self.failures {
            out.push(f.before.as_str());
        }
        out
    }

    /// The known non-regressions, each with what it tolerates, for the report's waivers.
    pub(crate) fn known(&self) -> Vec<(String, &Known)> {
        let mut out = Vec::new();
        for k in self.promoted.iter().flat_map(|p| &p.may_fail) {
            out.push((format!("recipe {}: its promote fails", k.recipe), k));
        }
        for k in self.failures.iter().flat_map(|f| &f.known_reds) {
            out.push((format!("recipe {}: red", k.recipe), k));
        }
        out
    }
}

// ---------------------------------------------------------------------------------------
// The wire.

/// `expect.regression`: a sweep fire judged against the last fire before the deploy.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RegressionWire {
    /// Every green run is promoted (its line, and the known-good record after the fire).
    pub(crate) promoted: Option<PromotedWire>,
    /// Every failed test is of a known red and fails with the same signature as before.
    pub(crate) failures: Option<FailuresWire>,
    /// No line says a program could not be found, in any spelling.
    #[serde(default)]
    pub(crate) programs_found: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PromotedWire {
    /// A line saying a recipe's run is green; group `recipe`.
    #[schemars(with = "String")]
    pub(crate) green: Spanned<String>,
    /// A line saying a recipe was promoted; groups `recipe` and `version`.
    #[schemars(with = "String")]
    pub(crate) promoted: Spanned<String>,
    /// The variable holding the known-good record after the fire: optional `started=@<unix>`
    /// (the fire began) and `written=@<unix>` (the record last written) lines, then the
    /// record, a JSON object recipe → version.
    pub(crate) known_good: String,
    /// The variable holding the pre-deploy run's journal.
    pub(crate) before: String,
    /// Recipes whose promote may fail, because it failed the same way before the deploy.
    #[serde(default)]
    #[schemars(with = "Vec<KnownWire>")]
    pub(crate) may_fail: Vec<Spanned<KnownWire>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct FailuresWire {
    /// The variable holding the pre-deploy run's journal.
    pub(crate) before: String,
    /// The recipe of a test id, group `recipe` (default `^tests/(?P<recipe>[^/]+)/`).
    #[schemars(with = "Option<String>")]
    pub(crate) recipe: Option<Spanned<String>>,
    /// The recipes that were red before the deploy and may be red now, failing as then.
    #[serde(default)]
    #[schemars(with = "Vec<KnownWire>")]
    pub(crate) known_reds: Vec<Spanned<KnownWire>>,
}

/// `{ recipe = "gitea", reason = "…", expires = "2026-12-31" }`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct KnownWire {
    pub(crate) recipe: String,
    pub(crate) reason: String,
    #[schemars(with = "String")]
    pub(crate) expires: Spanned<String>,
}

/// The loader's regex compiler (multi-line, errors pointing into the file).
type RegexFn<'a> = &'a dyn Fn(&Spanned<String>) -> Result<Regex, LoadError>;
/// The loader's date check of an `expires` (what it is of, for the message).
type ExpiryFn<'a> = &'a dyn Fn(&Spanned<String>, &str) -> Result<String, LoadError>;

/// The loader's services this conversion needs.
pub(crate) struct LoadCx<'a> {
    pub(crate) regex: RegexFn<'a>,
    pub(crate) expiry: ExpiryFn<'a>,
    pub(crate) err: &'a dyn Fn(Range<usize>, String) -> LoadError,
}

impl LoadCx<'_> {
    /// Known non-regressions: each with a recipe, a reason and a real date.
    fn known(&self, list: Vec<Spanned<KnownWire>>) -> Result<Vec<Known>, LoadError> {
        list.into_iter()
            .map(|k| {
                let span = k.span();
                let k = k.into_inner();
                let what = format!("known non-regression of `{}`", k.recipe);
                if k.recipe.trim().is_empty() || k.reason.trim().is_empty() {
                    return Err((self.err)(
                        span,
                        format!("{what} needs a recipe and a reason"),
                    ));
                }
                Ok(Known {
                    expires: (self.expiry)(&k.expires, &what)?,
                    recipe: k.recipe,
                    reason: k.reason,
                })
            })
            .collect()
    }

    /// A regex that must have the named groups.
    fn group(&self, r: &Spanned<String>, names: &[&str]) -> Result<Regex, LoadError> {
        let re = (self.regex)(r)?;
        match names
            .iter()
            .find(|n| !re.capture_names().flatten().any(|g| g == **n))
        {
            Some(n) => Err((self.err)(
                r.span(),
                format!("this regex needs a `(?P<{n}>…)` group"),
            )),
            None => Ok(re),
        }
    }
}

impl RegressionWire {
    pub(crate) fn load(self, cx: &LoadCx<'_>) -> Result<Regression, LoadError> {
        let promoted = match self.promoted {
            Some(p) => Some(Promoted {
                green: cx.group(&p.green, &["recipe"])?,
                promoted: cx.group(&p.promoted, &["recipe", "version"])?,
                known_good: p.known_good,
                before: p.before,
                may_fail: cx.known(p.may_fail)?,
            }),
            None => None,
        };
        let failures = match self.failures {
            Some(f) => Some(Failures {
                recipe: match &f.recipe {
                    Some(r) => cx.group(r, &["recipe"])?,
                    None => Regex::new(r"^tests/(?P<recipe>[^/]+)/").expect("regex"),
                },
                before: f.before,
                known_reds: cx.known(f.known_reds)?,
            }),
            None => None,
        };
        Ok(Regression {
            promoted,
            failures,
            programs_found: self.programs_found,
        })
    }
}
