# cc-ci's secrets: the names the hosts provide in /run/secrets (`ccci.secrets`, declared
# here). In the twin, only names: the values are generated on the host at boot.
{ lib, ... }:
{
  options.ccci.secrets = lib.mkOption {
    type = lib.types.listOf lib.types.str;
    default = [ ];
    description = "Names of the secrets provided in /run/secrets.";
  };

  config.ccci.secrets = [
    "bridge_drone_token"
    "drone_rpc_secret"
  ];
}
