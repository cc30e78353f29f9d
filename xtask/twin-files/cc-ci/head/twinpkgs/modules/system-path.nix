# nixos/modules/config/system-path.nix, reduced: what every NixOS system has on its PATH
# (its requiredPackages, as far as Debian has them), defined as NixOS defines it.
{ pkgs, ... }:
{
  environment.systemPackages = with pkgs; [
    bash coreutils findutils gnugrep gnused mawk diffutils gzip less hostname iproute2
    getent which util-linux procps systemd nix nixos-rebuild
  ];
}
