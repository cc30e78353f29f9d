# nixos/modules/config/system-path.nix, reduced: the option `environment.systemPackages`, and
# what every NixOS system has on its PATH (its requiredPackages, as far as Debian has them),
# defined as NixOS defines it.
{ pkgs, lib, ... }:
{
  options.environment.systemPackages = lib.mkOption {
    type = lib.types.listOf lib.types.package;
    default = [ ];
    description = "The set of packages that appear in /run/current-system/sw.";
  };

  config.environment.systemPackages = with pkgs; [
    # NixOS 24.11's requiredPackages, then its defaultPackages, then what other default modules
    # of a server add (nix.nix: nix; installer/tools: nixos-rebuild; systemd.nix: systemd;
    # console.nix: kbd; programs/nano.nix: nano; network-interfaces.nix: hostname-debian
    # iproute2; security/sudo.nix: sudo). tests/twin_platform.rs checks the names.
    acl attr bashInteractive bzip2 coreutils-full cpio curl diffutils findutils gawk stdenv.cc.libc
    getent getconf gnugrep gnupatch gnused gnutar gzip xz less libcap ncurses netcat openssh mkpasswd
    procps su time util-linux which zstd
    perl rsync strace
    nix nixos-rebuild systemd kbd nano hostname-debian iproute2 sudo
  ];
}
