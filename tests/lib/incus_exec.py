#!/usr/bin/env python3
"""Run a command in an Incus instance like `incus exec`, for the lxc wrapper.

Usage: incus_exec.py [--project P] REMOTE:NAME -- CMD [ARG...]
       incus_exec.py [--project P] --push SRC REMOTE:NAME/PATH

Why not `incus exec`: with Incus 6.0.4, when several `incus exec` run at once
the client sometimes returns exit code 0 with the command's whole output lost
(measured: about 1 in 100 under 3 parallel execs, 1 in 10 with data on stdin),
which Ansible sees as an empty reply. Here the daemon records the output to
files itself (record-output, no websockets), and this script reads them back
over the REST API on the local unix socket. Data on stdin is uploaded to a file
in the instance and redirected into the command.
"""
import http.client
import json
import os
import socket
import sys
import urllib.parse

SOCKET = os.environ.get("INCUS_SOCKET", "/var/lib/incus/unix.socket")


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("incus")
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


def call(method, path, body=None, headers=None, raw=False):
    conn = UnixConnection(SOCKET)
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
    if remote not in ("", "local"):
        die(f"incus_exec.py: only the local daemon is supported, not remote {remote!r}", 64)
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
    if remote not in ("", "local"):
        die(f"incus_exec.py: only the local daemon is supported, not remote {remote!r}", 64)
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
