#!/bin/sh
# Stand-in for the docker CLI, version @version@: the calls cc-ci's units make.
#   docker --version | version
#   docker swarm init                  (idempotent here; state in /var/lib/docker-twin)
#   docker info --format '{{.Swarm.LocalNodeState}}'
#   docker stack deploy -c <file> <name>
#   docker exec <container> <command...>     (fails: no containers run here)
set -eu
state=/var/lib/docker-twin
case "${1:-}" in
  --version | -v)
    echo "Docker version @version@, build 9f9e405"
    ;;
  version)
    printf 'Client:\n Version:           @version@\nServer:\n Engine:\n  Version:          @version@\n'
    ;;
  swarm)
    [ "${2:-}" = init ] || { echo "docker stand-in: unsupported: $*" >&2; exit 1; }
    mkdir -p "$state"
    if [ -f "$state/swarm" ]; then
      echo "This node is already part of a swarm."
    else
      echo active > "$state/swarm"
      echo "Swarm initialized: current node (twin) is now a manager."
    fi
    ;;
  info)
    cat "$state/swarm" 2>/dev/null || echo inactive
    ;;
  stack)
    [ "${2:-}" = deploy ] || { echo "docker stand-in: unsupported: $*" >&2; exit 1; }
    eval "name=\${$#}"
    [ -f "$state/swarm" ] || { echo "this node is not a swarm manager" >&2; exit 1; }
    mkdir -p "$state/stacks"
    echo "$name" > "$state/stacks/$name"
    echo "Creating service ${name}_app"
    ;;
  exec)
    # No containers run here: the calls recipe tests make fail as against a stack whose
    # service did not come up (mattermost's restore tier, discourse's sidekiq check).
    ctr=${2:-}
    case "$*" in
      *psql*ci_marker*)
        echo 'ERROR:  relation "ci_marker" does not exist' >&2
        echo 'LINE 1: SELECT count(*) FROM ci_marker' >&2
        ;;
      *) echo "Error response from daemon: container $ctr is not running" >&2 ;;
    esac
    exit 1
    ;;
  *)
    echo "docker stand-in: unsupported command: $*" >&2
    exit 1
    ;;
esac
