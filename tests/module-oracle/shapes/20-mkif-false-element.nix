# s15: an mkIf inside a list element.
{ lib, pkgs, ... }: { environment.systemPackages = [ pkgs.git-lfs (lib.mkIf false pkgs.openssl) ]; }
