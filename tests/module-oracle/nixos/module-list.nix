# The oracle's NixOS: the declarations of the NixOS options cc-ci's modules define, ported
# from nixpkgs (NixOS 24.11) for nixpkgs' real lib.evalModules; evaluated by ../real-nixos.nix.
[
  ./nixpkgs.nix
  ./system-path.nix
  ./shells-environment.nix
  ./network-interfaces.nix
  ./systemd.nix
  ./activation-script.nix
]
