# s17: a unit's environment and PATH under false mkIfs.
{ lib, pkgs, ... }: {
  systemd.services.nightly-sweep.environment = lib.mkIf false { LANG = "C"; };
  systemd.services.drone-runner-exec.environment.EXTRA = lib.mkIf false "x";
}
