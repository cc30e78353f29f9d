# nixos/lib/systemd-unit-options.nix and nixos/lib/systemd-lib.nix (24.11), the unit options a
# service or timer of cc-ci uses, and NixOS' own definitions in every service (the default
# `path`, `environment.PATH` from it, [Unit] settings, ExecStart from `script`).
{ lib, pkgs }:
with lib;
let
  unitNameType = types.str;
  unitOption = mkOptionType {
    name = "systemd option";
    merge = loc: defs:
      let defs' = filterOverrides defs; in
      if isList (head defs').value then concatMap (def: if builtins.typeOf def.value == "list" then def.value else throw "mixed list and non-list for ${showOption loc}") defs'
      else mergeEqualOption loc defs';
  };
  deps = description: mkOption { default = [ ]; type = types.listOf unitNameType; inherit description; };
  lines = description: mkOption { type = types.lines; default = ""; inherit description; };
  makeJobScript = name: text:
    "${pkgs.writeTextFile { name = "unit-script-${name}"; executable = true; destination = "/bin/${name}"; text = "#!${pkgs.runtimeShell}\nset -e\n${text}\n"; }}/bin/${name}";
in
rec {
  commonUnitOptions.options = {
    enable = mkOption { default = true; type = types.bool; description = "Whether the unit is enabled."; };
    description = mkOption { default = ""; type = types.singleLineStr; description = "Description of this unit."; };
    wantedBy = deps "Units that want this unit.";
    requiredBy = deps "Units that require this unit.";
    requires = deps "Units this unit requires.";
    wants = deps "Units this unit wants.";
    after = deps "Units this unit starts after.";
    before = deps "Units this unit starts before.";
    unitConfig = mkOption { default = { }; type = types.attrsOf unitOption; description = "[Unit] settings."; };
  };

  serviceOptions = { name, config, ... }: {
    options = {
      environment = mkOption { default = { }; type = with types; attrsOf (nullOr (oneOf [ str path package ])); description = "Environment variables."; };
      path = mkOption { default = [ ]; type = with types; listOf (oneOf [ package str ]); description = "Packages added to PATH."; };
      serviceConfig = mkOption { default = { }; type = types.attrsOf unitOption; description = "[Service] settings."; };
      script = lines "The main process.";
      scriptArgs = mkOption { type = types.str; default = ""; description = "Arguments of the script."; };
      preStart = lines "Before the main process.";
      postStart = lines "After the main process started.";
      preStop = lines "To stop the service.";
    };
    config = mkMerge [
      (mkIf (config.preStart != "") { serviceConfig.ExecStartPre = [ (makeJobScript "${name}-pre-start" config.preStart) ]; })
      (mkIf (config.script != "") { serviceConfig.ExecStart = makeJobScript "${name}-start" config.script + " " + config.scriptArgs; })
      (mkIf (config.postStart != "") { serviceConfig.ExecStartPost = [ (makeJobScript "${name}-post-start" config.postStart) ]; })
      (mkIf (config.preStop != "") { serviceConfig.ExecStop = makeJobScript "${name}-pre-stop" config.preStop; })
    ];
  };

  stage2ServiceOptions = {
    imports = [ commonUnitOptions serviceOptions ];
    options.startAt = mkOption {
      type = with types; either str (listOf str);
      default = [ ];
      description = "A timer with OnCalendar.";
      apply = v: if isList v then v else [ v ];
    };
  };

  stage2TimerOptions = {
    imports = [ commonUnitOptions ];
    options.timerConfig = mkOption { default = { }; type = types.attrsOf unitOption; description = "[Timer] settings."; };
  };

  unitConfig = { config, ... }: {
    config.unitConfig =
      optionalAttrs (config.requires != [ ]) { Requires = toString config.requires; }
      // optionalAttrs (config.wants != [ ]) { Wants = toString config.wants; }
      // optionalAttrs (config.after != [ ]) { After = toString config.after; }
      // optionalAttrs (config.before != [ ]) { Before = toString config.before; }
      // optionalAttrs (config.description != "") { Description = config.description; };
  };

  serviceConfig = { config, ... }: {
    config.environment.PATH = mkIf (config.path != [ ]) "${makeBinPath config.path}:${makeSearchPathOutput "bin" "sbin" config.path}";
  };

  stage2ServiceConfig = {
    imports = [ serviceConfig ];
    # Default path for systemd services. Should be quite minimal.
    config.path = mkAfter [ pkgs.coreutils pkgs.findutils pkgs.gnugrep pkgs.gnused pkgs.systemd ];
  };
}
