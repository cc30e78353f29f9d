# The Drone exec runner: pipeline steps run on the host with the host's system PATH (mkForce:
# NixOS gives every unit a PATH of its own from `path`).
{ lib, pkgs, ... }:
{
  systemd.services.drone-runner-exec = {
    description = "Drone exec runner";
    wantedBy = [ "multi-user.target" ];
    after = [ "network.target" ];
    environment = {
      PATH = lib.mkForce "/run/current-system/sw/bin:/run/wrappers/bin";
      DRONE_RUNNER_NAME = "cc-ci";
      DRONE_RPC_HOST = "drone.ci.commoninternet.net";
    };
    serviceConfig = {
      ExecStart = "${pkgs.drone-runner-exec}/bin/drone-runner-exec";
      Restart = "always";
      RestartSec = 1;
    };
  };
}
