# A unit with no path of its own: NixOS' default path and the PATH made from it.
{ ... }: { systemd.services.ops-plain.serviceConfig.ExecStart = "/bin/true"; }
