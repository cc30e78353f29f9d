# switch-to-configuration {switch|test|boot|dry-activate}: make $systemConfig the running
# system, as NixOS' script does, on a host whose own units stay where Debian put them:
# the system's units are symlinked into /etc/systemd/system (the previous system's links,
# listed in /var/lib/nixos-twin/units, are replaced), then units that went away are
# stopped, changed active ones restarted, and wanted ones that are not active started.
# Exit status 4 when a unit failed to (re)start, as NixOS'.
set -euo pipefail

action=${1:-}
case "$action" in
  switch | test | boot | dry-activate) ;;
  *)
    echo "Usage: $0 [switch|boot|test|dry-activate]" >&2
    exit 1
    ;;
esac

etc=/etc/systemd/system
state=/var/lib/nixos-twin
manifest=$state/units
units_dir=$systemConfig/etc/systemd/system

# name (relative to /etc/systemd/system) -> unit file in the store
declare -A new=() old=()
while IFS= read -r -d '' link; do
  new[${link#"$units_dir"/}]=$(readlink -f "$link")
done < <(find "$units_dir" -mindepth 1 -type l -print0)
if [[ -f $manifest ]]; then
  while read -r rel target; do old[$rel]=$target; done < "$manifest"
fi

top_level() { [[ $1 != */* ]]; }
is_wanted() {
  local rel
  for rel in "${!new[@]}"; do [[ $rel == *.wants/"$1" ]] && return 0; done
  return 1
}

gone=() changed=() added=()
for rel in "${!old[@]}"; do
  top_level "$rel" && [[ -z ${new[$rel]+x} ]] && gone+=("$rel")
done
for rel in "${!new[@]}"; do
  top_level "$rel" || continue
  if [[ -z ${old[$rel]+x} ]]; then
    added+=("$rel")
  elif [[ ${old[$rel]} != "${new[$rel]}" ]]; then
    changed+=("$rel")
  fi
done

if [[ $action == dry-activate ]]; then
  echo "would stop the following units: ${gone[*]:-}"
  echo "would restart the following units: ${changed[*]:-}"
  echo "would start the following units: ${added[*]:-}"
  exit 0
fi

# switch and boot install the boot loader, as NixOS' does (systemd-boot's builder): one
# entry per generation of the system profile (which nixos-rebuild set), the newest the
# default. `test` leaves the profile and the boot entries alone: a reboot brings back the
# system they name.
install_boot_loader() {
  local profile=/nix/var/nix/profiles/system link gen
  link=$(readlink "$profile")
  gen=${link#system-}
  gen=${gen%-link}
  mkdir -p /boot/loader/entries
  printf 'title NixOS\nversion Generation %s\nlinux /EFI/nixos/kernel.efi\noptions init=%s/init\n' \
    "$gen" "$(readlink -f "$profile")" > "/boot/loader/entries/nixos-generation-$gen.conf"
  printf 'timeout 5\ndefault nixos-generation-%s.conf\n' "$gen" > /boot/loader/loader.conf
}
if [[ $action == switch || $action == boot ]]; then
  install_boot_loader
fi
if [[ $action == boot ]]; then
  exit 0
fi

if ((${#gone[@]})); then
  echo "stopping the following units: ${gone[*]}"
  systemctl stop -- "${gone[@]}" || true
fi

echo "activating the configuration..."
"$systemConfig/activate"

echo "setting up /etc..."
for rel in "${!old[@]}"; do
  if [[ -z ${new[$rel]+x} && -L $etc/$rel ]]; then rm -f "$etc/$rel"; fi
done
mkdir -p "$state"
: > "$manifest.tmp"
for rel in "${!new[@]}"; do
  mkdir -p "$(dirname "$etc/$rel")"
  ln -sfn "${new[$rel]}" "$etc/$rel"
  printf '%s %s\n' "$rel" "${new[$rel]}" >> "$manifest.tmp"
done
sort -o "$manifest.tmp" "$manifest.tmp"
mv "$manifest.tmp" "$manifest"

systemctl daemon-reload

restart=() start=()
for rel in "${changed[@]}"; do
  if systemctl is-active --quiet -- "$rel"; then
    restart+=("$rel")
  elif is_wanted "$rel"; then
    start+=("$rel")
  fi
done
for rel in "${!new[@]}"; do
  top_level "$rel" || continue
  is_wanted "$rel" || continue
  [[ " ${restart[*]} ${start[*]} " == *" $rel "* ]] && continue
  systemctl is-active --quiet -- "$rel" || start+=("$rel")
done

failed=()
if ((${#restart[@]})); then
  mapfile -t restart < <(printf '%s\n' "${restart[@]}" | sort)
  echo "restarting the following units: ${restart[*]}"
  systemctl restart -- "${restart[@]}" || true
fi
if ((${#start[@]})); then
  mapfile -t start < <(printf '%s\n' "${start[@]}" | sort)
  echo "starting the following units: ${start[*]}"
  systemctl start -- "${start[@]}" || true
fi
for rel in "${restart[@]}" "${start[@]}"; do
  [[ -n $rel ]] || continue
  if [[ $(systemctl is-active -- "$rel" || true) == failed ]]; then failed+=("$rel"); fi
done
if ((${#failed[@]})); then
  echo "warning: the following units failed: ${failed[*]}" >&2
  systemctl status --no-pager --lines=10 -- "${failed[@]}" >&2 || true
  exit 4
fi
