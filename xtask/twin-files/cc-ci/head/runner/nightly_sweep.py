#!/usr/bin/env python3
"""Nightly sweep: for each enrolled recipe whose catalogue has a newer version than its known
good one, run the recipe's CI (run_recipe_ci.py) at that version; when green, promote it
(WC5: redeploy the warm canonical at that version) and record it as known good.

One line per recipe:
  sweep: <recipe> no-new-version SKIP
  sweep: <recipe> rc=<rc>                              red: not promoted
  sweep: <recipe> rc=0 promoted <recipe>→<version>
  sweep: <recipe> rc=0 GREEN-BUT-PROMOTE-FAILED         tests green, the redeploy failed
A red recipe is reported, not fatal: the sweep exits 0 unless it cannot run at all.
Known-good versions live in $CCCI_STATE/known-good.json (default /var/lib/cc-ci).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATE = Path(os.environ.get("CCCI_STATE", "/var/lib/cc-ci"))
ENROLLED = [
    "cryptpad", "custom-html", "discourse", "drone", "ghost", "gitea", "hedgedoc", "immich",
    "lasuite-docs", "lasuite-drive", "lasuite-grist", "lasuite-meet", "lasuite-people", "mailu",
    "matrix-synapse", "mattermost-lts", "mumble", "n8n", "plausible", "uptime-kuma",
]


def say(line):
    print(line, flush=True)


def newest(recipe):
    out = subprocess.run(["abra", "recipe", "versions", recipe], capture_output=True, text=True)
    if out.returncode != 0:
        return None
    versions = [line.strip() for line in out.stdout.splitlines() if line.strip()]
    return versions[-1] if versions else None


def load_known_good():
    try:
        return json.loads((STATE / "known-good.json").read_text())
    except FileNotFoundError:
        return {}


def save_known_good(known_good):
    STATE.mkdir(parents=True, exist_ok=True)
    tmp = STATE / "known-good.json.tmp"
    tmp.write_text(json.dumps(known_good, indent=1, sort_keys=True) + "\n")
    os.replace(tmp, STATE / "known-good.json")


def main():
    known_good = load_known_good()
    for recipe in ENROLLED:
        latest = newest(recipe)
        if latest is None or latest == known_good.get(recipe):
            say(f"sweep: {recipe} no-new-version SKIP")
            continue
        env = dict(os.environ, RECIPE=recipe, REF=latest, SRC=f"coop-cloud/{recipe}")
        env.pop("PR", None)
        rc = subprocess.call([sys.executable, "runner/run_recipe_ci.py"], cwd=ROOT, env=env)
        if rc != 0:
            say(f"sweep: {recipe} rc={rc}")
            continue
        promote = subprocess.run(
            ["abra", "app", "deploy", f"warm-{recipe}.ci.commoninternet.net", latest, "-o", "-n"],
            capture_output=True, text=True,
        )
        for line in (promote.stdout + promote.stderr).splitlines():
            say(f"sweep: {recipe} promote: {line}")
        if promote.returncode == 0:
            known_good[recipe] = latest
            save_known_good(known_good)
            say(f"sweep: {recipe} rc=0 promoted {recipe}→{latest}")
        else:
            # Non-fatal: the tests are green, known-good stays where it was.
            say(f"sweep: {recipe} rc=0 GREEN-BUT-PROMOTE-FAILED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
