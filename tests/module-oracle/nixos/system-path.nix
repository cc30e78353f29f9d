# nixos/modules/config/system-path.nix (24.11): `environment.systemPackages`, and a platform
# definition of it (NixOS' requiredPackages, a few of them: the oracle compares platform
# definitions by file only).
{ config, lib, pkgs, ... }:
{
  options.environment.systemPackages = lib.mkOption {
    type = lib.types.listOf lib.types.package;
    default = [ ];
    description = "The set of packages that appear in /run/current-system/sw.";
  };
  config.environment.systemPackages = with pkgs; [ bash coreutils findutils gnugrep gnused systemd ];
}
