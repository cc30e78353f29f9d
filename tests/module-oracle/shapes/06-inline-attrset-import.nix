# An inline attribute-set module in imports.
{ pkgs, ... }: { imports = [ { environment.systemPackages = [ pkgs.jq ]; } ]; }
