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

  makeSearchPath = sub: pkgs: concatMapStringsSep ":" (p: "${p}/${sub}") pkgs;
  makeBinPath = makeSearchPath "bin";
}
