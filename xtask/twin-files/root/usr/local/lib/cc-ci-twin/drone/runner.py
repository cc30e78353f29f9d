#!/usr/bin/python3
"""Twin of drone-runner-exec: takes the builds the API twin queued and runs their pipeline
on this host, as the exec runner does: a step's environment is what drone-runner-exec gives
one (the build's params, the unit's PATH and USER, DRONE_* …; `environment()`), never the
rest of the runner's own.

Steps: `clone` (number 1: clones the repository from the forge — here /etc/cc-ci stands in
for it — into the build's own workspace, `<tmp>/drone-<n>/drone/src`, and checks out the
build's commit, as drone-runner-exec's clone step does), then the pipeline's steps in order
(2, 3, …), run in that workspace. A step's commands run in
one `/bin/sh -e` script that echoes `+ <command>` before each, as Drone's does. A failed
step fails the stage and the build; the steps after it are skipped. Statuses go pending ->
running -> success | failure, and a step's log is stored when it ends.
"""

import os
import shutil
import shlex
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import store  # noqa: E402

POLL_SECONDS = 0.2


def new_step(stage, number, name):
    return {
        "id": stage["id"] * 100 + number,
        "step_id": stage["id"],
        "number": number,
        "name": name,
        "status": "pending",
        "exit_code": 0,
        "version": 1,
    }


# The runner's own variables a step gets, as drone-runner-exec's compiler passes them
# (engine/compiler/vars.go `hostVars`): nothing else of the unit's environment (its
# INVOCATION_ID, JOURNAL_STREAM, LANG, DRONE_RPC_HOST …) reaches a step.
HOST_VARS = ("PATH", "USER")


def proxy():
    """runner-go's environ.Proxy(): the runner's proxy settings, in both spellings."""
    env = {}
    for name in ("no_proxy", "http_proxy", "https_proxy"):
        value = os.environ.get(name.upper()) or os.environ.get(name)
        if value:
            env[name] = value
            env[name.upper()] = value
    return env


def environment(build, stage, step, step_env):
    """A step's whole environment, as drone-runner-exec builds it (compiler.go: the build's
    params, the host variables, the proxy, Drone's system/repo/build/stage variables, the
    clone's, then the step's own `environment:`), with DRONE_STEP_* as runner-go adds them.
    drone-runner-exec also sets HOME to the build's own `<root>/home/drone`; the twin leaves
    HOME unset, as the unit has none, because its abra stand-in keeps its state under
    $HOME/.abra (else /root/.abra), where the real host's abra configuration is its own."""
    env = dict(build.get("params") or {})
    env.update({k: os.environ[k] for k in HOST_VARS if os.environ.get(k)})
    env.update(proxy())
    env.update({
        "CI": "true",
        "DRONE": "true",
        "DRONE_BUILD_NUMBER": str(build["number"]),
        "DRONE_BUILD_EVENT": build["event"],
        "DRONE_BRANCH": build["target"],
        "DRONE_COMMIT": build["after"],
        "DRONE_COMMIT_SHA": build["after"],
        "DRONE_REPO": store.REPO,
        "DRONE_STAGE_NAME": stage["name"],
        "DRONE_STAGE_NUMBER": str(stage["number"]),
        "DRONE_STEP_NAME": step["name"],
        "DRONE_STEP_NUMBER": str(step["number"]),
        "DRONE_HOME": workspace(build),
        "DRONE_WORKSPACE": workspace(build),
        "GIT_TERMINAL_PROMPT": "0",
    })
    env.update({k: str(v) for k, v in (step_env or {}).items()})
    return env


def script(commands):
    lines = []
    for command in commands:
        lines.append(f"echo {shlex.quote('+ ' + command)}")
        lines.append(command)
    return "\n".join(lines) + "\n"


def build_root(build):
    return os.path.join(tempfile.gettempdir(), f"drone-{build['number']}")


def workspace(build):
    return os.path.join(build_root(build), "drone", "src")


def clone_commands(build):
    sha = build["after"]
    branch = build["target"]
    return [
        "git init -q",
        f"git remote add origin {store.CHECKOUT}",
        f"git fetch -q origin +refs/heads/{branch}:",
        f"git checkout -q {sha} -b {branch}",
        "git log -1 --format='%H %s'",
    ]


def run_step(build, stage, step, commands, step_env):
    started = time.time()
    step.update(status="running", started=int(started))
    store.save_build(build)
    lines = []
    with tempfile.NamedTemporaryFile("w", prefix="drone-step-", suffix=".sh") as f:
        f.write(script(commands))
        f.flush()
        proc = subprocess.Popen(
            ["/bin/sh", "-e", f.name],
            cwd=workspace(build),
            env=environment(build, stage, step, step_env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for raw in proc.stdout:
            lines.append({
                "pos": len(lines),
                "out": raw.decode(errors="replace"),
                "time": int(time.time() - started),
            })
        code = proc.wait()
    store.write_json(store.log_path(build["number"], stage["number"], step["number"]), lines)
    step.update(status="success" if code == 0 else "failure", exit_code=code,
                stopped=int(time.time()))
    store.save_build(build)
    return code == 0


def run_build(number):
    build = store.load_build(number)
    pipeline = store.read_json(store.ROOT / "pipelines" / f"{number}.json")
    if not build or not pipeline:
        return
    stage = build["stages"][0]
    steps = [("clone", clone_commands(build), {})]
    steps += [(s.get("name") or f"step{i}", s.get("commands") or [], s.get("environment"))
              for i, s in enumerate(pipeline.get("steps") or [], start=2)]
    shutil.rmtree(build_root(build), ignore_errors=True)
    os.makedirs(workspace(build))
    t = store.now()
    build.update(status="running", started=t)
    stage.update(status="running", started=t, machine=os.uname().nodename,
                 steps=[new_step(stage, i, name) for i, (name, _, _) in enumerate(steps, start=1)])
    store.save_build(build)
    ok = True
    for step, (_, commands, step_env) in zip(stage["steps"], steps):
        if not ok:
            step.update(status="skipped")
            continue
        ok = run_step(build, stage, step, commands, step_env)
    shutil.rmtree(build_root(build), ignore_errors=True)
    t = store.now()
    status = "success" if ok else "failure"
    stage.update(status=status, stopped=t, exit_code=0 if ok else 1)
    build.update(status=status, finished=t)
    store.save_build(build)
    print(f"runner: build {number} {status}", flush=True)


def recover():
    """Builds left running by a previous runner process end in `error`."""
    for build in store.all_builds():
        if build["status"] == "running":
            build.update(status="error", error="the runner restarted", finished=store.now())
            for stage in build.get("stages", []):
                stage.update(status="error")
            store.save_build(build)


def main():
    queue = store.ROOT / "queue"
    queue.mkdir(parents=True, exist_ok=True)
    recover()
    print("runner: polling for builds", flush=True)
    while True:
        waiting = sorted((p for p in queue.iterdir() if p.name.isdigit()), key=lambda p: int(p.name))
        for entry in waiting:
            entry.unlink()
            print(f"runner: build {entry.name} picked", flush=True)
            run_build(int(entry.name))
        time.sleep(POLL_SECONDS)


if __name__ == "__main__":
    main()
