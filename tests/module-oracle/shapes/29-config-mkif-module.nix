# A module whose config is one mkIf (true), and a module value that is an mkIf itself.
{ lib, pkgs, ... }: {
  imports = [ (lib.mkIf true { environment.systemPackages = [ pkgs.jq ]; }) ];
  config = lib.mkIf false { environment.systemPackages = [ pkgs.less ]; };
}
