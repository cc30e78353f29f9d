# The twin's nixpkgs, a flake of its own as nixpkgs is: `lib` (nixpkgs' names, with
# `lib.nixosSystem`, the NixOS module system over the twin's base modules) and the package
# set (`import ./default.nix { overlays; }`, what a NixOS system's `pkgs` is). The cc-ci
# flake takes it as its `nixpkgs` input, locked by flake.lock, so `pkgs.path` and the
# platform's modules lie outside the cc-ci checkout, as on cc-ci.
{
  description = "nixpkgs (witness twin): Debian's binaries as packages, NixOS' module system";

  outputs = { self }: {
    lib = import ./lib.nix // { inherit (import ./nixos.nix) nixosSystem; };
  };
}
