# mkOverride 10 wins over plain definitions and mkForce-free defaults.
{ lib, pkgs, ... }: { environment.systemPackages = lib.mkOverride 10 [ pkgs.jq ]; }
