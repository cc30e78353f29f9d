# s03 on hetzner: a true mkIf at the option's level (the twin used to loop forever here).
{ config, lib, pkgs, ... }: { environment.systemPackages = lib.mkIf (config.networking.hostName == "cc-ci") [ pkgs.git-lfs ]; }
