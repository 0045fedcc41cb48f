"""TensorBoard event files without TensorBoard: scalars in TFRecord framing, hand-encoded.

Neither ``tensorboard`` nor ``tensorboardX`` is a dependency, yet the training curves
must open in TensorBoard. An event file is a sequence of records::

    uint64 length | uint32 masked_crc32c(length) | bytes data | uint32 masked_crc32c(data)

where ``data`` is a serialised ``tensorflow.Event`` protobuf. We only write the two
messages we need -- ``Event{wall_time=1, step=2, file_version=3, summary=5}`` and
``Summary{value=1: Value{tag=1, simple_value=2}}`` -- and read them back the same way.

>>> w = EventWriter()
>>> w.add_scalar("train/loss", 0.5, step=10)
>>> [(e.step, e.tag, round(e.value, 3)) for e in read_events(w.getvalue())]
[(10, 'train/loss', 0.5)]
"""

from __future__ import annotations

import struct
import time
from dataclasses import dataclass
from pathlib import Path

from bizforge.errors import DataError

__all__ = ["EventWriter", "Scalar", "crc32c", "event_file_name", "read_events"]


def _crc_table() -> list[int]:
    poly = 0x82F63B78  # Castagnoli, reflected
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ poly if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _crc_table()


def crc32c(data: bytes) -> int:
    """CRC-32C (Castagnoli) of ``data``; records are tens of bytes, so pure Python is fine.

    >>> hex(crc32c(b"123456789"))
    '0xe3069283'
    """
    crc = 0xFFFFFFFF
    for b in data:
        crc = _TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def _masked(crc: int) -> int:
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def _varint(n: int) -> bytes:
    n &= (1 << 64) - 1  # negative int64 -> two's complement, as protobuf does
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _field(number: int, wire: int) -> bytes:
    return _varint((number << 3) | wire)


def _bytes_field(number: int, payload: bytes) -> bytes:
    return _field(number, 2) + _varint(len(payload)) + payload


def _event(wall_time: float, step: int | None = None, *, file_version: str | None = None,
           summary: bytes | None = None) -> bytes:
    out = _field(1, 1) + struct.pack("<d", wall_time)
    if step is not None:
        out += _field(2, 0) + _varint(int(step))
    if file_version is not None:
        out += _bytes_field(3, file_version.encode())
    if summary is not None:
        out += _bytes_field(5, summary)
    return out


def _scalar_summary(tag: str, value: float) -> bytes:
    item = _bytes_field(1, tag.encode("utf-8")) + _field(2, 5) + struct.pack("<f", float(value))
    return _bytes_field(1, item)


def _record(data: bytes) -> bytes:
    header = struct.pack("<Q", len(data))
    return (header + struct.pack("<I", _masked(crc32c(header))) + data
            + struct.pack("<I", _masked(crc32c(data))))


def event_file_name(wall_time: float | None = None) -> str:
    """TensorBoard finds files named ``events.out.tfevents.<time>.<host>``.

    The host part is fixed: artifacts must not carry the training machine's name.
    """
    return f"events.out.tfevents.{int(wall_time if wall_time is not None else time.time())}.bizforge"


class EventWriter:
    """Collects scalar events in memory; optionally also appends them to a live file.

    ``path`` (a file) lets ``tensorboard --logdir`` follow a run while it trains; the
    bytes are always kept so the model can save them into its folder later.
    """

    def __init__(self, path: str | Path | None = None, clock=time.time):
        self.clock = clock
        self.path = None if path is None else Path(path)
        self._chunks: list[bytes] = []
        self._emit(_event(self.clock(), file_version="brain.Event:2"))

    def add_scalar(self, tag: str, value: float, step: int) -> None:
        """One point of curve ``tag`` (e.g. ``"valid/accuracy"``) at ``step``."""
        self._emit(_event(self.clock(), step, summary=_scalar_summary(tag, value)))

    def _emit(self, data: bytes) -> None:
        rec = _record(data)
        self._chunks.append(rec)
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "ab") as fh:
                fh.write(rec)

    def getvalue(self) -> bytes:
        return b"".join(self._chunks)


@dataclass(frozen=True)
class Scalar:
    wall_time: float
    step: int
    tag: str
    value: float


def _read_varint(buf: bytes, pos: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def _fields(buf: bytes):
    """(field number, wire type, value) for each field of a protobuf message."""
    pos = 0
    while pos < len(buf):
        key, pos = _read_varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _read_varint(buf, pos)
        elif wire == 1:
            value, pos = buf[pos:pos + 8], pos + 8
        elif wire == 2:
            size, pos = _read_varint(buf, pos)
            value, pos = buf[pos:pos + size], pos + size
        elif wire == 5:
            value, pos = buf[pos:pos + 4], pos + 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        yield number, wire, value


def read_events(data: bytes | str | Path) -> list[Scalar]:
    """The scalar points of an event file (bytes or path); checks every CRC.

    Non-scalar summaries (images, histograms) written by other tools are skipped.
    """
    if not isinstance(data, bytes):
        data = Path(data).read_bytes()
    out: list[Scalar] = []
    pos = 0
    while pos < len(data):
        header = data[pos:pos + 8]
        if len(header) < 8:
            raise DataError("the event file ends inside a record header.", fix="write it again.")
        (length,) = struct.unpack("<Q", header)
        (crc_len,) = struct.unpack("<I", data[pos + 8:pos + 12])
        body = data[pos + 12:pos + 12 + length]
        (crc_body,) = struct.unpack("<I", data[pos + 12 + length:pos + 16 + length] or b"\0\0\0\0")
        if crc_len != _masked(crc32c(header)) or crc_body != _masked(crc32c(body)):
            raise DataError(f"the event file has a corrupt record at byte {pos}.",
                            fix="write it again.")
        pos += 16 + length
        wall, step, summary = 0.0, 0, None
        for number, _, value in _fields(body):
            if number == 1:
                (wall,) = struct.unpack("<d", value)
            elif number == 2:
                step = value - (1 << 64) if value >= 1 << 63 else value
            elif number == 5:
                summary = value
        if summary is None:
            continue
        for number, _, item in _fields(summary):
            if number != 1:
                continue
            tag, scalar = None, None
            for n2, _, v2 in _fields(item):
                if n2 == 1:
                    tag = v2.decode("utf-8")
                elif n2 == 2:
                    (scalar,) = struct.unpack("<f", v2)
            if tag is not None and scalar is not None:
                out.append(Scalar(wall, step, tag, scalar))
    return out
