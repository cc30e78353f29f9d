# nixos-rebuild for flakes: build | switch | test | boot | dry-build | dry-activate,
# `--flake <flake>#<host>` (without `#host`: this host's name).
#   build   nix build of nixosConfigurations.<host>.config.system.build.toplevel, leaving
#           ./result (a link to it) in the current directory, and printing its store path
#   switch  build, point the system profile at it, run its switch-to-configuration
# Extra flags (--show-trace, -L, --print-build-logs, -v) are passed to nix.
usage() {
  echo "usage: nixos-rebuild {build|switch|test|boot|dry-build|dry-activate} --flake <flake>[#<host>] [nix flags]" >&2
  exit 1
}

action=${1:-}
[[ -n $action ]] || usage
shift
flake=
nixFlags=()
while (($#)); do
  case "$1" in
    --flake)
      flake=${2:-}
      shift 2 || usage
      ;;
    --flake=*)
      flake=${1#--flake=}
      shift
      ;;
    -h | --help) usage ;;
    *)
      nixFlags+=("$1")
      shift
      ;;
  esac
done
[[ -n $flake ]] || { echo "nixos-rebuild: only flakes are supported here: give --flake <flake>#<host>" >&2; exit 1; }

if [[ $flake == *"#"* ]]; then
  host=${flake##*#}
  flake=${flake%#*}
else
  host=$(cat /proc/sys/kernel/hostname)
fi
attr="$flake#nixosConfigurations.\"$host\".config.system.build.toplevel"

build() { # $1: out-link
  echo "building the system configuration..." >&2
  nix build "${nixFlags[@]}" "$attr" --out-link "$1"
  readlink -f "$1"
}

profile=/nix/var/nix/profiles/system
case "$action" in
  build)
    build result
    ;;
  dry-build)
    echo "building the system configuration..." >&2
    nix build "${nixFlags[@]}" --dry-run "$attr"
    ;;
  switch | boot | test | dry-activate)
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    path=$(build "$tmp/result")
    if [[ $action == switch || $action == boot ]]; then
      nix-env -p "$profile" --set "$path"
    fi
    "$path/bin/switch-to-configuration" "$action"
    ;;
  *) usage ;;
esac
