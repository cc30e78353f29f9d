# builtins.derivation builder (/bin/sh -e): a Python env like nixpkgs' python3.withPackages,
# built as a venv over the host's interpreter: bin/python3 -> /usr/bin/python3 plus
# pyvenv.cfg (no system site-packages), so only the chosen packages are importable: the
# dist-packages files of the Debian packages `$debs` and the stub packages `$stubs`.
pyver=$(/usr/bin/python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
site="$out/lib/python$pyver/site-packages"
mkdir -p "$out/bin" "$site"
printf 'home = /usr/bin\ninclude-system-site-packages = false\nversion = %s\n' \
  "$(/usr/bin/python3 -c 'import platform; print(platform.python_version())')" > "$out/pyvenv.cfg"
ln -s /usr/bin/python3 "$out/bin/python3"
ln -s python3 "$out/bin/python"
for deb in $debs; do
  dpkg-query -L "$deb" > "$TMPDIR/files"
  while IFS= read -r file; do
    case "$file" in /usr/lib/python3/dist-packages/*) ;; *) continue ;; esac
    rel=${file#/usr/lib/python3/dist-packages/}
    case "$rel" in */__pycache__/* | __pycache__/*) continue ;; esac
    if [ -d "$file" ]; then
      mkdir -p "$site/$rel"
    elif [ -f "$file" ]; then
      mkdir -p "$(dirname "$site/$rel")"
      cp -L "$file" "$site/$rel"
    fi
  done < "$TMPDIR/files"
done
for stub in $stubs; do
  cp -R "$stub" "$site/$(basename "$stub" | sed 's/^[a-z0-9]\{32\}-//')"
done
for script in pytest py.test; do
  if [ -d "$site/pytest" ]; then
    printf '#!%s/bin/python3\nimport sys\nfrom pytest import console_main\nsys.exit(console_main())\n' "$out" > "$out/bin/$script"
    chmod +x "$out/bin/$script"
  fi
done
