# One oracle shape through one module system: the host of ./host.nix, the shape's operator
# module and the stub package set; `part` is "definitions", "config" (apart, so an error in
# the merged value does not hide the definitions, as in nixpkgs' lib) or "facts" (what
# scenarios/m1/facts.nix says of the system, as of a flake whose root is this folder). A shape
# named `*-flake-inline.nix` is given as a value, as a module written inline in flake.nix is.
{ side, twinNixos, nixpkgsLib, shape, part, facts }:
let
  system = import ./system.nix { inherit side twinNixos nixpkgsLib; };
  inline = builtins.match ".*-flake-inline\\.nix" (toString shape) != null;
  c = system [ ./host.nix (if inline then import shape else shape) { nixpkgs.pkgs = import ./stub-pkgs.nix; } ];
in
if part == "facts" then import facts { flake = { outPath = ./.; nixosConfigurations.cc-ci = c; }; hosts = [ "cc-ci" ]; }
else import ./project.nix { inherit c part; root = ./.; }
