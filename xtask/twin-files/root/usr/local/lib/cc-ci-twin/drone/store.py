"""The Drone twin's state, shared by the API (api.py) and the exec runner (runner.py).

Everything lives under /var/lib/drone-twin as files written atomically (temp file + rename),
so either process may read while the other writes:
  next                      the next build number
  builds/<n>.json           the Build JSON as the API returns it (stages and steps inside)
  pipelines/<n>.json        the build's pipeline (from .drone.yml at its commit) for the runner
  queue/<n>                 a build waiting for the runner; removed when the runner takes it
  logs/<n>/<stage>/<step>.json   a finished step's log: [{"pos", "out", "time"}]
"""

import fcntl
import json
import os
import re
import time
from pathlib import Path

ROOT = Path(os.environ.get("DRONE_TWIN_STATE", "/var/lib/drone-twin"))
# The one repository this Drone serves, and the checkout its builds run in.
REPO = "recipe-maintainers/cc-ci"
CHECKOUT = Path("/etc/cc-ci")
TOKEN_FILE = Path("/run/secrets/bridge_drone_token")
# Fault injection for the twin's sabotage switches (`endpoint-500`).
FAULT_FILE = Path("/run/drone-twin/fault")


def now():
    return int(time.time())


def write_json(path, value):
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(value, indent=1))
    os.replace(tmp, path)


def read_json(path):
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def next_number():
    ROOT.mkdir(parents=True, exist_ok=True)
    with open(ROOT / "next.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        path = ROOT / "next"
        number = int(path.read_text()) if path.exists() else 1
        path.write_text(str(number + 1))
        return number


def build_path(number):
    return ROOT / "builds" / f"{number}.json"


def load_build(number):
    return read_json(build_path(number))


def save_build(build):
    build["updated"] = now()
    write_json(build_path(build["number"]), build)


def all_builds():
    folder = ROOT / "builds"
    numbers = sorted(
        (int(p.stem) for p in folder.glob("*.json") if p.stem.isdigit()), reverse=True
    )
    return [b for b in (load_build(n) for n in numbers) if b]


def log_path(number, stage, step):
    return ROOT / "logs" / str(number) / str(stage) / f"{step}.json"


def fault():
    try:
        return FAULT_FILE.read_text().strip()
    except FileNotFoundError:
        return ""


# --- .drone.yml: the block-style YAML subset pipelines use ---------------------------------


def _scalar(text):
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    if text.startswith("[") and text.endswith("]"):
        return [_scalar(x) for x in text[1:-1].split(",") if x.strip()]
    return text


def _lines(text):
    out = []
    for raw in text.splitlines():
        line = re.sub(r"(^|\s)#.*$", "", raw).rstrip()
        if line.strip():
            out.append((len(line) - len(line.lstrip(" ")), line.strip()))
    return out


def _block(lines, i, indent):
    """Parses the block starting at lines[i] (at `indent`); returns (value, next index)."""
    if lines[i][1].startswith("- ") or lines[i][1] == "-":
        items = []
        while i < len(lines) and lines[i][0] == indent and lines[i][1].startswith("-"):
            rest = lines[i][1][1:].strip()
            if not rest:
                value, i = _block(lines, i + 1, lines[i + 1][0])
            elif re.match(r"^[\w.-]+:(\s|$)", rest):
                # "- key: value" starts a map whose keys sit at indent + 2.
                lines[i] = (indent + 2, rest)
                value, i = _block(lines, i, indent + 2)
            else:
                value, i = _scalar(rest), i + 1
            items.append(value)
        return items, i
    mapping = {}
    while i < len(lines) and lines[i][0] == indent:
        key, sep, rest = lines[i][1].partition(":")
        if not sep:
            raise ValueError(f"yaml: line {lines[i][1]!r}: expected `key: value`")
        if rest.strip():
            mapping[key.strip()] = _scalar(rest)
            i += 1
        elif i + 1 < len(lines) and lines[i + 1][0] > indent:
            mapping[key.strip()], i = _block(lines, i + 1, lines[i + 1][0])
        elif i + 1 < len(lines) and lines[i + 1][0] == indent and lines[i + 1][1].startswith("-"):
            mapping[key.strip()], i = _block(lines, i + 1, indent)
        else:
            mapping[key.strip()] = None
            i += 1
    return mapping, i


def parse_pipelines(text):
    """The pipelines (documents) of a .drone.yml; raises ValueError on what it cannot read."""
    docs = []
    for doc in re.split(r"^---\s*$", text, flags=re.M):
        lines = _lines(doc)
        if not lines:
            continue
        value, i = _block(lines, 0, lines[0][0])
        if i != len(lines) or not isinstance(value, dict):
            raise ValueError(f"yaml: cannot parse near {lines[min(i, len(lines) - 1)][1]!r}")
        if value.get("kind", "pipeline") == "pipeline":
            docs.append(value)
    return docs
