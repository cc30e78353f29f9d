# s15b: lib.optional false.
{ lib, pkgs, ... }: { environment.systemPackages = [ pkgs.git-lfs ] ++ lib.optional false pkgs.openssl; }
