# s21b: a unit split by mkMerge, each part with an environment.
{ lib, ... }: {
  systemd.services.nightly-sweep = lib.mkMerge [
    { environment.PATH = lib.mkForce "/run/current-system/sw/bin"; }
    { environment.LANG = "C.UTF-8"; }
  ];
}
