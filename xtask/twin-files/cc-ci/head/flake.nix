{
  description = "cc-ci: CI for Co-op Cloud recipes (witness twin: a miniature)";

  # nixpkgs is the twin's (a flake of its own outside this checkout, built from the host's
  # Debian binaries: no substituters, no downloads); flake.lock pins it as cc-ci's pins
  # NixOS/nixpkgs.
  inputs.nixpkgs.url = "path:/usr/local/share/cc-ci-twin/nixpkgs";

  outputs = { self, nixpkgs }:
    let
      host = name: nixpkgs.lib.nixosSystem {
        modules = [ (./nix/hosts + "/${name}/configuration.nix") ];
      };
    in
    {
      nixosConfigurations = {
        cc-ci-hetzner = host "cc-ci-hetzner";
        cc-ci = host "cc-ci";
      };
    };
}
