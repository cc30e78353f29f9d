# `_file` names the module's file for its definitions.
{ pkgs, ... }: { _file = "virtual/ops.nix"; environment.systemPackages = [ pkgs.jq ]; }
