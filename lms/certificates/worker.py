"""A certificate render worker: `python -m lms.certificates.worker`, driven by parallel.py.

Reads length-prefixed pickled (pages, job) requests on stdin, renders each with
render.render_local and writes back a length-prefixed pickled (ok, pdf bytes or error text).
A plain subprocess rather than multiprocessing: nothing is forked from a threaded web process,
and the parent's __main__ module is never imported again in the child.
"""

from __future__ import annotations

import gc
import pickle
import struct
import sys
from typing import BinaryIO

HEADER = struct.Struct("!Q")


def read_message(stream: BinaryIO) -> bytes | None:
    header = stream.read(HEADER.size)
    if len(header) < HEADER.size:
        return None
    (size,) = HEADER.unpack(header)
    data = stream.read(size)
    if len(data) < size:
        return None
    return data


def write_message(stream: BinaryIO, data: bytes) -> None:
    stream.write(HEADER.pack(len(data)))
    stream.write(data)
    stream.flush()


def main() -> None:
    requests, replies = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print() must not corrupt the replies
    from lms.certificates.render import render_local

    gc.freeze()  # the imported modules are long-lived: keep them out of every collection
    while (message := read_message(requests)) is not None:
        pages, job = pickle.loads(message)
        try:
            reply = (True, render_local(pages, job))
        except Exception as exc:  # noqa: BLE001 — reported to the parent, which renders in-process
            reply = (False, f"{type(exc).__name__}: {exc}")
        write_message(replies, pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL))


if __name__ == "__main__":
    main()
