#!/usr/bin/env python3
"""Nightly sweep: for each enrolled recipe (runner/known_good.json), if the catalogue's newest
version is newer than the known-good one, run the recipe's CI (run_recipe_ci.py) at that
version and, when green, promote it (redeploy the warm canonical at that version).

Log lines (stable format, one per event, in this order per recipe):
  sweep: start recipes=<n>
  sweep: <recipe> SKIP no-new-version
  sweep: <recipe> rc=<rc>                             after a run (run_recipe_ci's lines before it)
  sweep: <recipe> promoted <recipe>→<version>
  sweep: <recipe> NOT-PROMOTED rc=<rc>
  sweep: <recipe> PROMOTE-FAILED <recipe>→<version>
  sweep: done run=<n> promoted=<n> skipped=<n> failed=<n>
A red recipe is reported, not fatal: the sweep exits 0 unless it cannot run at all.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def say(line):
    print(line, flush=True)


def newest(recipe):
    out = subprocess.run(["abra", "recipe", "versions", recipe], capture_output=True, text=True)
    if out.returncode != 0:
        return None
    versions = [line.strip() for line in out.stdout.splitlines() if line.strip()]
    return versions[-1] if versions else None


def main():
    known_good = json.loads((ROOT / "runner" / "known_good.json").read_text())
    say(f"sweep: start recipes={len(known_good)}")
    run = promoted = skipped = failed = 0
    for recipe, known in known_good.items():
        latest = newest(recipe)
        if latest is None or latest == known:
            say(f"sweep: {recipe} SKIP no-new-version")
            skipped += 1
            continue
        run += 1
        env = dict(os.environ, RECIPE=recipe, REF=latest, SRC=f"coop-cloud/{recipe}")
        env.pop("PR", None)
        rc = subprocess.call([sys.executable, "runner/run_recipe_ci.py"], cwd=ROOT, env=env)
        say(f"sweep: {recipe} rc={rc}")
        if rc != 0:
            say(f"sweep: {recipe} NOT-PROMOTED rc={rc}")
            failed += 1
            continue
        deploy = subprocess.call(
            ["abra", "app", "deploy", f"warm-{recipe}.ci.commoninternet.net", latest,
             "--no-converge-checks"],
            stdout=subprocess.DEVNULL,
        )
        if deploy == 0:
            say(f"sweep: {recipe} promoted {recipe}→{latest}")
            promoted += 1
        else:
            say(f"sweep: {recipe} PROMOTE-FAILED {recipe}→{latest}")
    say(f"sweep: done run={run} promoted={promoted} skipped={skipped} failed={failed}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
