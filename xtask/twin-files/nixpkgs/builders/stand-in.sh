# builtins.derivation builder (/bin/sh -e): a stand-in script as $out/bin/$pname, with
# @version@ filled in.
mkdir -p "$out/bin"
sed "s|@version@|$version|g" "$script" > "$out/bin/$pname"
chmod +x "$out/bin/$pname"
