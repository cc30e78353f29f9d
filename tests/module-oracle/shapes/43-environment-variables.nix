# environment.variables: a string and a list (joined by ":").
{ ... }: { environment.variables = { EDITOR = "vi"; XDG_DATA_DIRS = [ "/a" "/b" ]; }; }
