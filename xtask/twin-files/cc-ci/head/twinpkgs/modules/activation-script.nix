# nixos/modules/system/activation/activation-script.nix, reduced: `system.activationScripts`
# (a script is text or { deps, text }), run by the system's `activate` (see ../toplevel.nix).
{ lib, ... }:
let
  scriptType = with lib.types; submodule {
    options = {
      deps = lib.mkOption { type = listOf str; default = [ ]; description = "List of dependencies. The script will run after these."; };
      text = lib.mkOption { type = lines; description = "The content of the script."; };
      supportsDryActivation = lib.mkOption { type = bool; default = false; description = "Whether this script supports dry activation."; };
    };
  };
in
{
  options.system.activationScripts = lib.mkOption {
    type = with lib.types; attrsOf (coercedTo str (text: { deps = [ ]; inherit text; }) scriptType);
    default = { };
    description = "A set of shell script fragments that are executed when a NixOS system configuration is activated.";
  };
}
