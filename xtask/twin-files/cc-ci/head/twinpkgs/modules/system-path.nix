# nixos/modules/config/system-path.nix, reduced: the option `environment.systemPackages`, and
# what every NixOS system has on its PATH (its requiredPackages, as far as Debian has them),
# defined as NixOS defines it.
{ pkgs, lib, ... }:
{
  options.environment.systemPackages = lib.mkOption {
    type = lib.types.listOf lib.types.package;
    default = [ ];
    description = "The set of packages that appear in /run/current-system/sw.";
  };

  config.environment.systemPackages = with pkgs; [
    bash coreutils findutils gnugrep gnused mawk diffutils gzip less hostname iproute2
    getent which util-linux procps systemd nix nixos-rebuild
  ];
}
