# Gate M2's question to the module system of the deployed system: what is the platform's
# (NixOS's own), so that M2.6 can class what only the Drone runner's PATH reaches
# (`/run/current-system/sw/bin:/run/wrappers/bin`) without a list of command names.
#   - `platform package <name> <store path>`: every output of a package all of whose
#     definitions in environment.systemPackages come from a platform file (a NixOS module:
#     under `modulesPath`, else `pkgs.path`, as scenarios/m1/facts.nix decides);
#   - `platform wrapper <name>`: a security.wrappers entry all of whose definitions do
#     (none when the system has no such option).
# M2 does not run gate M1's facts.nix; this file is its own, small on purpose.
#   nix eval --impure --json --expr '(import ./platform.nix) { flake = builtins.getFlake "git+file:///etc/cc-ci?submodules=1&rev=<deployed>"; host = "<host>"; }'
{ flake, host }:
let
  inherit (builtins) attrNames concatMap filter foldl' isAttrs isList isString map;
  c = flake.nixosConfigurations.${host};
  # NixOS' own modules, as facts.nix anchors them: `modulesPath`, else the package set's nixpkgs.
  anchor = toString (c._module.specialArgs.modulesPath or c.pkgs.path) + "/";
  fromPlatform = d: builtins.substring 0 (builtins.stringLength anchor) (toString d.file) == anchor;
  # A definition's value as the module system discharges it: mkIf, mkMerge, mkOverride, mkOrder.
  value = v:
    let kind = if isAttrs v then v._type or null else null; in
    if kind == "if" then (if v.condition then value v.content else null)
    else if kind == "override" || kind == "order" then value v.content
    else if kind == "merge" then
      foldl' (a: b: if isList b then (if a == null then [ ] else a) ++ b else (if a == null then { } else a) // b)
        null (filter (x: x != null) (map value v.contents))
    else v;
  # Where a package's commands resolve: each output's store path, as a plain string.
  paths = p: map builtins.unsafeDiscardStringContext
    (if isString p then [ p ] else map (o: toString (p.${o} or p)) (p.outputs or [ "out" ]));
  nameOf = p: if isString p then p else p.pname or (builtins.parseDrvName p.name).name;
  keys = l: builtins.listToAttrs (map (k: { name = k; value = true; }) l);
  split = defs: { mine = filter (d: !fromPlatform d) defs; nixos = filter fromPlatform defs; };

  pkgs' = split c.options.environment.systemPackages.definitionsWithLocations;
  items = d: let v = value d.value; in if isList v then v else [ ];
  taken = keys (concatMap (d: concatMap paths (items d)) pkgs'.mine);
  packages = concatMap
    (p: map (o: "platform package ${nameOf p} ${o}") (filter (o: !(taken ? ${o})) (paths p)))
    (concatMap items pkgs'.nixos);

  wrappers =
    if !(c.options ? security && c.options.security ? wrappers) then [ ]
    else
      let
        w = split c.options.security.wrappers.definitionsWithLocations;
        named = d: let v = value d.value; in
          if isAttrs v then filter (n: value v.${n} != null) (attrNames v) else [ ];
        own = keys (concatMap named w.mine);
      in
      map (n: "platform wrapper ${n}") (filter (n: !(own ? ${n})) (concatMap named w.nixos));
in
attrNames (keys (packages ++ wrappers))
