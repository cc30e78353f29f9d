# builtins.derivation builder (/bin/sh -e): a NixOS system's toplevel. `$units` are
# `name=unit-file` pairs, `$wants` are `target=unit` pairs (NixOS' wantedBy),
# `$packages` systemd.packages (their drop-ins are linked).
mkdir -p "$out/bin" "$out/etc/systemd/system"
ln -s "$sw" "$out/sw"
ln -s "$systemd" "$out/systemd"
printf '%s\n' "$version" > "$out/nixos-version"
sed "s|@out@|$out|g" "$activate" > "$out/activate"
sed "s|@out@|$out|g" "$switch" > "$out/bin/switch-to-configuration"
chmod +x "$out/activate" "$out/bin/switch-to-configuration"
for unit in $units; do
  ln -s "${unit#*=}" "$out/etc/systemd/system/${unit%%=*}"
done
for pkg in $packages; do
  for f in "$pkg"/lib/systemd/system/*.d/*.conf; do
    [ -e "$f" ] || continue
    rel=${f#"$pkg"/lib/systemd/system/}
    mkdir -p "$out/etc/systemd/system/${rel%/*}"
    ln -s "$f" "$out/etc/systemd/system/$rel"
  done
done
for want in $wants; do
  target=${want%%=*}
  unit=${want#*=}
  mkdir -p "$out/etc/systemd/system/$target.wants"
  ln -s "$(readlink "$out/etc/systemd/system/$unit")" "$out/etc/systemd/system/$target.wants/$unit"
done
