# s03b: mkIf true.
{ lib, pkgs, ... }: { environment.systemPackages = lib.mkIf true [ pkgs.git-lfs ]; }
