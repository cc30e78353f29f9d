# nixos/modules/config/shells-environment.nix (24.11): `environment.variables`.
{ lib, ... }:
with lib;
{
  options.environment.variables = mkOption {
    default = { };
    type = with types; attrsOf (oneOf [ (listOf (oneOf [ int str path ])) int str path ]);
    apply = mapAttrs (n: v: if isList v then concatMapStringsSep ":" toString v else toString v);
    description = "A set of environment variables used in the global environment.";
  };
}
