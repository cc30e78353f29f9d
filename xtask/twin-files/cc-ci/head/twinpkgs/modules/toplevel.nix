# nixos/modules/system/activation/top-level.nix, reduced: `system.build`, and the system's
# toplevel store path (`system.build.toplevel`, built by ../toplevel.nix).
{ config, lib, pkgs, ... }:
{
  options.system.build = lib.mkOption {
    type = lib.types.lazyAttrsOf lib.types.unspecified;
    default = { };
    description = "Attribute set of derivations used to set up the system.";
  };

  config.system.build.toplevel = import ../toplevel.nix { inherit config lib pkgs; };
}
