//! `units`: every unit that runs a given store path (whose closure holds it: a harness unit
//! holds cc-ci-run), found by what it is built of, never by its name, plus units named on
//! purpose (the Drone runner); for each, what makes its processes' environment, one fact a
//! line (`crate::steps::unit_text`).
//!
//! Two sources, the same facts: a built system's unit files and drop-ins
//! (`system = "<toplevel>"`: what a commit would run, before it is switched), or the running
//! host as systemd resolves it (`live = true`: `systemctl show`, drop-ins and defaults applied).
//! The target only lists and sends texts (base64, one line each); the reading is here, in Rust.
//! `scripts` reads named scripts the same way (cc-ci-run's own wrapper: `cc-ci-run PATH entry: …`).

use std::collections::BTreeMap;
use std::time::Instant;

use base64::Engine as _;

use super::unit_text::{self, EXEC_KEYS, UnitFacts};
use super::{Observed, StepCtx, StepError, quote};
use crate::interp::Quote;
use crate::report::{Observation, Outcome};
use crate::scenario::UnitsStep;

/// The most of a wrapper script read (a script, not a binary: a few KiB).
const SCRIPT_BYTES: usize = 256 * 1024;

pub(crate) fn run(u: &UnitsStep, cx: &StepCtx, deadline: Instant) -> Observed {
    let raw = |t: &str| cx.vars.interpolate(t, Quote::Raw);
    // No path to hold: no unit holds it (only `also` is listed).
    let holding = match &u.holding {
        Some(h) => raw(h)?,
        None => String::new(),
    };
    let also: Vec<String> = u.also.iter().map(|a| raw(a)).collect::<Result<_, _>>()?;
    let scripts_asked: Vec<(String, String)> = u
        .scripts
        .iter()
        .map(|(label, p)| Ok((label.clone(), raw(p)?)))
        .collect::<Result<_, StepError>>()?;
    let list = match &u.system {
        Some(system) => built_script(&raw(system)?, &holding, &also),
        None => live_script(&holding, &also),
    };
    let listed = cx.remote_obs(list.clone(), deadline)?;
    let mut obs = Observation {
        command: format!("# the units and what they run\n{list}"),
        elapsed: listed.elapsed,
        manual: listed.manual.clone(),
        exit_applies: false,
        ..Observation::default()
    };
    let what = "the units were listed and read".to_string();
    if listed.exit != Some(0) || listed.timed_out {
        obs.checks.push(Outcome::fail(
            what,
            format!("exit {:?}: {}", listed.exit, listed.stderr.trim()),
        ));
        return Ok(obs);
    }
    let units = decode(&listed.stdout)?;
    // The programs that are scripts, and the scripts asked for by label, read in one more round.
    let programs: Vec<&str> = units
        .values()
        .flat_map(|(_, f)| f.programs.iter().map(|(_, p)| p.as_str()))
        .chain(scripts_asked.iter().map(|(_, p)| p.as_str()))
        .collect();
    let scripts = if programs.is_empty() {
        BTreeMap::new()
    } else {
        let read = scripts_script(&programs);
        let got = cx.remote_obs(read.clone(), deadline)?;
        obs.command
            .push_str(&format!("\n# the programs that are scripts\n{read}"));
        obs.elapsed += got.elapsed;
        decode_scripts(&got.stdout)?
    };
    obs.checks.push(Outcome::pass(what));
    let mut out = String::new();
    // A system that did not build has no units: a fact for the scenarios to judge (the claim
    // is broken), not a failure of the probe (which would leave it unwitnessed).
    for l in listed.stdout.lines() {
        if let Some(dir) = l.strip_prefix("missing\t") {
            out.push_str(&format!("no unit directory: {dir} (not a built system)\n"));
        }
    }
    for (name, (held, _)) in &units {
        if *held {
            out.push_str(&format!("harness unit: {name}\n"));
        }
    }
    for (name, (_, facts)) in &units {
        for l in unit_text::lines(name, facts, |p| scripts.get(p).cloned()) {
            out.push_str(&l);
            out.push('\n');
        }
    }
    for (label, path) in &scripts_asked {
        let text = scripts.get(path).map_or("", String::as_str);
        for l in unit_text::wrapper_lines(label, text) {
            out.push_str(&l);
            out.push('\n');
        }
    }
    obs.stdout = out;
    Ok(obs)
}

/// Lists a built system's services: `unit\t<name>\t<held yes|no>\t<base64 text>` for each
/// selected one (holding the path, or named in `also`), then `dropin\t<name>\t<file>\t<base64>`.
fn built_script(system: &str, holding: &str, also: &[String]) -> String {
    format!(
        r#"sys={sys}/etc/systemd/system; holding={holding}; also=" {also} "
[ -d "$sys" ] || {{ printf 'missing\t%s\n' "$sys"; exit 0; }}
for u in "$sys"/*.service; do
  [ -e "$u" ] || continue; n=${{u##*/}}; drops=$(ls "$u.d"/*.conf 2> /dev/null | LC_ALL=C sort)
  held=no; [ -n "$holding" ] && nix-store -qR $(readlink -f "$u" $drops | cut -d/ -f1-4 | sort -u) 2> /dev/null | grep -qxF "$holding" && held=yes
  case "$also" in *" $n "*) ;; *) [ $held = yes ] || continue ;; esac
  printf 'unit\t%s\t%s\t%s\n' "$n" "$held" "$(base64 -w0 < "$u")"
  for d in $drops; do printf 'dropin\t%s\t%s\t%s\n' "$n" "${{d##*/}}" "$(base64 -w0 < "$d")"; done
