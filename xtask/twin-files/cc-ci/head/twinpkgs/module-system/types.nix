# Option types with nixpkgs' names and meanings (lib/types.nix), for the options NixOS
# declares that cc-ci's modules define: each has `check` (is a definition of this type) and
# `merge` (the definitions, after properties, into one value; elements of lists and
# attribute sets go through mergeDefinitions again, so an mkIf inside them is honoured).
lib:
let
  inherit (builtins) all any attrNames concatLists concatStringsSep elem filter foldl' genList head isAttrs isBool
    isFunction isInt isList isPath isString length mapAttrs match substring zipAttrsWith;
  inherit (lib) mergeDefinitions mergeEqualOption mergeOneOption mergeDefaultOption showOption showFiles;
  imap1 = f: list: genList (i: f (i + 1) (builtins.elemAt list i)) (length list);
  isStringLike = x: isString x || isPath x || x ? outPath || x ? __toString;

  mkOptionType = { name, description ? name, check ? (x: true), merge ? mergeDefaultOption, ... }@attrs:
    { _type = "option-type"; getSubModules = null; } // attrs // { inherit name description check merge; };

  # A type whose definitions are strings joined by `sep` (lines, commas).
  separatedString = sep: mkOptionType {
    name = "separatedString";
    description = if sep == "\n" then "strings concatenated with \"\\n\"" else "strings concatenated with \"${sep}\"";
    check = isString;
    merge = loc: defs: concatStringsSep sep (map (d: d.value) defs);
  };

  types = rec {
    inherit mkOptionType;

    unspecified = mkOptionType { name = "unspecified"; };
    raw = mkOptionType { name = "raw"; merge = mergeOneOption; };
    # Any value: attribute sets merged per attribute, other values must agree.
    anything = mkOptionType {
      name = "anything";
      merge = loc: defs:
        let values = map (d: d.value) defs; in
        if all (v: isAttrs v && !(v ? outPath)) values then (attrsOf anything).merge loc defs
        else if all isFunction values then arg: anything.merge loc (map (d: d // { value = d.value arg; }) defs)
        else if all isList values && length defs > 1 then throw "The option `${showOption loc}' has conflicting definitions, in ${showFiles (map (d: d.file) defs)}."
        else if length defs == 1 then (head defs).value
        else mergeEqualOption loc defs;
    };

    bool = mkOptionType { name = "bool"; description = "boolean"; check = isBool; merge = mergeEqualOption; };
    int = mkOptionType { name = "int"; description = "signed integer"; check = isInt; merge = mergeEqualOption; };
    str = mkOptionType { name = "str"; description = "string"; check = isString; merge = mergeEqualOption; };
    strMatching = pattern: str // { name = "strMatching ${pattern}"; description = "string matching the pattern ${pattern}"; check = x: isString x && match pattern x != null; };
    singleLineStr = strMatching "[^\n\r]*\n?" // { name = "singleLineStr"; description = "(optionally newline-terminated) single-line string"; };
    lines = separatedString "\n" // { name = "lines"; };
    commas = separatedString "," // { name = "commas"; };
    enum = values: mkOptionType { name = "enum"; description = "one of ${concatStringsSep ", " (map builtins.toJSON values)}"; check = x: elem x values; merge = mergeEqualOption; };
    path = mkOptionType { name = "path"; description = "path"; check = x: isStringLike x && substring 0 1 (toString x) == "/"; merge = mergeEqualOption; };
    package = mkOptionType {
      name = "package";
      description = "package";
      check = x: lib.isDerivation x || (isString x && match "/nix/store/[^/]+" x != null);
      merge = mergeOneOption;
    };
    attrs = mkOptionType { name = "attrs"; description = "attribute set"; check = isAttrs; merge = loc: foldl' (res: def: res // def.value) { }; };

    listOf = elemType: mkOptionType {
      name = "listOf";
      description = "list of ${elemType.description}";
      check = isList;
      merge = loc: defs:
        map (x: x.value) (filter (x: x ? value) (concatLists (imap1
          (n: def: imap1
            (m: v: (mergeDefinitions (loc ++ [ "[definition ${toString n}-entry ${toString m}]" ]) elemType [{ inherit (def) file; value = v; }]).optionalValue)
            def.value)
          defs)));
      nestedTypes.elemType = elemType;
    };

    # Each attribute's definitions merged on their own: an attribute all of whose
    # definitions are discharged (mkIf false) is absent.
    attrsOf = elemType: mkOptionType {
      name = "attrsOf";
      description = "attribute set of ${elemType.description}";
      check = isAttrs;
      merge = loc: defs:
        mapAttrs (n: v: v.value) (lib.filterAttrs (n: v: v ? value) (zipAttrsWith
          (name: defs: (mergeDefinitions (loc ++ [ name ]) elemType defs).optionalValue)
          (map (def: mapAttrs (n: v: { inherit (def) file; value = v; }) def.value) defs)));
      nestedTypes.elemType = elemType;
    };
    # The same, but an attribute's value is only merged when it is read.
    lazyAttrsOf = elemType: attrsOf elemType // {
      name = "lazyAttrsOf";
      merge = loc: defs:
        zipAttrsWith
          (name: defs: (mergeDefinitions (loc ++ [ name ]) elemType defs).mergedValue)
          (map (def: mapAttrs (n: v: { inherit (def) file; value = v; }) def.value) defs);
    };

    nullOr = elemType: mkOptionType {
      name = "nullOr";
      description = "null or ${elemType.description}";
      check = x: x == null || elemType.check x;
      merge = loc: defs:
        let nrNulls = length (filter (d: d.value == null) defs); in
        if nrNulls == length defs then null
        else if nrNulls != 0 then throw "The option `${showOption loc}' is defined both null and not null, in ${showFiles (map (d: d.file) defs)}."
        else elemType.merge loc defs;
    };

    either = t1: t2: mkOptionType {
      name = "either";
      description = "${t1.description} or ${t2.description}";
      check = x: t1.check x || t2.check x;
      merge = loc: defs:
        let values = map (d: d.value) defs; in
        if all t1.check values then t1.merge loc defs
        else if all t2.check values then t2.merge loc defs
        else mergeOneOption loc defs;
    };
    oneOf = ts: foldl' either (head ts) (builtins.tail ts);

    # A value of `coercedType` is turned into `finalType` by `coerceFunc` before merging.
    coercedTo = coercedType: coerceFunc: finalType: mkOptionType {
      name = "coercedTo";
      description = "${finalType.description} or ${coercedType.description} convertible to it";
      check = x: (coercedType.check x && finalType.check (coerceFunc x)) || finalType.check x;
      merge = loc: defs:
        finalType.merge loc (map (d: d // { value = if coercedType.check d.value then coerceFunc d.value else d.value; }) defs);
    };

    addCheck = elemType: check: elemType // { check = x: elemType.check x && check x; };

    functionTo = elemType: mkOptionType {
      name = "functionTo";
      description = "function that evaluates to a(n) ${elemType.description}";
      check = isFunction;
      merge = loc: defs: arg: elemType.merge loc (map (d: { inherit (d) file; value = d.value arg; }) defs);
    };

    # A nested configuration: its definitions are modules evaluated with the declaring
    # modules (and `name`, the attribute it sits under in attrsOf); a plain attribute set
    # is config only (shorthandOnlyDefinesConfig), a function is a module.
    submoduleWith = { modules, specialArgs ? { }, shorthandOnlyDefinesConfig ? false }: mkOptionType {
      name = "submodule";
      description = "submodule";
      check = x: isAttrs x || isFunction x || path.check x;
      merge = loc: defs:
        (lib.evalModules {
          inherit specialArgs;
          prefix = loc;
          modules = modules
            ++ [{ _module.args.name = lib.last loc; }]
            ++ map
            (d: if isAttrs d.value && shorthandOnlyDefinesConfig
            then { _file = d.file; config = d.value; }
            else { _file = d.file; imports = [ d.value ]; })
            defs;
        }).config;
      getSubModules = modules;
      submoduleArgs = { inherit specialArgs shorthandOnlyDefinesConfig; };
    };
    submodule = modules: submoduleWith {
      shorthandOnlyDefinesConfig = true;
      modules = if isList modules then modules else [ modules ];
    };
  };
in
types
