# s03 on cc-ci: a false mkIf at the option's level.
{ config, lib, pkgs, ... }: { environment.systemPackages = lib.mkIf (config.networking.hostName == "cc-ci-hetzner") [ pkgs.git-lfs ]; }
