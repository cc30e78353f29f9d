# s04b: a spelled-out copy of the shared list, split by mkMerge.
{ lib, pkgs, ... }: { environment.systemPackages = lib.mkMerge [ (with pkgs; [ git git-lfs ]) (with pkgs; [ curl bash ]) ]; }
