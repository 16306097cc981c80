"""gunicorn's settings for havehus: `gunicorn -c config/gunicorn.conf.py 'havehus:create_app()'`.

Its error and access logs go through havehus's logging (havehus/logs.py): JSON lines when
HAVEHUS_ENV is production (or the HAVEHUS_CONFIG file says so), readable text otherwise, every
line masked (phone numbers, names, capability tokens in paths and queries) and the access line
carrying the request's id. Anything here can be overridden on the command line
(`--bind`, `--workers`) or with GUNICORN_CMD_ARGS.
"""

import os

from havehus.config import load_settings
from havehus.logs import gunicorn_logconfig

_settings = load_settings()

bind = os.environ.get("HAVEHUS_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("HAVEHUS_WEB_WORKERS", "3"))
# Each process builds the app itself (no shared database connections across a fork).
preload_app = False
# Behind nginx: it buffers slow clients, so a short keep-alive is enough.
keepalive = 5
timeout = 60
graceful_timeout = 30
accesslog = "-"
errorlog = "-"
# The path and query are masked by the filter; the request id is the one havehus answered.
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms rid=%({x-request-id}o)s ua="%(a)s"'
logconfig_dict = gunicorn_logconfig(json=_settings["env"] == "production")
