# nixos/modules/security/wrappers/default.nix, reduced: `security.wrappers`, declared as NixOS
# does, and its activation script, which puts every wrapper in /run/wrappers/bin. NixOS copies
# a setuid wrapper program there; the twin links the source program (the twin runs as root),
# and only when it is there (a Debian program may be missing).
{ config, lib, pkgs, ... }:
let
  inherit (lib) mkOption types;
  wrapperDir = config.security.wrapperDir;
  wrapperType = types.submodule ({ name, ... }: {
    options = {
      source = mkOption { type = types.path; description = "The absolute path to the program to be wrapped."; };
      program = mkOption { type = types.nullOr types.str; default = name; description = "The name of the wrapper program."; };
      owner = mkOption { type = types.str; description = "The owner of the wrapper program."; };
      group = mkOption { type = types.str; description = "The group of the wrapper program."; };
      permissions = mkOption { type = types.str; default = "u+rx,g+x,o+x"; description = "The permissions of the wrapper program."; };
      capabilities = mkOption { type = types.commas; default = ""; description = "Capability clauses given to the wrapper program."; };
      setuid = mkOption { type = types.bool; default = false; description = "Whether to add the setuid bit the wrapper program."; };
      setgid = mkOption { type = types.bool; default = false; description = "Whether to add the setgid bit the wrapper program."; };
    };
  });
  mkSetuidRoot = source: { setuid = true; owner = "root"; group = "root"; inherit source; };
in
{
  options.security = {
    wrappers = mkOption { type = types.attrsOf wrapperType; default = { }; description = "Programs wrapped with setuid/setgid bits or capabilities in security.wrapperDir."; };
    wrapperDir = mkOption { type = types.path; default = "/run/wrappers/bin"; description = "The path to the wrapper programs."; };
  };

  config = {
    # These are mount related wrappers that require the +s permission.
    security.wrappers = {
      mount = mkSetuidRoot "${lib.getBin pkgs.util-linux}/bin/mount";
      umount = mkSetuidRoot "${lib.getBin pkgs.util-linux}/bin/umount";
    };

    system.activationScripts.wrappers = ''
      mkdir -p ${wrapperDir}
      ${lib.concatMapStringsSep "\n" (w: ''if [ -x "${w.source}" ]; then ln -sfn "${w.source}" "${wrapperDir}/${w.program}"; fi'')
        (builtins.attrValues config.security.wrappers)}
    '';
  };
}
