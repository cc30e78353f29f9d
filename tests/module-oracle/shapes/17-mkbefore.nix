# s06: mkBefore sorts the definition first (and records its priority).
{ lib, pkgs, ... }: { environment.systemPackages = lib.mkBefore [ pkgs.git-lfs ]; }
