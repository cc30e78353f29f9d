# A module written inline in flake.nix (its file is `<unknown-file>`): the flake's own.
{ pkgs, ... }: { environment.systemPackages = [ pkgs.jq ]; }
