# types.lines: a service's script and preStart defined in two modules are joined by newlines.
{ ... }: {
  imports = [ ./parts/script-two.nix ];
  systemd.services.ops-report = { script = "echo one"; preStart = "echo pre-one"; };
}
