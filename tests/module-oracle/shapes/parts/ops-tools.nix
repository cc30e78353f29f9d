# Imported by file from 04-file-import.nix.
{ pkgs, ... }: { environment.systemPackages = [ pkgs.git-lfs ]; }
