#!/usr/bin/env python3
"""Run one recipe's CI: deploy a CI app of the recipe at REF, run its test tiers, undeploy.

Inputs (environment: Drone build params, or set by the nightly sweep):
  RECIPE (required), REF (recipe version or commit), PR, SRC (the recipe's repository).
Output: a header line, pytest's -v lines (e.g.
`tests/gitea/custom/test_lfs_roundtrip.py::test_lfs_roundtrip PASSED`), then
`run_recipe_ci: <recipe> rc=<rc>`.
Exit status: the tests' (0 green), 2 for bad input or a failed deploy.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def say(line):
    print(line, flush=True)


def main():
    recipe = os.environ.get("RECIPE", "")
    if not recipe:
        say("run_recipe_ci: RECIPE is not set")
        return 2
    ref = os.environ.get("REF") or "latest"
    pr = os.environ.get("PR") or "-"
    src = os.environ.get("SRC") or f"coop-cloud/{recipe}"
    tests = ROOT / "tests" / recipe
    if not tests.is_dir():
        say(f"run_recipe_ci: no tests for recipe {recipe}")
        return 2
    say(f"run_recipe_ci: recipe={recipe} ref={ref} pr={pr} src={src}")

    app = f"ci-{recipe}.ci.commoninternet.net"
    if subprocess.call(["abra", "app", "deploy", app, ref]) != 0:
        say(f"run_recipe_ci: deploying {app} failed")
        say(f"run_recipe_ci: {recipe} rc=2")
        return 2
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", CCCI_APP=app)
    rc = subprocess.call(
        [sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider", "--color=no",
         f"tests/{recipe}"],
        cwd=ROOT,
        env=env,
    )
    subprocess.call(["abra", "app", "undeploy", app, "-n"], stdout=subprocess.DEVNULL)
    say(f"run_recipe_ci: {recipe} rc={rc}")
    return rc


if __name__ == "__main__":
    sys.exit(main())
