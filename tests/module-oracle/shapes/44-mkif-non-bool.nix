# mkIf with a condition that is not a boolean.
{ lib, pkgs, ... }: { environment.systemPackages = lib.mkIf "yes" [ pkgs.jq ]; }
