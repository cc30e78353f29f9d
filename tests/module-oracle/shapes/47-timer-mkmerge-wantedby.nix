# A timer's wantedBy from two definitions (lists concatenated) and its description.
{ lib, ... }: { systemd.timers.nightly-sweep = { wantedBy = [ "multi-user.target" ]; description = "sweep timer"; }; }
