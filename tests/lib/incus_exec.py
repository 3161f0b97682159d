#!/usr/bin/env python3
"""Run a command in an Incus instance like `incus exec`, for the lxc wrapper.

Usage: incus_exec.py [--project P] REMOTE:NAME -- CMD [ARG...]
       incus_exec.py [--project P] --push SRC REMOTE:NAME/PATH

Why not `incus exec`: with Incus 6.0.4, when several `incus exec` run at once
the client sometimes returns exit code 0 with the command's whole output lost
(measured: about 1 in 100 under 3 parallel execs, 1 in 10 with data on stdin),
which Ansible sees as an empty reply. Here the daemon records the output to
files itself (record-output, no websockets), and this script reads them back
over the REST API: the local unix socket, or for another remote its HTTPS
address from the incus client configuration, with that configuration's client
certificate and the server certificate `incus remote add` accepted (pinned).
Data on stdin is uploaded to a file in the instance and redirected into the
command.
"""
import http.client
import json
import os
import socket
import ssl
import sys
import urllib.parse

SOCKET = os.environ.get("INCUS_SOCKET", "/var/lib/incus/unix.socket")
# The daemon every call goes to: None is the local socket, else a Remote.
REMOTE = None


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("incus")
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


def config_dir():
    return os.environ.get("INCUS_CONF") or os.path.join(os.path.expanduser("~"), ".config", "incus")


def remote_addr(name):
    """The addr of remote NAME in config.yml, read without a YAML library
    (-I -S: no site packages); the incus CLI writes one key per line."""
    path = os.path.join(config_dir(), "config.yml")
    try:
        lines = open(path, encoding="utf-8").read().splitlines()
    except OSError as e:
        die(f"incus_exec.py: remote {name!r}: cannot read {path}: {e}")
    inside = False
    for line in lines:
        if line.startswith("  ") and not line.startswith("    "):
            inside = line.strip() == name + ":"
        elif inside and line.strip().startswith("addr:"):
            return line.split(":", 1)[1].strip().strip('"')
    die(f"incus_exec.py: remote {name!r} is not in {path}")


class Remote:
    """Remote NAME of the client configuration: its address, a TLS context
    with the client certificate, and the server certificate pinned for it
    (read once per command, not per request)."""

    def __init__(self, name):
        d = config_dir()
        self.name, self.url = name, remote_addr(name)
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        self.ctx.check_hostname = False
        self.ctx.verify_mode = ssl.CERT_NONE  # pinned in connect, as the incus client does
        self.ctx.load_cert_chain(os.path.join(d, "client.crt"), os.path.join(d, "client.key"))
        with open(os.path.join(d, "servercerts", name + ".crt"), encoding="ascii") as f:
            self.pinned = ssl.PEM_cert_to_DER_cert(f.read())

    def connect(self):
        u = urllib.parse.urlsplit(self.url)
        conn = http.client.HTTPSConnection(u.hostname, u.port or 8443, context=self.ctx)
        conn.connect()
        if conn.sock.getpeercert(binary_form=True) != self.pinned:
            conn.close()
            die(f"incus_exec.py: remote {self.name!r} ({self.url}) presented another certificate than the one accepted")
        return conn


def use_remote(remote):
    global REMOTE
    if remote not in ("", "local"):
        REMOTE = Remote(remote)


def call(method, path, body=None, headers=None, raw=False):
    conn = UnixConnection(SOCKET) if REMOTE is None else REMOTE.connect()
    data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
    conn.request(method, path, body=data, headers=headers or {})
    resp = conn.getresponse()
    payload = resp.read()
    conn.close()
    if raw:
        if resp.status >= 300:
            die(f"{method} {path}: HTTP {resp.status}: {payload[:200]!r}")
        return payload
    doc = json.loads(payload)
    if doc.get("type") == "error":
        die(f"Error: {doc.get('error')}")
    return doc


def die(msg, code=1):
    sys.stderr.write(msg.rstrip() + "\n")
    sys.exit(code)


def push(project, argv):
    """incus file push SRC [REMOTE:]NAME/PATH as one request to the daemon.

    `incus file push` 6.0.4 goes through SFTP over a websocket, and under
    concurrent execs it sometimes writes nothing while the connection plugin
    (which ignores its exit code) carries on; this POST either writes the
    whole file or fails.
    """
    if len(argv) != 2:
        die("usage: incus_exec.py [--project P] --push SRC [REMOTE:]NAME/PATH", 64)
    src, dest = argv
    remote, _, rest = dest.rpartition(":")
    use_remote(remote)
    name, _, path = rest.partition("/")
    with open(src, "rb") as f:
        data = f.read()
    mode = os.stat(src).st_mode & 0o777
    q = "?project=" + urllib.parse.quote(project) + "&path=" + urllib.parse.quote("/" + path.lstrip("/"))
    call("POST", "/1.0/instances/" + urllib.parse.quote(name, safe="") + "/files" + q, data,
         {"Content-Type": "application/octet-stream", "X-Incus-type": "file", "X-Incus-mode": f"{mode:04o}",
          "X-Incus-uid": "0", "X-Incus-gid": "0", "X-Incus-write": "overwrite"}, raw=True)
    return 0


def main(argv):
    project = "default"
    if argv[:1] == ["--project"]:
        project, argv = argv[1], argv[2:]
    if argv[:1] == ["--push"]:
        return push(project, argv[1:])
    if len(argv) < 3 or argv[1] != "--":
        die("usage: incus_exec.py [--project P] [REMOTE:]NAME -- CMD [ARG...]", 64)
    remote, _, name = argv[0].rpartition(":")
    use_remote(remote)
    cmd = argv[2:]
    q = "?project=" + urllib.parse.quote(project)
    base = "/1.0/instances/" + urllib.parse.quote(name, safe="")

    stdin_file = None
    data = b"" if sys.stdin is None or sys.stdin.isatty() else sys.stdin.buffer.read()
    if data:
        stdin_file = f"/run/.pgafha-stdin-{os.urandom(12).hex()}"
        call("POST", base + "/files" + q + "&path=" + urllib.parse.quote(stdin_file), data,
             {"Content-Type": "application/octet-stream", "X-Incus-type": "file", "X-Incus-mode": "0600",
              "X-Incus-uid": "0", "X-Incus-gid": "0", "X-Incus-write": "overwrite"}, raw=True)
        cmd = ["/bin/sh", "-c", 'f=$1; shift; "$@" <"$f"; rc=$?; rm -f "$f"; exit $rc', "sh", stdin_file] + cmd

    op = call("POST", base + "/exec" + q, {
        "command": cmd, "wait-for-websocket": False, "interactive": False,
        "record-output": True, "environment": {},
    })
    op_id = op["metadata"]["id"]
    done = call("GET", f"/1.0/operations/{op_id}/wait" + q)
    meta = done["metadata"]
    if meta.get("status_code") != 200:
        die(f"Error: {meta.get('err') or meta.get('status')}")
    for fd, stream in (("1", sys.stdout.buffer), ("2", sys.stderr.buffer)):
        log = (meta.get("metadata") or {}).get("output", {}).get(fd)
        if not log:
            continue
        stream.write(call("GET", log + q, raw=True))
        stream.flush()
        call("DELETE", log + q)
    return int((meta.get("metadata") or {}).get("return", 1))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
