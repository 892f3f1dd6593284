#!/usr/bin/python3
"""One IMAP LOGIN, as a mail client sends it, with Python's imaplib.

    imap-login.py HOST PORT LOGIN PASSWORD [SOURCE_ADDRESS]

SOURCE_ADDRESS (e.g. 127.0.0.7) is the client's address: Dovecot delays the
logins of an address that failed before (2, 4, 8, up to 15 s), so a test that
times an answer logs in from an address of its own.

Prints "OK" or "NO <the server's text>", then the milliseconds the LOGIN
command took, e.g. "NO [AUTHENTICATIONFAILED] Authentication failed. 2004".
Exits 0 when the server answered (OK or NO), 1 when it could not be reached.
With IMAP_STARTTLS=1 in the environment it sends STARTTLS first, as a client
of a Dovecot that allows no cleartext LOGIN does (the certificate is not
verified: the tests use a snakeoil one). With IMAP_SELECT=1 it selects INBOX
after the login, which makes Dovecot open the user's mail storage, and adds
"SELECT-INBOX-OK" (or -NO) after "OK".
"""

import imaplib
import os
import socket
import ssl
import sys
import time


class SourcedIMAP4(imaplib.IMAP4):
    """imaplib.IMAP4 that connects from a chosen local address."""

    def __init__(self, host, port, timeout, source):
        self.source = source
        super().__init__(host, port, timeout=timeout)

    def _create_socket(self, timeout):
        source = (self.source, 0) if self.source else None
        return socket.create_connection((self.host, self.port), timeout, source_address=source)


def main():
    host, port, login, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    source = sys.argv[5] if len(sys.argv) > 5 else None
    try:
        client = SourcedIMAP4(host, port, 60, source)
    except OSError as error:
        print("ERROR %s" % error)
        return 1
    if os.environ.get("IMAP_STARTTLS") == "1":
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        try:
            client.starttls(ssl_context=context)
        except (imaplib.IMAP4.error, OSError) as error:
            print("ERROR STARTTLS: %s" % error)
            return 1
    started = time.monotonic()
    try:
        client.login(login, password)
        answer = "OK"
        if os.environ.get("IMAP_SELECT") == "1":
            status, _ = client.select("INBOX")
            answer += " SELECT-INBOX-" + status
    except imaplib.IMAP4.error as error:
        text = error.args[0] if error.args else ""
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        answer = "NO " + str(text)
    elapsed = int((time.monotonic() - started) * 1000)
    try:
        client.logout()
    except (imaplib.IMAP4.error, OSError):
        pass
    print("%s %d" % (answer, elapsed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
