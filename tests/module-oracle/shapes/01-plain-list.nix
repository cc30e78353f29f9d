# s01: a new module with a plain package list.
{ pkgs, ... }: { environment.systemPackages = [ pkgs.git-lfs pkgs.openssl ]; }
