# The nightly sweep: every enrolled recipe whose catalogue has a newer version than the known
# good one is tested and, when green, promoted. It runs cc-ci-run, the Drone step's
# entrypoint, so the timer and the Drone runner get the same env by construction.
{ pkgs, ... }:
let
  sweep = pkgs.writeShellApplication {
    name = "cc-ci-nightly-sweep";
    runtimeInputs = [ pkgs.cc-ci-run ];
    text = ''
      cd /etc/cc-ci
      exec cc-ci-run runner/nightly_sweep.py "$@"
    '';
  };
in
{
  systemd.services.nightly-sweep = {
    description = "cc-ci nightly recipe sweep";
    serviceConfig = {
      Type = "oneshot";
      ExecStart = "${sweep}/bin/cc-ci-nightly-sweep";
    };
  };

  systemd.timers.nightly-sweep = {
    description = "cc-ci nightly recipe sweep";
    wantedBy = [ "timers.target" ];
    timerConfig = {
      OnCalendar = "daily";
      Persistent = true;
    };
  };
}
