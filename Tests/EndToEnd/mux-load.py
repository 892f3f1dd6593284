#!/usr/bin/python3
"""Logins on a saslauthd-protocol socket, back to back, for the outage and
restart checks of serve.sh: each of THREADS clients sends the same login
(four counted fields, as libsasl2 sends them) until STOP_FILE exists, and
every answer is written to OUT, one per line: OK, the NO text, or
"ERROR <why>" when there was no answer (connection refused or dropped).

    mux-load.py SOCKET USER REALM PASSWORD SERVICE THREADS STOP_FILE OUT
"""

import os
import socket
import struct
import sys
import threading
import time


def ask(path, fields):
    request = b"".join(struct.pack(">H", len(field)) + field for field in fields)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.settimeout(30)
        client.connect(path)
        client.sendall(request)
        header = b""
        while len(header) < 2:
            chunk = client.recv(2 - len(header))
            if not chunk:
                raise ConnectionError("closed without an answer")
            header += chunk
        (length,) = struct.unpack(">H", header)
        body = b""
        while len(body) < length:
            chunk = client.recv(length - len(body))
            if not chunk:
                raise ConnectionError("closed in the middle of the answer")
            body += chunk
        return body.decode("utf-8", "replace")


def main():
    path, user, realm, password, service, threads, stop_file, out = sys.argv[1:9]
    fields = [user.encode(), password.encode(), service.encode(), realm.encode()]
    answers = []
    lock = threading.Lock()

    def run():
        while not os.path.exists(stop_file):
            try:
                answer = ask(path, fields)
            except OSError as error:
                answer = "ERROR %s" % error
                time.sleep(0.05)
            with lock:
                answers.append(answer)

    workers = [threading.Thread(target=run) for _ in range(int(threads))]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    with open(out, "w") as handle:
        handle.write("\n".join(answers) + "\n")


if __name__ == "__main__":
    main()
