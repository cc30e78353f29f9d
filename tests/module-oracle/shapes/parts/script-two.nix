# The second module defining ops-report's script and preStart (types.lines).
{ ... }: { systemd.services.ops-report = { script = "echo two"; preStart = "echo pre-two"; }; }
