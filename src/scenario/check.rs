//! Variables checked before anything runs: every `${name}` a step reads must be known at
//! that step — a target variable, a secret, a variable an earlier step defined (capture,
//! journal mark, InvocationID, build number), or an output of an action the scenario
//! `uses` (`${sweep.invocation}`).
//!
//! The loader cannot do this alone (the target's names come from `targets.toml` and the
//! twin's connection file), so the runner calls [`check_vars`] once the target is known and
//! before the scenario — or any action it uses — runs. A typo in step 5 of a mutating
//! scenario is refused before step 1 has fired anything.

use std::collections::{BTreeMap, BTreeSet};

use super::{Loc, Scenario};
use crate::error::LoadError;

/// Check every variable reference of `sc`. `given` are the target's variables and secrets;
/// `actions` the outputs of each action, by action name.
pub(crate) fn check_vars(
    sc: &Scenario,
    given: &BTreeSet<String>,
    actions: &BTreeMap<String, Vec<String>>,
) -> Result<(), LoadError> {
    let mut known: BTreeSet<String> = given.clone();
    for (name, loc) in &sc.uses {
        let outputs = actions.get(name).ok_or_else(|| {
            at(
                sc,
                loc,
                format!(
                    "`uses` names no action `{name}`: no file scenarios/<gate>/actions/{name}.toml (actions: {})",
                    list(actions.keys())
                ),
            )
        })?;
        known.extend(outputs.iter().map(|o| format!("{name}.{o}")));
    }
    for (i, step) in sc.steps.iter().enumerate() {
        for r in &step.refs {
            if !known.contains(&r.name) {
                return Err(at(
                    sc,
                    &r.loc,
                    format!(
                        "step {} (`{}`) reads `${{{}}}`, which is not known at this point; known here: {}",
                        i + 1,
                        step.name,
                        r.name,
                        list(known.iter())
                    ),
                ));
            }
        }
        known.extend(step.defines.iter().cloned());
    }
    Ok(())
}

/// Every variable a scenario's steps define (an action's outputs).
pub(crate) fn defined_vars(sc: &Scenario) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for d in sc.steps.iter().flat_map(|s| &s.defines) {
        if !out.contains(d) {
            out.push(d.clone());
        }
    }
    out
}

fn at(sc: &Scenario, loc: &Loc, diagnostic: String) -> LoadError {
    LoadError::Invalid {
        file: sc.path.clone(),
        line: loc.line,
        col: loc.col,
        diagnostic,
        line_text: loc.line_text.clone(),
    }
}

fn list<'a>(names: impl Iterator<Item = &'a String>) -> String {
    let v: Vec<&str> = names.map(String::as_str).collect();
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::load::load_str;
    use std::path::Path;

    fn check(src: &str, given: &[&str], actions: &[(&str, &[&str])]) -> Result<(), String> {
        let sc = load_str(Path::new("scenarios/g/s.toml"), src).map_err(|e| e.to_string())?;
        let given = given.iter().map(|s| s.to_string()).collect();
        let actions = actions
            .iter()
            .map(|(a, o)| (a.to_string(), o.iter().map(|s| s.to_string()).collect()))
            .collect();
        check_vars(&sc, &given, &actions).map_err(|e| e.to_string())
    }

    const HEAD: &str = "title = \"t\"\nclaim = \"c\"\n";

    #[test]
    fn known_names_pass_and_order_matters() {
        let ok = format!(
            "{HEAD}uses = [\"sweep\"]\n[[steps]]\nrun = {{ cmd = \"echo ${{flake}} ${{sweep.invocation}}\" }}\ncapture = ['(?P<x>.*)']\n[[steps]]\nrun = {{ cmd = \"echo ${{x}}\" }}\n"
        );
        assert_eq!(
            check(&ok, &["flake"], &[("sweep", &["invocation"])]),
            Ok(())
        );
    }

    #[test]
    fn unknown_names_are_refused_with_their_place_and_the_known_ones() {
        let src = format!(
            "{HEAD}[[steps]]\njournal = {{ mark = \"m\" }}\n[[steps]]\nrun = {{ cmd = \"true\" }}\n[[steps]]\nrun = {{ cmd = \"echo ${{flake}} ${{typo}}\" }}\n"
        );
        assert_eq!(
            check(&src, &["flake"], &[]).unwrap_err(),
            "scenarios/g/s.toml:8:30: step 3 (`echo ${flake} ${typo}`) reads `${typo}`, which is not known at this point; known here: flake, m\n  |\n8 | run = { cmd = \"echo ${flake} ${typo}\" }\n  |                              ^"
        );
        // Used before the step that defines it.
        let src = format!(
            "{HEAD}[[steps]]\nrun = {{ cmd = \"echo ${{x}}\" }}\n[[steps]]\nrun = {{ cmd = \"echo hi\" }}\ncapture = ['(?P<x>.*)']\n"
        );
        assert!(
            check(&src, &[], &[])
                .unwrap_err()
                .contains("reads `${x}`, which is not known at this point; known here: none")
        );
        // An action's output needs `uses`.
        let src = format!("{HEAD}[[steps]]\nrun = {{ cmd = \"echo ${{sweep.invocation}}\" }}\n");
        assert!(check(&src, &[], &[("sweep", &["invocation"])]).is_err());
        // `same_as.var` and `bearer_secret` name variables too.
        let src = format!(
            "{HEAD}[[steps]]\nrun = {{ cmd = \"true\" }}\nexpect = {{ same_as = {{ var = \"nope\" }} }}\n"
        );
        assert!(
            check(&src, &[], &[])
                .unwrap_err()
                .contains("reads `${nope}`")
        );
    }

    #[test]
    fn an_unknown_action_is_named() {
        let src = format!("{HEAD}uses = [\"swep\"]\n[[steps]]\nrun = {{ cmd = \"true\" }}\n");
        assert_eq!(
            check(&src, &[], &[("sweep", &["invocation"])]).unwrap_err(),
            "scenarios/g/s.toml:3:9: `uses` names no action `swep`: no file scenarios/<gate>/actions/swep.toml (actions: sweep)\n  |\n3 | uses = [\"swep\"]\n  |         ^"
        );
    }
}
