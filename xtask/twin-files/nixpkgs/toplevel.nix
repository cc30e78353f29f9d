# A system's toplevel (`system.build.toplevel`): a `nixos-system-<host>-<version>` store path
# with `sw/` (buildEnv of environment.systemPackages), the unit files, `activate` (the
# activation scripts, then /run/current-system) and `bin/switch-to-configuration`.
{ config, lib, pkgs }:
let
  version = "24.11.twin";
  unitText = import ./units.nix { inherit lib; };
  hostName = config.networking.hostName;
  enabled = lib.filterAttrs (n: u: u.enable);
  unitFile = fullName: text: pkgs.writeTextFile {
    name = "unit-${fullName}";
    destination = "/${fullName}";
    inherit text;
  };
  units =
    lib.mapAttrsToList (n: s: { name = "${n}.service"; file = unitFile "${n}.service" (unitText.service s); inherit (s) wantedBy; })
      (enabled config.systemd.services)
    ++ lib.mapAttrsToList (n: t: { name = "${n}.timer"; file = unitFile "${n}.timer" (unitText.timer t); inherit (t) wantedBy; })
      (enabled config.systemd.timers);

  systemPath = pkgs.buildEnv {
    name = "system-path";
    paths = config.environment.systemPackages;
  };

  activationScripts = config.system.activationScripts;
  activate = pkgs.writeText "activate-template" ''
    #!${pkgs.runtimeShell}
    # Activation of this system: what must hold before its units (re)start.
    set -e
    systemConfig=@out@
    export PATH=${lib.makeBinPath (with pkgs; [ coreutils gnugrep gnused findutils ])}

    ${lib.concatMapStringsSep "\n" (n: "# ${n}\n${activationScripts.${n}.text}") (builtins.attrNames activationScripts)}

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
  # systemd.packages: their drop-ins (`lib/systemd/system/<unit>.d/*.conf`) go beside the units, as
  # NixOS' generateUnits links a package's units and drop-ins into etc/systemd/system.
  packages = config.systemd.packages;
  wants = lib.concatStringsSep " " (builtins.concatMap (u: map (t: "${t}=${u.name}") u.wantedBy) units);
}
