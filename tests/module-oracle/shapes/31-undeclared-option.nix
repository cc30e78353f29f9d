# s19: a typo, an option that does not exist.
{ pkgs, ... }: { environment.systemPackage = [ pkgs.git-lfs ]; }
