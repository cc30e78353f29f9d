# builtins.derivation builder (/bin/sh -e): a Python env like nixpkgs' python3.withPackages,
# built as a venv over the host's interpreter: bin/python3 -> /usr/bin/python3 plus
# pyvenv.cfg (no system site-packages), so only the chosen packages are importable: the
# dist-packages files of the Debian packages `$debs` and the site-packages trees `$stubs`.
# Like nixpkgs' env (a buildEnv without ignoreCollisions), two packages providing the same
# file with different contents is a collision and fails the build.
pyver=$(/usr/bin/python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
site="$out/lib/python$pyver/site-packages"
mkdir -p "$out/bin" "$site"
printf 'home = /usr/bin\ninclude-system-site-packages = false\nversion = %s\n' \
  "$(/usr/bin/python3 -c 'import platform; print(platform.python_version())')" > "$out/pyvenv.cfg"
ln -s /usr/bin/python3 "$out/bin/python3"
ln -s python3 "$out/bin/python"

# place SOURCE REL: put SOURCE at site-packages/REL unless an identical file is there.
place() {
  if [ -e "$site/$2" ]; then
    if ! cmp -s "$1" "$site/$2"; then
      echo "collision between \`$1' and \`$(cat "$TMPDIR/from/$(echo "$2" | tr / _)")'" >&2
      echo "pkgs.buildEnv error: two given paths contain a conflicting subpath: $2" >&2
      exit 1
    fi
    return 0
  fi
  mkdir -p "$(dirname "$site/$2")" "$TMPDIR/from"
  cp -L "$1" "$site/$2"
  echo "$1" > "$TMPDIR/from/$(echo "$2" | tr / _)"
}

for deb in $debs; do
  dpkg-query -L "$deb" > "$TMPDIR/files"
  while IFS= read -r file; do
    case "$file" in /usr/lib/python3/dist-packages/*) ;; *) continue ;; esac
    rel=${file#/usr/lib/python3/dist-packages/}
    case "$rel" in */__pycache__/* | __pycache__/*) continue ;; esac
    if [ -d "$file" ]; then
      mkdir -p "$site/$rel"
    elif [ -f "$file" ]; then
      place "$file" "$rel"
    fi
  done < "$TMPDIR/files"
done
for stub in $stubs; do
  (cd "$stub" && find . -type f) | sed 's|^\./||' > "$TMPDIR/files"
  while IFS= read -r rel; do
    place "$stub/$rel" "$rel"
  done < "$TMPDIR/files"
done
for script in pytest py.test; do
  if [ -d "$site/pytest" ]; then
    printf '#!%s/bin/python3\nimport sys\nfrom pytest import console_main\nsys.exit(console_main())\n' "$out" > "$out/bin/$script"
    chmod +x "$out/bin/$script"
  fi
done
