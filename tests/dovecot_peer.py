"""A real IMAP server for the email-to-ticket tests: Debian's dovecot-imapd
with a private configuration and maildir in a temporary directory, listening
on 127.0.0.1 only, one user with a plain password, stopped by its PID.

Tests deliver mail with IMAP APPEND (imap-tools), as a mail server's local
delivery would, and give each test its own folder so one server serves the
whole session.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import pytest

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER = "support@isp.test"
PASSWORD = "imap-secret"

CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = dovenull
default_internal_user = dovecot
first_valid_uid = 1
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = {root}/passwd
}}
userdb {{
  driver = static
  args = uid=mail gid=mail home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""


@dataclass
class DovecotPeer:
    """A dovecot IMAP server: its port, one user's credentials and the
    directory holding its configuration, maildir, log and PID file."""

    root: Path
    port: int
    user: str = USER
    password: str = PASSWORD
    pid: int | None = None

    @property
    def config(self) -> Path:
        return self.root / "dovecot.conf"

    def start(self) -> None:
        """Start the daemon and wait until it accepts IMAP connections (10 s
        at most). Raises RuntimeError with the end of its log otherwise."""
        # The daemon keeps inherited stdout open: give it /dev/null so a
        # caller reading our output is never left waiting.
        subprocess.run(
            [DOVECOT, "-c", str(self.config)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=True,
            timeout=20,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    if s.recv(100).startswith(b"* OK"):
                        self.pid = int((self.root / "run" / "master.pid").read_text())
                        return
            except OSError:
                time.sleep(0.05)
        log = (self.root / "dovecot.log").read_text(errors="replace")[-2000:]
        raise RuntimeError(f"dovecot did not start on port {self.port}:\n{log}")

    def stop(self) -> None:
        """Stop the daemon by the PID in ``base_dir/master.pid`` and wait for
        the port to close (5 s at most)."""
        pid_file = self.root / "run" / "master.pid"
        if not pid_file.exists():
            return
        pid = int(pid_file.read_text())
        try:
            os.kill(pid, 15)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        self.pid = None

    def append(self, folder: str, message: EmailMessage | bytes) -> None:
        """Deliver one message into ``folder`` (created when missing) with
        IMAP APPEND, as the mail server's local delivery would."""
        from imap_tools import MailBoxUnencrypted

        raw = message if isinstance(message, bytes) else message.as_bytes()
        with MailBoxUnencrypted("127.0.0.1", self.port).login(self.user, self.password) as box:
            if not box.folder.exists(folder):
                box.folder.create(folder)
            box.append(raw, folder)

    def recreate(self, folder: str) -> None:
        """Delete ``folder`` and create it again empty: the server gives it a
        new UIDVALIDITY (RFC 3501 2.3.1.1), as after a mailbox restore."""
        from imap_tools import MailBoxUnencrypted

        with MailBoxUnencrypted("127.0.0.1", self.port).login(self.user, self.password) as box:
            if box.folder.exists(folder):
                box.folder.delete(folder)
            box.folder.create(folder)


def start_dovecot() -> DovecotPeer:
    """Write a private configuration in a new temporary directory and start
    dovecot on a free TCP port of 127.0.0.1."""
    from tests.peers import free_ports

    root = Path(tempfile.mkdtemp(prefix="ispstack-dovecot-"))
    root.chmod(0o755)
    port = free_ports(1, socket.SOCK_STREAM)[0]
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    (root / "dovecot.conf").write_text(CONFIG.format(root=root, port=port))
    mail = root / "mail"
    mail.mkdir()
    shutil.chown(mail, "mail", "mail")
    peer = DovecotPeer(root=root, port=port)
    peer.start()
    return peer


@pytest.fixture(scope="session")
def dovecot() -> Iterator[DovecotPeer]:
    """A running dovecot IMAP server on 127.0.0.1 for the whole session."""
    if not os.path.exists(DOVECOT):
        pytest.fail("dovecot is not installed: run `make system-deps` (dovecot-imapd)")
    peer = start_dovecot()
    try:
        yield peer
    finally:
        peer.stop()
        shutil.rmtree(peer.root, ignore_errors=True)
