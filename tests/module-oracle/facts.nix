# scenarios/m1/facts.nix over a checkout of the twin's cc-ci flake (`head`, with its secrets
# submodule) through one module system: a flake-like attribute set whose hosts are built
# from their configuration.nix with the stub package set.
{ side, twinNixos, nixpkgsLib, head, facts }:
let
  system = import ./system.nix { inherit side twinNixos nixpkgsLib; };
  host = name: system [ (head + "/nix/hosts/${name}/configuration.nix") { nixpkgs.pkgs = import ./stub-pkgs.nix; } ];
  hosts = [ "cc-ci" "cc-ci-hetzner" ];
  flake = {
    outPath = head;
    nixosConfigurations = builtins.listToAttrs (map (name: { inherit name; value = host name; }) hosts);
  };
in
builtins.sort (a: b: a < b) (import facts { inherit flake hosts; })