done"#,
        sys = quote(system),
        holding = quote(holding),
        also = also.join(" "),
    )
}

/// Lists the host's loaded or installed services as systemd resolves them:
/// `show\t<name>\t<held yes|no>\t<base64 systemctl show>` for each selected one.
fn live_script(holding: &str, also: &[String]) -> String {
    format!(
        r#"holding={holding}; also=" {also} "
for u in $( {{ systemctl list-units --all --type=service --plain --no-legend; systemctl list-unit-files --type=service --no-legend; }} | awk '{{ print $1 }}' | grep -v '@\.service$' | sort -u); do
  show=$(systemctl show -p {keys} -p Environment -p EnvironmentFiles -p DropInPaths "$u")
  progs=$(printf '%s\n' "$show" | grep -o 'path=/nix/store/[^ ;]*' | cut -d= -f2 | cut -d/ -f1-4 | sort -u)
  held=no; [ -n "$holding" ] && [ -n "$progs" ] && nix-store -qR $progs 2> /dev/null | grep -qxF "$holding" && held=yes
  case "$also" in *" $u "*) ;; *) [ $held = yes ] || continue ;; esac
  printf 'show\t%s\t%s\t%s\n' "$u" "$held" "$(printf '%s\n' "$show" | base64 -w0)"
done"#,
        holding = quote(holding),
        also = also.join(" "),
        keys = EXEC_KEYS.join(" -p "),
    )
}

/// Reads each program that is a script: `script\t<path>\t<base64 text>`.
fn scripts_script(programs: &[&str]) -> String {
    let progs: Vec<String> = programs.iter().map(|p| quote(p)).collect();
    format!(
        r#"for p in {progs}; do
  [ "$(head -c 2 "$p" 2> /dev/null)" = '#!' ] && printf 'script\t%s\t%s\n' "$p" "$(head -c {SCRIPT_BYTES} "$p" | base64 -w0)"
done; true"#,
        progs = progs.join(" ")
    )
}

/// The units listed: name → (holds the path, its facts).
fn decode(listing: &str) -> Result<BTreeMap<String, (bool, UnitFacts)>, StepError> {
    let mut texts: BTreeMap<String, (bool, Vec<String>, Vec<String>)> = BTreeMap::new();
    let mut shows: BTreeMap<String, (bool, String)> = BTreeMap::new();
    for line in listing.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        match f.as_slice() {
            ["unit", name, held, text] => {
                texts.insert(
                    name.to_string(),
                    (*held == "yes", vec![b64(text)?], Vec::new()),
                );
            }
            ["dropin", name, file, text] => {
                if let Some(t) = texts.get_mut(*name) {
                    t.1.push(b64(text)?);
                    t.2.push(file.to_string());
                }
            }
            ["show", name, held, text] => {
                shows.insert(name.to_string(), (*held == "yes", b64(text)?));
            }
            _ => {}
        }
    }
    let mut out = BTreeMap::new();
    for (name, (held, files, drop_ins)) in texts {
        let mut facts = unit_text::from_unit_files(files.iter().map(String::as_str));
        facts.drop_ins = drop_ins;
        out.insert(name, (held, facts));
    }
    for (name, (held, show)) in shows {
        out.insert(name, (held, unit_text::from_show(&show)));
    }
    Ok(out)
}

/// The scripts read: path → text.
fn decode_scripts(listing: &str) -> Result<BTreeMap<String, String>, StepError> {
    let mut out = BTreeMap::new();
    for line in listing.lines() {
        if let ["script", path, text] = line.split('\t').collect::<Vec<_>>().as_slice() {
            out.insert(path.to_string(), b64(text)?);
        }
    }
    Ok(out)
}

fn b64(text: &str) -> Result<String, StepError> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|e| StepError::Listing {
            what: "a unit or script text (base64)",
            problem: e.to_string(),
        })?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    /// A built system's listing: the unit, its drop-in in order, held or named.
    #[test]
    fn a_built_listing_is_read_whole() {
        let listing = format!(
            "unit\tsweep.service\tyes\t{}\ndropin\tsweep.service\t10-x.conf\t{}\nunit\tdrone.service\tno\t{}\n",
            enc("[Service]\nEnvironment=\"PATH=/a/bin\"\nExecStart=/nix/store/w/bin/sweep\n"),
            enc("[Service]\nEnvironment=PYTHONPATH=/p\n"),
            enc("[Service]\nExecStart=/nix/store/d/bin/drone\n"),
        );
        let units = decode(&listing).unwrap();
        let (held, f) = &units["sweep.service"];
        assert!(held);
        assert_eq!(f.environment, ["PATH=/a/bin", "PYTHONPATH=/p"]);
        assert_eq!(f.drop_ins, ["10-x.conf"]);
        assert!(!units["drone.service"].0);
        assert!(decode("unit\tx\tyes\tnot base64!\n").is_err());
    }
}
