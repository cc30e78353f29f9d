# s02: the same list written `with pkgs`.
{ pkgs, ... }: { environment.systemPackages = with pkgs; [ git-lfs openssl ]; }
