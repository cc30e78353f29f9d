# The host's own services, (re)deployed as Docker swarm stacks at boot and on every switch.
{ pkgs, ... }:
let
  oneshot = description: script: {
    inherit description script;
    wantedBy = [ "multi-user.target" ];
    after = [ "swarm-init.service" ];
    requires = [ "swarm-init.service" ];
    path = [ pkgs.abra pkgs.docker ];
    serviceConfig = {
      Type = "oneshot";
      RemainAfterExit = true;
    };
  };
in
{
  systemd.services = {
    swarm-init = {
      description = "Initialise the Docker swarm";
      wantedBy = [ "multi-user.target" ];
      path = [ pkgs.docker ];
      script = "docker swarm init";
      serviceConfig = {
        Type = "oneshot";
        RemainAfterExit = true;
      };
    };
    deploy-proxy = oneshot "Deploy the reverse proxy" ''
      abra app deploy proxy.ci.commoninternet.net --no-converge-checks
    '';
    deploy-drone = oneshot "Deploy the Drone server" ''
      abra app deploy drone.ci.commoninternet.net --no-converge-checks
    '';
    deploy-bridge = oneshot "Deploy the Drone bridge" ''
      test -s /run/secrets/bridge_drone_token
      abra app deploy bridge.ci.commoninternet.net --no-converge-checks
    '';
    warm-keycloak = oneshot "Keep a warm keycloak canonical deployed" ''
      abra app deploy warm-keycloak.ci.commoninternet.net --no-converge-checks
    '';
  };
}
