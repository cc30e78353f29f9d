# builtins.derivation builder (/bin/sh -e): the union of `$paths`' bin/ as symlinks.
# On a name collision the first package wins, as NixOS' system-path (ignoreCollisions).
mkdir -p "$out/bin"
for pkg in $paths; do
  [ -d "$pkg/bin" ] || continue
  for file in "$pkg"/bin/*; do
    name=${file##*/}
    [ -e "$out/bin/$name" ] || [ -L "$out/bin/$name" ] || ln -s "$file" "$out/bin/$name"
  done
done
