# An option a unit does not have.
{ pkgs, ... }: { systemd.services.nightly-sweep.pathh = [ pkgs.git-lfs ]; }
