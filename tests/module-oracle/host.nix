# The host every oracle shape is added to: a miniature cc-ci host (an overlay with the shared
# tool list and cc-ci-run, the host's packages, the sweep service and timer, the Drone runner
# with its PATH forced, as NixOS requires).
{ pkgs, lib, ... }:
{
  networking.hostName = "cc-ci";
  nixpkgs.overlays = [
    (final: prev: {
      ccciRuntimeTools = with final; [ git git-lfs curl bash ];
      cc-ci-run = final.writeShellApplication { name = "cc-ci-run"; runtimeInputs = final.ccciRuntimeTools; text = ""; };
    })
  ];
  environment.systemPackages = pkgs.ccciRuntimeTools ++ [ pkgs.openssh ];
  systemd.services.nightly-sweep = {
    description = "cc-ci nightly recipe sweep";
    serviceConfig = { Type = "oneshot"; ExecStart = "${pkgs.cc-ci-run}/bin/cc-ci-run sweep"; };
  };
  systemd.timers.nightly-sweep = {
    wantedBy = [ "timers.target" ];
    timerConfig.OnCalendar = "daily";
  };
  systemd.services.drone-runner-exec = {
    wantedBy = [ "multi-user.target" ];
    environment = {
      PATH = lib.mkForce "/run/current-system/sw/bin:/run/wrappers/bin";
      DRONE_RUNNER_NAME = "cc-ci";
    };
    serviceConfig.ExecStart = "${pkgs.drone-runner-exec}/bin/drone-runner-exec";
  };
}
