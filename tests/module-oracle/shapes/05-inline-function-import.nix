# s08b: an inline function module in imports (its file is the importing one).
{ ... }: { imports = [ ({ pkgs, ... }: { environment.systemPackages = [ pkgs.git-lfs ]; }) ]; }
