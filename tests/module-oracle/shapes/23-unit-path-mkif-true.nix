# s09 on hetzner: a unit's path under a true mkIf.
{ config, lib, pkgs, ... }: { systemd.services.nightly-sweep.path = lib.mkIf (config.networking.hostName == "cc-ci") [ pkgs.git-lfs ]; }
