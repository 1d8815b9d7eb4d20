"""The FreeRADIUS test peer from a shell (``bench/radius_auth.sh``), run from
the repository's root:

    python -m tests.freeradius start RUN_DIR --auth-port A --acct-port B --coa-port C
        [--secret S] [--client-ip IP] [--coa-policy ack|nak|session] [--read-clients]
    python -m tests.freeradius stop RUN_DIR

``start`` prints the server's PID once it serves requests; the database comes
from libpq's variables PGHOST, PGPORT, PGUSER, PGPASSWORD and PGDATABASE.
``stop`` ends the server whose PID is in ``RUN_DIR/radiusd.pid``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from tests import freeradius


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.freeradius")
    actions = parser.add_subparsers(dest="action", required=True)
    start = actions.add_parser("start", help="start a peer and print its PID")
    start.add_argument("run_dir", type=Path)
    start.add_argument("--auth-port", type=int, required=True)
    start.add_argument("--acct-port", type=int, required=True)
    start.add_argument("--coa-port", type=int, required=True)
    start.add_argument("--secret", default="testing123")
    start.add_argument("--client-ip", default="127.0.0.1")
    start.add_argument("--coa-policy", choices=list(freeradius.COA_POLICIES), default="ack")
    start.add_argument("--read-clients", action="store_true", help="load the nas table")
    stop = actions.add_parser("stop", help="stop the peer of RUN_DIR")
    stop.add_argument("run_dir", type=Path)
    options = parser.parse_args()

    run_dir = options.run_dir.resolve()
    if options.action == "start" and not os.environ.get("PGDATABASE"):
        parser.error("PGDATABASE is not set: the peer's database comes from libpq's variables")
    try:
        if options.action == "start":
            config = freeradius.PeerConfig(
                run_dir=run_dir,
                db_host=os.environ.get("PGHOST", "127.0.0.1"),
                db_port=int(os.environ.get("PGPORT") or 5432),
                db_user=os.environ.get("PGUSER", "postgres"),
                db_password=os.environ.get("PGPASSWORD", ""),
                db_name=os.environ["PGDATABASE"],
                auth_port=options.auth_port,
                acct_port=options.acct_port,
                coa_port=options.coa_port,
                secret=options.secret,
                client_ip=options.client_ip,
                coa_policy=options.coa_policy,
                read_clients=options.read_clients,
            )
            sys.stdout.write(f"{freeradius.start(config)}\n")
        else:
            pid_path = freeradius.pidfile(run_dir)
            if pid_path.exists():
                freeradius.stop(int(pid_path.read_text()), run_dir)
    except RuntimeError as error:
        sys.exit(str(error))


if __name__ == "__main__":
    main()
