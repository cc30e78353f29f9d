# nixos/modules/system/boot/systemd.nix, reduced: `systemd.services` and `systemd.timers`
# (units rendered by ../toplevel.nix), a timer for every service with `startAt`, and
# `systemd.packages` (of which ../toplevel.nix links the drop-ins: `lib/systemd/system/<unit>.d/*.conf`).
{ config, lib, pkgs, ... }:
let
  units = import ./systemd-unit-options.nix { inherit lib pkgs; };
  cfg = config.systemd;
in
{
  options.systemd = {
    services = lib.mkOption { default = { }; type = lib.types.attrsOf units.service; description = "Definition of systemd service units."; };
    timers = lib.mkOption { default = { }; type = lib.types.attrsOf units.timer; description = "Definition of systemd timer units."; };
    packages = lib.mkOption { default = [ ]; type = lib.types.listOf lib.types.package; description = "Packages providing systemd units and hooks."; };
  };

  config.systemd.timers = builtins.mapAttrs
    (name: service: {
      wantedBy = [ "timers.target" ];
      timerConfig.OnCalendar = service.startAt;
    })
    (lib.filterAttrs (name: service: service.enable && service.startAt != [ ]) cfg.services);
}
