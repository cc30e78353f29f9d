# s09 on cc-ci: a unit's path under a false mkIf (no definition).
{ config, lib, pkgs, ... }: { systemd.services.nightly-sweep.path = lib.mkIf (config.networking.hostName == "cc-ci-hetzner") [ pkgs.git-lfs ]; }
