# s11: the sweep's own PATH, forced over NixOS' default one.
{ lib, pkgs, ... }: { systemd.services.nightly-sweep.environment.PATH = lib.mkForce (lib.makeBinPath [ pkgs.coreutils pkgs.openssl pkgs.curl ]); }
