# The few nixpkgs `lib` functions the twin's flake uses, with nixpkgs' names and meanings.
rec {
  fix = f: let x = f x; in x;

  # An overlay `final: prev: { … }` applied on top of a package-set function.
  extends = overlay: rattrs: final:
    let prev = rattrs final; in prev // overlay final prev;

  concatStringsSep = builtins.concatStringsSep;
  concatMapStringsSep = sep: f: list: builtins.concatStringsSep sep (map f list);
  mapAttrsToList = f: attrs: map (name: f name attrs.${name}) (builtins.attrNames attrs);
  optionalString = cond: s: if cond then s else "";
  optional = cond: x: if cond then [ x ] else [ ];
  # The attributes whose value is not null (nixpkgs has filterAttrs for this).
  optionalAttrs' = attrs:
    builtins.listToAttrs (builtins.filter (a: a.value != null)
      (map (name: { inherit name; value = attrs.${name}; }) (builtins.attrNames attrs)));
  isDerivation = x: builtins.isAttrs x && (x.type or null) == "derivation";

  hasAttrByPath = path: e:
    path == [ ] || (builtins.isAttrs e && e ? ${builtins.head path} && hasAttrByPath (builtins.tail path) e.${builtins.head path});
  getAttrByPath = path: e: builtins.foldl' (v: n: v.${n}) e path;
  setAttrByPath = path: v: builtins.foldl' (acc: n: { ${n} = acc; }) v (builtins.genList (i: builtins.elemAt path (builtins.length path - 1 - i)) (builtins.length path));
  recursiveUpdate = a: b: a // builtins.mapAttrs
    (n: v: if a ? ${n} && builtins.isAttrs v && builtins.isAttrs a.${n} && !isDerivation v then recursiveUpdate a.${n} v else v)
    b;

  # The module system's properties (lib/modules.nix), as the twin's nixos.nix discharges them.
  mkIf = condition: content: { _type = "if"; inherit condition content; };
  mkOverride = priority: content: { _type = "override"; inherit priority content; };
  mkForce = mkOverride 50;

  makeSearchPath = sub: pkgs: concatMapStringsSep ":" (p: "${p}/${sub}") pkgs;
  makeBinPath = makeSearchPath "bin";
}
