# s16: mkDefault loses to the host's plain definition.
{ lib, pkgs, ... }: { environment.systemPackages = lib.mkDefault [ pkgs.jq ]; }
