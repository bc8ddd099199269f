"""Runs one process of the test S3 server (OpenStack Swift + s3api), started by ../swift.ts.

    launch.py PARENT_PID swift SWIFT_DIR APP_SECTION CONF_PATH   a Swift WSGI server
    launch.py PARENT_PID exec COMMAND [ARGS...]                  any other program (memcached)

Both forms first ask the kernel to SIGKILL this process when the Node process that started it dies
(prctl PR_SET_PDEATHSIG), so a test run that is killed never leaves servers behind. The setting
survives exec (memcached) and the same-user setuid that Swift and memcached do when run as root.

The swift form is what /usr/bin/swift-*-server does, except that swift.conf and the rings are read
from SWIFT_DIR instead of /etc/swift, and that this directory is on sys.path so the proxy pipeline
can load the s3compat filter from here.
"""
import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid):
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        sys.exit('launch.py: prctl(PR_SET_PDEATHSIG) failed: errno %d' % ctypes.get_errno())
    # The parent may have died before prctl ran: then nobody would ever signal us.
    if os.getppid() != parent_pid:
        sys.exit('launch.py: parent %d is gone' % parent_pid)


def run_swift(swift_dir, app, conf):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from swift.common import utils
    utils.set_swift_dir(swift_dir)
    from swift.common.wsgi import run_wsgi
    kwargs = {'verbose': True}  # log to stderr, which swift.ts sends to a file (no syslog here)
    if app == 'object-server':
        from swift.obj import server
        kwargs['global_conf_callback'] = server.global_conf_callback
    return run_wsgi(conf, app, **kwargs)


def main(argv):
    if len(argv) < 4:
        sys.exit(__doc__)
    die_with_parent(int(argv[1]))
    if argv[2] == 'swift' and len(argv) == 6:
        return run_swift(argv[3], argv[4], argv[5])
    if argv[2] == 'exec':
        os.execvp(argv[3], argv[3:])
    sys.exit(__doc__)


if __name__ == '__main__':
    sys.exit(main(sys.argv))
