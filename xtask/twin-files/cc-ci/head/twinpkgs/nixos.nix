# The twin's `nixpkgs.lib.nixosSystem`: the NixOS module system (lib.evalModules, see
# lib.nix and module-system/) over the twin's base modules (modules/module-list.nix: the
# NixOS options cc-ci's modules define, declared as NixOS declares them) and the given
# modules. The result has NixOS' attribute paths: `config` (`config.system.build.toplevel`,
# the system's store path), `options.<option>` with what nixpkgs' lib records per option
# (`definitionsWithLocations`, `files`, `definitions`, `value`), `pkgs`, and
# `_module.specialArgs.modulesPath` (where the platform's modules are).
let
  lib = import ./lib.nix;

  nixosSystem = { modules, specialArgs ? { } }:
    let
      eval = lib.evalModules {
        specialArgs = { modulesPath = toString ./modules; } // specialArgs;
        modules = import ./modules/module-list.nix ++ modules;
      };
    in
    eval // { inherit (eval._module.args) pkgs; };
in
{
  inherit nixosSystem;
}
