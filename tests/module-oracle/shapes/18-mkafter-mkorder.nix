# mkAfter and mkOrder in one mkMerge.
{ lib, pkgs, ... }: { environment.systemPackages = lib.mkMerge [ (lib.mkAfter [ pkgs.jq ]) (lib.mkOrder 700 [ pkgs.less ]) ]; }
