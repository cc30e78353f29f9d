# s08: the list in a file this module imports (its file is the imported one).
{ ... }: { imports = [ ./parts/ops-tools.nix ]; }
