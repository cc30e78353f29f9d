# One [Service] setting forced over the host's.
{ lib, ... }: { systemd.services.nightly-sweep.serviceConfig.Type = lib.mkForce "simple"; }
