# Packages cc-ci adds to nixpkgs.
{ ... }:
{
  nixpkgs.overlays = [ ];
}
