# s18: startAt instead of an explicit timer (NixOS makes the timer).
{ ... }: { systemd.services.ops-sweep = { serviceConfig.ExecStart = "/bin/true"; startAt = "daily"; }; }
