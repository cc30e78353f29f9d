# A unit's PATH by mkDefault: NixOS' PATH from `path` wins.
{ lib, ... }: { systemd.services.nightly-sweep.environment.PATH = lib.mkDefault "/run/current-system/sw/bin"; }
