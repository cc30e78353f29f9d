# The twin's lib.evalModules, with nixpkgs' semantics (lib/modules.nix), smaller: modules
# are collected (files, functions, attribute sets; an inline import's file is the importing
# module's), declarations and definitions are matched by name down the option tree, each
# option's definitions are merged by its type, and a definition no option declares is the
# real error (*The option `x' does not exist*) on any access to `config` or `options`.
lib:
let
  inherit (builtins) all any attrNames concatLists concatMap filter foldl' functionArgs genList genericClosure head
    isAttrs isFunction length mapAttrs seq tail zipAttrsWith;
  inherit (lib) types mkOption isOption showOption showFiles showDefs pushDownProperties dischargeProperties
    filterOverrides' sortProperties mkOptionDefault;
  imap1 = f: list: genList (i: f (i + 1) (builtins.elemAt list i)) (length list);

  # A module in canonical form: { _file, key, imports, options, config }.
  unifyModuleSyntax = file: key: m:
    if m ? config || m ? options then
      let bad = removeAttrs m [ "_class" "_file" "key" "disabledModules" "imports" "options" "config" "meta" "freeformType" ]; in
      if bad != { } then
        throw "Module `${key}' has an unsupported attribute `${head (attrNames bad)}'. This is caused by introducing a top-level `config' or `options' attribute. Add configuration attributes immediately on the top level instead, or move all of them (namely: ${toString (attrNames bad)}) into the explicit `config' attribute."
      else {
        _file = toString (m._file or file);
        key = toString (m.key or key);
        imports = m.imports or [ ];
        options = m.options or { };
        config = m.config or { };
      }
    else {
      # Shorthand: everything but the module's own attributes is config.
      _file = toString (m._file or file);
      key = toString (m.key or key);
      imports = (m.require or [ ]) ++ (m.imports or [ ]);
      options = { };
      config = removeAttrs m [ "_class" "_file" "key" "disabledModules" "require" "imports" "freeformType" ];
    };

  # A module function gets its arguments by name: the special ones, else `_module.args`.
  applyModuleArgs = f: args@{ config, ... }:
    f (args // mapAttrs (name: _: args.${name} or config._module.args.${name}) (functionArgs f));

  loadModule = args: file: key: m:
    if isFunction m then unifyModuleSyntax file key (applyModuleArgs m args)
    else if isAttrs m then
      (if (m._type or "module") == "module" then unifyModuleSyntax file key m
      else if m._type == "if" || m._type == "override" then loadModule args file key { config = m; }
      else throw "Could not load a value as a module, because it is of type ${builtins.toJSON m._type}, in file ${file}.")
    else if builtins.isList m then throw "Module imports can't be nested lists. Perhaps you meant to remove one level of lists?"
    else
      let f = import m; in
      unifyModuleSyntax (toString m) (toString m) (if isFunction f then applyModuleArgs f args else f);

  # Every module once (by key), breadth-first over the import tree, as nixpkgs' lib does.
  collectModules = initial: args:
    let
      tree = file: parentKey: ms: imap1
        (n: x:
          let module = loadModule args file "${parentKey}:anon-${toString n}" x; in
          { inherit (module) key; inherit module; children = tree module._file module.key module.imports; })
        ms;
    in
    map (a: a.module) (genericClosure { startSet = tree "<unknown-file>" "" initial; operator = a: a.children; });

  # Declarations of one option merged (one may declare, others may add submodule options).
  mergeOptionDecls = loc: decls:
    foldl'
      (res: d:
        let o = d.options; both = k: o ? ${k} && res ? ${k}; in
        if both "default" || both "apply" || both "description" || (both "type" && (o.type.getSubModules == null || res.type.getSubModules == null)) then
          throw "The option `${showOption loc}' in `${d._file}' is already declared in ${showFiles res.declarations}."
        else
          o // res // { declarations = res.declarations ++ [ d._file ]; }
          // (if both "type" then { type = types.submoduleWith (res.type.submoduleArgs // { modules = res.type.getSubModules ++ o.type.getSubModules; }); } else { }))
      { declarations = [ ]; }
      decls;

  mergeDefinitions = loc: type: defs: rec {
    defsFinal' =
      let
        discharged = concatMap (d: map (value: { inherit (d) file; inherit value; }) (dischargeProperties d.value)) defs;
        filtered = filterOverrides' discharged;
      in
      {
        values = if any (d: (d.value._type or "") == "order") filtered.values then sortProperties filtered.values else filtered.values;
        inherit (filtered) highestPrio;
      };
    defsFinal = defsFinal'.values;
    isDefined = defsFinal != [ ];
    mergedValue =
      if isDefined then
        (if all (d: type.check d.value) defsFinal then type.merge loc defsFinal
        else throw "A definition for option `${showOption loc}' is not of type `${type.description}'. Definition values:${showDefs (filter (d: !type.check d.value) defsFinal)}")
      else throw "The option `${showOption loc}' was accessed but has no value defined. Try setting the option.";
    optionalValue = if isDefined then { value = mergedValue; } else { };
  };

  # An option with what nixpkgs' lib records of it; its default is a definition (of the
  # lowest priority, from the declaring file), so it shows only when nothing else defines it.
  evalOptionValue = loc: opt: defs:
    let
      withDefault = (if opt ? default then [{ file = head opt.declarations; value = mkOptionDefault opt.default; }] else [ ]) ++ defs;
      type = opt.type or types.unspecified;
      res = mergeDefinitions loc type withDefault;
    in
    opt // {
      inherit loc type;
      value = if opt ? apply then opt.apply res.mergedValue else res.mergedValue;
      inherit (res.defsFinal') highestPrio;
      definitions = map (d: d.value) res.defsFinal;
      files = map (d: d.file) res.defsFinal;
      definitionsWithLocations = res.defsFinal;
      inherit (res) isDefined;
    };

  byName = f: list: zipAttrsWith (n: concatLists) (map f list);

  # Declarations and definitions matched down the tree: { matchedOptions, unmatchedDefns }.
  mergeModules' = prefix: modules: configs:
    let
      declsByName = byName (m: mapAttrs (n: o: [{ inherit (m) _file; options = o; }]) m.options) modules;
      checked = map
        (c: if isAttrs c.config then c else
        throw "In module `${c.file}', you're trying to define a value of type `${builtins.typeOf c.config}'\nrather than an attribute set for the option\n`${showOption prefix}'!")
        configs;
      pushedByName = byName (c: mapAttrs (n: v: map (config: { inherit (c) file; inherit config; }) (pushDownProperties v)) c.config) checked;
      rawByName = byName (c: mapAttrs (n: v: [{ inherit (c) file; value = v; }]) c.config) checked;
      results = mapAttrs
        (name: decls:
          let loc = prefix ++ [ name ]; in
          if all (d: isOption d.options) decls then {
            matchedOptions = evalOptionValue loc (mergeOptionDecls loc decls) (rawByName.${name} or [ ]);
            unmatchedDefns = [ ];
          }
          else if any (d: isOption d.options) decls then
            throw "The option `${showOption loc}' in module `${(head (filter (d: isOption d.options) decls))._file}' would be a parent of other options, but its type does not support nested options."
          else mergeModules' loc decls (pushedByName.${name} or [ ]))
        declsByName;
      unmatchedByName = mapAttrs (n: v: v.unmatchedDefns) results // removeAttrs rawByName (attrNames results);
    in
    {
      matchedOptions = mapAttrs (n: v: v.matchedOptions) results;
      unmatchedDefns = if configs == [ ] then [ ] else
      concatLists (lib.mapAttrsToList (name: defs: map (d: d // { prefix = [ name ] ++ (d.prefix or [ ]); }) defs) unmatchedByName);
    };

  # What every evaluation declares: the module arguments and the special arguments.
  internalModule = specialArgs: {
    _file = "lib/modules.nix";
    key = "lib/modules.nix";
    options._module.args = mkOption { type = types.lazyAttrsOf types.raw; description = "Arguments passed to each module."; };
    options._module.specialArgs = mkOption { description = "Externally provided module arguments that can't be modified from within a configuration."; };
    config._module.args = { };
    config._module.specialArgs = specialArgs;
  };

  evalModules = { modules, specialArgs ? { }, prefix ? [ ] }:
    let
      args = { inherit lib options config specialArgs; } // specialArgs;
      collected = collectModules (modules ++ [ (internalModule specialArgs) ]) args;
      # nixpkgs' lib merges the modules in reverse order, so do the definitions lists.
      reversed = lib.reverseList collected;
      merged = mergeModules' prefix reversed
        (concatMap (m: map (config: { file = m._file; inherit config; }) (pushDownProperties m.config)) reversed);
      options = merged.matchedOptions;
      config = lib.mapAttrsRecursiveCond (v: !isOption v) (_: v: v.value) options;
      checkUnmatched =
        if merged.unmatchedDefns == [ ] then null
        else
          let first = head merged.unmatchedDefns; in
          throw "The option `${showOption (prefix ++ first.prefix)}' does not exist. Definition values:${showDefs [ first ]}";
      checked = seq checkUnmatched;
    in
    {
      _type = "configuration";
      options = checked options;
      config = checked (removeAttrs config [ "_module" ]);
      _module = checked config._module;
    };
in
{
  inherit evalModules mergeDefinitions evalOptionValue;
}
