# Secrets in /run/secrets, named in the secrets submodule; the twin generates the values at
# boot (on the real host they are decrypted there).
{ config, lib, ... }:
{
  imports = [ ../../secrets ];

  system.activationScripts.secrets = ''
    mkdir -p /run/secrets
    chmod 0750 /run/secrets
    ${lib.concatMapStringsSep "\n" (name: ''
      if [ ! -s /run/secrets/${name} ]; then
        (umask 077; od -An -N24 -tx1 /dev/urandom | tr -d ' \n' > /run/secrets/${name})
      fi'') config.ccci.secrets}
  '';
}
