# builtins.derivation builder (/bin/sh -e): $textPath (passAsFile) to $out$destination.
target="$out$destination"
mkdir -p "$(dirname "$target")"
cp "$textPath" "$target"
if [ -n "$executable" ]; then chmod +x "$target"; fi
