# builtins.derivation builder (/bin/sh -e): the executables the Debian packages `$debs`
# install in bin/ and sbin/ (plus `$links`, `name=target` symlinks among them), of which
# `$commands` (when set) are the ones nixpkgs' package has: only those reach $out/bin, so a
# Debian-only command (`rbash`, `run-parts`, `lesspipe`) never does. A named command that
# Debian's packages lack fails the build.
all="$TMPDIR/all"
mkdir -p "$all" "$out/bin"
for deb in $debs; do
  if ! dpkg-query -L "$deb" > "$TMPDIR/files"; then
    echo "debian-tool: Debian package $deb is not installed on the build host" >&2
    exit 1
  fi
  while IFS= read -r file; do
    case "$file" in
      /bin/* | /sbin/* | /usr/bin/* | /usr/sbin/*) ;;
      *) continue ;;
    esac
    [ -f "$file" ] && [ -x "$file" ] || continue
    name=${file##*/}
    target=$(readlink "$file" || true)
    case "$target" in
      "") cp "$file" "$all/$name" ;;
      */*) cp -L "$file" "$all/$name" ;;
      *) ln -sfn "$target" "$all/$name" ;; # nix-build -> nix: keep it a link
    esac
  done < "$TMPDIR/files"
done
for link in $links; do
  ln -sfn "${link#*=}" "$all/${link%%=*}"
done
[ -n "$commands" ] || commands=$(ls "$all")
for cmd in $commands; do
  if ! [ -e "$all/$cmd" ]; then
    echo "debian-tool: $pname: no command $cmd among what $debs install" >&2
    exit 1
  fi
  target=$(readlink "$all/$cmd" || true)
  case " $(echo $commands) " in
    *" $target "*) ln -s "$target" "$out/bin/$cmd" ;; # a link to a kept command stays one
    *) cp -L "$all/$cmd" "$out/bin/$cmd" ;;
  esac
done
