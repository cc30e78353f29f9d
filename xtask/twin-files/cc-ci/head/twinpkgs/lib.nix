# The nixpkgs `lib` functions the twin's flake and its module system use, with nixpkgs'
# names and meanings: plain list/attribute/string helpers here, the module system from
# `module-system/` (properties, option declarations, types, evalModules).
let
  base = rec {
    fix = f: let x = f x; in x;

    # An overlay `final: prev: { … }` applied on top of a package-set function.
    extends = overlay: rattrs: final:
      let prev = rattrs final; in prev // overlay final prev;

    concatStringsSep = builtins.concatStringsSep;
    concatMapStringsSep = sep: f: list: builtins.concatStringsSep sep (map f list);
    mapAttrsToList = f: attrs: map (name: f name attrs.${name}) (builtins.attrNames attrs);
    filterAttrs = pred: attrs:
      builtins.listToAttrs (builtins.concatMap (name: if pred name attrs.${name} then [{ inherit name; value = attrs.${name}; }] else [ ]) (builtins.attrNames attrs));
    mapAttrsRecursiveCond = cond: f: set:
      let
        recurse = path: builtins.mapAttrs
          (name: value: if builtins.isAttrs value && cond value then recurse (path ++ [ name ]) value else f (path ++ [ name ]) value);
      in
      recurse [ ] set;
    optionalString = cond: s: if cond then s else "";
    optional = cond: x: if cond then [ x ] else [ ];
    optionals = cond: xs: if cond then xs else [ ];
    optionalAttrs = cond: attrs: if cond then attrs else { };
    toList = x: if builtins.isList x then x else [ x ];
    last = list: builtins.elemAt list (builtins.length list - 1);
    reverseList = xs: let l = builtins.length xs; in builtins.genList (n: builtins.elemAt xs (l - n - 1)) l;
    # The attributes whose value is not null (nixpkgs has filterAttrs for this).
    optionalAttrs' = attrs: filterAttrs (n: v: v != null) attrs;
    isDerivation = x: builtins.isAttrs x && (x.type or null) == "derivation";
    getBin = p: p.bin or p.out or p;

    hasAttrByPath = path: e:
      path == [ ] || (builtins.isAttrs e && e ? ${builtins.head path} && hasAttrByPath (builtins.tail path) e.${builtins.head path});
    getAttrByPath = path: e: builtins.foldl' (v: n: v.${n}) e path;
    setAttrByPath = path: v: builtins.foldl' (acc: n: { ${n} = acc; }) v (reverseList path);
    recursiveUpdate = a: b: a // builtins.mapAttrs
      (n: v: if a ? ${n} && builtins.isAttrs v && builtins.isAttrs a.${n} && !isDerivation v then recursiveUpdate a.${n} v else v)
      b;

    makeSearchPath = sub: pkgs: concatMapStringsSep ":" (p: "${p}/${sub}") pkgs;
    makeBinPath = makeSearchPath "bin";
  };
  lib = base
    // import ./module-system/properties.nix lib
    // import ./module-system/options.nix lib
    // import ./module-system/eval.nix lib
    // { types = import ./module-system/types.nix lib; };
in
lib
