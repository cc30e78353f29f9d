# A module of another flake input (a `/nix/store/…-source/…` file): the flake's own too.
{ pkgs, ... }: {
  _file = "/nix/store/00000000000000000000000000000000-source/modules/ops.nix";
  environment.systemPackages = [ pkgs.jq ];
  systemd.services.nightly-sweep.path = [ pkgs.jq ];
}
