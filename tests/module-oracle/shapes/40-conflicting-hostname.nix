# Two different host names: conflicting definition values.
{ ... }: { networking.hostName = "cc-ci-2"; }
