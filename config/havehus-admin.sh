#!/bin/sh
# `havehus …` as the services run it: the havehus user, /etc/havehus's settings and the
# instance folder. Install: install -m 755 config/havehus-admin.sh /usr/local/bin/havehus
set -eu
set -a
. /etc/havehus/env
set +a
export HAVEHUS_CONFIG=/etc/havehus/havehus.toml HAVEHUS_INSTANCE_PATH=/var/lib/havehus
cd /var/lib/havehus
exec runuser -u havehus -- /opt/havehus/.venv/bin/havehus "$@"
