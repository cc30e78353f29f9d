# A second overlay from another module.
{ ... }: { nixpkgs.overlays = [ (final: prev: { opsTools = [ final.jq ]; }) ]; }
