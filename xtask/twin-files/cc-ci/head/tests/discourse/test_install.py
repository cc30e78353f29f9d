"""Install tier: the CI app was deployed and the deploy tooling answers."""

import os
import subprocess


def test_install():
    app = os.environ.get("CCCI_APP", "")
    apps = subprocess.run(["abra", "app", "ls"], check=True, capture_output=True, text=True).stdout
    assert app and app in apps, f"{app!r} is not deployed: {apps!r}"
    assert subprocess.run(["docker", "--version"], capture_output=True).returncode == 0
