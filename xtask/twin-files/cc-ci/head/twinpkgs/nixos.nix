# The twin's stand-in for the NixOS module system (`nixpkgs.lib.nixosSystem`), reduced to
# what the cc-ci modules use: `imports`; merging of definitions (attribute sets recursively,
# lists concatenated, equal values kept, differing ones an error as in NixOS);
# `nixpkgs.overlays`; `environment.systemPackages`; `systemd.services` / `systemd.timers`;
# `system.activationScripts`; `networking.hostName`; `lib.mkIf` and `lib.mkForce`. The result
# has NixOS' attribute paths: `config.system.build.toplevel` (a `nixos-system-<host>-<version>`
# store path with `sw/`, the unit files, `activate`, `bin/switch-to-configuration`), `pkgs`, and
# `options.<option>` with what nixpkgs' lib records per option (`definitionsWithLocations`,
# `files`, `definitions`, `value`) for the options NixOS declares that cc-ci defines.
let
  lib = import ./lib.nix;
  version = "24.11.twin";

  nixosSystem = { modules }:
    let
      args = { inherit config pkgs lib; };
      call = item:
        let m = import item.module; in
        if builtins.isFunction m then m args else m;
      entry = m: { key = toString m; module = m; };
      # Every module once, following `imports` (modules are files, keyed by path).
      # The platform's own modules come with every system, as NixOS' baseModules do (after
      # the configuration's here, so `system-path` lists the configuration's packages first).
      closure = builtins.genericClosure {
        startSet = map entry (modules ++ baseModules);
        operator = item: map entry ((call item).imports or [ ]);
      };
      defs = map (item: { file = item.key; value = builtins.removeAttrs (call item) [ "imports" ]; }) closure;

      config = mergeDefs [ ] defs;
      pkgs = import ./default.nix { overlays = config.nixpkgs.overlays or [ ]; };

      # nixpkgs' lib records, per declared option, every definition with the file it comes
      # from (mkIf/mkForce discharged at the option's level), as `definitionsWithLocations`.
      option = loc:
        let
          found = builtins.concatMap
            (d: if lib.hasAttrByPath loc d.value then [{ inherit (d) file; value = lib.getAttrByPath loc d.value; }] else [ ])
            defs;
          final = discharge found;
        in
        {
          definitionsWithLocations = final;
          files = map (d: d.file) final;
          definitions = map (d: d.value) final;
        } // lib.optionalAttrs' { value = if final == [ ] then null else mergeDefs loc final; };
      options = builtins.foldl' (acc: loc: lib.recursiveUpdate acc (lib.setAttrByPath loc (option loc))) { } declared;
    in
    {
      inherit pkgs options;
      config = config // {
        system = (config.system or { }) // {
          build = { toplevel = toplevel { inherit config pkgs; }; };
        };
      };
    };

  # The options of NixOS that cc-ci's modules define (declared by nixpkgs' modules there).
  declared = [
    [ "environment" "systemPackages" ]
    [ "systemd" "services" ]
    [ "systemd" "timers" ]
    [ "nixpkgs" "overlays" ]
    [ "networking" "hostName" ]
    [ "system" "activationScripts" ]
  ];

  # The twin's base modules (nixpkgs' nixos/modules): here only system-path's packages.
  baseModules = [ ./modules/system-path.nix ];

  # The module system's properties, as lib/modules.nix discharges them: a false `mkIf`
  # drops its definition, a true one is its content; of `mkOverride`s (mkForce) only the
  # definitions of the highest priority stay.
  discharge = defs:
    let
      prop = v: if builtins.isAttrs v then v._type or null else null;
      unIf = builtins.concatMap
        (d: if prop d.value == "if" then (if d.value.condition then unIf [ (d // { value = d.value.content; }) ] else [ ]) else [ d ])
        defs;
      prio = d: if prop d.value == "override" then d.value.priority else 100;
      best = builtins.foldl' (m: d: if prio d < m then prio d else m) 1500 unIf;
    in
    map (d: if prop d.value == "override" then d // { value = d.value.content; } else d)
      (builtins.filter (d: prio d == best) unIf);

  # NixOS' merge, reduced: attribute sets merge per attribute, lists concatenate, a value
  # defined more than once must be the same everywhere.
  mergeDefs = loc: defs0:
    let
      defs = discharge defs0;
      first = (builtins.head defs).value;
    in
    if builtins.all (d: builtins.isAttrs d.value && !lib.isDerivation d.value) defs then
      let names = builtins.attrNames (builtins.foldl' (acc: d: acc // d.value) { } defs); in
      builtins.listToAttrs (map
        (name: {
          inherit name;
          value = mergeDefs (loc ++ [ name ])
            (builtins.concatMap (d: if d.value ? ${name} then [{ inherit (d) file; value = d.value.${name}; }] else [ ]) defs);
        })
        names)
    else if builtins.all (d: builtins.isList d.value) defs then
      builtins.concatLists (map (d: d.value) defs)
    else if builtins.all (d: d.value == first) defs then
      first
    else
      throw ("The option `${lib.concatStringsSep "." loc}' has conflicting definition values:"
        + lib.concatMapStringsSep "" (d: "\n- In `${d.file}': ${builtins.toJSON d.value}") defs);

  # systemd's defaults for a service's PATH in NixOS (`systemd.services.<n>.path` adds to it).
  defaultServicePath = pkgs: with pkgs; [ coreutils findutils gnugrep gnused systemd ];

  unitValue = v:
    if builtins.isBool v then (if v then "true" else "false") else toString v;

  sectionBody = attrs: lib.concatStringsSep "" (lib.mapAttrsToList
    (k: v: lib.concatMapStringsSep "" (x: "${k}=${unitValue x}\n") (if builtins.isList v then v else [ v ]))
    attrs);
  section = name: attrs: "[${name}]\n" + sectionBody attrs;

  serviceUnit = pkgs: name: s:
    let
      path = (s.path or [ ]) ++ defaultServicePath pkgs;
      env = (if (s.environment or { }) ? PATH then { } else {
        PATH = "${lib.makeBinPath path}:${lib.makeSearchPath "sbin" path}";
      }) // (s.environment or { });
      unit = lib.optionalAttrs' {
        Description = s.description or null;
        After = s.after or null;
        Wants = s.wants or null;
        Requires = s.requires or null;
      };
      startScript = pkgs.writeShellScript "unit-script-${name}-start" ("set -e\n" + s.script);
      service = (lib.optionalAttrs' { ExecStart = if s ? script then startScript else null; })
        // (s.serviceConfig or { });
    in
    section "Unit" unit + "\n[Service]\n"
    + lib.concatStringsSep "" (lib.mapAttrsToList (k: v: "Environment=\"${k}=${v}\"\n") env)
    + sectionBody service;

  timerUnit = name: t:
    section "Unit" (lib.optionalAttrs' { Description = t.description or null; })
    + "\n" + section "Timer" (t.timerConfig or { });

  toplevel = { config, pkgs }:
    let
      hostName = config.networking.hostName or "nixos";
      services = config.systemd.services or { };
      timers = config.systemd.timers or { };
      unitFile = fullName: text: pkgs.writeTextFile {
        name = "unit-${fullName}";
        destination = "/${fullName}";
        inherit text;
      };
      units =
        lib.mapAttrsToList (n: s: { name = "${n}.service"; file = unitFile "${n}.service" (serviceUnit pkgs n s); wantedBy = s.wantedBy or [ ]; }) services
        ++ lib.mapAttrsToList (n: t: { name = "${n}.timer"; file = unitFile "${n}.timer" (timerUnit n t); wantedBy = t.wantedBy or [ ]; }) timers;

      systemPath = pkgs.buildEnv {
        name = "system-path";
        paths = config.environment.systemPackages or [ ];
      };

      activationScripts = config.system.activationScripts or { };
      activate = pkgs.writeText "activate-template" ''
        #!${pkgs.runtimeShell}
        # Activation of this system: what must hold before its units (re)start.
        set -e
        systemConfig=@out@
        export PATH=${lib.makeBinPath (with pkgs; [ coreutils gnugrep gnused findutils ])}

        # /run/wrappers/bin: NixOS' setuid wrappers (here: the host's own setuid programs).
        mkdir -p /run/wrappers/bin
        for prog in sudo su mount umount newgrp passwd; do
          if [ -x "/usr/bin/$prog" ]; then ln -sfn "/usr/bin/$prog" "/run/wrappers/bin/$prog"; fi
        done

        ${lib.concatMapStringsSep "\n" (n: "# ${n}\n${activationScripts.${n}}") (builtins.attrNames activationScripts)}

        # Last, as NixOS does: this is now the running system.
        mkdir -p /run
        ln -sfn "$systemConfig" /run/current-system.tmp
        mv -T /run/current-system.tmp /run/current-system
      '';
      switch = pkgs.writeText "switch-to-configuration-template" (''
        #!${pkgs.runtimeShell}
        export PATH=${lib.makeBinPath (with pkgs; [ coreutils findutils gnugrep gnused systemd ])}
        systemConfig=@out@
      '' + builtins.readFile ./switch-to-configuration.sh);
    in
    pkgs.mkDerivation {
      name = "nixos-system-${hostName}-${version}";
      args = [ "-e" ./builders/toplevel.sh ];
      sw = systemPath;
      systemd = pkgs.systemd;
      inherit activate switch version;
      units = lib.concatMapStringsSep " " (u: "${u.name}=${u.file}/${u.name}") units;
      wants = lib.concatStringsSep " " (builtins.concatMap (u: map (t: "${t}=${u.name}") u.wantedBy) units);
    };
in
{
  inherit nixosSystem;
}
