#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""An SMTP receiver for the action tests (aiosmtpd, a real SMTP server): every message is
written as one JSON line {"mail_from", "rcpt_tos", "data"} to --log.

Usage: smtp_sink.py --log FILE --port-file FILE [--fail-first N]
--fail-first N answers the first N messages with 451 (try again later) at the end of DATA.
Listens on 127.0.0.1, port chosen by the kernel, written to --port-file once bound.
"""
import argparse
import asyncio
import json
import os
import sys

from aiosmtpd.smtp import SMTP


class Handler:
    def __init__(self, log_path, fail_first):
        self.log = open(log_path, "a", encoding="utf-8")
        self.fail_first = fail_first
        self.n = 0

    async def handle_DATA(self, server, session, envelope):
        self.n += 1
        data = envelope.original_content or envelope.content or b""
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        entry = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "data": data.decode("utf-8", "replace"),
            "n": self.n,
        }
        if self.n <= self.fail_first:
            entry["answer"] = 451
            self.log.write(json.dumps(entry) + "\n")
            self.log.flush()
            return "451 4.3.0 try again later"
        entry["answer"] = 250
        self.log.write(json.dumps(entry) + "\n")
        self.log.flush()
        return "250 OK"


async def serve(a):
    handler = Handler(a.log, a.fail_first)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, decode_data=False, enable_SMTPUTF8=True, hostname="sink.test"),
        "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.rename(tmp, a.port_file)
    async with server:
        await server.serve_forever()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--log", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--fail-first", type=int, default=0)
    a = ap.parse_args()
    try:
        asyncio.run(serve(a))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
