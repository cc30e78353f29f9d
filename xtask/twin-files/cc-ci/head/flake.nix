{
  description = "cc-ci: CI for Co-op Cloud recipes (witness twin: a miniature with no inputs)";

  # No inputs: `twinpkgs/` stands in for nixpkgs and its NixOS module system, building
  # packages from the host's own Debian binaries (no substituters, no downloads).
  outputs = { self }:
    let
      nixos = import ./twinpkgs/nixos.nix;
      host = name: nixos.nixosSystem {
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
