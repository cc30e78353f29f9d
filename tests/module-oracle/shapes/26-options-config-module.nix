# s13: a module with options and config (config under mkIf of its own option).
{ config, lib, pkgs, ... }: {
  options.ccci.ops.enable = lib.mkEnableOption "the operators' tools";
  config = lib.mkMerge [
    { ccci.ops.enable = true; }
    (lib.mkIf config.ccci.ops.enable { environment.systemPackages = [ pkgs.git-lfs ]; })
  ];
}
