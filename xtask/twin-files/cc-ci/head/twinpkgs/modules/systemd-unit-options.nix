# nixos/lib/systemd-unit-options.nix and the unit modules of nixos/lib/systemd-lib.nix,
# reduced to what a system's services and timers use: the options of one unit (the
# submodule under `systemd.services.<name>` / `systemd.timers.<name>`) and what NixOS defines
# in every service: the default `path` (mkAfter coreutils findutils gnugrep gnused systemd),
# `environment.PATH` made from `path` (so a plain PATH of one's own conflicts with it), the
# [Unit] section from the dependency options, ExecStart* from the scripts.
{ lib, pkgs }:
let
  inherit (lib) mkOption mkIf mkMerge mkAfter types;
  unitNames = types.listOf types.str;

  # A [Section] setting: a list is a repeated setting, other values must agree.
  unitOption = types.mkOptionType {
    name = "systemd option";
    merge = loc: defs:
      let defs' = lib.filterOverrides defs; in
      if builtins.isList (builtins.head defs').value then builtins.concatMap (d: lib.toList d.value) defs'
      else lib.mergeEqualOption loc defs';
  };

  dependencyOption = description: mkOption { default = [ ]; type = unitNames; inherit description; };

  commonUnitOptions = {
    options = {
      enable = mkOption { default = true; type = types.bool; description = "If set to false, this unit will be a symlink to /dev/null."; };
      description = mkOption { default = ""; type = types.singleLineStr; description = "Description of this unit used in systemd messages and progress indicators."; };
      wantedBy = dependencyOption "Units that want (i.e. depend on) this unit.";
      requiredBy = dependencyOption "Units that require this unit.";
      requires = dependencyOption "Start the specified units when this unit is started, and stop this unit when they stop or fail.";
      wants = dependencyOption "Start the specified units when this unit is started.";
      after = dependencyOption "Delay this unit until the specified units have started.";
      before = dependencyOption "Delay the specified units until this unit has started.";
      unitConfig = mkOption { default = { }; type = types.attrsOf unitOption; description = "Each attribute in this set specifies an option in the [Unit] section of the unit."; };
    };
  };

  # systemd-lib.nix's unitConfig: the [Unit] section from the options above.
  unitConfig = { config, ... }: {
    config.unitConfig =
      lib.optionalAttrs (config.requires != [ ]) { Requires = toString config.requires; }
      // lib.optionalAttrs (config.wants != [ ]) { Wants = toString config.wants; }
      // lib.optionalAttrs (config.after != [ ]) { After = toString config.after; }
      // lib.optionalAttrs (config.before != [ ]) { Before = toString config.before; }
      // lib.optionalAttrs (config.description != "") { Description = config.description; };
  };

  # NixOS' makeJobScript: the script as bin/<name> of a store path `unit-script-<name>`.
  makeJobScript = name: text:
    "${pkgs.writeTextFile { name = "unit-script-${name}"; executable = true; destination = "/bin/${name}"; text = "#!${pkgs.runtimeShell}\nset -e\n${text}\n"; }}/bin/${name}";

  scriptOption = description: mkOption { type = types.lines; default = ""; inherit description; };

  serviceOptions = { name, config, ... }: {
    options = {
      environment = mkOption { default = { }; type = with types; attrsOf (nullOr (oneOf [ str path package ])); description = "Environment variables passed to the service's processes."; };
      path = mkOption { default = [ ]; type = with types; listOf (oneOf [ package str ]); description = "Packages added to the service's PATH environment variable (bin and sbin)."; };
      serviceConfig = mkOption { default = { }; type = types.attrsOf unitOption; description = "Each attribute in this set specifies an option in the [Service] section of the unit."; };
      script = scriptOption "Shell commands executed as the service's main process.";
      scriptArgs = mkOption { type = types.str; default = ""; description = "Arguments passed to the main process script."; };
      preStart = scriptOption "Shell commands executed before the service's main process is started.";
      postStart = scriptOption "Shell commands executed after the service's main process is started.";
      preStop = scriptOption "Shell commands executed to stop the service.";
      startAt = mkOption {
        type = with types; either str (listOf str);
        default = [ ];
        description = "Automatically start this unit at the given date/time (a timer with OnCalendar).";
        apply = v: if builtins.isList v then v else [ v ];
      };
    };
    config = mkMerge [
      (mkIf (config.preStart != "") { serviceConfig.ExecStartPre = [ (makeJobScript "${name}-pre-start" config.preStart) ]; })
      (mkIf (config.script != "") { serviceConfig.ExecStart = makeJobScript "${name}-start" config.script + " " + config.scriptArgs; })
      (mkIf (config.postStart != "") { serviceConfig.ExecStartPost = [ (makeJobScript "${name}-post-start" config.postStart) ]; })
      (mkIf (config.preStop != "") { serviceConfig.ExecStop = makeJobScript "${name}-pre-stop" config.preStop; })
    ];
  };

  # systemd-lib.nix's serviceConfig and stage2ServiceConfig.
  serviceConfig = { config, ... }: {
    config.environment.PATH = mkIf (config.path != [ ]) "${lib.makeBinPath config.path}:${lib.makeSearchPath "sbin" config.path}";
  };
  stage2ServiceConfig = {
    imports = [ serviceConfig ];
    # Default path for systemd services. Should be quite minimal.
    config.path = mkAfter [ pkgs.coreutils pkgs.findutils pkgs.gnugrep pkgs.gnused pkgs.systemd ];
  };

  timerOptions = {
    options.timerConfig = mkOption { default = { }; type = types.attrsOf unitOption; description = "Each attribute in this set specifies an option in the [Timer] section of the unit."; };
  };
in
{
  service = types.submodule [ commonUnitOptions serviceOptions unitConfig stage2ServiceConfig ];
  timer = types.submodule [ commonUnitOptions timerOptions unitConfig ];
}
