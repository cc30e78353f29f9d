# cc-ci's secrets: the names the hosts provide in /run/secrets. (In the twin, only names:
# the values are generated on the host at boot.)
{ ... }:
{
  ccci.secrets = [
    "bridge_drone_token"
    "drone_rpc_secret"
  ];
}
