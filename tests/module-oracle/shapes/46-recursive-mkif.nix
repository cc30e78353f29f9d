# An mkIf whose condition reads the option it defines: infinite recursion in both.
{ config, lib, pkgs, ... }: { environment.systemPackages = lib.mkIf (config.environment.systemPackages == [ ]) [ pkgs.jq ]; }
