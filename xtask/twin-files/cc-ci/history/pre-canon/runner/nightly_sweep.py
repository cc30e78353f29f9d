#!/usr/bin/env python3
"""Nightly sweep: for each enrolled recipe whose catalogue has a newer version than its known
good one, run the recipe's CI (run_recipe_ci.py) at that version.

One line per recipe: `sweep: <recipe> no-new-version SKIP` or `sweep: <recipe> rc=<rc>`.
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


def main():
    try:
        known_good = json.loads((STATE / "known-good.json").read_text())
    except FileNotFoundError:
        known_good = {}
    for recipe in ENROLLED:
        latest = newest(recipe)
        if latest is None or latest == known_good.get(recipe):
            say(f"sweep: {recipe} no-new-version SKIP")
            continue
        env = dict(os.environ, RECIPE=recipe, REF=latest, SRC=f"coop-cloud/{recipe}")
        rc = subprocess.call([sys.executable, "runner/run_recipe_ci.py"], cwd=ROOT, env=env)
        say(f"sweep: {recipe} rc={rc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
