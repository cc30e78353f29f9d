# nixos/modules/misc/nixpkgs.nix (24.11), the parts cc-ci uses: `nixpkgs.overlays` (a list
# of functions, each merged as one option) and `nixpkgs.pkgs`, which becomes every module's
# `pkgs` with the overlays appended (`_module.args.pkgs`).
{ config, options, lib, ... }:
let
  cfg = config.nixpkgs;
  opt = options.nixpkgs;
  overlayType = lib.mkOptionType {
    name = "nixpkgs-overlay";
    description = "nixpkgs overlay";
    check = lib.isFunction;
    merge = lib.mergeOneOption;
  };
in
{
  options.nixpkgs = {
    pkgs = lib.mkOption {
      type = lib.types.pkgs // { description = "An evaluation of Nixpkgs; the top level attribute set of packages"; };
      description = "If set, the pkgs argument to all NixOS modules is the value of this option, extended with `nixpkgs.overlays`.";
    };
    overlays = lib.mkOption {
      default = [ ];
      type = lib.types.listOf overlayType;
      description = "List of overlays to apply to Nixpkgs.";
    };
  };
  config._module.args.pkgs =
    if opt.pkgs.isDefined then cfg.pkgs.appendOverlays cfg.overlays else throw "the oracle gives nixpkgs.pkgs";
}
