# nixos/modules/system/boot/systemd.nix (24.11): `systemd.services` and `systemd.timers`
# (types from nixos/lib/systemd-types.nix), and a timer for each service's `startAt`.
{ config, lib, pkgs, ... }:
with lib;
let
  cfg = config.systemd;
  unit = import ./systemd-unit-options.nix { inherit lib pkgs; };
in
{
  options.systemd = {
    services = mkOption {
      default = { };
      type = types.attrsOf (types.submodule [ unit.stage2ServiceOptions unit.unitConfig unit.stage2ServiceConfig ]);
      description = "Definition of systemd service units.";
    };
    timers = mkOption {
      default = { };
      type = types.attrsOf (types.submodule [ unit.stage2TimerOptions unit.unitConfig ]);
      description = "Definition of systemd timer units.";
    };
  };
  config.systemd.timers =
    mapAttrs (name: service: {
      wantedBy = [ "timers.target" ];
      timerConfig.OnCalendar = service.startAt;
    })
      (filterAttrs (name: service: service.enable && service.startAt != [ ]) cfg.services);
}
