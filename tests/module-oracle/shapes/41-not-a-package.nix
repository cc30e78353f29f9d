# A string where a package is expected.
{ ... }: { environment.systemPackages = [ "git-lfs" ]; }
