//! `witness check`: every scenario and action file of a gate loaded and validated offline
//! against a target's variables, without connecting to it: a broken file or a variable the
//! target does not give is found before anyone runs the gate.

use std::path::{Path, PathBuf};

use crate::action::Actions;
use crate::scenario::check::check_vars;
use crate::scenario::load::load_file;
use crate::target::Target;

/// The files checked, or every problem found (each `file:line:col: …`).
pub fn check_gate(root: &Path, gate: &str, target: &Target) -> Result<usize, Vec<String>> {
    let dir = root.join("scenarios").join(gate);
    let given = target.var_names();
    let actions = Actions::load(&dir, gate);
    let outputs = actions.outputs();
    let mut errors = Vec::new();
    let mut n = 0;
    for (f, is_action) in tomls(&dir.join("actions"))
        .into_iter()
        .map(|f| (f, true))
        .chain(tomls(&dir).into_iter().map(|f| (f, false)))
    {
        n += 1;
        let checked = load_file(&f).map_err(|e| e.to_string()).and_then(|sc| {
            let known = if is_action {
                Default::default()
            } else {
                outputs.clone()
            };
            check_vars(&sc, &given, &known).map_err(|e| e.to_string())
        });
        if let Err(e) = checked {
            errors.push(e);
        }
    }
    if n == 0 {
        errors.push(format!(
            "gate `{gate}`: no scenario files under {}",
            dir.display()
        ));
    }
    if errors.is_empty() {
        Ok(n)
    } else {
        Err(errors)
    }
}

fn tomls(dir: &Path) -> Vec<PathBuf> {
    crate::scenario::load::toml_files(dir).unwrap_or_default()
}
