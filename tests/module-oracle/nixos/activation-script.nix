# nixos/modules/system/activation/activation-script.nix (24.11): `system.activationScripts`.
{ lib, ... }:
with lib;
let
  scriptOptions = {
    deps = mkOption { type = types.listOf types.str; default = [ ]; description = "List of dependencies."; };
    text = mkOption { type = types.lines; description = "The content of the script."; };
    supportsDryActivation = mkOption { type = types.bool; default = false; description = "Dry activation."; };
  };
in
{
  options.system.activationScripts = mkOption {
    default = { };
    type = types.attrsOf (types.coercedTo types.str noDepEntry (types.submodule { options = scriptOptions; }));
    description = "A set of shell script fragments that are executed when a NixOS system configuration is activated.";
  };
}
