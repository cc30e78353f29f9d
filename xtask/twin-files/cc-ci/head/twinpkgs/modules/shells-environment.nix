# nixos/modules/config/shells-environment.nix, reduced: `environment.variables` (a list
# value is joined with ":"), declared as NixOS does; the twin's login PATH is
# /etc/profile.d/nixos-path.sh.
{ lib, ... }:
{
  options.environment.variables = lib.mkOption {
    type = with lib.types; attrsOf (oneOf [ (listOf (oneOf [ int str path ])) int str path ]);
    default = { };
    description = "A set of environment variables used in the global environment.";
    apply = builtins.mapAttrs (n: v: if builtins.isList v then builtins.concatStringsSep ":" (map toString v) else toString v);
  };
}
