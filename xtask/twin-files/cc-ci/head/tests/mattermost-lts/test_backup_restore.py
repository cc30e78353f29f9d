"""Backup/restore tier: a marker row written before the backup is there after the restore."""

import os
import subprocess


def test_restore_returns_state():
    app = os.environ.get("CCCI_APP", "")
    out = subprocess.run(
        ["docker", "exec", f"{app.replace('.', '_')}_postgres.1",
         "psql", "-U", "mattermost", "-tAc", "SELECT count(*) FROM ci_marker"],
        capture_output=True, text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr
