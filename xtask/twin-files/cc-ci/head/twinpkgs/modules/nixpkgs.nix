# nixos/modules/misc/nixpkgs.nix, reduced: `nixpkgs.overlays` and `nixpkgs.pkgs`, and the
# package set every module gets as `pkgs` (the given one with the overlays appended, else
# twinpkgs with them).
{ config, options, lib, ... }:
let
  # An overlay is a function; two of them are never merged into one.
  overlayType = lib.types.mkOptionType {
    name = "nixpkgs-overlay";
    description = "nixpkgs overlay";
    check = builtins.isFunction;
    merge = lib.mergeOneOption;
  };
  pkgsType = lib.types.mkOptionType {
    name = "pkgs";
    description = "Nixpkgs package set";
    check = x: (x._type or null) == "pkgs";
    merge = lib.mergeUniqueOption { message = "A Nixpkgs pkgs set can not be merged with another pkgs set."; };
  };
  cfg = config.nixpkgs;
in
{
  options.nixpkgs = {
    overlays = lib.mkOption {
      type = lib.types.listOf overlayType;
      default = [ ];
      description = "List of overlays to apply to Nixpkgs.";
    };
    pkgs = lib.mkOption {
      type = pkgsType;
      description = "If set, the pkgs argument to all NixOS modules is the value of this option, extended with `nixpkgs.overlays`.";
    };
  };

  config._module.args.pkgs =
    if options.nixpkgs.pkgs.isDefined then cfg.pkgs.appendOverlays cfg.overlays
    else import ../default.nix { inherit (cfg) overlays; };
}
