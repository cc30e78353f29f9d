# nixos/modules/tasks/network-interfaces.nix (24.11): `networking.hostName`.
{ lib, ... }:
{
  options.networking.hostName = lib.mkOption {
    default = "nixos";
    type = lib.types.strMatching "^$|^[[:alnum:]]([[:alnum:]_-]{0,61}[[:alnum:]])?$";
    description = "The name of the machine.";
  };
}
