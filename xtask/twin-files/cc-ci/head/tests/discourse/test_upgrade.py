"""Upgrade tier: after the upgrade, sidekiq runs in the app container."""

import os
import subprocess


def test_sidekiq_running():
    app = os.environ.get("CCCI_APP", "")
    out = subprocess.run(
        ["docker", "exec", f"{app.replace('.', '_')}_app.1", "pgrep", "-f", "sidekiq"],
        capture_output=True, text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr
