# A NixOS host's login PATH (set for ssh commands by sshd's SetEnv; this is for login
# shells, which Debian's /etc/profile gives its own PATH first). Debian's directories are
# not on it: tools come from the running system, /run/current-system/sw/bin.
if [ -d /run/current-system/sw/bin ]; then
  PATH=/run/wrappers/bin:/root/.nix-profile/bin:/nix/profile/bin:/root/.local/state/nix/profile/bin:/etc/profiles/per-user/root/bin:/nix/var/nix/profiles/default/bin:/run/current-system/sw/bin
  export PATH
fi
