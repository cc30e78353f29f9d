# s14 on cc-ci: a false mkIf above the option.
{ config, lib, pkgs, ... }: { environment = lib.mkIf (config.networking.hostName == "cc-ci-hetzner") { systemPackages = [ pkgs.git-lfs ]; }; }
