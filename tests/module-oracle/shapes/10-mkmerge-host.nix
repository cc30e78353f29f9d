# s04: the host's list split by mkMerge (two definitions from one file).
{ lib, pkgs, ... }: { environment.systemPackages = lib.mkMerge [ pkgs.ccciRuntimeTools [ pkgs.openssh ] ]; }
