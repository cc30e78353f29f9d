# The twin's base modules (nixpkgs' nixos/modules/module-list.nix): the NixOS options cc-ci's
# modules define, declared as NixOS declares them, and what NixOS itself defines with them.
[
  ./nixpkgs.nix
  ./system-path.nix
  ./shells-environment.nix
  ./network-interfaces.nix
  ./systemd.nix
  ./activation-script.nix
  ./security-wrappers.nix
  ./wrapped-programs.nix
  ./toplevel.nix
]
