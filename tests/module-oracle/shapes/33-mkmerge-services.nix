# s20: two units in one mkMerge.
{ lib, ... }: {
  systemd.services = lib.mkMerge [
    { ops-a.serviceConfig.ExecStart = "/bin/true"; }
    { ops-b.serviceConfig.ExecStart = "/bin/false"; }
  ];
}
