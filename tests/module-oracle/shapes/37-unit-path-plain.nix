# A unit's plain environment.PATH: it conflicts with NixOS' own PATH of the unit.
{ ... }: { systemd.services.nightly-sweep.environment.PATH = "/run/current-system/sw/bin"; }
