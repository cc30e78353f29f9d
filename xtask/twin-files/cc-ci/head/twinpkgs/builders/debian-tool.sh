# builtins.derivation builder (/bin/sh -e): the executables the Debian packages `$debs`
# install in bin/ and sbin/, copied into $out/bin; `$links` adds `name=target` symlinks.
mkdir -p "$out/bin"
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
      "") cp "$file" "$out/bin/$name" ;;
      */*) cp -L "$file" "$out/bin/$name" ;;
      *) ln -sfn "$target" "$out/bin/$name" ;; # nix-build -> nix: keep it a link
    esac
  done < "$TMPDIR/files"
done
for link in $links; do
  ln -sfn "${link#*=}" "$out/bin/${link%%=*}"
done
