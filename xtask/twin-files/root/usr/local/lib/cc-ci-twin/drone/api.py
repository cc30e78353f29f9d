#!/usr/bin/python3
"""Twin of the Drone server's HTTP API (and of the CI site), for the cc-ci twin host.

Answers like Drone 2.x for what cc-ci's gates use (see drone-api notes):
  GET  /healthz                                       200 "OK" (text/plain)
  GET  /                                              200, the CI site's page
  GET  /version                                       {"source", "version", "commit"}
  GET  /api/user                                      the token's user
  POST /api/repos/{owner}/{name}/builds?branch=&commit=&K=V   a custom build; K=V -> params
  GET  /api/repos/{owner}/{name}/builds[?page=&per_page=]     newest first
  GET  /api/repos/{owner}/{name}/builds/latest
  GET  /api/repos/{owner}/{name}/builds/{n}           the build with stages and steps
  GET  /api/repos/{owner}/{name}/builds/{n}/logs/{stage}/{step}   404 until the step ended
Auth: `Authorization: Bearer <token>` (or the bare token, or ?access_token=), the token
being /run/secrets/bridge_drone_token; errors are {"message": …} (401 Unauthorized, 404 Not
Found). Builds are queued for the exec runner (drone-runner-exec.service), which runs them.
Listens on 127.0.0.1:$DRONE_TWIN_PORT.
"""

import json
import os
import re
import subprocess
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import store  # noqa: E402

USER = {
    "id": 1,
    "login": "autonomic-bot",
    "email": "autonomic-bot@noreply.git.autonomic.zone",
    "machine": True,
    "admin": True,
    "active": True,
    "avatar": "",
    "syncing": False,
    "synced": 0,
    "created": 0,
    "updated": 0,
    "last_login": 0,
}
SITE = """<!doctype html>
<html><head><title>cc-ci</title></head>
<body><h1>cc-ci</h1><p>CI for Co-op Cloud recipes (witness twin).</p></body></html>
"""
GIT = ["/usr/bin/git", "-C", str(store.CHECKOUT)]


def git(*args):
    out = subprocess.run([*GIT, *args], capture_output=True, text=True)
    return out.stdout.strip() if out.returncode == 0 else None


def new_build(number, branch, commit, params):
    t = store.now()
    message = git("log", "-1", "--format=%s", commit) or ""
    return {
        "id": number,
        "repo_id": 1,
        "trigger": USER["login"],
        "number": number,
        "status": "pending",
        "event": "custom",
        "action": "",
        "link": f"https://git.coopcloud.tech/{store.REPO}/commit/{commit}",
        "timestamp": 0,
        "message": message,
        "before": commit,
        "after": commit,
        "ref": f"refs/heads/{branch}",
        "source_repo": "",
        "source": branch,
        "target": branch,
        "author_login": USER["login"],
        "author_name": USER["login"],
        "author_email": USER["email"],
        "author_avatar": "",
        "sender": USER["login"],
        "params": params,
        "started": 0,
        "finished": 0,
        "created": t,
        "updated": t,
        "version": 1,
    }


def stage_for(number, pipeline):
    platform = pipeline.get("platform") or {}
    return {
        "id": number,
        "repo_id": 1,
        "build_id": number,
        "number": 1,
        "name": pipeline.get("name") or "default",
        "kind": "pipeline",
        "type": pipeline.get("type") or "docker",
        "status": "pending",
        "errignore": False,
        "exit_code": 0,
        "machine": "",
        "os": platform.get("os", "linux"),
        "arch": platform.get("arch", "amd64"),
        "started": 0,
        "stopped": 0,
        "created": store.now(),
        "updated": store.now(),
        "version": 1,
        "on_success": True,
        "on_failure": False,
    }


def matches_custom(pipeline):
    events = (pipeline.get("trigger") or {}).get("event")
    if events is None:
        return True
    if isinstance(events, dict):
        events = events.get("include", [])
    return "custom" in (events if isinstance(events, list) else [events])


class Handler(BaseHTTPRequestHandler):
    server_version = "drone-twin"
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("api: %s %s\n" % (self.address_string(), fmt % args))

    def send(self, status, body, content_type="application/json"):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def json(self, status, value):
        # Compact, as Go's encoder writes it.
        self.send(status, json.dumps(value, separators=(",", ":")) + "\n")

    def error(self, status, message):
        self.json(status, {"message": message})

    def authorized(self, query):
        try:
            token = store.TOKEN_FILE.read_text().strip()
        except OSError:
            return False
        given = self.headers.get("Authorization", "")
        given = given[len("Bearer "):] if given.startswith("Bearer ") else given
        given = given.strip() or query.get("access_token", "")
        return bool(token) and given == token

    def do_GET(self):
        self.route("GET")

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.route("POST")

    def route(self, method):
        url = urlsplit(self.path)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        path = url.path.rstrip("/") or "/"
        if path in ("/", "/healthz") and method == "GET":
            if store.fault() == "http-500":
                return self.send(500, "Internal Server Error\n", "text/plain")
            if path == "/healthz":
                return self.send(200, "OK", "text/plain")
            return self.send(200, SITE, "text/html; charset=utf-8")
        if path == "/version":
            return self.json(200, {"source": "https://github.com/harness/drone.git",
                                   "version": "2.24.0", "commit": "twin"})
        if not self.authorized(query):
            return self.error(401, "Unauthorized")
        if path == "/api/user":
            return self.json(200, USER)
        m = re.fullmatch(r"/api/repos/([^/]+)/([^/]+)/builds(/.*)?", path)
        if not m or f"{m[1]}/{m[2]}" != store.REPO:
            return self.error(404, "Not Found")
        rest = m[3] or ""
        if method == "POST" and rest == "":
            return self.create(query)
        if method != "GET":
            return self.error(405, "Method Not Allowed")
        if rest == "":
            page = max(1, int(query.get("page", "1") or 1))
            per_page = max(1, min(100, int(query.get("per_page", "25") or 25)))
            builds = [{k: v for k, v in b.items() if k != "stages"} for b in store.all_builds()]
            return self.json(200, builds[(page - 1) * per_page: page * per_page])
        if rest == "/latest":
            builds = store.all_builds()
            return self.json(200, builds[0]) if builds else self.error(404, "Not Found")
        m = re.fullmatch(r"/(\d+)(?:/logs/(\d+)/(\d+))?", rest)
        if not m:
            return self.error(404, "Not Found")
        number = int(m[1])
        if m[2] is None:
            build = store.load_build(number)
            return self.json(200, build) if build else self.error(404, "Not Found")
        log = store.read_json(store.log_path(number, int(m[2]), int(m[3])))
        return self.json(200, log) if log is not None else self.error(404, "Not Found")

    def create(self, query):
        branch = query.pop("branch", "") or "main"
        commit = query.pop("commit", "")
        query.pop("access_token", None)
        params = query
        commit = commit or git("rev-parse", f"refs/heads/{branch}")
        if not commit:
            return self.error(404, "Not Found")
        number = store.next_number()
        build = new_build(number, branch, commit, params)
        yaml = git("show", f"{commit}:.drone.yml")
        try:
            if yaml is None:
                raise ValueError(f"cannot read .drone.yml at {commit}")
            pipelines = [p for p in store.parse_pipelines(yaml) if matches_custom(p)]
        except ValueError as err:
            build.update(status="error", error=str(err), started=store.now(), finished=store.now())
            store.save_build(build)
            return self.json(200, build)
        if not pipelines:
            # Drone answers `null` (200) when no pipeline's trigger matches the event.
            return self.send(200, "null\n")
        pipeline = pipelines[0]
        build["stages"] = [stage_for(number, pipeline)]
        store.write_json(store.ROOT / "pipelines" / f"{number}.json", pipeline)
        store.save_build(build)
        queued = store.ROOT / "queue" / str(number)
        queued.parent.mkdir(parents=True, exist_ok=True)
        queued.touch()
        return self.json(200, build)


def main():
    port = int(os.environ.get("DRONE_TWIN_PORT", "8080"))
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    print(f"drone twin API on http://127.0.0.1:{port}/", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
