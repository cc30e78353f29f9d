# s21: a unit's environment split by mkMerge, PATH forced.
{ lib, ... }: {
  systemd.services.nightly-sweep.environment = lib.mkMerge [
    { PATH = lib.mkForce "/run/current-system/sw/bin"; }
    { LANG = "C.UTF-8"; }
  ];
}
