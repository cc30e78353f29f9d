# One NixOS system from a list of modules, by either module system: the twin's own
# (`twinpkgs/nixos.nix`'s nixosSystem) or nixpkgs' real lib.evalModules over the NixOS
# declarations ported in ./nixos, as nixpkgs' `nixosSystem` calls it (eval-config.nix:
# `modulesPath` a special argument, `pkgs` from the nixpkgs module).
{ side, twinNixos, nixpkgsLib }:
modules:
if side == "twin" then (import twinNixos).nixosSystem { inherit modules; }
else
  let
    lib = import nixpkgsLib;
    eval = lib.evalModules {
      class = "nixos";
      specialArgs.modulesPath = toString ./nixos;
      modules = import ./nixos/module-list.nix ++ modules;
    };
  in
  eval // { inherit (eval._module.args) pkgs; }
