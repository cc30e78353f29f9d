# The unit files of a system's `systemd.services` / `systemd.timers` (their merged config):
# [Unit] from `unitConfig`, [Service] the environment then `serviceConfig`, [Timer]
# `timerConfig`; a list value is a repeated setting, as NixOS' attrsToSection writes it.
{ lib }:
let
  unitValue = v:
    if builtins.isBool v then (if v then "true" else "false") else toString v;

  sectionBody = attrs: lib.concatStringsSep "" (lib.mapAttrsToList
    (k: v: lib.concatMapStringsSep "" (x: "${k}=${unitValue x}\n") (if builtins.isList v then v else [ v ]))
    attrs);
  section = name: attrs: "[${name}]\n" + sectionBody attrs;
in
{
  service = s:
    section "Unit" s.unitConfig + "\n[Service]\n"
    + lib.concatStringsSep "" (lib.mapAttrsToList (k: v: "Environment=\"${k}=${toString v}\"\n")
      (lib.filterAttrs (k: v: v != null) s.environment))
    + sectionBody s.serviceConfig;

  timer = t: section "Unit" t.unitConfig + "\n" + section "Timer" t.timerConfig;
}
