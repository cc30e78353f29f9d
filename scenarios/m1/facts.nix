# Gate M1's facts about one commit of the cc-ci flake, asked of the NixOS module system (never
# read from the text of a .nix file): every definition of a package list that reaches a
# harness path (`environment.systemPackages`, a unit's `path`, `environment.PATH` or
# `serviceConfig.Environment`/`EnvironmentFile`; `systemd.packages`, whose drop-ins can set a unit's environment) with the
# file it comes from, as nixpkgs' lib records it (`options.<option>.definitionsWithLocations`);
# the shared set; the units and modules of each host. One line per fact; the scenarios judge.
#   nix eval --impure --json --expr '(import ./facts.nix) { flake = builtins.getFlake "git+file://<clone>?submodules=1"; hosts = [ "<host>" … ]; }'
{ flake, hosts }:
let
  inherit (builtins) attrNames concatMap concatStringsSep filter isAttrs isList isString map match;
  root = toString flake.outPath + "/";
  under = dir: f: builtins.substring 0 (builtins.stringLength dir) (toString f) == dir;
  # A definition as the module system discharges it (lib/modules.nix: dischargeProperties,
  # then mkOverride/mkOrder unwrapped): the values it stands for. A false mkIf is no value,
  # not null; each part of an mkMerge is a value of its own (a line of its own, never merged
  # with another part), so the facts do not depend on the order of parts or modules.
  prop = v: if isAttrs v then v._type or null else null;
  values = v:
    let t = prop v; in
    if t == "if" then (if v.condition then values v.content else [ ])
    else if t == "merge" then concatMap values v.contents
    else if t == "override" || t == "order" then values v.content
    else [ v ];
  # A list's elements, each discharged as listOf does (an element under a false mkIf is dropped).
  elements = l: concatMap values l;
  storeName = s:
    let m = match "/nix/store/[a-z0-9]{32}-([^/]+).*" s; in
    if m == null then s else (builtins.parseDrvName (builtins.head m)).name;

  host = h:
    let
      c = flake.nixosConfigurations.${h};
      # NixOS' own modules: `modulesPath` (a special argument of every NixOS system, also when
      # `pkgs` comes from another nixpkgs), else the package set's nixpkgs (`pkgs.path`).
      platformDir = toString (c._module.specialArgs.modulesPath or c.pkgs.path) + "/";
      platform = f: under platformDir f;
      # The file a definition comes from: the flake's own (relative to it) or any other one;
      # another flake input's module (`/nix/store/…-source/…`) and a module inline in flake.nix
      # (`<unknown-file>`) count as the flake's own: only the platform's are left out.
      file = f: if under root f then builtins.substring (builtins.stringLength root) 4096 (toString f) else toString f;
      ccrun = toString c.pkgs.cc-ci-run or "";
      name = p:
        if isString p then storeName p
        else if (p.name or "") == "cc-ci-run" && toString p != ccrun then "cc-ci-run(NOT-pkgs.cc-ci-run)"
        else p.pname or (builtins.parseDrvName p.name).name;
      names = l: concatStringsSep " " (map name (elements l));
      own = defs: filter (d: !platform d.file) defs;
      line = d: opt: v: "${h}: ${file d.file}: ${opt} = ${v}";
      systemPackages = concatMap (d: map (v: line d "environment.systemPackages" (names v)) (values d.value))
        (own c.options.environment.systemPackages.definitionsWithLocations);
      # Per unit definition: a line per `path` value and per `environment.PATH` value.
      unitLines = d: u: s:
        map (p: line d "systemd.services.${u}.path" (names p)) (if s ? path then values s.path else [ ])
        ++ concatMap
          (env: map
            (p: line d "systemd.services.${u}.environment.PATH" (concatStringsSep ":" (map storeName (filter (e: isString e && e != "") (builtins.split ":" p)))))
            (if env ? PATH then values env.PATH else [ ]))
          (if s ? environment then values s.environment else [ ])
        ++ concatMap (serviceEnv d u) (if s ? serviceConfig then values s.serviceConfig else [ ]);
      # The unit's environment in serviceConfig's spelling (`Environment`, `EnvironmentFile`):
      # a line per assignment or file, as written (systemd keeps a later PATH= over NixOS' own).
      serviceEnv = d: u: sc: concatMap
        (k: concatMap
          (v: map (x: line d "systemd.services.${u}.serviceConfig.${k}" (toString x)) (if isList v then elements v else [ v ]))
          (if isAttrs sc && sc ? ${k} then values sc.${k} else [ ]))
        [ "Environment" "EnvironmentFile" ];
      # systemd.packages: units and drop-ins a package ships (a unit's environment in another spelling).
      unitPackages = concatMap (d: map (v: line d "systemd.packages" (names v)) (values d.value))
        (own (c.options.systemd.packages.definitionsWithLocations or [ ]));
      services = concatMap
        (d: concatMap (v: concatMap (u: concatMap (unitLines d u) (values v.${u})) (attrNames v)) (values d.value))
        (own c.options.systemd.services.definitionsWithLocations);
      files = o: map file (filter (f: !platform f) o.files);
      modules = builtins.sort (a: b: a < b) (builtins.attrNames (builtins.listToAttrs (map (f: { name = f; value = null; })
        (concatMap files [ c.options.environment.systemPackages c.options.systemd.services c.options.systemd.timers c.options.nixpkgs.overlays ]))));
      # The overlay attributes seed 001 names (`ccciRuntimeTools`, `cc-ci-run`); the Python env
      # is a `let` there, so it is not asked for here: the scenarios find it in what cc-ci-run
      # is built of (its built PATH). A tool's dir is where makeBinPath puts it (`getBin`).
      bin = p: if p.outputSpecified or false then p else p.bin or p.out or p;
      shared = if c.pkgs ? ccciRuntimeTools then [
        "${h}: shared ccciRuntimeTools = ${names c.pkgs.ccciRuntimeTools}"
        "${h}: shared cc-ci-run = ${ccrun}"
      ] ++ map (p: "${h}: shared dir ${bin p}/bin") c.pkgs.ccciRuntimeTools else [ ];

      # ---- The platform's contents (what a path has because it is NixOS's own) ----
      # Asked of the module system, never listed by name: a package is the platform's when
      # every definition putting it into environment.systemPackages comes from a platform
      # file (`platform`, above); a setuid wrapper when every definition of
      # security.wrappers.<name> does. One line per output of such a package (the store path
      # its commands resolve into) and per such wrapper; the scenarios class what one path
      # alone has by these lines (witness's `platform` option). A system without a
      # security.wrappers option has no wrapper facts.
      listed = v: concatMap (x: if isList x then elements x else [ ]) (values v);
      # Store paths as plain strings (an attribute name carries no store context).
      outPaths = p: map builtins.unsafeDiscardStringContext
        (if isString p then [ p ] else map (o: toString (p.${o} or p)) (p.outputs or [ "out" ]));
      set = l: builtins.listToAttrs (map (n: { name = n; value = null; }) l);
      pkgDefs = c.options.environment.systemPackages.definitionsWithLocations;
      ownPaths = set (concatMap (d: concatMap outPaths (listed d.value)) (own pkgDefs));
      platformPackages = concatMap
        (p: map (o: "${h}: platform package ${name p} ${o}") (filter (o: !(ownPaths ? ${o})) (outPaths p)))
        (concatMap (d: listed d.value) (filter (d: platform d.file) pkgDefs));
      wrapperOpt = c.options.security.wrappers or null;
      wrapperNames = d: concatMap
        (v: if isAttrs v then filter (n: values v.${n} != [ ]) (attrNames v) else [ ])
        (values d.value);
      platformWrappers = if wrapperOpt == null then [ ] else
        let defs = wrapperOpt.definitionsWithLocations; mine = set (concatMap wrapperNames (own defs)); in
        map (n: "${h}: platform wrapper ${n}")
          (filter (n: !(mine ? ${n})) (concatMap wrapperNames (filter (d: platform d.file) defs)));
      platformFacts = attrNames (set (platformPackages ++ platformWrappers));
      # ---- end of the platform's contents ----

      # The units the flake's own modules define (a definition of systemd.services.<name>, not
      # under a false mkIf, in a file that is not the platform's): the units whose built files
      # the two hosts must share, store path for store path.
      ownUnits = attrNames (set (concatMap wrapperNames (own c.options.systemd.services.definitionsWithLocations)));
      # The host's shape, one fact a line, its own directory written `nix/hosts/<this host>/`
      # so two hosts' shapes compare line for line.
      ownDir = "nix/hosts/${h}/";
      thisHost = f: let n = builtins.stringLength ownDir; in
        if builtins.substring 0 n f == ownDir
        then "nix/hosts/<this host>/" + builtins.substring n (builtins.stringLength f) f else f;
      shape = map (u: "${h}: shape unit ${u}") (attrNames c.config.systemd.services)
        ++ map (t: "${h}: shape timer ${t}") (attrNames (c.config.systemd.timers or { }))
        ++ map (f: "${h}: shape module ${thisHost f}") modules;
    in
    builtins.sort (a: b: a < b) (systemPackages ++ services ++ unitPackages) ++ shared ++ platformFacts ++ [
      "${h}: units = ${concatStringsSep " " (attrNames c.config.systemd.services)}"
      "${h}: timers = ${concatStringsSep " " (attrNames (c.config.systemd.timers or { }))}"
      "${h}: modules = ${concatStringsSep " " modules}"
      "${h}: own units = ${concatStringsSep " " ownUnits}"
    ] ++ shape;
in
concatMap host hosts
