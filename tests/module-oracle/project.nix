# What the oracle compares of one system, normalized so both module systems can be set side
# by side: per option cc-ci uses, `definitionsWithLocations` (file relative to the oracle or
# `<nixos>/…` for a platform module, whose value is not compared: the twin's platform lists
# are the twin's packages; values with packages as names, functions as "<function>", store
# paths without their hash), and the merged `config` of those options.
{ c, root, part }:
let
  inherit (builtins) attrNames concatMap concatStringsSep elem filter isAttrs isFunction isList isPath isString
    listToAttrs mapAttrs split stringLength substring;
  platform = toString c._module.specialArgs.modulesPath + "/";
  rootDir = toString root + "/";
  under = dir: f: substring 0 (stringLength dir) (toString f) == dir;
  file = f:
    if under platform f then "<nixos>/" + substring (stringLength platform) 4096 (toString f)
    else if under rootDir f then substring (stringLength rootDir) 4096 (toString f)
    else toString f;
  unstore = s: concatStringsSep "" (filter isString (split "/nix/store/[a-z0-9]{32}-" s));
  norm = v:
    if isFunction v then "<function>"
    else if isAttrs v then (if (v.type or null) == "derivation" then "pkg:${v.pname or v.name}" else mapAttrs (n: norm) v)
    else if isList v then map norm v
    else if isPath v then file v
    else if isString v then unstore v
    else v;
  defs = o: map
    (d: { file = file d.file; } // (if under platform d.file then { } else { value = norm d.value; })
      // (if d ? priority then { inherit (d) priority; } else { }))
    o.definitionsWithLocations;
  names = ps: map (p: p.pname or p.name) ps;
  # The merged list without what the platform's own definitions put in it (the twin's platform
  # list is the twin's, not NixOS'): one occurrence per platform element, the rest sorted.
  remove = x: l:
    let i = builtins.foldl' (acc: e: if acc.found || e != x then acc // { out = acc.out ++ [ e ]; } else acc // { found = true; }) { found = false; out = [ ]; } l; in
    i.out;
  platformNames = concatMap (d: names (filter isAttrs d.value))
    (filter (d: under platform d.file) c.options.environment.systemPackages.definitionsWithLocations);
  ownPackages = builtins.sort (a: b: a < b) (builtins.foldl' (l: x: remove x l) (names c.config.environment.systemPackages) platformNames);
  service = s: {
    inherit (s) script preStart startAt wantedBy after wants requires description;
    path = norm s.path;
    environment = norm s.environment;
    serviceConfig = norm s.serviceConfig;
    unitConfig = norm s.unitConfig;
  };
  timer = t: {
    inherit (t) wantedBy description;
    timerConfig = norm t.timerConfig;
    unitConfig = norm t.unitConfig;
  };
in
{
  definitions = {
    "environment.systemPackages" = defs c.options.environment.systemPackages;
    "environment.variables" = defs c.options.environment.variables;
    "systemd.services" = defs c.options.systemd.services;
    "systemd.timers" = defs c.options.systemd.timers;
    "nixpkgs.overlays" = defs c.options.nixpkgs.overlays;
    "networking.hostName" = defs c.options.networking.hostName;
  };
  config = {
    systemPackages = ownPackages;
    variables = c.config.environment.variables;
    hostName = c.config.networking.hostName;
    services = mapAttrs (n: service) c.config.systemd.services;
    timers = mapAttrs (n: timer) c.config.systemd.timers;
  };
}.${part}
