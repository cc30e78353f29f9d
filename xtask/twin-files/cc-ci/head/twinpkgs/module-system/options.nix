# Option declarations and the merge functions types share, with nixpkgs' names, meanings and
# error texts (lib/options.nix): mkOption, mkEnableOption, mergeEqualOption (a value defined
# twice must be the same: *has conflicting definition values*), mergeOneOption, and how an
# option's name and its definitions are shown in an error.
lib:
let
  inherit (builtins) all concatLists concatStringsSep foldl' head isAttrs isBool isFunction isInt isList isString length map match tail typeOf;
in
rec {
  mkOption = attrs: attrs // { _type = "option"; };
  isOption = x: isAttrs x && (x._type or "") == "option";

  mkEnableOption = name: mkOption {
    default = false;
    example = true;
    description = "Whether to enable ${name}.";
    type = lib.types.bool;
  };

  # `a.b."c d"`: a part that is not a plain identifier is quoted.
  showOption = parts: concatStringsSep "." (map
    (part: if match "[a-zA-Z_][a-zA-Z0-9_'-]*|<name>|\\*" part != null then part else "\"${part}\"")
    parts);
  showFiles = files: concatStringsSep " and " (map (f: "`${f}'") files);

  # A value as an error shows it (nixpkgs prints the Nix expression; a short form here).
  showValue = v:
    if isString v then "\"${v}\""
    else if isBool v then (if v then "true" else "false")
    else if isInt v then toString v
    else if v == null then "null"
    else if isList v then "[ " + concatStringsSep " " (map showValue v) + " ]"
    else if isAttrs v && v ? outPath then "«derivation ${v.name or "?"}»"
    else if isAttrs v then "{ " + concatStringsSep " " (map (n: "${n} = ${showValue v.${n}};") (builtins.attrNames v)) + " }"
    else "<${typeOf v}>";
  showDefs = defs: concatStringsSep "" (map (d: "\n- In `${d.file}': ${showValue d.value}") defs);

  prioritySuggestion = ''
    Use `lib.mkForce value` or `lib.mkDefault value` to change the priority on any of these definitions.
  '';

  mergeEqualOption = loc: defs:
    if defs == [ ] then abort "This case should never happen."
    else if length defs == 1 then (head defs).value
    else (foldl'
      (first: def:
        if def.value != first.value then
          throw "The option `${showOption loc}' has conflicting definition values:${showDefs [ first def ]}\n${prioritySuggestion}"
        else first)
      (head defs) (tail defs)).value;

  mergeUniqueOption = { message }: loc: defs:
    if length defs == 1 then (head defs).value
    else throw "The option `${showOption loc}' is defined multiple times while it's expected to be unique.\n${message}\nDefinition values:${showDefs defs}\n${prioritySuggestion}";
  mergeOneOption = mergeUniqueOption { message = ""; };

  # What an option of no type does: one value as is, lists concatenated, sets merged.
  mergeDefaultOption = loc: defs:
    let list = map (d: d.value) defs; in
    if length list == 1 then head list
    else if all isFunction list then x: mergeDefaultOption loc (map (d: d // { value = d.value x; }) defs)
    else if all isList list then concatLists list
    else if all isAttrs list then foldl' (a: b: a // b) { } list
    else if all isBool list then foldl' (a: b: a || b) false list
    else if all isString list then concatStringsSep "" list
    else if all isInt list && all (x: x == head list) list then head list
    else throw "Cannot merge definitions of `${showOption loc}'. Definition values:${showDefs defs}";
}
