# s14 on hetzner: a true mkIf above the option (pushed down to it).
{ config, lib, pkgs, ... }: { environment = lib.mkIf (config.networking.hostName == "cc-ci") { systemPackages = [ pkgs.git-lfs ]; }; }
