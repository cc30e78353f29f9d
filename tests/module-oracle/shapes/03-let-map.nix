# s07: names in a let, mapped to packages.
{ pkgs, ... }:
let tools = [ "git-lfs" "openssl" ]; in
{ environment.systemPackages = map (n: pkgs.${n}) tools; }
