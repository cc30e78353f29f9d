# s12: a service of the host extended here: its path and an environment variable.
{ pkgs, ... }: { systemd.services.nightly-sweep = { path = [ pkgs.git ]; environment.LANG = "C.UTF-8"; }; }
