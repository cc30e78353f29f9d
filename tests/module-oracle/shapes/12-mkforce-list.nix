# s05: mkForce over every other definition of the list.
{ lib, pkgs, ... }: { environment.systemPackages = lib.mkForce (pkgs.ccciRuntimeTools ++ [ pkgs.cc-ci-run pkgs.openssh ]); }
