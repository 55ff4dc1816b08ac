"""UMCA's launcher inside a container-lane sandbox (native python3 or node under bubblewrap).

Started by the host as the sandbox's first program, with the run's folder at /umca/io: it copies
the input files into /work (the run's tmpfs), relays 127.0.0.1:3128 to the host's egress proxy
(a Unix socket, the sandbox's only way out), runs the program with /work as its directory, and,
when it ends, reports its exit code and the files it left in /work as one JSON line on fd 3.

It is a convenience, not a wall: the program runs as the same user and may kill it or write to
fd 3 itself. The host trusts nothing in the report (host/check-output-files.ts) and enforces the
time limit and the process's end itself.
"""

import base64
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import threading

IO = "/umca/io"
WORK = "/work"
PROXY_PORT = 3128
MAX_FILES = 100
MAX_BYTES = 16 * 1048576
MAX_PATH = 255
MAX_LISTED = 100


def relay(client: socket.socket) -> None:
    upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        upstream.connect(os.path.join(IO, "proxy.sock"))
    except OSError:
        client.close()
        return

    def pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    threading.Thread(target=pump, args=(upstream, client), daemon=True).start()
    pump(client, upstream)


def serve_proxy() -> None:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", PROXY_PORT))
    listener.listen(64)
    while True:
        client, _ = listener.accept()
        threading.Thread(target=relay, args=(client,), daemon=True).start()


def copy_inputs() -> dict:
    """Copies /umca/io/input into /work; returns each input's bytes by path, to skip unchanged ones."""
    inputs = {}
    source = os.path.join(IO, "input")
    for folder, _, names in os.walk(source):
        for name in names:
            path = os.path.join(folder, name)
            relative = os.path.relpath(path, source)
            target = os.path.join(WORK, relative)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copyfile(path, target)
            with open(path, "rb") as handle:
                inputs[relative] = handle.read()
    return inputs


def walk(root: str, prefix: str = ""):
    for name in sorted(os.listdir(root)):
        path = os.path.join(root, name)
        relative = f"{prefix}/{name}" if prefix else name
        if len(relative) > MAX_PATH:
            yield ("invalid_path", relative[:MAX_PATH], None)
            continue
        mode = os.lstat(path).st_mode
        if stat.S_ISLNK(mode):
            yield ("symlink", relative, None)
        elif stat.S_ISDIR(mode):
            yield from walk(path, relative)
        elif stat.S_ISREG(mode):
            yield ("file", relative, path)
        else:
            yield ("special_file", relative, None)


def collect(inputs: dict) -> dict:
    files, dropped, total = [], {"count": 0, "files": []}, 0

    def drop(path: str, reason: str) -> None:
        dropped["count"] += 1
        if len(dropped["files"]) < MAX_LISTED:
            dropped["files"].append({"path": path, "reason": reason})

    for kind, relative, path in walk(WORK):
        if kind != "file":
            drop(relative, kind)
            continue
        size = os.path.getsize(path)
        if relative in inputs and size == len(inputs[relative]):
            with open(path, "rb") as handle:
                if handle.read() == inputs[relative]:
                    continue
        if len(files) >= MAX_FILES:
            drop(relative, "count_limit")
            continue
        if total + size > MAX_BYTES:
            drop(relative, "size_limit")
            continue
        with open(path, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
        total += len(data)
        try:
            files.append({"path": relative, "encoding": "utf8", "content": data.decode("utf-8")})
        except UnicodeDecodeError:
            files.append({"path": relative, "encoding": "base64", "content": base64.b64encode(data).decode("ascii")})
    report = {"files": files}
    if dropped["count"]:
        report["droppedFiles"] = dropped
    return report


def main() -> int:
    command = sys.argv[1:]
    inputs = copy_inputs()
    threading.Thread(target=serve_proxy, daemon=True).start()
    stdin_path = os.path.join(IO, "stdin")
    with open(stdin_path if os.path.exists(stdin_path) else os.devnull, "rb") as stdin:
        exit_code = subprocess.call(command, cwd=WORK, stdin=stdin)
    report = {"exitCode": exit_code, **collect(inputs)}
    with os.fdopen(3, "w") as channel:
        channel.write(json.dumps(report) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
