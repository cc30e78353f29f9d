# The setuid programs other NixOS modules wrap (security/sudo.nix: sudo; programs/shadow.nix:
# su, newgrp, passwd), from the twin package that has them, else from Debian.
{ lib, pkgs, ... }:
let
  mkSetuidRoot = source: { setuid = true; owner = "root"; group = "root"; inherit source; };
in
{
  security.wrappers = {
    sudo = mkSetuidRoot "/usr/bin/sudo";
    su = mkSetuidRoot "${lib.getBin pkgs.util-linux}/bin/su";
    newgrp = mkSetuidRoot "/usr/bin/newgrp";
    passwd = mkSetuidRoot "/usr/bin/passwd";
  };
}
