# The module system's properties, with nixpkgs' names and meanings (lib/modules.nix): the
# wrappers a definition may carry (mkIf, mkMerge, mkOverride, mkOrder) and the three steps
# that take them off: pushed down from above an option to it, then discharged (mkMerge split,
# mkIf decided), filtered (only the highest priority stays) and sorted (mkBefore/mkAfter).
lib:
let
  inherit (builtins) concatMap foldl' isBool sort;
  kind = v: v._type or "";
in
rec {
  defaultOverridePriority = 100;
  defaultOrderPriority = 1000;

  mkIf = condition: content: { _type = "if"; inherit condition content; };
  mkMerge = contents: { _type = "merge"; inherit contents; };
  mkOverride = priority: content: { _type = "override"; inherit priority content; };
  mkOptionDefault = mkOverride 1500; # the priority of an option's own default
  mkDefault = mkOverride 1000;
  mkForce = mkOverride 50;
  mkVMOverride = mkOverride 10;
  mkOrder = priority: content: { _type = "order"; inherit priority content; };
  mkBefore = mkOrder 500;
  mkAfter = mkOrder 1500;

  # A definition above an option's level (`environment = mkIf c { … }`, a module's
  # `config = mkMerge [ … ]`) becomes definitions of its attributes, each carrying the
  # property: so an mkIf condition may read the whole configuration without recursion.
  pushDownProperties = cfg:
    if kind cfg == "merge" then concatMap pushDownProperties cfg.contents
    else if kind cfg == "if" then map (builtins.mapAttrs (n: v: mkIf cfg.condition v)) (pushDownProperties cfg.content)
    else if kind cfg == "override" then map (builtins.mapAttrs (n: v: mkOverride cfg.priority v)) (pushDownProperties cfg.content)
    else [ cfg ];

  # At the option's level: mkMerge gives several values, mkIf keeps its content or nothing.
  dischargeProperties = def:
    if kind def == "merge" then concatMap dischargeProperties def.contents
    else if kind def == "if" then
      (if !isBool def.condition then throw "‘mkIf’ called with a non-Boolean condition"
      else if def.condition then dischargeProperties def.content else [ ])
    else [ def ];

  # Only the definitions of the highest priority (the lowest number) stay, unwrapped.
  filterOverrides' = defs:
    let
      getPrio = def: if kind def.value == "override" then def.value.priority else defaultOverridePriority;
      highestPrio = foldl' (prio: def: if getPrio def < prio then getPrio def else prio) 9999 defs;
      strip = def: if kind def.value == "override" then def // { value = def.value.content; } else def;
    in
    {
      values = concatMap (def: if getPrio def == highestPrio then [ (strip def) ] else [ ]) defs;
      inherit highestPrio;
    };
  filterOverrides = defs: (filterOverrides' defs).values;

  # mkOrder: unwrapped, its priority kept beside the value, the definitions sorted (stable).
  sortProperties = defs:
    let
      strip = def: if kind def.value == "order" then def // { value = def.value.content; inherit (def.value) priority; } else def;
    in
    sort (a: b: (a.priority or defaultOrderPriority) < (b.priority or defaultOrderPriority)) (map strip defs);
}
