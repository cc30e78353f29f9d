#!/bin/sh
# Stand-in for abra (Co-op Cloud's CLI), version @version@: answers the calls cc-ci makes,
# keeping state under $ABRA_DIR (default ~/.abra, /root/.abra for system services).
#   abra --version | -v | version
#   abra recipe versions <recipe>           the catalogue's versions, oldest first
#   abra app deploy <domain> [<version>] [-n|--no-converge-checks] [-f|--force] [-o] [...]
#                                           (FATA if already deployed, unless --force)
#   abra app undeploy <domain> [-n]
#   abra app ls
set -eu
dir=${ABRA_DIR:-${HOME:-/root}/.abra}
[ "$dir" = "/.abra" ] && dir=/root/.abra

case "${1:-}" in
  -v | --version | version)
    echo "abra version @version@-6d0a3a7"
    exit 0
    ;;
esac

die() { echo "FATA $*" >&2; exit 1; }

case "${1:-} ${2:-}" in
  "recipe versions")
    recipe=${3:?usage: abra recipe versions <recipe>}
    catalogue="$dir/catalogue/$recipe"
    [ -f "$catalogue" ] || die "unable to find recipe $recipe in the catalogue"
    cat "$catalogue"
    ;;
  "app deploy")
    domain=${3:?usage: abra app deploy <domain> [<version>]}
    shift 3
    version=latest
    converge=yes
    force=no
    for arg in "$@"; do
      case "$arg" in
        -n | --no-converge-checks) converge=no ;;
        -f | --force) force=yes ;;
        -*) ;;
        *) version=$arg ;;
      esac
    done
    mkdir -p "$dir/apps"
    # As abra: a running app is not deployed again (upgrade it, or --force).
    if [ -f "$dir/apps/$domain" ] && [ "$force" = no ]; then
      die "$domain is already deployed"
    fi
    echo "deploying $domain ($version)"
    if [ "$converge" = yes ]; then
      # A real deploy waits for the stack's services to converge; so does the stand-in
      # (long enough for a probe to find a recipe test's processes while they run). The
      # twin's setup sets ABRA_CONVERGE_SECONDS=0 for its pre-deploy fires: history that
      # nothing probes, only its journal is read.
      sleep "${ABRA_CONVERGE_SECONDS:-3}"
    fi
    echo "$version" > "$dir/apps/$domain"
    echo "✓ $domain deployed ($version)"
    ;;
  "app undeploy")
    domain=${3:?usage: abra app undeploy <domain>}
    rm -f "$dir/apps/$domain"
    echo "✓ $domain undeployed"
    ;;
  "app ls")
    mkdir -p "$dir/apps"
    for app in "$dir"/apps/*; do
      [ -f "$app" ] && printf '%s\t%s\n' "${app##*/}" "$(cat "$app")"
    done
    true
    ;;
  *)
    die "abra stand-in: unsupported command: $*"
    ;;
esac
